// A stable dashboard address for browser mode (issue 14 §4): <dataDir>/dashboard.json keeps the
// control server's port and token between runs (mode 0600, like control.json; Syncthing keeps its
// GUI address and API key in its config the same way), so a bookmarked link keeps working. The
// port is taken again when it is free; when it is not, any free port is used and remembered. The
// token stays until the volunteer asks for a new one (`pnode node --ui --new-dashboard-link`).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { jsonText, readJsonFile, writeFileAtomic } from '../kernel/storage/atomic-file.js';

export const DASHBOARD_FILE = 'dashboard.json';
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,128}$/;

export interface DashboardAddress {
  readonly port: number;
  readonly token: string;
}

export function dashboardFilePath(dataDir: string): string {
  return join(dataDir, DASHBOARD_FILE);
}

export function newDashboardToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The remembered address; null when there is none or it is not one (a broken file is replaced). */
export async function readDashboardFile(dataDir: string): Promise<DashboardAddress | null> {
  let raw: unknown;
  try {
    raw = await readJsonFile(dashboardFilePath(dataDir));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const { port, token } = raw as { port?: unknown; token?: unknown };
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) return null;
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return null;
  return { port, token };
}

export async function writeDashboardFile(dataDir: string, address: DashboardAddress): Promise<void> {
  await writeFileAtomic(dashboardFilePath(dataDir), jsonText(address), { mode: 0o600 });
}

function addressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/**
 * Starts `start(port, token)` at the remembered address when there is one (a new token when asked),
 * on any free port when the remembered one is taken, and remembers what it got. `fixedPort` (the
 * command line's) wins and is never traded for another.
 */
export async function startAtStableAddress<T extends { readonly port: number }>(
  dataDir: string,
  options: { readonly fixedPort?: number | undefined; readonly newToken?: boolean },
  start: (port: number | undefined, token: string) => Promise<T>,
): Promise<T> {
  const saved = await readDashboardFile(dataDir);
  const token = options.newToken || saved === null ? newDashboardToken() : saved.token;
  const wanted = options.fixedPort ?? saved?.port;
  let started: T;
  try {
    started = await start(wanted, token);
  } catch (error) {
    if (options.fixedPort !== undefined || wanted === undefined || !addressInUse(error)) throw error;
    started = await start(undefined, token);
  }
  await writeDashboardFile(dataDir, { port: started.port, token });
  return started;
}

// <dataDir>/admin.json tells local tools (same user) how to reach a running orchestrator's admin
// API: its URL and this run's bearer token. Mode 0600; removed when the orchestrator stops. The
// same arrangement as control.json for the control server.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonText, writeFileAtomic } from '../../kernel/storage/atomic-file.js';

export const ADMIN_FILE = 'admin.json';

export interface AdminFile {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  readonly nodeId: string;
}

export function adminFilePath(dataDir: string): string {
  return join(dataDir, ADMIN_FILE);
}

export async function writeAdminFile(dataDir: string, file: AdminFile): Promise<void> {
  await writeFileAtomic(adminFilePath(dataDir), jsonText(file), { mode: 0o600 });
}

export async function removeAdminFile(dataDir: string): Promise<void> {
  await rm(adminFilePath(dataDir), { force: true });
}

/** The running orchestrator's admin coordinates; a clear error when none runs on this data dir. */
export async function readAdminFile(dataDir: string): Promise<AdminFile> {
  let text: string;
  try {
    text = await readFile(adminFilePath(dataDir), 'utf8');
  } catch {
    throw new Error(`no running orchestrator with an admin API on ${dataDir} (no ${ADMIN_FILE})`);
  }
  const value = JSON.parse(text) as Partial<AdminFile>;
  if (typeof value.url !== 'string' || typeof value.token !== 'string' || typeof value.nodeId !== 'string') throw new Error(`${adminFilePath(dataDir)} is not an admin file`);
  return value as AdminFile;
}

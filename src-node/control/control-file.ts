// <dataDir>/control.json tells local tools (same user) how to reach a running node's control
// server: its URL and this run's token. Mode 0600; removed when the node stops (Syncthing keeps
// its API key in its config the same way).
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonText, writeFileAtomic } from '../kernel/storage/atomic-file.js';

export const CONTROL_FILE = 'control.json';

export interface ControlFile {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  readonly nodeId: string;
  readonly uiUrl: string | null;
}

export function controlFilePath(dataDir: string): string {
  return join(dataDir, CONTROL_FILE);
}

export async function writeControlFile(dataDir: string, file: ControlFile): Promise<void> {
  await writeFileAtomic(controlFilePath(dataDir), jsonText(file), { mode: 0o600 });
}

export async function removeControlFile(dataDir: string): Promise<void> {
  await rm(controlFilePath(dataDir), { force: true });
}

/** The running node's control coordinates, or a clear error when no node runs on this data dir. */
export async function readControlFile(dataDir: string): Promise<ControlFile> {
  let text: string;
  try {
    text = await readFile(controlFilePath(dataDir), 'utf8');
  } catch {
    throw new Error(`no running node on ${dataDir} (no ${CONTROL_FILE}); start one with "pnode node --data-dir ${dataDir}"`);
  }
  const value = JSON.parse(text) as Partial<ControlFile>;
  if (typeof value.url !== 'string' || typeof value.token !== 'string') throw new Error(`${controlFilePath(dataDir)} is not a control file`);
  return value as ControlFile;
}

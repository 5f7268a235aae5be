// Where the directory client keeps its feed cursors: `<dataDir>/directory-cursors.json`, one cursor
// per directory URL, written atomically. A file that cannot be read is set aside and the client
// starts each feed from the beginning (it only costs a re-read; everything is verified anyway).
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptFileError, jsonText, readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';

export const DIRECTORY_CURSORS_FILE = 'directory-cursors.json';
export const DIRECTORY_CURSORS_SCHEMA = 'pnode-directory-cursors.v1';
/** A cursor longer than this is not one a directory of ours would send. */
export const MAX_CURSOR_LENGTH = 256;

export function isCursorText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_CURSOR_LENGTH && !/[\s]/.test(value);
}

export async function loadCursors(dataDir: string, onCorrupt?: (error: CorruptFileError, aside: string) => void): Promise<Map<string, string>> {
  const path = join(dataDir, DIRECTORY_CURSORS_FILE);
  let raw: unknown;
  try {
    raw = await readJsonFile(path);
  } catch (error) {
    if (!(error instanceof CorruptFileError)) throw error;
    const aside = `${path}.corrupt-${Date.now()}`;
    await rename(path, aside).catch(() => undefined);
    onCorrupt?.(error, aside);
    return new Map();
  }
  const cursors = new Map<string, string>();
  const stored = (raw as { cursors?: unknown } | undefined)?.cursors;
  if (typeof stored === 'object' && stored !== null) {
    for (const [url, cursor] of Object.entries(stored as Record<string, unknown>)) if (isCursorText(cursor)) cursors.set(url, cursor);
  }
  return cursors;
}

export async function saveCursors(dataDir: string, cursors: ReadonlyMap<string, string>): Promise<void> {
  await writeFileAtomic(join(dataDir, DIRECTORY_CURSORS_FILE), jsonText({ schema: DIRECTORY_CURSORS_SCHEMA, cursors: Object.fromEntries(cursors) }));
}

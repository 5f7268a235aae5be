// Open or allowlist-only operation (DESIGN.md §1). An allowlist file holds one node-id per line;
// `#` starts a comment (whole line or after the id); blank lines are ignored. Every id is parsed
// strictly (parseNodeId), so a typo is an error naming its line rather than a silent non-match.
// An allowlist with no ids allows no one: allowlist mode fails closed.
import { readFile, stat } from 'node:fs/promises';
import { type NodeId, parseNodeId } from '../../../src-shared/protocol/did-key.js';

/** Largest allowlist file read (about 140,000 ids). */
export const ALLOWLIST_MAX_BYTES = 8 * 1024 * 1024;

export interface AllowlistLineProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly reason: string;
}

export class AllowlistError extends Error {
  constructor(
    /** The file, or a caller's name for the text. */
    readonly source: string,
    readonly problems: readonly AllowlistLineProblem[],
  ) {
    super(`${source}: ${problems.map((p) => (p.line > 0 ? `line ${p.line}: ${p.reason}` : p.reason)).join('; ')}`);
    this.name = 'AllowlistError';
  }
}

export type AllowlistResult = { readonly ok: true; readonly value: readonly NodeId[] } | { readonly ok: false; readonly error: AllowlistError };

/** Problems listed in one error at most; a file that is wrong everywhere is still one readable message. */
export const ALLOWLIST_MAX_PROBLEMS_REPORTED = 20;

/** Parses allowlist text into its node-ids (in file order, without duplicates), or every bad line. */
export function parseAllowlist(text: string, source = 'allowlist'): AllowlistResult {
  // A string has at least as many UTF-8 bytes as UTF-16 units, so this never lets more through.
  if (text.length > ALLOWLIST_MAX_BYTES) {
    return { ok: false, error: new AllowlistError(source, [{ line: 0, reason: `larger than ${ALLOWLIST_MAX_BYTES} bytes` }]) };
  }
  const ids: NodeId[] = [];
  const seen = new Set<string>();
  const problems: AllowlistLineProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const hash = raw.indexOf('#');
    const content = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (content === '') return;
    if (/\s/.test(content)) {
      problems.push({ line: index + 1, reason: 'one node-id per line' });
      return;
    }
    try {
      parseNodeId(content);
    } catch (error) {
      problems.push({ line: index + 1, reason: `not a node-id (${error instanceof Error ? error.message : String(error)})` });
      return;
    }
    if (!seen.has(content)) {
      seen.add(content);
      ids.push(content as NodeId);
    }
  });
  if (problems.length > 0) return { ok: false, error: new AllowlistError(source, problems.slice(0, ALLOWLIST_MAX_PROBLEMS_REPORTED)) };
  return { ok: true, value: ids };
}

/** Who may hold a session with this node. */
export interface PeerPolicy {
  readonly mode: 'open' | 'allowlist';
  isAllowed(nodeId: string): boolean;
}

export const OPEN_POLICY: PeerPolicy = Object.freeze({ mode: 'open' as const, isAllowed: () => true });

export function allowlistPolicy(ids: Iterable<NodeId>): PeerPolicy & { readonly size: number } {
  const allowed = new Set<string>(ids);
  return Object.freeze({
    mode: 'allowlist' as const,
    size: allowed.size,
    isAllowed: (nodeId: string) => allowed.has(nodeId),
  });
}

export type AllowlistFileResult = { readonly ok: true; readonly value: PeerPolicy } | { readonly ok: false; readonly error: AllowlistError };

/** Reads and parses an allowlist file. A missing or unreadable file is an error, never open mode. */
export async function loadAllowlistFile(path: string): Promise<AllowlistFileResult> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.size > ALLOWLIST_MAX_BYTES) {
      return { ok: false, error: new AllowlistError(path, [{ line: 0, reason: `larger than ${ALLOWLIST_MAX_BYTES} bytes` }]) };
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, error: new AllowlistError(path, [{ line: 0, reason: code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? String(error)})` }]) };
  }
  const parsed = parseAllowlist(text, path);
  if (!parsed.ok) return parsed;
  return { ok: true, value: allowlistPolicy(parsed.value) };
}

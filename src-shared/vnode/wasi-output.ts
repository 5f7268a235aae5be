// What a WASI program leaves behind, as a result carries it (task-result.ts): its exit code,
// stdout, stderr (capped, for people) and the output files it was asked for, each with its hash.
// Replicas are compared through one digest over the exit code, stdout and output files (not
// stderr, which is diagnostics): the result's `output/hash`, so exact-match validation works for
// both workload kinds. The digest is SHA-256("pnode-wasi-output.v1" ‖ 0x00 ‖ deterministic CBOR of
// {exit-code, stdout/hash, files: [[name, hash], …] in name order}).
import { concatBytes, utf8 } from '../protocol/encoding/bytes.js';
import { encodeDeterministic } from '../protocol/encoding/dcbor.js';
import { type ContentHash, contentHash } from './content-hash.js';

export const WASI_OUTPUT_DOMAIN = 'pnode-wasi-output.v1';

export interface WasiOutputFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly hash: ContentHash;
}

export interface WasiRunOutput {
  /** The program's exit code; null when it did not exit (trapped, or stopped by the host). */
  readonly exitCode: number | null;
  /** Only on an ok result. */
  readonly stdout: Uint8Array | null;
  /** The first stderrCap bytes the program wrote to stderr. */
  readonly stderr: Uint8Array;
  /** It wrote more than that. */
  readonly stderrTruncated: boolean;
  /** Only on an ok result: the declared outputs, in name order. */
  readonly files: readonly WasiOutputFile[];
}

export function outputFile(name: string, bytes: Uint8Array): WasiOutputFile {
  return { name, bytes, hash: contentHash(bytes) };
}

/** The digest replicas compare: exit code, stdout and output files (names and contents). */
export function wasiOutputDigest(exitCode: number, stdout: Uint8Array, files: readonly WasiOutputFile[]): ContentHash {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const body = encodeDeterministic({ 'exit-code': exitCode, 'stdout/hash': contentHash(stdout), files: sorted.map((f) => [f.name, f.hash]) });
  return contentHash(concatBytes(utf8(WASI_OUTPUT_DOMAIN), new Uint8Array([0]), body));
}

/** Bytes of stdout and output files together (what the output cap bounds). */
export function wasiOutputBytes(stdout: Uint8Array, files: readonly WasiOutputFile[]): number {
  return files.reduce((sum, f) => sum + f.bytes.length, stdout.length);
}

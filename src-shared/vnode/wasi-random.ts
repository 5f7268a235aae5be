// The deterministic random_get of WASI workloads. Replicas of a task must agree byte for byte,
// so a program's "random" bytes are a fixed function of the task's seed (wasi-workload.ts:
// random/seed, default the task id): key = SHA-256("pnode-wasi-random.v1" ‖ 0x00 ‖ UTF-8 seed),
// and the stream is SHA-256(key ‖ counter as u64 little-endian) for counter = 0, 1, 2, …,
// concatenated; each random_get call takes the next bytes of the stream. Unpredictable to no one
// who knows the seed, which is the point: it is for simulations, not for secrets.
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from '../protocol/encoding/bytes.js';

export const WASI_RANDOM_DOMAIN = 'pnode-wasi-random.v1';
const BLOCK_BYTES = 32;

export function wasiRandomKey(seed: string): Uint8Array {
  return sha256(concatBytes(utf8(WASI_RANDOM_DOMAIN), new Uint8Array([0]), utf8(seed)));
}

/** The first `length` bytes of the stream of `key` (the reference the sandbox's stream is tested against). */
export function wasiRandomStream(key: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const counter = new Uint8Array(8);
  const view = new DataView(counter.buffer);
  for (let block = 0, at = 0; at < length; block++, at += BLOCK_BYTES) {
    view.setBigUint64(0, BigInt(block), true);
    out.set(sha256(concatBytes(key, counter)).subarray(0, Math.min(BLOCK_BYTES, length - at)), at);
  }
  return out;
}

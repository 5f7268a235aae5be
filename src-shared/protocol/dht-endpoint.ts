// The `dht` endpoint transport (issue 16 §3): a node reachable through its network's DHT (by
// holepunching) advertises `dht://<64 lowercase hex digits>`, the public key its DHT server listens
// under. The key only routes the connection: who answers is proven by our signed handshake, run
// over the stream the DHT gives, so a DHT key is never an identity.
import { fromHex, toHex } from './encoding/hex.js';
export const DHT_ENDPOINT_SCHEME = 'dht:';
/** The DHT's public keys are Ed25519 keys: 32 bytes. */
export const DHT_PUBLIC_KEY_BYTES = 32;

const DHT_ENDPOINT = /^dht:\/\/([0-9a-f]{64})$/;

/** The transport an endpoint URL names by its scheme: `wss` for ws(s)://, `dht` for dht://. */
export type EndpointTransport = 'wss' | 'dht';

export function formatDhtEndpoint(publicKey: Uint8Array): string {
  if (publicKey.length !== DHT_PUBLIC_KEY_BYTES) throw new RangeError(`a DHT public key is ${DHT_PUBLIC_KEY_BYTES} bytes`);
  return `dht://${toHex(publicKey)}`;
}

/** The key of a `dht://` endpoint, or undefined when `url` is not exactly one. */
export function parseDhtEndpoint(url: string): Uint8Array | undefined {
  const match = DHT_ENDPOINT.exec(url);
  return match ? fromHex(match[1]!) : undefined;
}

export function isDhtEndpoint(url: string): boolean {
  return DHT_ENDPOINT.test(url);
}

/** `dht` for a dht:// URL, `wss` for anything else (ws:// and wss:// are checked elsewhere). */
export function endpointTransport(url: string): EndpointTransport {
  return url.startsWith(DHT_ENDPOINT_SCHEME) ? 'dht' : 'wss';
}

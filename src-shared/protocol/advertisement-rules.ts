// What a node-advertisement.v1 may claim beyond its schema and signature, the same at every ingress
// (issue 15 §1, §3): the seed directory's gate, peer exchange and the node's own cache. Pure: the
// caller gives the time.
//
// Lifetime: `advertised-at` at most ADVERTISEMENT_MAX_CLOCK_SKEW_MS in the future, and
// `expires-at − advertised-at` at most ADVERTISEMENT_MAX_LIFETIME_MS (the longest TTL class of the
// spec, bootstrap-anchor, 6 h). So nothing stays for more than skew + lifetime from now: a source
// with validly signed far-future advertisements cannot park them.
//
// Endpoints: at most MAX_ADVERTISED_ENDPOINTS, each URL at most MAX_ENDPOINT_URL_BYTES of printable
// ASCII, scheme wss (ws only to a loopback host, DESIGN.md §5), a host, a port from 1 to 65535 if
// given, no credentials, no query, no fragment. `javascript:`, `file:`, `https://user:pw@…` and a
// 12 KB URL are all E_PROTO_INVALID. A `dht` endpoint (issue 16) is exactly dht://<64 hex digits>.
import { type Result, fail, ok } from './errors.js';
import { parseTimestamp } from './time.js';
import { DHT_ENDPOINT_SCHEME, isDhtEndpoint } from './dht-endpoint.js';

/** Longest lifetime (expires-at − advertised-at) accepted: the bootstrap-anchor TTL class (digest §f). */
export const ADVERTISEMENT_MAX_LIFETIME_MS = 6 * 60 * 60_000;
/** How far in the future `advertised-at` may be (clock skew between publisher and receiver). */
export const ADVERTISEMENT_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Endpoints one advertisement may list (the peer store keeps this many per peer). */
export const MAX_ADVERTISED_ENDPOINTS = 8;
/** Longest endpoint URL, in bytes (a 253-character DNS name, a port and a path fit). */
export const MAX_ENDPOINT_URL_BYTES = 512;

export interface AdvertisementTimes {
  readonly 'advertised-at': string;
  readonly 'expires-at': string;
}

/** The times of an advertisement that passes the lifetime rule, in ms since the epoch. */
export interface Lifetime {
  readonly advertisedAt: number;
  readonly expiresAt: number;
}

/** The lifetime rule (see the head of this file). Expiry itself (expires-at ≤ now) is the verifier's E_ADV_EXPIRED. */
export function checkAdvertisementLifetime(advertisement: AdvertisementTimes, now: number): Result<Lifetime> {
  const advertisedAt = parseTimestamp(advertisement['advertised-at']);
  const expiresAt = parseTimestamp(advertisement['expires-at']);
  if (!Number.isFinite(advertisedAt) || !Number.isFinite(expiresAt)) return fail('E_PROTO_INVALID', 'node-advertisement.v1 times are not usable timestamps');
  if (advertisedAt > now + ADVERTISEMENT_MAX_CLOCK_SKEW_MS) {
    return fail('E_PROTO_INVALID', `node-advertisement.v1 advertised-at ${advertisement['advertised-at']} is more than ${ADVERTISEMENT_MAX_CLOCK_SKEW_MS / 1000} s in the future`);
  }
  if (expiresAt - advertisedAt > ADVERTISEMENT_MAX_LIFETIME_MS) {
    return fail('E_PROTO_INVALID', `node-advertisement.v1 lives longer than ${ADVERTISEMENT_MAX_LIFETIME_MS / 3_600_000} h (expires-at − advertised-at)`);
  }
  return ok({ advertisedAt, expiresAt });
}

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/** One endpoint URL against the rules above. */
export function checkEndpointUrl(text: unknown): Result<void> {
  if (typeof text !== 'string') return fail('E_PROTO_INVALID', 'an endpoint URL must be a string');
  // Printable ASCII: one byte a character, so the length is the byte count.
  if (text.length > MAX_ENDPOINT_URL_BYTES) return fail('E_PROTO_INVALID', `an endpoint URL is at most ${MAX_ENDPOINT_URL_BYTES} bytes (got ${text.length})`);
  if (!PRINTABLE_ASCII.test(text)) return fail('E_PROTO_INVALID', 'an endpoint URL is printable ASCII with no spaces');
  if (text.startsWith(DHT_ENDPOINT_SCHEME)) {
    return isDhtEndpoint(text) ? ok(undefined) : fail('E_PROTO_INVALID', 'a dht endpoint is dht://<64 lowercase hex digits>');
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('E_PROTO_INVALID', `not a URL: ${JSON.stringify(text.slice(0, 64))}`);
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') return fail('E_PROTO_INVALID', `an endpoint URL must be wss:// (got ${JSON.stringify(url.protocol.slice(0, 32))})`);
  if (url.username !== '' || url.password !== '' || /^[a-z]+:\/\/[^/?#]*@/i.test(text)) return fail('E_PROTO_INVALID', 'an endpoint URL carries no credentials');
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) return fail('E_PROTO_INVALID', 'an endpoint URL carries no query or fragment');
  // The URL parser reads `wss:///peer` as the host "peer": the host must follow the `//` itself.
  if (url.hostname === '' || !/^wss?:\/\/[^/]/i.test(text)) return fail('E_PROTO_INVALID', 'an endpoint URL needs a host');
  if (url.port === '0') return fail('E_PROTO_INVALID', 'an endpoint URL port is from 1 to 65535');
  if (url.protocol === 'ws:' && !LOOPBACK_HOST.test(url.hostname)) return fail('E_PROTO_INVALID', `plain ws:// is for loopback only, not ${url.hostname.slice(0, 64)}`);
  return ok(undefined);
}

/** Every endpoint of an advertisement (the schema has checked the shape already). */
export function checkAdvertisedEndpoints(endpoints: ReadonlyArray<{ readonly 'endpoint/url'?: unknown }>): Result<void> {
  if (endpoints.length > MAX_ADVERTISED_ENDPOINTS) return fail('E_PROTO_INVALID', `an advertisement lists at most ${MAX_ADVERTISED_ENDPOINTS} endpoints (got ${endpoints.length})`);
  for (let i = 0; i < endpoints.length; i++) {
    const checked = checkEndpointUrl(endpoints[i]!['endpoint/url']);
    if (!checked.ok) return fail(checked.error.code, `endpoints[${i}]: ${checked.error.detail}`);
  }
  return ok(undefined);
}

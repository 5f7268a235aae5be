// Which URLs a node may listen on or dial (DESIGN.md §5): WSS anywhere; plain ws:// only on
// loopback and only when the operator passed --insecure-loopback (tests, devnet).
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { DEFAULT_PEER_PATH } from './limits.js';

export interface PeerEndpoint {
  readonly url: string;
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127(?:\.\d{1,3}){3}$/.test(host);
}

export interface EndpointPolicy {
  /** Allow ws:// to loopback hosts (never anywhere else). */
  readonly insecureLoopback: boolean;
}

/** Parses a peer endpoint URL under the policy; E_TRANSPORT_REJECTED when the policy forbids it. */
export function parsePeerEndpoint(text: string, policy: EndpointPolicy): PeerEndpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProtocolError('E_PROTO_INVALID', `not a URL: ${JSON.stringify(text)}`);
  }
  if (url.username || url.password) throw new ProtocolError('E_PROTO_INVALID', 'peer URLs carry no credentials');
  if (url.search || url.hash) throw new ProtocolError('E_PROTO_INVALID', 'peer URLs carry no query or fragment');
  const secure = url.protocol === 'wss:';
  if (!secure && url.protocol !== 'ws:') throw new ProtocolError('E_TRANSPORT_REJECTED', `unsupported scheme ${url.protocol} (wss: only)`);
  if (!secure) {
    if (!isLoopbackHost(url.hostname)) throw new ProtocolError('E_TRANSPORT_REJECTED', `plain ws:// is allowed only on loopback, not ${url.hostname}`);
    if (!policy.insecureLoopback) throw new ProtocolError('E_TRANSPORT_REJECTED', 'plain ws:// needs --insecure-loopback');
  }
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return { url: url.toString(), secure, host: url.hostname, port, path: url.pathname === '/' && !text.endsWith('/') ? DEFAULT_PEER_PATH : url.pathname };
}

/** The URL peers should dial, with the real port once a listener bound port 0. */
export function endpointUrl(endpoint: PeerEndpoint, port: number = endpoint.port): string {
  return `${endpoint.secure ? 'wss' : 'ws'}://${endpoint.host.includes(':') && !endpoint.host.startsWith('[') ? `[${endpoint.host}]` : endpoint.host}:${port}${endpoint.path}`;
}

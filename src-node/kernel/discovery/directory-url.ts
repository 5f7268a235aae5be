// Which URLs a seed directory may listen on and a node may reach it at (DESIGN.md §5, the same
// rule as for peers): https anywhere; plain http only on loopback, and only with
// --insecure-loopback (tests, devnet).
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { isLoopbackHost, type EndpointPolicy } from '../transport/endpoint-url.js';

export interface DirectoryUrl {
  /** Normalised base URL without a trailing slash: `https://seed.example:8443` or `https://x/dir`. */
  readonly base: string;
  readonly secure: boolean;
  /** Host as given, without IPv6 brackets (for binding). */
  readonly host: string;
  readonly port: number;
  /** Base path without a trailing slash ('' for the root). */
  readonly path: string;
}

/** Parses a directory URL under the policy; E_TRANSPORT_REJECTED when the policy forbids it. */
export function parseDirectoryUrl(text: string, policy: EndpointPolicy): DirectoryUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProtocolError('E_PROTO_INVALID', `not a URL: ${JSON.stringify(text)}`);
  }
  if (url.username || url.password) throw new ProtocolError('E_PROTO_INVALID', 'directory URLs carry no credentials');
  if (url.search || url.hash) throw new ProtocolError('E_PROTO_INVALID', 'directory URLs carry no query or fragment');
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') throw new ProtocolError('E_TRANSPORT_REJECTED', `unsupported scheme ${url.protocol} (https: only)`);
  if (!secure) {
    if (!isLoopbackHost(url.hostname)) throw new ProtocolError('E_TRANSPORT_REJECTED', `plain http:// is allowed only on loopback, not ${url.hostname}`);
    if (!policy.insecureLoopback) throw new ProtocolError('E_TRANSPORT_REJECTED', 'plain http:// needs --insecure-loopback');
  }
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const path = url.pathname.replace(/\/+$/, '');
  return { base: `${url.protocol}//${url.host}${path}`, secure, host: url.hostname.replace(/^\[|\]$/g, ''), port, path };
}

/** A listen URL: as above, and the directory serves from the root (no base path). */
export function parseDirectoryListenUrl(text: string, policy: EndpointPolicy): DirectoryUrl {
  const parsed = parseDirectoryUrl(text, policy);
  if (parsed.path !== '') throw new ProtocolError('E_PROTO_INVALID', `a directory listens at the root of its host, not ${parsed.path}`);
  return parsed;
}

/** The URL clients use once the listener is bound (port 0 becomes the real port). */
export function directoryBaseUrl(listen: DirectoryUrl, port: number): string {
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `${listen.secure ? 'https' : 'http'}://${host}:${port}`;
}

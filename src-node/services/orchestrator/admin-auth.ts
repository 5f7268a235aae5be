// Who may use the orchestrator's admin API: only loopback (403 otherwise), only with a Host header
// naming us (421, against DNS rebinding; as the control server does), and only with this run's
// token as `Authorization: Bearer <token>` (401). Checked in that order, before any route.
import { allowedHosts, isLoopbackAddress, tokensEqual } from '../../kernel/http/loopback-auth.js';

export type AdminVerdict = { ok: true } | { ok: false; status: 401 | 403 | 421; reason: string };

export interface AdminRequestFacts {
  readonly remoteAddress: string | undefined;
  readonly host: string | undefined;
  readonly authorization: string | undefined;
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/;

export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1];
}

export function checkAdminRequest(facts: AdminRequestFacts, port: number, token: string): AdminVerdict {
  if (!isLoopbackAddress(facts.remoteAddress)) return { ok: false, status: 403, reason: 'not from loopback' };
  if (!facts.host || !allowedHosts(port).has(facts.host.toLowerCase())) return { ok: false, status: 421, reason: 'unexpected Host header' };
  const given = bearerToken(facts.authorization);
  if (given === undefined || !tokensEqual(given, token)) return { ok: false, status: 401, reason: 'missing or wrong bearer token' };
  return { ok: true };
}

/** The admin API listens on loopback only: http://127.0.0.1:<port>, http://localhost:<port> or http://[::1]:<port>. */
export function parseAdminListen(text: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--admin-listen ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'http:') throw new Error(`--admin-listen must be http://127.0.0.1:<port> (got ${url.protocol})`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') throw new Error(`--admin-listen must be on loopback (127.0.0.1, localhost or [::1]), not ${url.hostname}`);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) throw new Error('--admin-listen takes a scheme, host and port only');
  const port = url.port === '' ? 80 : Number(url.port);
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

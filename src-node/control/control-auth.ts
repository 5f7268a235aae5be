// Who may talk to the local control server (Syncthing and Folding@home are the models): only
// loopback, only with this run's token, only with a Host header naming us (against DNS
// rebinding), and from a browser only when the page's Origin is our own or explicitly allowed.
import { allowedHosts, isLoopbackAddress, tokensEqual } from '../kernel/http/loopback-auth.js';

export const CONTROL_SUBPROTOCOL = 'pnode-control.v1';
/** The token travels as a second WebSocket subprotocol, `pnode-token.<token>`, never in a URL. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'pnode-token.';

export type AuthVerdict = { ok: true } | { ok: false; status: 401 | 403 | 421; reason: string };

export function allowedOrigins(port: number, extra: readonly string[]): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`, ...extra]);
}

export function tokenFromSubprotocols(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const value = part.trim();
    if (value.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return value.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return undefined;
}

export interface RequestFacts {
  readonly remoteAddress: string | undefined;
  readonly host: string | undefined;
  readonly origin: string | undefined;
  readonly subprotocols: string | undefined;
}

/** Checks a WebSocket upgrade to the control endpoint. */
export function checkControlUpgrade(facts: RequestFacts, port: number, token: string, extraOrigins: readonly string[]): AuthVerdict {
  if (!isLoopbackAddress(facts.remoteAddress)) return { ok: false, status: 403, reason: 'not from loopback' };
  if (!facts.host || !allowedHosts(port).has(facts.host.toLowerCase())) return { ok: false, status: 421, reason: 'unexpected Host header' };
  // Browsers always send Origin on WebSocket upgrades; local tools (the CLI) send none.
  if (facts.origin !== undefined && !allowedOrigins(port, extraOrigins).has(facts.origin)) {
    return { ok: false, status: 403, reason: 'foreign Origin' };
  }
  const given = tokenFromSubprotocols(facts.subprotocols);
  if (given === undefined || !tokensEqual(given, token)) return { ok: false, status: 401, reason: 'missing or wrong token' };
  return { ok: true };
}

/** Checks a plain HTTP request for the UI's files: loopback and our Host only (no token: the files hold no secrets). */
export function checkStaticRequest(facts: Pick<RequestFacts, 'remoteAddress' | 'host'>, port: number): AuthVerdict {
  if (!isLoopbackAddress(facts.remoteAddress)) return { ok: false, status: 403, reason: 'not from loopback' };
  if (!facts.host || !allowedHosts(port).has(facts.host.toLowerCase())) return { ok: false, status: 421, reason: 'unexpected Host header' };
  return { ok: true };
}

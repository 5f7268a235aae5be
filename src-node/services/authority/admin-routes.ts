// The registration authority's endpoints on the orchestrator's admin API (loopback, bearer token;
// admin-auth.ts runs first), added through AdminServer.extend():
//   GET    /authority                  {key, credential-validity-ms, tokens, credentials, revocations}
//   POST   /authority/tokens           {"valid-minutes"?, "label"?} → 201 {token, token/id, expires-at, label}
//                                      (the token is in this answer only; the authority keeps its hash)
//   GET    /authority/tokens           the tokens, without the tokens: id, label, status, times, node
//   GET    /authority/credentials      issued credentials and their status
//   POST   /authority/revocations      {"id": "cred:…" | "tok:…", "reason"?} → 200 {revoked: id}
//   GET    /authority/revocation-list  the signed revocation-list.v1
// This is how `pnode authority issue-token|list|revoke` reaches an authority whose orchestrator is
// running (it holds the state's lock: authority-store.ts).
import type { AdminAnswer, AdminExtension, AdminRequest } from '../../kernel/http/admin-extension.js';
import { DEFAULT_TOKEN_VALIDITY_MS, MAX_REVOCATION_REASON_LENGTH, MAX_TOKEN_LABEL_LENGTH, MAX_TOKEN_VALIDITY_MS, isTokenLabel } from '../../../src-shared/trust/trust-profile.js';
import type { RegistrationAuthority } from './authority.js';

const MINUTE_MS = 60_000;
export const MAX_TOKEN_VALID_MINUTES = MAX_TOKEN_VALIDITY_MS / MINUTE_MS;

function bad(message: string, status = 400): AdminAnswer {
  return { status, body: { error: message } };
}

function object(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Reads {"valid-minutes", "label"} as the CLI and the admin API take them; an error message or the values. */
export function tokenRequest(body: Record<string, unknown>): { validForMs: number; label: string | null } | string {
  const minutes = body['valid-minutes'];
  if (minutes !== undefined && (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > MAX_TOKEN_VALID_MINUTES)) {
    return `valid-minutes must be a whole number from 1 to ${MAX_TOKEN_VALID_MINUTES}`;
  }
  const label = body['label'];
  if (label !== undefined && !isTokenLabel(label)) {
    return `label must be 1–${MAX_TOKEN_LABEL_LENGTH} printable characters`;
  }
  for (const key of Object.keys(body)) if (key !== 'valid-minutes' && key !== 'label') return `unexpected field "${key}"`;
  return { validForMs: minutes === undefined ? DEFAULT_TOKEN_VALIDITY_MS : (minutes as number) * MINUTE_MS, label: (label as string | undefined) ?? null };
}

export function authorityAdminExtension(authority: () => RegistrationAuthority | null): AdminExtension {
  return {
    async route(request: AdminRequest): Promise<AdminAnswer | null> {
      const { method, parts } = request;
      if (parts[0] !== 'authority' || parts.length > 2) return null;
      const current = authority();
      if (!current) return bad('the registration authority is not running', 503);
      const allow = (methods: string): AdminAnswer => ({ status: 405, body: { error: `use ${methods}` }, allow: methods });
      const sub = parts[1];
      if (sub === undefined) {
        if (method !== 'GET') return allow('GET');
        const tokens = current.tokenViews();
        const credentials = current.credentialViews();
        return {
          status: 200,
          body: {
            key: current.fingerprint,
            'credential-validity-ms': current.credentialValidityMs,
            tokens: tokens.length,
            'tokens-unused': tokens.filter((t) => t.status === 'unused').length,
            credentials: credentials.length,
            'credentials-valid': credentials.filter((c) => c.status === 'valid').length,
            revocations: current.revocationList().revoked.length,
          },
        };
      }
      if (sub === 'tokens') {
        if (method === 'GET') return { status: 200, body: { tokens: current.tokenViews() } };
        if (method !== 'POST') return allow('GET, POST');
        const body = object(await request.body());
        if (!body) return bad('the body must be a JSON object {"valid-minutes"?, "label"?}');
        const parsed = tokenRequest(body);
        if (typeof parsed === 'string') return bad(parsed);
        try {
          const issued = await current.issueToken(parsed);
          return { status: 201, body: { token: issued.token, 'token/id': issued.tokenId, 'expires-at': issued.expiresAt, label: issued.label } };
        } catch (error) {
          return bad(error instanceof Error ? error.message : String(error), 409);
        }
      }
      if (sub === 'credentials') {
        if (method !== 'GET') return allow('GET');
        return { status: 200, body: { credentials: current.credentialViews() } };
      }
      if (sub === 'revocations') {
        if (method !== 'POST') return allow('POST');
        const body = object(await request.body());
        const id = body?.['id'];
        const reason = body?.['reason'] ?? 'revoked by the operator';
        if (typeof id !== 'string' || id.length > 128) return bad('the body must be a JSON object {"id": "cred:…" | "tok:…", "reason"?}');
        if (typeof reason !== 'string' || reason.length > MAX_REVOCATION_REASON_LENGTH) return bad(`reason must be text of at most ${MAX_REVOCATION_REASON_LENGTH} characters`);
        if (!(await current.revoke(id, reason))) return bad(`no credential or unused token ${id} to revoke`, 404);
        return { status: 200, body: { revoked: id } };
      }
      if (sub === 'revocation-list') {
        if (method !== 'GET') return allow('GET');
        return { status: 200, body: current.revocationList() };
      }
      return null;
    },
  };
}

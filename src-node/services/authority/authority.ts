// The registration authority's rules (issue 5 §5), over its state (authority-store.ts) and its key.
// No sockets: the module feeds it requests from sessions and the admin API, the CLI calls it
// directly. Every change is stored (atomically) before the answer that depends on it goes out, and
// changes are transactions (issue 15 §6): one at a time, and one whose state could not be stored
// (a full disk) is undone in memory, so an answer of failure leaves no trace — a token stays
// unused, no credential exists, a revocation did not happen.
//
// Enrollment, checked in this order (cheapest and least revealing first; a token is burned only
// by a request whose proof holds):
//   token form, node/id = the session peer, operator/key a key and not the node key
//                                                            E_PROTO_INVALID
//   the proof: operator key's signature over (token hash, node-id, operator key)   E_SIG_INVALID
//   the token: unknown                                       E_HS_UNKNOWN_REF
//              cancelled by the operator                     E_TRANSPORT_REJECTED
//              used: the same request again ("replayed"), or another one ("reused")   E_HS_REPLAY
//              expired                                       E_ADV_EXPIRED
// Renewal and rotation:
//   credential unknown                                       E_HS_UNKNOWN_REF
//   issued for another node than the session peer, or the operator key is not the credential's
//                                                            E_SIG_UNKNOWN_SIGNER
//   a proof does not verify                                  E_SIG_INVALID
//   ts outside ±TRUST_CLOCK_SKEW_MS, or the req/id seen before          E_HS_REPLAY
//   the credential revoked                                   E_TRANSPORT_REJECTED
//   the credential expired (enroll again)                    E_ADV_EXPIRED
import { ProtocolError, type Result, attempt } from '../../../src-shared/protocol/errors.js';
import type { CryptoProvider, Ed25519Signer } from '../../../src-shared/protocol/crypto/provider.js';
import { parseFingerprint } from '../../../src-shared/protocol/did-key.js';
import { formatTimestamp, parseTimestamp } from '../../../src-shared/protocol/time.js';
import { issueCredential, operatorIdFromKey, type OperatorCredential } from '../../../src-shared/trust/credential.js';
import { checkProof, isEnrollmentToken, newEnrollmentToken, tokenHash, tokenIdOf } from '../../../src-shared/trust/enrollment.js';
import { buildRevocationList, type RevocationList, type RevokedCredential } from '../../../src-shared/trust/revocation-list.js';
import type { RevocationEntry } from '../../../src-shared/trust/attestation.js';
import {
  DEFAULT_CREDENTIAL_VALIDITY_MS,
  DEFAULT_TOKEN_VALIDITY_MS,
  ENROLL_PROOF_DOMAIN,
  MAX_CREDENTIAL_VALIDITY_MS,
  MAX_REVOCATION_LIST_ENTRIES,
  MAX_REVOCATION_REASON_LENGTH,
  MAX_TOKEN_LABEL_LENGTH,
  MAX_TOKEN_VALIDITY_MS,
  MIN_CREDENTIAL_VALIDITY_MS,
  RENEW_PROOF_DOMAIN,
  ROTATE_PROOF_DOMAIN,
  TOKEN_ID_PREFIX,
  TRUST_CLOCK_SKEW_MS,
  TRUST_REQUEST_TTL_MS,
  isTokenLabel,
} from '../../../src-shared/trust/trust-profile.js';
import type { OperatorEnrollBody, OperatorRenewBody, OperatorRotateBody } from '../../../src-shared/protocol/messages/trust-bodies.js';
import type { Clock } from '../../kernel/util/clock.js';
import type { AuthorityState, TokenRecord } from './authority-store.js';

/** Unused, unexpired tokens one authority keeps at most. */
export const MAX_OPEN_TOKENS = 10_000;
/** Credentials one authority keeps at most (expired ones are pruned first). */
export const MAX_CREDENTIALS = 100_000;
/** Used, cancelled or expired tokens and ended credentials are kept this long, then pruned. */
export const AUTHORITY_RETENTION_MS = 7 * 24 * 60 * 60_000;
/** Renewal and rotation req/ids remembered at most (oldest forgotten first). */
export const MAX_REMEMBERED_REQUESTS = 10_000;

export interface AuthorityOptions {
  readonly signer: Ed25519Signer;
  readonly fingerprint: string;
  readonly crypto: CryptoProvider;
  readonly clock: Clock;
  readonly state: AuthorityState;
  /** Stores the state (atomically); called after every change, in order. */
  readonly persist: (state: AuthorityState, list: RevocationList | null) => Promise<void>;
  readonly credentialValidityMs?: number;
  /** Told after a change to the revocations is stored (a revocation, a rotation). */
  readonly onRevocations?: () => void;
}

export interface IssuedToken {
  /** Shown once; only its hash is kept. */
  readonly token: string;
  readonly tokenId: string;
  readonly expiresAt: string;
  readonly label: string | null;
}

export interface TokenView {
  readonly 'token/id': string;
  readonly label: string | null;
  readonly status: 'unused' | 'used' | 'expired' | 'cancelled';
  readonly 'issued-at': string;
  readonly 'expires-at': string;
  readonly 'used-at': string | null;
  readonly 'node/id': string | null;
}

export interface CredentialView {
  readonly 'credential/id': string;
  readonly 'operator/id': string;
  readonly 'operator/key': string;
  readonly 'node/id': string;
  readonly 'valid-from': string;
  readonly 'valid-until': string;
  readonly status: 'valid' | 'expired' | 'revoked';
  readonly reason: string | null;
}

function reject(code: ConstructorParameters<typeof ProtocolError>[0], detail: string): never {
  throw new ProtocolError(code, detail);
}

export function checkCredentialValidity(ms: number): number {
  if (!Number.isInteger(ms) || ms < MIN_CREDENTIAL_VALIDITY_MS || ms > MAX_CREDENTIAL_VALIDITY_MS) {
    throw new RangeError(`a credential's validity must be a whole number of ms from ${MIN_CREDENTIAL_VALIDITY_MS} to ${MAX_CREDENTIAL_VALIDITY_MS}`);
  }
  return ms;
}

export class RegistrationAuthority {
  readonly fingerprint: string;
  readonly credentialValidityMs: number;
  private readonly state: AuthorityState;
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly credentials = new Map<string, OperatorCredential>();
  private readonly revoked = new Map<string, RevokedCredential>();
  private readonly requests = new Map<string, number>();
  private list: RevocationList | null = null;
  private writing: Promise<void> = Promise.resolve();
  /** The state as last stored (what a failed change is rolled back to); never mutated. */
  private committed: AuthorityState;
  /** Changes run one at a time (see exclusive). */
  private serial: Promise<unknown> = Promise.resolve();
  /** What the change in progress may have to undo besides the state. */
  private undo: { readonly list: RevocationList | null; readonly requests: Map<string, number> } | null = null;

  constructor(private readonly options: AuthorityOptions) {
    this.fingerprint = options.fingerprint;
    this.credentialValidityMs = checkCredentialValidity(options.credentialValidityMs ?? DEFAULT_CREDENTIAL_VALIDITY_MS);
    this.state = options.state;
    this.committed = structuredClone(options.state);
    this.index();
  }

  /** The lookups over the state's lists. */
  private index(): void {
    this.tokens.clear();
    this.credentials.clear();
    this.revoked.clear();
    for (const token of this.state.tokens) this.tokens.set(token['token/hash'], token);
    for (const credential of this.state.credentials) this.credentials.set(credential['credential/id'], credential);
    for (const entry of this.state.revocations) this.revoked.set(entry['credential/id'], entry);
  }

  /** Runs one change at a time, so that a failed one can be undone without undoing another. */
  private exclusive<T>(change: () => Promise<T>): Promise<T> {
    const run = this.serial.then(async () => {
      this.undo = { list: this.list, requests: new Map(this.requests) };
      try {
        return await change();
      } catch (error) {
        // Whatever the change had done in memory before it threw goes (commit failures are rolled back already).
        this.rollBack();
        throw error;
      } finally {
        this.undo = null;
      }
    });
    this.serial = run.catch(() => undefined);
    return run;
  }

  /** Puts memory back to the state last stored: the change in progress never happened. */
  private rollBack(): void {
    const stored = structuredClone(this.committed);
    this.state.tokens = stored.tokens;
    this.state.credentials = stored.credentials;
    this.state.revocations = stored.revocations;
    this.state['revocation-list/sequence'] = stored['revocation-list/sequence'];
    this.index();
    if (this.undo) {
      this.list = this.undo.list;
      this.requests.clear();
      for (const [key, expires] of this.undo.requests) this.requests.set(key, expires);
    }
  }

  private now(): number {
    return this.options.clock.now();
  }

  /**
   * Stores the state after a change; resolves when this change (and every earlier one) is on disk.
   * When it cannot be stored, memory goes back to the state last stored, and it rejects.
   */
  private async commit(revocationsChanged = false): Promise<void> {
    this.prune();
    let published: RevocationList | null = null;
    if (revocationsChanged || this.list === null) {
      this.state['revocation-list/sequence']++;
      this.list = buildRevocationList({ sequence: this.state['revocation-list/sequence'], now: this.now(), revoked: this.state.revocations }, this.options.signer);
      published = this.list;
    }
    const snapshot: AuthorityState = structuredClone(this.state);
    const written = this.writing.catch(() => undefined).then(() => this.options.persist(snapshot, published));
    this.writing = written;
    try {
      await written;
    } catch (error) {
      this.rollBack();
      throw error;
    }
    this.committed = snapshot;
    if (revocationsChanged) this.options.onRevocations?.();
  }

  /** Signs and stores a fresh revocation list (at start: the published one then matches this state). */
  republish(): Promise<void> {
    return this.exclusive(() => this.commit(true));
  }

  /** Drops what nobody can use any more, so the state stays bounded. */
  private prune(): void {
    const now = this.now();
    const horizon = now - AUTHORITY_RETENTION_MS;
    this.state.tokens = this.state.tokens.filter((t) => {
      const keep = parseTimestamp(t['expires-at']) > horizon;
      if (!keep) this.tokens.delete(t['token/hash']);
      return keep;
    });
    this.state.credentials = this.state.credentials.filter((c) => {
      const keep = parseTimestamp(c['valid-until']) > horizon;
      if (!keep) this.credentials.delete(c['credential/id']);
      return keep;
    });
    const before = this.state.revocations.length;
    this.state.revocations = this.state.revocations.filter((r) => {
      const keep = parseTimestamp(r['valid-until']) > now;
      if (!keep) this.revoked.delete(r['credential/id']);
      return keep;
    });
    if (this.state.revocations.length !== before) this.list = null;
    for (const [key, expires] of this.requests) if (expires <= now) this.requests.delete(key);
  }

  // --- tokens ---------------------------------------------------------------------------------

  issueToken(options: { validForMs?: number; label?: string | null } = {}): Promise<IssuedToken> {
    return this.exclusive(async () => {
      const validFor = options.validForMs ?? DEFAULT_TOKEN_VALIDITY_MS;
      if (!Number.isInteger(validFor) || validFor < 1 || validFor > MAX_TOKEN_VALIDITY_MS) throw new RangeError(`a token is valid for 1 ms to ${MAX_TOKEN_VALIDITY_MS} ms`);
      const label = options.label ?? null;
      if (label !== null && !isTokenLabel(label)) throw new RangeError(`a label is at most ${MAX_TOKEN_LABEL_LENGTH} printable characters`);
      const now = this.now();
      const open = this.state.tokens.filter((t) => t['used-at'] === null && t['cancelled-at'] === null && parseTimestamp(t['expires-at']) > now).length;
      if (open >= MAX_OPEN_TOKENS) throw new RangeError(`${MAX_OPEN_TOKENS} tokens are open already; cancel some or let them expire`);
      const token = newEnrollmentToken(this.options.crypto);
      const hash = tokenHash(token, this.options.crypto);
      // Expiry keeps its milliseconds: a token may be valid for less than a second (tests).
      const record: TokenRecord = { 'token/hash': hash, label, 'issued-at': formatTimestamp(now), 'expires-at': new Date(now + validFor).toISOString(), 'used-at': null, 'used-by': null, 'cancelled-at': null };
      this.state.tokens.push(record);
      this.tokens.set(hash, record);
      await this.commit();
      return { token, tokenId: tokenIdOf(hash), expiresAt: record['expires-at'], label };
    });
  }

  // --- enrollment, renewal, rotation ----------------------------------------------------------

  /** Checks an enrollment and, when it holds, burns the token and issues a credential (stored before it resolves). */
  enroll(peer: string, body: OperatorEnrollBody): Promise<Result<OperatorCredential>> {
    return this.exclusive(async () => {
      const checked = attempt(() => this.checkEnroll(peer, body));
      if (!checked.ok) return checked;
      const { record, operatorKey } = checked.value;
      const now = this.now();
      const credential = this.issue({ operatorId: operatorIdFromKey(operatorKey), operatorKey, nodeId: peer, now });
      record['used-at'] = formatTimestamp(now);
      record['used-by'] = { 'node/id': peer, 'operator/key': operatorKey, proof: body.proof!.value, 'credential/id': credential['credential/id'] };
      return this.stored(credential);
    });
  }

  private checkEnroll(peer: string, body: OperatorEnrollBody): { record: TokenRecord; operatorKey: string } {
    const token = body.token!;
    if (!isEnrollmentToken(token)) reject('E_PROTO_INVALID', 'operator-enroll $.body.token: is not an enrollment token (pnode-enroll-…)');
    if (body['node/id'] !== peer) reject('E_PROTO_INVALID', 'operator-enroll $.body["node/id"]: names another node than the session peer');
    const operatorKey = body['operator/key']!;
    this.checkKey(operatorKey, peer, 'operator-enroll $.body["operator/key"]');
    const hash = tokenHash(token, this.options.crypto);
    checkProof(ENROLL_PROOF_DOMAIN, { 'token/hash': hash, 'node/id': peer, 'operator/key': operatorKey }, operatorKey, body.proof, this.options.crypto);
    const record = this.tokens.get(hash);
    if (!record) reject('E_HS_UNKNOWN_REF', 'operator-enroll: this token was not issued here');
    const id = tokenIdOf(hash);
    if (record['cancelled-at'] !== null) reject('E_TRANSPORT_REJECTED', `operator-enroll: token ${id} was cancelled at ${record['cancelled-at']}`);
    if (record['used-at'] !== null) {
      const same = record['used-by']?.proof === body.proof!.value && record['used-by']?.['node/id'] === peer;
      reject('E_HS_REPLAY', same ? `operator-enroll: a replayed enrollment (token ${id} was enrolled with this very request at ${record['used-at']})` : `operator-enroll: token ${id} was used already at ${record['used-at']}; a token enrolls once`);
    }
    if (parseTimestamp(record['expires-at']) <= this.now()) reject('E_ADV_EXPIRED', `operator-enroll: token ${id} expired at ${record['expires-at']}`);
    return { record, operatorKey };
  }

  private checkKey(key: string, peer: string, path: string): void {
    try {
      parseFingerprint(key);
    } catch (error) {
      reject('E_PROTO_INVALID', `${path}: ${error instanceof ProtocolError ? error.detail : 'not a key'}`);
    }
    if (`node:did:key:${key}` === peer) reject('E_PROTO_INVALID', `${path}: the operator key must not be the node key`);
  }

  renew(peer: string, body: OperatorRenewBody): Promise<Result<OperatorCredential>> {
    return this.exclusive(async () => {
      const checked = attempt(() => this.checkHeld(peer, body, 'operator-renew', RENEW_PROOF_DOMAIN));
      if (!checked.ok) return checked;
      const old = checked.value;
      const credential = this.issue({ operatorId: old['operator/id'], operatorKey: old['operator/key'], nodeId: peer, now: this.now() });
      return this.stored(credential);
    });
  }

  rotate(peer: string, body: OperatorRotateBody): Promise<Result<OperatorCredential>> {
    return this.exclusive(async () => {
      const checked = attempt(() => {
        const newKey = body['operator/new-key']!;
        this.checkKey(newKey, peer, 'operator-rotate $.body["operator/new-key"]');
        if (newKey === body['operator/key']) reject('E_PROTO_INVALID', 'operator-rotate $.body["operator/new-key"]: is the current key');
        return this.checkHeld(peer, body, 'operator-rotate', ROTATE_PROOF_DOMAIN, newKey, body['proof/new']);
      });
      if (!checked.ok) return checked;
      const old = checked.value;
      const now = this.now();
      const credential = this.issue({ operatorId: old['operator/id'], operatorKey: body['operator/new-key']!, nodeId: peer, now });
      // Every credential still valid for the old key goes: it must not sign for the operator any more.
      for (const c of this.credentials.values()) {
        if (c['operator/id'] === old['operator/id'] && c['operator/key'] === old['operator/key'] && !this.revoked.has(c['credential/id']) && parseTimestamp(c['valid-until']) > now) {
          this.addRevocation(c, `rotated to ${body['operator/new-key']!}`);
        }
      }
      return this.stored(credential, true);
    });
  }

  /** The common checks of renewal and rotation (see the head of this file); the credential held. */
  private checkHeld(peer: string, body: OperatorRenewBody | OperatorRotateBody, kind: string, domain: typeof RENEW_PROOF_DOMAIN | typeof ROTATE_PROOF_DOMAIN, newKey?: string, newProof?: unknown): OperatorCredential {
    const id = body['credential/id']!;
    const credential = this.credentials.get(id);
    if (!credential) reject('E_HS_UNKNOWN_REF', `${kind}: credential ${id} was not issued here`);
    if (credential['node/id'] !== peer) reject('E_SIG_UNKNOWN_SIGNER', `${kind}: credential ${id} was issued for ${credential['node/id']}, not for the session peer`);
    if (body['operator/key'] !== credential['operator/key']) reject('E_SIG_UNKNOWN_SIGNER', `${kind}: credential ${id} vouches for operator key ${credential['operator/key']}, not ${body['operator/key']!}`);
    const binding = { 'req/id': body['req/id']!, 'credential/id': id, 'node/id': peer, 'operator/key': credential['operator/key'], ts: body.ts!, ...(newKey !== undefined ? { 'operator/new-key': newKey } : {}) };
    checkProof(domain, binding, credential['operator/key'], body.proof, this.options.crypto);
    if (newKey !== undefined) checkProof(domain, binding, newKey, newProof, this.options.crypto, 'proof/new');
    const now = this.now();
    const ts = parseTimestamp(body.ts!);
    if (Math.abs(ts - now) > TRUST_CLOCK_SKEW_MS) reject('E_HS_REPLAY', `${kind}: the request time ${body.ts!} is more than ${TRUST_CLOCK_SKEW_MS} ms from ours (a replay, or a clock to fix)`);
    const key = `${peer} ${body['req/id']!}`;
    if (this.requests.has(key)) reject('E_HS_REPLAY', `${kind}: request ${body['req/id']!} was served already`);
    const revoked = this.revoked.get(id);
    if (revoked) reject('E_TRANSPORT_REJECTED', `${kind}: credential ${id} was revoked at ${revoked['revoked-at']} (${revoked.reason}); enroll again`);
    if (parseTimestamp(credential['valid-until']) <= now) reject('E_ADV_EXPIRED', `${kind}: credential ${id} expired at ${credential['valid-until']}; enroll again`);
    if (this.requests.size >= MAX_REMEMBERED_REQUESTS) this.requests.delete(this.requests.keys().next().value!);
    this.requests.set(key, now + TRUST_REQUEST_TTL_MS);
    return credential;
  }

  private issue(input: { operatorId: string; operatorKey: string; nodeId: string; now: number }): OperatorCredential {
    if (this.credentials.size >= MAX_CREDENTIALS) this.prune();
    if (this.credentials.size >= MAX_CREDENTIALS) reject('E_TRANSPORT_UNAVAILABLE', `this authority holds ${MAX_CREDENTIALS} credentials already`);
    const from = Math.floor(input.now / 1000) * 1000;
    const credential = issueCredential({ ...input, validFrom: from, validUntil: from + this.credentialValidityMs }, this.options.signer);
    this.state.credentials.push(credential);
    this.credentials.set(credential['credential/id'], credential);
    return credential;
  }

  private async stored(credential: OperatorCredential, revocationsChanged = false): Promise<Result<OperatorCredential>> {
    try {
      await this.commit(revocationsChanged);
    } catch (error) {
      return { ok: false, error: new ProtocolError('E_TRANSPORT_UNAVAILABLE', `the authority could not store its state: ${error instanceof Error ? error.message : String(error)}`) };
    }
    return { ok: true, value: credential };
  }

  // --- revocation -----------------------------------------------------------------------------

  private addRevocation(credential: OperatorCredential, reason: string): void {
    const entry: RevokedCredential = { 'credential/id': credential['credential/id'], 'revoked-at': formatTimestamp(this.now()), reason: reason.slice(0, MAX_REVOCATION_REASON_LENGTH), 'valid-until': credential['valid-until'] };
    if (this.state.revocations.length >= MAX_REVOCATION_LIST_ENTRIES) throw new RangeError(`the revocation list holds ${MAX_REVOCATION_LIST_ENTRIES} entries already`);
    this.state.revocations.push(entry);
    this.revoked.set(entry['credential/id'], entry);
  }

  /**
   * Revokes a credential (cred:…) or cancels an unused token (tok:…). False when there is no such
   * thing, or it was revoked, cancelled or used already.
   */
  revoke(id: string, reason: string): Promise<boolean> {
    return this.exclusive(async () => {
      if (id.startsWith(TOKEN_ID_PREFIX)) {
        const record = [...this.tokens.values()].find((t) => tokenIdOf(t['token/hash']) === id);
        if (!record || record['used-at'] !== null || record['cancelled-at'] !== null) return false;
        record['cancelled-at'] = formatTimestamp(this.now());
        await this.commit();
        return true;
      }
      const credential = this.credentials.get(id);
      if (!credential || this.revoked.has(id)) return false;
      this.addRevocation(credential, reason || 'revoked by the operator');
      await this.commit(true);
      return true;
    });
  }

  isRevoked(credentialId: string): RevocationEntry | undefined {
    const entry = this.revoked.get(credentialId);
    return entry ? { reason: entry.reason, revokedAt: entry['revoked-at'] } : undefined;
  }

  /** The signed revocation list (made again after every change). */
  revocationList(): RevocationList {
    if (!this.list) this.list = buildRevocationList({ sequence: this.state['revocation-list/sequence'], now: this.now(), revoked: this.state.revocations }, this.options.signer);
    return this.list;
  }

  /** Waits for every change so far to be on disk. */
  async flush(): Promise<void> {
    await this.writing.catch(() => undefined);
  }

  // --- views ----------------------------------------------------------------------------------

  tokenViews(): TokenView[] {
    const now = this.now();
    return this.state.tokens.map((t) => ({
      'token/id': tokenIdOf(t['token/hash']),
      label: t.label,
      status: t['cancelled-at'] !== null ? 'cancelled' : t['used-at'] !== null ? 'used' : parseTimestamp(t['expires-at']) <= now ? 'expired' : 'unused',
      'issued-at': t['issued-at'],
      'expires-at': t['expires-at'],
      'used-at': t['used-at'],
      'node/id': t['used-by']?.['node/id'] ?? null,
    }));
  }

  credentialViews(): CredentialView[] {
    const now = this.now();
    return this.state.credentials.map((c) => {
      const revoked = this.revoked.get(c['credential/id']);
      return {
        'credential/id': c['credential/id'],
        'operator/id': c['operator/id'],
        'operator/key': c['operator/key'],
        'node/id': c['node/id'],
        'valid-from': c['valid-from'],
        'valid-until': c['valid-until'],
        status: revoked ? 'revoked' : parseTimestamp(c['valid-until']) <= now ? 'expired' : 'valid',
        reason: revoked?.reason ?? null,
      };
    });
  }
}

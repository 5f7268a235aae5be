// The orchestrator's side of trusted registration (issue 5 §5): the TrustHook that reads a
// descriptor's operator attestation and answers 'trusted' or 'untrusted'.
//
// Trust roots: registration authority keys from --authority-key, the network descriptor's
// `registration-authority/key`, and the in-process authority (AuthorityModule) when there is one.
// Revocations: the in-process authority's own (checked directly, at once), and signed
// revocation-list.v1 files of other authorities (--revocation-list; re-read when they change; a
// list is taken only from a trusted issuer and only with a higher sequence/no than the one held).
// Several orchestrators can so share one authority: it publishes
// <dataDir>/authority/revocation-list.v1.json (and GET /authority/revocation-list), the others read
// a copy of it.
//
// An attestation that does not verify never makes a PNode unregisterable: the PNode registers as
// untrusted and the refusal is traced (error/occurred, phase "trust", with the code: see
// src-shared/trust/attestation.ts). A forged *descriptor* is still refused before this hook runs,
// by the node signature check. Trust is checked again every TRUST_RECHECK_INTERVAL_MS and at once
// when the revocations change: a PNode whose credential expired or was revoked becomes untrusted
// without waiting for its next registration (its VNodes stay where they are; new placements see
// the lower trust).
import { readFile, stat } from 'node:fs/promises';
import { ProtocolError, type Result, attempt } from '../../../src-shared/protocol/errors.js';
import { parseTimestamp } from '../../../src-shared/protocol/time.js';
import { errorBody } from '../../../src-shared/protocol/messages/core-bodies.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import type { PnodeDescriptor } from '../../../src-shared/membership/descriptor.js';
import { verifyOperatorAttestation, type RevocationEntry, type TrustedOperator } from '../../../src-shared/trust/attestation.js';
import { revocationIndex, verifyRevocationList } from '../../../src-shared/trust/revocation-list.js';
import type { TrustAssessment, TrustHook } from '../orchestrator/orchestrator.js';
import type { OrchestratorModule } from '../orchestrator/orchestrator-module.js';
import type { NodeRuntime } from '../../kernel/runtime/node-runtime.js';
import type { RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import { networkOf } from '../../kernel/discovery/bootstrap.js';
import type { AuthorityModule } from './authority-module.js';

export const OPERATOR_TRUST_MODULE = 'operator-trust';
/** Registered PNodes' trust is checked again this often (credentials expire). */
export const TRUST_RECHECK_INTERVAL_MS = 60_000;
/** A --revocation-list file is looked at this often, and read again when it changed. */
export const REVOCATION_FILE_POLL_MS = 10_000;
/** Largest revocation list file read. */
export const REVOCATION_FILE_MAX_BYTES = 16 * 1024 * 1024;

export interface OperatorTrustOptions {
  /** Fingerprints of registration authorities to trust (--authority-key). */
  readonly authorityKeys?: readonly string[];
  /** The authority running in this process: its key is trusted and its revocations checked directly. */
  readonly authority?: AuthorityModule;
  /** Signed revocation lists of other authorities (--revocation-list). */
  readonly revocationListFiles?: readonly string[];
  readonly recheckIntervalMs?: number;
  readonly revocationPollMs?: number;
}

const UNTRUSTED: TrustAssessment = { level: 'untrusted', operatorId: null };

export class OperatorTrust implements RuntimeModule {
  readonly name = OPERATOR_TRUST_MODULE;
  private runtime: NodeRuntime | null = null;
  private readonly lists = new Map<string, { sequence: number; index: Map<string, RevocationEntry> }>();
  private readonly fileStamps = new Map<string, string>();
  private timers: NodeJS.Timeout[] = [];
  private readonly onRevocations = (): void => this.recheck();
  /** Verified chains by descriptor: a re-check of an unchanged descriptor only looks at time, revocation and trust roots. */
  private readonly verified = new WeakMap<PnodeDescriptor, TrustedOperator>();
  /** Descriptors whose attestation can never verify (malformed or forged): not checked again. */
  private readonly broken = new WeakMap<PnodeDescriptor, ProtocolError>();

  constructor(private readonly options: OperatorTrustOptions = {}) {}

  /** For the orchestrator module's `trust` option. */
  readonly hook: TrustHook = (descriptor, context) => this.assess(descriptor, context.now, true);

  /** The authority keys trusted right now. */
  trustedKeys(): Set<string> {
    const keys = new Set(this.options.authorityKeys ?? []);
    const network = this.runtime ? networkOf(this.runtime.config)?.descriptor['registration-authority/key'] : undefined;
    if (network) keys.add(network);
    const own = this.options.authority?.key;
    if (own) keys.add(own);
    return keys;
  }

  async start(runtime: NodeRuntime): Promise<void> {
    this.runtime = runtime;
    this.options.authority?.on('revocations', this.onRevocations);
    for (const file of this.options.revocationListFiles ?? []) await this.readListFile(file);
    const recheck = setInterval(() => this.recheck(), this.options.recheckIntervalMs ?? TRUST_RECHECK_INTERVAL_MS);
    recheck.unref();
    this.timers.push(recheck);
    if (this.options.revocationListFiles?.length) {
      const poll = setInterval(() => {
        void Promise.all(this.options.revocationListFiles!.map((f) => this.readListFile(f))).then((changed) => {
          if (changed.some((c) => c)) this.recheck();
        });
      }, this.options.revocationPollMs ?? REVOCATION_FILE_POLL_MS);
      poll.unref();
      this.timers.push(poll);
    }
    if (!this.options.authority) {
      // No authority here: say so at once instead of leaving a PNode's request unanswered.
      for (const kind of ['operator-enroll', 'operator-renew', 'operator-rotate'] as const) {
        runtime.connections.handle(kind, (c, body) => {
          const reqId = body['req/id'];
          if (reqId !== undefined) c.send('error', errorBody(new ProtocolError('E_PROTO_CAP_MISSING', `${kind}: this orchestrator runs no registration authority`), reqId));
        });
      }
    }
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    this.options.authority?.off('revocations', this.onRevocations);
  }

  private revoked(credentialId: string, issuerKey: string): RevocationEntry | undefined {
    const authority = this.options.authority;
    if (authority?.key === issuerKey) return authority.authority?.isRevoked(credentialId);
    return this.lists.get(issuerKey)?.index.get(credentialId);
  }

  /** Reads a revocation list file when it changed; true when a newer list was taken. */
  private async readListFile(file: string): Promise<boolean> {
    try {
      const info = await stat(file);
      if (info.size > REVOCATION_FILE_MAX_BYTES) throw new Error(`larger than ${REVOCATION_FILE_MAX_BYTES} bytes`);
      // Atomic writes replace the file: a new inode tells a new list even within one mtime tick.
      const stamp = `${info.ino}:${info.mtimeMs}:${info.size}`;
      if (this.fileStamps.get(file) === stamp) return false;
      this.fileStamps.set(file, stamp);
      const verified = verifyRevocationList(JSON.parse(await readFile(file, 'utf8')) as unknown, { crypto: this.runtime!.crypto, trustedIssuers: this.trustedKeys() });
      if (!verified.ok) throw verified.error;
      const list = verified.value;
      const held = this.lists.get(list['issuer/key']);
      if (held && held.sequence >= list['sequence/no']) return false;
      this.lists.set(list['issuer/key'], { sequence: list['sequence/no'], index: revocationIndex(list) });
      return true;
    } catch (error) {
      const failure = error instanceof ProtocolError ? error : new ProtocolError('E_PROTO_INVALID', error instanceof Error ? error.message : String(error));
      this.runtime?.traces.emit('error/occurred', { detail: errorDetail(failure, { phase: 'trust', file }) });
      return false;
    }
  }

  /** The trust a descriptor earns now; a failed attestation is traced when `trace` is set. */
  assess(descriptor: PnodeDescriptor, now: number, trace: boolean): TrustAssessment {
    if (descriptor.operator === undefined) return UNTRUSTED;
    const runtime = this.runtime;
    if (!runtime) return UNTRUSTED;
    const verified = this.verify(descriptor, now);
    if (!verified.ok) {
      if (trace) runtime.traces.emit('error/occurred', { peer: descriptor['node/id'], detail: errorDetail(verified.error, { phase: 'trust', 'descriptor/id': descriptor['descriptor/id'] }) });
      return UNTRUSTED;
    }
    return { level: 'trusted', operatorId: verified.value.operatorId };
  }

  /** The chain's answer; signatures are checked once per descriptor (re-checks reuse them). */
  private verify(descriptor: PnodeDescriptor, now: number): Result<TrustedOperator> {
    const broken = this.broken.get(descriptor);
    if (broken) return { ok: false, error: broken };
    const keys = this.trustedKeys();
    const known = this.verified.get(descriptor);
    if (known) {
      return attempt(() => {
        if (!keys.has(known.issuerKey)) throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', `operator-credential.v1 ${known.credentialId} was issued by ${known.issuerKey}, not by a registration authority trusted here`);
        if (parseTimestamp(known.validUntil) <= now) throw new ProtocolError('E_ADV_EXPIRED', `operator-credential.v1 ${known.credentialId} expired at ${known.validUntil}`);
        const revoked = this.revoked(known.credentialId, known.issuerKey);
        if (revoked) throw new ProtocolError('E_TRANSPORT_REJECTED', `operator-credential.v1 ${known.credentialId} was revoked at ${revoked.revokedAt} (${revoked.reason})`);
        return known;
      });
    }
    const result = verifyOperatorAttestation(descriptor as unknown as JsonObject, { crypto: this.runtime!.crypto, now, authorityKeys: keys, revoked: (id, issuer) => this.revoked(id, issuer) });
    if (result.ok) this.verified.set(descriptor, result.value);
    else if (result.error.code === 'E_PROTO_INVALID' || result.error.code === 'E_SIG_INVALID') this.broken.set(descriptor, result.error);
    return result;
  }

  /** Checks every registered PNode that carries an attestation again; trust follows the answer. */
  recheck(): void {
    const runtime = this.runtime;
    const core = runtime?.module<OrchestratorModule>('orchestrator')?.orchestrator;
    if (!runtime || !core) return;
    const now = runtime.clock.now();
    let changed = false;
    for (const entry of core.registry.all()) {
      if (entry.state !== 'registered' || entry.descriptor.operator === undefined) continue;
      const answer = this.assess(entry.descriptor, now, entry.trust === 'trusted');
      const operatorId = answer.operatorId ?? null;
      if (answer.level === entry.trust && operatorId === entry.operatorId) continue;
      entry.trust = answer.level;
      entry.operatorId = operatorId;
      changed = true;
    }
    if (changed) core.emit('changed');
  }
}

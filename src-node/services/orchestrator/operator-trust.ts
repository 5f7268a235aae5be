// The orchestrator's side of trusted registration (issue 5 §5): the TrustHook that reads a
// descriptor's operator attestation and answers 'trusted' or 'untrusted'.
//
// Trust roots: registration authority keys from --authority-key, the network descriptor's
// `registration-authority/key`, and the in-process authority (the AuthorityModule of this
// deployment, seen through the InProcessAuthority interface) when there is one.
// Revocations: the in-process authority's own (checked directly, at once); the signed lists the
// node's revocation sync holds (issue 15 §5, kernel/revocation: fetched from the network's seed
// directories every 2 minutes and gossiped over sessions, so another orchestrator learns a
// revocation without any file); and signed revocation-list.v1 files of other authorities
// (--revocation-list; re-read when they change; a list is taken only from a trusted issuer and only
// with a higher sequence/no than the one held; handed on to the sync, which tells the sessions that
// ask). A credential any of them lists is revoked.
//
// An attestation that does not verify never makes a PNode unregisterable: the PNode registers as
// untrusted and the refusal is traced (error/occurred, phase "trust", with the code: see
// src-shared/trust/attestation.ts). A forged *descriptor* is still refused before this hook runs,
// by the node signature check. Trust is checked again every TRUST_RECHECK_INTERVAL_MS and at once
// when the revocations change: a PNode whose credential expired or was revoked becomes untrusted
// without waiting for its next registration (its VNodes stay where they are; new placements see
// the lower trust). The orchestrator does the re-checking (Orchestrator.reassessTrust); this
// component says when (`recheck` events).
import { readFile, stat } from 'node:fs/promises';
import { ProtocolError, type Result, attempt } from '../../../src-shared/protocol/errors.js';
import { parseTimestamp } from '../../../src-shared/protocol/time.js';
import { errorBody } from '../../../src-shared/protocol/messages/core-bodies.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import type { PnodeDescriptor } from '../../../src-shared/membership/descriptor.js';
import { verifyOperatorAttestation, type RevocationEntry, type TrustedOperator } from '../../../src-shared/trust/attestation.js';
import { revocationIndex, verifyRevocationList, type RevocationList } from '../../../src-shared/trust/revocation-list.js';
import { EventEmitter } from 'node:events';
import type { TrustAssessment, TrustHook } from './orchestrator.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { RuntimeModule } from '../../kernel/runtime/runtime-module.js';

export const OPERATOR_TRUST_MODULE = 'operator-trust';
/** Registered PNodes' trust is checked again this often (credentials expire). */
export const TRUST_RECHECK_INTERVAL_MS = 60_000;
/** A --revocation-list file is looked at this often, and read again when it changed. */
export const REVOCATION_FILE_POLL_MS = 10_000;
/** Largest revocation list file read. */
export const REVOCATION_FILE_MAX_BYTES = 16 * 1024 * 1024;

/** The registration authority running in this process, as the trust check sees it. */
export interface InProcessAuthority {
  /** Its key's fingerprint (null until it runs). */
  readonly key: string | null;
  isRevoked(credentialId: string): RevocationEntry | undefined;
  on(event: 'revocations', listener: () => void): unknown;
  off(event: 'revocations', listener: () => void): unknown;
}

/** Revocation lists learned from directories and sessions (the kernel's RevocationSync). */
export interface RevocationSource {
  revoked(credentialId: string, issuerKey: string): RevocationEntry | undefined;
  /** Hands a list read from a file on (to the sessions that ask for it). */
  share(list: RevocationList): unknown;
  on(event: 'changed', listener: () => void): unknown;
  off(event: 'changed', listener: () => void): unknown;
}

export type OperatorTrustComponents = Pick<KernelComponents, 'crypto' | 'traces' | 'connections' | 'network'> & {
  /** The authority running in this process: its key is trusted and its revocations checked directly. */
  readonly authority?: InProcessAuthority | undefined;
  /** Lists from the network's directories and from sessions (issue 15 §5). */
  readonly revocations?: RevocationSource | undefined;
};

export interface OperatorTrustEvents {
  /** Trust may have changed (time passed, revocations, a new list): the orchestrator re-checks. */
  recheck: [];
}

export interface OperatorTrustOptions {
  /** Fingerprints of registration authorities to trust (--authority-key). */
  readonly authorityKeys?: readonly string[];
  /** Signed revocation lists of other authorities (--revocation-list). */
  readonly revocationListFiles?: readonly string[];
  readonly recheckIntervalMs?: number;
  readonly revocationPollMs?: number;
}

const UNTRUSTED: TrustAssessment = { level: 'untrusted', operatorId: null };

export class OperatorTrust extends EventEmitter<OperatorTrustEvents> implements RuntimeModule {
  readonly name = OPERATOR_TRUST_MODULE;
  private readonly lists = new Map<string, { sequence: number; index: Map<string, RevocationEntry> }>();
  private readonly fileStamps = new Map<string, string>();
  private timers: NodeJS.Timeout[] = [];
  private readonly onRevocations = (): void => this.recheck();
  /** Verified chains by descriptor: a re-check of an unchanged descriptor only looks at time, revocation and trust roots. */
  private readonly verified = new WeakMap<PnodeDescriptor, TrustedOperator>();
  /** Descriptors whose attestation can never verify (malformed or forged): not checked again. */
  private readonly broken = new WeakMap<PnodeDescriptor, ProtocolError>();

  constructor(
    private readonly components: OperatorTrustComponents,
    private readonly options: OperatorTrustOptions = {},
  ) {
    super();
    requireComponents(this.name, components, ['crypto', 'traces', 'connections']);
  }

  /** For the orchestrator's `trust` component. A re-check traces a failure only where trust is lost. */
  readonly hook: TrustHook = (descriptor, context) => this.assess(descriptor, context.now, context.trace ?? true);

  /** The authority keys trusted right now. */
  trustedKeys(): Set<string> {
    const keys = new Set(this.options.authorityKeys ?? []);
    const network = this.components.network?.descriptor?.['registration-authority/key'];
    if (network) keys.add(network);
    const own = this.components.authority?.key;
    if (own) keys.add(own);
    return keys;
  }

  async start(): Promise<void> {
    const runtime = this.components;
    this.components.authority?.on('revocations', this.onRevocations);
    this.components.revocations?.on('changed', this.onRevocations);
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
    if (!this.components.authority) {
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
    this.components.authority?.off('revocations', this.onRevocations);
    this.components.revocations?.off('changed', this.onRevocations);
  }

  private revoked(credentialId: string, issuerKey: string): RevocationEntry | undefined {
    const authority = this.components.authority;
    if (authority?.key === issuerKey) return authority.isRevoked(credentialId);
    return this.lists.get(issuerKey)?.index.get(credentialId) ?? this.components.revocations?.revoked(credentialId, issuerKey);
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
      const verified = verifyRevocationList(JSON.parse(await readFile(file, 'utf8')) as unknown, { crypto: this.components.crypto, trustedIssuers: this.trustedKeys() });
      if (!verified.ok) throw verified.error;
      const list = verified.value;
      const held = this.lists.get(list['issuer/key']);
      if (held && held.sequence >= list['sequence/no']) return false;
      this.lists.set(list['issuer/key'], { sequence: list['sequence/no'], index: revocationIndex(list) });
      this.components.revocations?.share(list as RevocationList);
      return true;
    } catch (error) {
      const failure = error instanceof ProtocolError ? error : new ProtocolError('E_PROTO_INVALID', error instanceof Error ? error.message : String(error));
      this.components.traces.emit('error/occurred', { detail: errorDetail(failure, { phase: 'trust', file }) });
      return false;
    }
  }

  /** The trust a descriptor earns now; a failed attestation is traced when `trace` is set. */
  assess(descriptor: PnodeDescriptor, now: number, trace: boolean): TrustAssessment {
    if (descriptor.operator === undefined) return UNTRUSTED;
    const runtime = this.components;
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
    const result = verifyOperatorAttestation(descriptor as unknown as JsonObject, { crypto: this.components.crypto, now, authorityKeys: keys, revoked: (id, issuer) => this.revoked(id, issuer) });
    if (result.ok) this.verified.set(descriptor, result.value);
    else if (result.error.code === 'E_PROTO_INVALID' || result.error.code === 'E_SIG_INVALID') this.broken.set(descriptor, result.error);
    return result;
  }

  /** Asks the orchestrator to check every registered PNode's attestation again. */
  recheck(): void {
    this.emit('recheck');
  }
}

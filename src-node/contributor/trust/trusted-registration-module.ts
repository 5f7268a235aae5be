// Trusted registration on the PNode (issue 5 §5), as a runtime module. Opt-in: nothing happens
// until the volunteer enrolls with a token from their network's operator.
//
//   enroll (token)        makes an operator key (separate from the node key; in the keychain, or a
//                         loud 0600 file where the node key is in one too), sends operator-enroll to
//                         the orchestrator running the registration authority, checks the
//                         operator-credential.v1 it answers (signature, window, this node, this key,
//                         and the network's authority key when the network descriptor names one),
//                         stores it, and hands the membership module the attestation: the next
//                         descriptor carries it and every registered orchestrator gets it at once.
//   renew-credential      renews now; otherwise renewal runs on its own once RENEW_AT_FRACTION of
//                         the validity has passed, with backoff on failure, until the credential ends.
//   rotate-operator-key   a new operator key; the authority revokes every credential of the old key.
//
// State (`trusted` in the control state): not-enrolled → enrolling → trusted → expiring (renewal
// due, not done yet) → expired; revoked when the authority says so — refusing a renewal, or in its
// signed revocation list, which reaches the node over its sessions and from the network's seed
// directories (issue 15 §5: the node's revocation sync, checked at start and on every newer list);
// error when an enrollment failed and no credential is held (lastError says why, with its code).
// Refusals are traced (error/occurred, phase "trusted-registration"). A successful enrollment emits
// 'trusted-approved', a revocation (refused renewal or list) 'trusted-revoked' (the notifications component turns
// them into notifications). A revoked credential is no longer handed to membership: the next
// descriptor carries no attestation, so no orchestrator counts the PNode as trusted any more.
//
// Where the requests go: the orchestrator given in the options, else the membership module's
// primary, else any orchestrator it is registered with.
import { EventEmitter } from 'node:events';
import type { CommandHandlers, CommandResult } from '../../../src-shared/control/commands.js';
import type { NodeState, StateSection, TrustedView } from '../../../src-shared/control/state.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { errorBody, type ErrorBody } from '../../../src-shared/protocol/messages/core-bodies.js';
import type { OperatorEnrollBody, OperatorRenewBody, OperatorRotateBody } from '../../../src-shared/protocol/messages/trust-bodies.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import { newId } from '../../../src-shared/protocol/ids.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import type { Ed25519Signer } from '../../../src-shared/protocol/crypto/provider.js';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import { credentialWindow, verifyCredential, type OperatorCredential } from '../../../src-shared/trust/credential.js';
import { attestDescriptor, type RevocationEntry } from '../../../src-shared/trust/attestation.js';
import { parseEnrollmentToken, signProof, tokenHash } from '../../../src-shared/trust/enrollment.js';
import { ENROLL_PROOF_DOMAIN, RENEW_AT_FRACTION, RENEW_PROOF_DOMAIN, RENEW_RETRY_MAX_MS, RENEW_RETRY_MIN_MS, ROTATE_PROOF_DOMAIN } from '../../../src-shared/trust/trust-profile.js';
import { backoffDelayMs, type BackoffBounds } from '../../kernel/peers/backoff.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { ControlSource, RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import type { MembershipModule } from '../membership/membership-module.js';
import { isIdentityError } from '../../kernel/identity/identity-error.js';
import { createRoleKey, kindOfStorageRef, loadRoleKey, openRoleKeystore, type RoleKeystore } from '../../kernel/identity/role-keystore.js';
import type { FileWriter } from '../../kernel/storage/atomic-file.js';
import { EMPTY_TRUST_FILE, TRUST_DIR, readTrustFile, trustFilePath, writeTrustFile, type TrustFile } from './trust-file.js';

export const TRUSTED_REGISTRATION_MODULE = 'trusted-registration';
/** How long an enroll, renew or rotate request may go unanswered. */
export const TRUST_REQUEST_TIMEOUT_MS = 15_000;
/** How often a request waiting for an orchestrator session looks again. */
const TARGET_POLL_MS = 100;
/** Longest timer Node accepts; later renewals are re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type TrustedRegistrationComponents = Pick<
  KernelComponents,
  'dataDir' | 'identity' | 'keystore' | 'keychain' | 'crypto' | 'clock' | 'traces' | 'connections' | 'ui' | 'warn' | 'network'
> & {
  /** The membership that carries the attestation to the orchestrators (start this module after it). */
  readonly membership: Pick<MembershipModule, 'primary' | 'state' | 'reconnecting' | 'setOperatorAttestation'>;
  /** Registration authorities' revocation lists as the node learns them (start this module after it). */
  readonly revocations?: RevocationWatch | undefined;
};

/** What trusted registration reads of the node's revocation lists (the kernel's RevocationSync). */
export interface RevocationWatch {
  revoked(credentialId: string, issuerKey: string): RevocationEntry | undefined;
  on(event: 'changed', listener: () => void): unknown;
  off(event: 'changed', listener: () => void): unknown;
  /** A credential from a new authority: its list is to be asked for now. */
  followsChanged(): void;
}

export interface TrustedRegistrationOptions {
  /** The orchestrator that runs the registration authority (node-id); default: the membership's primary. */
  readonly orchestrator?: string;
  /** The authority key credentials must be issued by; default the network descriptor's registration-authority/key. */
  readonly authorityKey?: string;
  readonly requestTimeoutMs?: number;
  readonly renewAtFraction?: number;
  readonly retry?: BackoffBounds;
  /** How the trust file is written (default writeFileAtomic; tests put a full disk here). */
  readonly write?: FileWriter;
}

export interface TrustedRegistrationEvents {
  /** An enrollment succeeded: the node now carries an operator credential. */
  'trusted-approved': [view: TrustedView];
  /** The credential was revoked: the authority refused a renewal, or its revocation list names it (the reason as the authority gave it). */
  'trusted-revoked': [reason: string];
}

type TrustKind = 'operator-enroll' | 'operator-renew' | 'operator-rotate';

interface Pending {
  readonly kind: TrustKind;
  readonly peer: string;
  readonly resolve: (credential: unknown) => void;
  readonly reject: (error: ProtocolError) => void;
  readonly timer: NodeJS.Timeout;
}

/** Refusals after which retrying the same renewal cannot help. */
const FINAL_CODES = new Set(['E_TRANSPORT_REJECTED', 'E_ADV_EXPIRED', 'E_HS_UNKNOWN_REF', 'E_SIG_UNKNOWN_SIGNER', 'E_SIG_INVALID', 'E_PROTO_INVALID']);

function asProtocolError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  if (isIdentityError(error)) return new ProtocolError('E_TRANSPORT_UNAVAILABLE', `the operator key cannot be used: ${error.message}`);
  return new ProtocolError('E_TRANSPORT_UNAVAILABLE', error instanceof Error ? error.message : String(error));
}

export class TrustedRegistrationModule extends EventEmitter<TrustedRegistrationEvents> implements RuntimeModule, ControlSource {
  readonly name = TRUSTED_REGISTRATION_MODULE;
  private keystore: RoleKeystore | null = null;
  private file: TrustFile = EMPTY_TRUST_FILE;
  private signer: Ed25519Signer | null = null;
  private busy: 'enrolling' | 'renewing' | 'rotating' | null = null;
  private readonly pending = new Map<string, Pending>();
  private renewTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private renewAttempts = 0;
  private stopped = false;
  /** A revocation list came while an enrollment, renewal or rotation was writing the trust file: checked once it is done. */
  private revocationsDeferred = false;
  private readonly onRevocations = (): void => {
    void this.checkRevocations();
  };

  constructor(
    private readonly components: TrustedRegistrationComponents,
    private readonly options: TrustedRegistrationOptions = {},
  ) {
    super();
    requireComponents(this.name, components, ['dataDir', 'identity', 'keystore', 'crypto', 'clock', 'traces', 'connections', 'ui', 'warn', 'membership']);
  }

  private get runtime(): TrustedRegistrationComponents {
    return this.components;
  }

  private get membership(): TrustedRegistrationComponents['membership'] {
    return this.components.membership;
  }

  /** The credential held now (valid or not), or null. */
  get credential(): OperatorCredential | null {
    return this.file.credential;
  }

  /** The current operator key's fingerprint, or null. */
  get operatorKey(): string | null {
    return this.file['operator/key'];
  }

  // --- lifecycle ------------------------------------------------------------------------------

  async start(): Promise<void> {
    const runtime = this.components;
    this.file = await readTrustFile(runtime.dataDir, runtime.crypto, runtime.warn);
    const connections = runtime.connections;
    for (const kind of ['operator-enroll', 'operator-renew', 'operator-rotate'] as const) {
      connections.handle(kind, (c, body) => {
        const reId = body['re/id'];
        if (reId !== undefined) {
          const pending = this.pending.get(reId);
          if (pending && pending.peer === c.peerNodeId && pending.kind === kind) this.settle(reId)?.resolve(body.credential);
          return;
        }
        c.send('error', errorBody(new ProtocolError('E_PROTO_CAP_MISSING', `${kind}: this node is a PNode, not a registration authority`), body['req/id']));
      });
    }
    connections.on('message', (c, message) => {
      if (message.kind !== 'error') return;
      const body = message.body as ErrorBody;
      const reId = body['re/id'];
      if (reId === undefined || this.pending.get(reId)?.peer !== c.peerNodeId) return;
      this.settle(reId)?.reject(new ProtocolError(body.code, body.detail));
    });
    connections.on('disconnected', (c) => {
      for (const [reqId, pending] of [...this.pending]) {
        if (pending.peer === c.peerNodeId) this.settle(reqId)?.reject(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${pending.kind}: the session with the orchestrator closed`));
      }
    });
    const ref = this.file['key/storage-ref'];
    this.keystore = await openRoleKeystore({
      dataDir: runtime.dataDir,
      subdir: TRUST_DIR,
      role: 'operator',
      scope: runtime.identity.nodeId,
      kind: (ref ? kindOfStorageRef(ref) : undefined) ?? runtime.keystore.kind,
      crypto: runtime.crypto,
      keychain: runtime.keychain,
      warn: runtime.warn,
      why: "because the node's own key is kept in the file keystore",
    });
    // A key made for an enrollment or rotation that never finished: nothing names it any more.
    const leftover = this.file['pending/key'];
    if (leftover !== null && leftover !== this.file['operator/key']) {
      await this.keystore.remove(leftover).catch(() => undefined);
      await this.save({ ...this.file, 'pending/key': null });
    }
    if (this.file.credential && this.file['operator/key']) {
      try {
        this.signer = await loadRoleKey(this.keystore, this.file['operator/key'], runtime.crypto);
      } catch (error) {
        await this.note({ ...this.file, 'last-error': `the operator key is missing: ${error instanceof Error ? error.message : String(error)}; enroll again` });
      }
    }
    this.handOff();
    this.schedule();
    this.components.revocations?.on('changed', this.onRevocations);
    // Sessions may be up already (membership starts first): they are asked about our issuer now.
    if (this.file.credential) this.components.revocations?.followsChanged();
    await this.checkRevocations();
  }

  stop(): void {
    this.stopped = true;
    this.components.revocations?.off('changed', this.onRevocations);
    this.clearTimers();
    for (const reqId of [...this.pending.keys()]) this.settle(reqId)?.reject(new ProtocolError('E_TRANSPORT_UNAVAILABLE', 'the node is stopping'));
  }

  private clearTimers(): void {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.renewTimer = this.expiryTimer = undefined;
  }

  /**
   * Stores a change the volunteer asked for (a key made, a credential adopted): written first, and
   * only then in memory, so a change that could not be stored (a full disk) leaves no trace.
   */
  private async save(file: TrustFile): Promise<void> {
    await writeTrustFile(this.runtime.dataDir, file, this.options.write);
    this.file = file;
    this.changed();
  }

  /**
   * Records what was learned (an error, a revocation): in memory at once, whatever the disk says —
   * a revoked credential must stop being used even if that cannot be stored — and on disk if it can.
   */
  private async note(file: TrustFile): Promise<void> {
    this.file = file;
    this.changed();
    await writeTrustFile(this.runtime.dataDir, file, this.options.write).catch((error: unknown) => this.runtime.warn(`warning: ${trustFilePath(this.runtime.dataDir)} could not be written: ${error instanceof Error ? error.message : String(error)}`));
  }

  private changed(): void {
    this.components.ui.stateChanged('trusted');
  }

  // --- the control surface --------------------------------------------------------------------

  state(): Partial<Pick<NodeState, StateSection>> {
    return { trusted: this.view() };
  }

  view(now = this.runtime.clock.now()): TrustedView {
    const credential = this.file.credential;
    const lastError = this.file['last-error'];
    const base = {
      operatorId: credential?.['operator/id'] ?? null,
      credentialId: credential?.['credential/id'] ?? null,
      validFrom: credential?.['valid-from'] ?? null,
      validUntil: credential?.['valid-until'] ?? null,
      lastError,
      revoked: credential && this.file.revoked ? { at: this.file.revoked.at, reason: this.file.revoked.reason } : null,
    };
    if (this.busy === 'enrolling') return { ...base, state: 'enrolling' };
    if (!credential) return { ...base, state: lastError !== null ? 'error' : 'not-enrolled' };
    if (this.file.revoked) return { ...base, state: 'revoked' };
    const { from, until } = credentialWindow(credential);
    if (now >= until) return { ...base, state: 'expired' };
    if (!this.signer) return { ...base, state: 'error' };
    if (now >= this.renewAt(from, until)) return { ...base, state: 'expiring' };
    return { ...base, state: 'trusted' };
  }

  readonly commands: CommandHandlers = {
    enroll: (command) => this.answer(() => this.enroll(command.token)),
    'renew-credential': () => this.answer(() => this.renew()),
    'rotate-operator-key': () => this.answer(() => this.rotate()),
  };

  private async answer(run: () => Promise<TrustedView>): Promise<CommandResult<TrustedView>> {
    if (this.busy !== null) return { ok: false, error: { code: 'busy', message: `trusted registration is busy (${this.busy})` } };
    try {
      return { ok: true, value: await run() };
    } catch (error) {
      const failure = asProtocolError(error);
      return { ok: false, error: { code: 'failed', message: failure.detail, protocolCode: failure.code } };
    }
  }

  // --- talking to the authority ---------------------------------------------------------------

  /** The orchestrator that gets the requests (see the head of this file). */
  private target(): string {
    const connections = this.runtime.connections;
    const open = (id: string | null | undefined): id is string => typeof id === 'string' && connections.get(id)?.isOpen === true;
    if (this.options.orchestrator !== undefined) {
      if (open(this.options.orchestrator)) return this.options.orchestrator;
      throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', 'no session with the orchestrator that runs the registration authority');
    }
    const membership = this.membership;
    if (open(membership.primary)) return membership.primary;
    for (const view of membership.state().orchestrators ?? []) if (view.status === 'registered' && open(view.nodeId)) return view.nodeId;
    throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', 'no session with an orchestrator: join the network first');
  }

  /**
   * target(), waiting (up to the request timeout) while the membership module is still connecting
   * or reconnecting to an orchestrator: a session that is being re-dialled is not a refusal.
   */
  private async waitTarget(): Promise<string> {
    const deadline = Date.now() + (this.options.requestTimeoutMs ?? TRUST_REQUEST_TIMEOUT_MS);
    for (;;) {
      try {
        return this.target();
      } catch (error) {
        // A registered orchestrator whose session is being re-dialled, or one whose lease lapsed
        // (its link dials again by itself): both are reconnecting, not refusing.
        const connecting = this.membership.state().orchestrators?.some((o) => o.status !== 'lost') ?? false;
        if (!(connecting || this.membership.reconnecting) || Date.now() >= deadline || this.stopped) throw error;
        await new Promise((r) => setTimeout(r, TARGET_POLL_MS));
      }
    }
  }

  private settle(reqId: string): Pending | undefined {
    const pending = this.pending.get(reqId);
    if (!pending) return undefined;
    this.pending.delete(reqId);
    clearTimeout(pending.timer);
    return pending;
  }

  private request<K extends TrustKind>(kind: K, body: K extends 'operator-enroll' ? OperatorEnrollBody : K extends 'operator-renew' ? OperatorRenewBody : OperatorRotateBody): Promise<unknown> {
    const peer = this.target();
    const reqId = body['req/id']!;
    const timeoutMs = this.options.requestTimeoutMs ?? TRUST_REQUEST_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(reqId)?.reject(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${kind}: no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      this.pending.set(reqId, { kind, peer, resolve, reject, timer });
      const sent = this.runtime.connections.send(peer, kind, body as never);
      if (!sent) this.settle(reqId)?.reject(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${kind}: the session with the orchestrator closed`));
    });
  }

  /** The credential an authority answered, checked against what was asked for. */
  private checkIssued(value: unknown, operatorKey: string, previous: OperatorCredential | null): OperatorCredential {
    const runtime = this.runtime;
    const expected = this.options.authorityKey ?? runtime.network?.descriptor?.['registration-authority/key'];
    const issuers = previous ? [previous['issuer/key']] : expected !== undefined ? [expected] : undefined;
    const verified = verifyCredential(value, { crypto: runtime.crypto, now: runtime.clock.now(), ...(issuers ? { trustedIssuers: issuers } : {}) });
    if (!verified.ok) throw verified.error;
    const credential = verified.value;
    if (credential['node/id'] !== runtime.identity.nodeId) throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', `the credential was issued for ${credential['node/id']}, not for this node`);
    if (credential['operator/key'] !== operatorKey) throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', `the credential vouches for operator key ${credential['operator/key']}, not ours (${operatorKey})`);
    if (previous && credential['operator/id'] !== previous['operator/id']) throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', `the credential names operator ${credential['operator/id']}, not ${previous['operator/id']}`);
    return credential;
  }

  private traceFailure(kind: TrustKind, error: ProtocolError): void {
    this.components.traces.emit('error/occurred', { detail: errorDetail(error, { kind, phase: 'trusted-registration' }) });
  }

  // --- enroll, renew, rotate ------------------------------------------------------------------

  async enroll(tokenText: string): Promise<TrustedView> {
    if (this.busy !== null) throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', `trusted registration is busy (${this.busy})`);
    // A mistyped token is bad input, not a failed enrollment: refused as it is, nothing recorded.
    const token = parseEnrollmentToken(tokenText);
    this.busy = 'enrolling';
    this.changed();
    const runtime = this.runtime;
    const keystore = this.keystore!;
    let made: string | null = null;
    try {
      await this.waitTarget(); // no orchestrator to ask: fail before a key is made
      // The current key goes on serving unless its credential was revoked; otherwise a new one.
      let signer = this.file.revoked ? null : this.signer;
      let operatorKey = signer ? this.file['operator/key']! : null;
      if (!signer || !operatorKey) {
        const created = await createRoleKey(keystore, runtime.crypto);
        signer = created.signer;
        operatorKey = made = created.fingerprint;
        await this.save({ ...this.file, 'pending/key': made });
      }
      const nodeId = runtime.identity.nodeId;
      const proof = signProof(ENROLL_PROOF_DOMAIN, { 'token/hash': tokenHash(token, runtime.crypto), 'node/id': nodeId, 'operator/key': operatorKey }, signer);
      const answer = await this.request('operator-enroll', { 'req/id': newId('enroll', runtime.clock.now()), token, 'operator/key': operatorKey, 'node/id': nodeId, proof });
      const credential = this.checkIssued(answer, operatorKey, null);
      await this.adopt(credential, signer, operatorKey);
      made = null;
      this.busy = null;
      const view = this.view();
      this.emit('trusted-approved', view);
      return view;
    } catch (error) {
      const failure = asProtocolError(error);
      this.traceFailure('operator-enroll', failure);
      if (made !== null) await keystore.remove(made).catch(() => undefined);
      await this.note({ ...this.file, 'pending/key': null, 'last-error': `${failure.code} ${failure.detail}` });
      throw failure;
    } finally {
      this.settled();
    }
  }

  /** Takes a checked credential for `operatorKey`: stored first, then the old key goes, then the hand-off. */
  private async adopt(credential: OperatorCredential, signer: Ed25519Signer, operatorKey: string): Promise<void> {
    const previousKey = this.file['operator/key'];
    await this.save({
      'schema/v': 1,
      'operator/key': operatorKey,
      'key/storage-ref': this.keystore!.storageRef(operatorKey),
      'pending/key': null,
      credential,
      revoked: null,
      'last-error': null,
    });
    this.signer = signer;
    if (previousKey !== null && previousKey !== operatorKey) await this.keystore!.remove(previousKey).catch(() => undefined);
    this.renewAttempts = 0;
    this.handOff();
    this.schedule();
    this.components.revocations?.followsChanged();
  }

  private renewalBinding(credential: OperatorCredential, reqId: string, ts: string) {
    return { 'req/id': reqId, 'credential/id': credential['credential/id'], 'node/id': this.runtime.identity.nodeId, 'operator/key': this.file['operator/key']!, ts };
  }

  private held(): { credential: OperatorCredential; signer: Ed25519Signer } {
    const credential = this.file.credential;
    if (!credential || !this.signer || !this.file['operator/key']) throw new ProtocolError('E_HS_UNKNOWN_REF', 'this node holds no operator credential: enroll first');
    if (this.file.revoked) throw new ProtocolError('E_TRANSPORT_REJECTED', `the operator credential was revoked (${this.file.revoked.reason}): enroll again`);
    return { credential, signer: this.signer };
  }

  async renew(): Promise<TrustedView> {
    if (this.busy !== null) throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', `trusted registration is busy (${this.busy})`);
    this.busy = 'renewing';
    try {
      const { credential, signer } = this.held();
      await this.waitTarget();
      const now = this.runtime.clock.now();
      const binding = this.renewalBinding(credential, newId('renew', now), formatTimestamp(now));
      const answer = await this.request('operator-renew', { 'req/id': binding['req/id'], 'credential/id': binding['credential/id'], 'operator/key': binding['operator/key'], ts: binding.ts, proof: signProof(RENEW_PROOF_DOMAIN, binding, signer) });
      await this.adopt(this.checkIssued(answer, binding['operator/key'], credential), signer, binding['operator/key']);
      return this.view();
    } catch (error) {
      throw await this.failed('operator-renew', error);
    } finally {
      this.settled();
    }
  }

  async rotate(): Promise<TrustedView> {
    if (this.busy !== null) throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', `trusted registration is busy (${this.busy})`);
    this.busy = 'rotating';
    let made: string | null = null;
    try {
      const { credential, signer } = this.held();
      await this.waitTarget();
      const runtime = this.runtime;
      const created = await createRoleKey(this.keystore!, runtime.crypto);
      made = created.fingerprint;
      await this.save({ ...this.file, 'pending/key': made });
      const now = runtime.clock.now();
      const binding = { ...this.renewalBinding(credential, newId('rotate', now), formatTimestamp(now)), 'operator/new-key': made };
      const answer = await this.request('operator-rotate', {
        'req/id': binding['req/id'],
        'credential/id': binding['credential/id'],
        'operator/key': binding['operator/key'],
        'operator/new-key': made,
        ts: binding.ts,
        proof: signProof(ROTATE_PROOF_DOMAIN, binding, signer),
        'proof/new': signProof(ROTATE_PROOF_DOMAIN, binding, created.signer),
      });
      await this.adopt(this.checkIssued(answer, made, credential), created.signer, made);
      made = null;
      return this.view();
    } catch (error) {
      if (made !== null) await this.keystore!.remove(made).catch(() => undefined);
      if (made !== null) this.file = { ...this.file, 'pending/key': null };
      throw await this.failed('operator-rotate', error);
    } finally {
      this.settled();
    }
  }

  /** Records a failed renewal or rotation; a revocation or an ended credential takes the attestation away. */
  private async failed(kind: TrustKind, error: unknown): Promise<ProtocolError> {
    const failure = asProtocolError(error);
    this.traceFailure(kind, failure);
    const revoked = failure.code === 'E_TRANSPORT_REJECTED' && this.file.credential !== null ? { at: formatTimestamp(this.runtime.clock.now()), reason: failure.detail } : this.file.revoked;
    const newlyRevoked = revoked !== null && this.file.revoked === null;
    await this.note({ ...this.file, revoked, 'last-error': `${failure.code} ${failure.detail}` });
    if (newlyRevoked) this.emit('trusted-revoked', revoked.reason);
    if (revoked) {
      this.clearTimers();
      this.handOff();
    }
    return failure;
  }

  /** An enrollment, renewal or rotation is over: the revocation lists that came meanwhile are read now. */
  private settled(): void {
    this.busy = null;
    this.changed();
    if (!this.revocationsDeferred) return;
    this.revocationsDeferred = false;
    void this.checkRevocations();
  }

  /** The credential held is in its authority's revocation list: stop using it, and say so. */
  private async checkRevocations(): Promise<void> {
    // Not while an operation writes the trust file: a record written from the state before it
    // (naming a key the operation then removes) could land on disk after the operation's own.
    if (this.busy !== null) {
      this.revocationsDeferred = true;
      return;
    }
    const credential = this.file.credential;
    if (this.stopped || !credential || this.file.revoked) return;
    const entry = this.components.revocations?.revoked(credential['credential/id'], credential['issuer/key']);
    if (!entry) return;
    const failure = new ProtocolError('E_TRANSPORT_REJECTED', `operator-credential.v1 ${credential['credential/id']} was revoked by its registration authority at ${entry.revokedAt} (${entry.reason}); enroll again with a new token`);
    this.components.traces.emit('error/occurred', { detail: errorDetail(failure, { phase: 'trusted-registration', 'credential/id': credential['credential/id'] }) });
    await this.note({ ...this.file, revoked: { at: entry.revokedAt, reason: entry.reason }, 'last-error': `${failure.code} ${failure.detail}` });
    this.clearTimers();
    this.handOff();
    this.emit('trusted-revoked', entry.reason);
  }

  // --- the hand-off to membership, and time ---------------------------------------------------

  /** Gives membership the attestation while the credential is good, and takes it away when not. */
  private handOff(): void {
    const membership = this.membership;
    if (!membership) return;
    const credential = this.file.credential;
    const signer = this.signer;
    if (!credential || !signer || this.file.revoked || this.runtime.clock.now() >= credentialWindow(credential).until) {
      membership.setOperatorAttestation(null);
      return;
    }
    const until = credentialWindow(credential).until;
    membership.setOperatorAttestation((unsigned: JsonObject) => {
      if (this.runtime.clock.now() >= until) return undefined;
      return attestDescriptor(unsigned, credential, signer) as unknown as JsonObject;
    });
  }

  private renewAt(from: number, until: number): number {
    return from + Math.floor((until - from) * (this.options.renewAtFraction ?? RENEW_AT_FRACTION));
  }

  /** Arms the renewal (or its retry) and the end of the credential. */
  private schedule(): void {
    this.clearTimers();
    const credential = this.file.credential;
    if (this.stopped || !credential || !this.signer || this.file.revoked) return;
    const now = this.runtime.clock.now();
    const { from, until } = credentialWindow(credential);
    if (now >= until) return;
    const retry = this.options.retry ?? { minMs: RENEW_RETRY_MIN_MS, maxMs: RENEW_RETRY_MAX_MS };
    const due = this.renewAttempts > 0 ? now + Math.max(retry.minMs, backoffDelayMs(this.renewAttempts - 1, Math.random, retry)) : this.renewAt(from, until);
    const renewIn = Math.min(MAX_TIMER_MS, Math.max(0, Math.min(due, until - 1) - now));
    this.renewTimer = setTimeout(() => this.autoRenew(), renewIn);
    this.renewTimer.unref();
    this.expiryTimer = setTimeout(() => this.onWindowEnd(), Math.min(MAX_TIMER_MS, until - now + 1));
    this.expiryTimer.unref();
  }

  private autoRenew(): void {
    this.renewTimer = undefined;
    if (this.stopped) return;
    if (this.busy !== null) {
      this.renewAttempts++;
      this.schedule();
      return;
    }
    this.changed(); // 'expiring' from now on, until the renewal is in
    this.renew().then(
      () => undefined,
      (error: unknown) => {
        const failure = asProtocolError(error);
        if (FINAL_CODES.has(failure.code)) {
          // The authority said no for a reason a retry cannot change; the credential runs out.
          if (this.renewTimer) clearTimeout(this.renewTimer);
          this.renewTimer = undefined;
          return;
        }
        this.renewAttempts++;
        this.schedule();
      },
    );
  }

  private onWindowEnd(): void {
    this.expiryTimer = undefined;
    const credential = this.file.credential;
    if (!credential) return;
    if (this.runtime.clock.now() < credentialWindow(credential).until) {
      this.schedule();
      return;
    }
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
    this.handOff();
    this.changed();
  }
}

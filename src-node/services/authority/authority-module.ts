// The registration authority as a runtime module (issue 5 §5; DESIGN.md §2: "part of the
// orchestrator deployment"). It runs in the orchestrator's process, after the orchestrator module,
// with its own key (authority-key.ts) and its own durable state (authority-store.ts), and:
//   - answers operator-enroll, operator-renew and operator-rotate on the sessions PNodes open with
//     the orchestrator (replies, or an `error` with re/id and a code; every refusal is traced as
//     error/occurred with phase "authority");
//   - adds /authority/… to the orchestrator's admin API (admin-routes.ts), through which
//     `pnode authority issue-token|list|revoke` work while it runs;
//   - publishes <dataDir>/authority/revocation-list.v1.json on every change to the revocations, and
//     tells listeners ('revocations'), so the orchestrator's trust check (operator-trust.ts) sees a
//     revocation at once;
//   - hands every new signed list to the node's revocation sync (issue 15 §5,
//     kernel/revocation/revocation-sync.ts), which PUTs it to the network's seed directories and
//     pushes it to every session that asked for it: other orchestrators and the PNodes learn it
//     within seconds over sessions, and within a directory poll (2 minutes) otherwise.
// It makes the authority's key on its first start (in the keystore the node's own key uses) unless
// told not to.
import { EventEmitter } from 'node:events';
import { errorBody } from '../../../src-shared/protocol/messages/core-bodies.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import type { Result } from '../../../src-shared/protocol/errors.js';
import type { OperatorCredential } from '../../../src-shared/trust/credential.js';
import type { PeerConnection } from '../../kernel/connection/peer-connection.js';
import type { RevocationEntry } from '../../../src-shared/trust/attestation.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import type { AdminExtensions } from '../../kernel/http/admin-extension.js';
import { openAuthority, type OpenedAuthority } from './open-authority.js';
import type { RegistrationAuthority } from './authority.js';
import { authorityAdminExtension } from './admin-routes.js';
import type { RevocationList } from '../../../src-shared/trust/revocation-list.js';

export const AUTHORITY_MODULE = 'authority';

export type AuthorityComponents = Pick<KernelComponents, 'dataDir' | 'crypto' | 'clock' | 'keychain' | 'keystore' | 'warn' | 'connections' | 'traces'> & {
  /** The deployment's admin API, where /authority/… is served. */
  readonly admin: AdminExtensions;
  /** Where the signed list goes out to the network (directories, sessions); absent: the file only. */
  readonly revocations?: { publish(list: RevocationList): unknown } | undefined;
};

export interface AuthorityModuleOptions {
  /** Validity of the credentials it issues; default DEFAULT_CREDENTIAL_VALIDITY_MS (30 days). */
  readonly credentialValidityMs?: number;
  /** Make the key when the data dir has none (default true). */
  readonly create?: boolean;
}

export interface AuthorityModuleEvents {
  /** The revocations changed and are stored (a revocation, a rotation). */
  revocations: [];
}

type TrustKind = 'operator-enroll' | 'operator-renew' | 'operator-rotate';

export class AuthorityModule extends EventEmitter<AuthorityModuleEvents> implements RuntimeModule {
  readonly name = AUTHORITY_MODULE;
  private opened: OpenedAuthority | null = null;

  constructor(
    private readonly components: AuthorityComponents,
    private readonly options: AuthorityModuleOptions = {},
  ) {
    super();
    requireComponents(this.name, components, ['dataDir', 'crypto', 'clock', 'keystore', 'warn', 'connections', 'traces', 'admin']);
    components.admin.extend(authorityAdminExtension(() => this.authority));
  }

  /** The authority's rules and state, while the module runs. */
  get authority(): RegistrationAuthority | null {
    return this.opened?.authority ?? null;
  }

  /** The authority key's fingerprint, while the module runs. */
  get key(): string | null {
    return this.opened?.key.fingerprint ?? null;
  }

  /** The revocation of a credential this authority issued, if it was revoked. */
  isRevoked(credentialId: string): RevocationEntry | undefined {
    return this.opened?.authority.isRevoked(credentialId);
  }

  async start(): Promise<void> {
    const runtime = this.components;
    this.opened = await openAuthority({
      dataDir: runtime.dataDir,
      crypto: runtime.crypto,
      clock: runtime.clock,
      keychain: runtime.keychain,
      warn: runtime.warn,
      credentialValidityMs: this.options.credentialValidityMs,
      ...(this.options.create === false ? {} : { create: { kind: runtime.keystore.kind, why: 'because the node keeps its own key in the file keystore' } }),
      onRevocations: () => {
        this.publishList();
        this.emit('revocations');
      },
    });
    const authority = this.opened.authority;
    await authority.republish();
    const connections = runtime.connections;
    connections.handle('operator-enroll', (c, body) => {
      if (body['req/id'] !== undefined) this.serve(c, 'operator-enroll', body['req/id'], authority.enroll(c.peerNodeId, body));
    });
    connections.handle('operator-renew', (c, body) => {
      if (body['req/id'] !== undefined) this.serve(c, 'operator-renew', body['req/id'], authority.renew(c.peerNodeId, body));
    });
    connections.handle('operator-rotate', (c, body) => {
      if (body['req/id'] !== undefined) this.serve(c, 'operator-rotate', body['req/id'], authority.rotate(c.peerNodeId, body));
    });
    this.publishList();
    this.emit('revocations');
  }

  /** The current signed list, out to the network. */
  private publishList(): void {
    const authority = this.opened?.authority;
    if (authority) this.components.revocations?.publish(authority.revocationList());
  }

  private serve(connection: PeerConnection, kind: TrustKind, reqId: string, answer: Promise<Result<OperatorCredential>>): void {
    void answer.then((result) => {
      if (result.ok) {
        connection.send(kind, { 're/id': reqId, credential: result.value as unknown as Record<string, unknown> });
        return;
      }
      this.components.traces.emit('error/occurred', { peer: connection.peerNodeId, detail: errorDetail(result.error, { kind, phase: 'authority', 'req/id': reqId }) });
      connection.send('error', errorBody(result.error, reqId));
    });
  }

  async stop(): Promise<void> {
    const opened = this.opened;
    this.opened = null;
    await opened?.close();
  }
}

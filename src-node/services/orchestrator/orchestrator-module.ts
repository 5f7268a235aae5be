// The orchestrator role as a runtime module (issue 5 §3): a NodeRuntime with role 'orchestrator'
// (its connection manager accepts up to 20,000 inbound sessions and records none in the peer
// store) plus this module, which routes the membership messages to the Orchestrator, ticks its
// leases, and serves the admin API on loopback.
import { HEARTBEAT_INTERVAL_MS, MAX_HEARTBEAT_INTERVAL_MS, MIN_HEARTBEAT_INTERVAL_MS } from '../../../src-shared/membership/membership-profile.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import type { AdminExtensions } from '../../kernel/http/admin-extension.js';
import { Orchestrator, type RegistrationLimits, type TrustHook } from './orchestrator.js';
import { startAdminServer, type AdminServer } from './admin-server.js';
import { parseAdminListen } from './admin-auth.js';
import { removeAdminFile, writeAdminFile } from './admin-file.js';

export const ORCHESTRATOR_MODULE = 'orchestrator';
/** Leases are checked four times per heartbeat interval (and at least every second). */
export const LEASE_CHECKS_PER_INTERVAL = 4;

/** Trusted registration's check (OperatorTrust): its hook, and when to apply it again. */
export interface TrustPolicy {
  readonly hook: TrustHook;
  on(event: 'recheck', listener: () => void): unknown;
  off(event: 'recheck', listener: () => void): unknown;
}

export type OrchestratorComponents = Pick<KernelComponents, 'identity' | 'clock' | 'crypto' | 'connections' | 'traces' | 'dataDir' | 'listenUrls'> & {
  /** Endpoints other components add to the admin API (the work scheduler, the authority). */
  readonly admin: AdminExtensions;
  /** Trusted registration's check; every PNode is untrusted without one. */
  readonly trust?: TrustPolicy | undefined;
};

export interface OrchestratorModuleOptions {
  /** Heartbeat interval PNodes are asked for; default 10 s (DESIGN.md §7). */
  readonly heartbeatIntervalMs?: number;
  readonly graceMs?: number;
  /** http://127.0.0.1:<port> to serve the admin API on; none when absent. */
  readonly adminListen?: string | undefined;
  /** Fixed admin token (tests). */
  readonly adminToken?: string;
  readonly maxPnodes?: number;
  /** Registered PNodes per address and per network prefix (issue 13 §4); default MAX_PNODES_PER_ADDRESS / _PREFIX. */
  readonly registrationLimits?: RegistrationLimits;
  /** Devnets and tests on one machine: PNodes on loopback count as separate addresses. Never in a deployment. */
  readonly devLoopback?: boolean;
}

export function checkHeartbeatInterval(ms: number): number {
  if (!Number.isInteger(ms) || ms < MIN_HEARTBEAT_INTERVAL_MS || ms > MAX_HEARTBEAT_INTERVAL_MS) {
    throw new Error(`the heartbeat interval must be a whole number of ms from ${MIN_HEARTBEAT_INTERVAL_MS} to ${MAX_HEARTBEAT_INTERVAL_MS}`);
  }
  return ms;
}

export class OrchestratorModule implements RuntimeModule {
  readonly name = ORCHESTRATOR_MODULE;
  /** The orchestrator's state: registry, leases, VNodes. */
  readonly orchestrator: Orchestrator;
  private timer: NodeJS.Timeout | undefined;
  private placementQueued = false;
  private adminServer: AdminServer | null = null;
  readonly heartbeatIntervalMs: number;
  private readonly onRecheck = (): void => this.orchestrator.reassessTrust();

  constructor(
    private readonly components: OrchestratorComponents,
    private readonly options: OrchestratorModuleOptions = {},
  ) {
    requireComponents(this.name, components, ['identity', 'clock', 'crypto', 'connections', 'traces', 'dataDir', 'listenUrls', 'admin']);
    this.heartbeatIntervalMs = checkHeartbeatInterval(options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
    if (options.adminListen !== undefined) parseAdminListen(options.adminListen);
    const connections = components.connections;
    this.orchestrator = new Orchestrator({
      selfNodeId: components.identity.nodeId,
      clock: components.clock,
      crypto: components.crypto,
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
      ...(components.trust ? { trust: components.trust.hook } : {}),
      ...(options.maxPnodes !== undefined ? { maxPnodes: options.maxPnodes } : {}),
      ...(options.registrationLimits !== undefined ? { registrationLimits: options.registrationLimits } : {}),
      ...(options.devLoopback !== undefined ? { devLoopback: options.devLoopback } : {}),
      transport: {
        send: (nodeId, kind, body) => connections.send(nodeId, kind, body),
        isConnected: (nodeId) => connections.get(nodeId)?.isOpen ?? false,
        sessions: () => connections.connections().length,
      },
    });
  }

  get admin(): AdminServer | null {
    return this.adminServer;
  }

  async start(): Promise<void> {
    const runtime = this.components;
    const connections = runtime.connections;
    const core = this.orchestrator;
    runtime.trust?.on('recheck', this.onRecheck);
    const after = (): void => this.schedulePlacement();
    connections.handle('pnode-register', (c, body) => {
      core.onRegister(c.peerNodeId, body, { address: c.address, session: c.session.sessionId });
      after();
    });
    connections.handle('heartbeat', (c, body) => {
      core.onHeartbeat(c.peerNodeId, body);
      if (core.needsPlacement) after();
    });
    connections.handle('vnode-allocate', (c, body) => {
      core.onAllocateReply(c.peerNodeId, body);
      after();
    });
    connections.handle('vnode-release', (c, body) => core.onReleaseReply(c.peerNodeId, body));
    connections.handle('vnode-status', (c, body) => {
      core.onStatus(c.peerNodeId, body);
      after();
    });
    connections.on('disconnected', (c) => core.onSessionClosed(c.peerNodeId));
    const tickMs = Math.max(10, Math.min(1_000, Math.floor(this.heartbeatIntervalMs / LEASE_CHECKS_PER_INTERVAL)));
    this.timer = setInterval(() => {
      try {
        core.tick();
      } catch (error) {
        runtime.traces.emit('error/occurred', { detail: { code: 'E_PROTO_INVALID', class: 'protocol/invalid-contract', message: `orchestrator tick: ${error instanceof Error ? error.message : String(error)}` } });
      }
    }, tickMs);
    this.timer.unref();
    if (this.options.adminListen !== undefined) {
      const { host, port } = parseAdminListen(this.options.adminListen);
      this.adminServer = await startAdminServer({
        orchestrator: core,
        nodeId: runtime.identity.nodeId,
        listenUrls: runtime.listenUrls,
        now: () => runtime.clock.now(),
        host,
        port,
        ...(this.options.adminToken !== undefined ? { token: this.options.adminToken } : {}),
        extensions: runtime.admin,
      });
      await writeAdminFile(runtime.dataDir, { url: this.adminServer.url, token: this.adminServer.token, pid: process.pid, nodeId: runtime.identity.nodeId });
    }
  }

  /** Placement runs once per turn of the event loop, however many messages asked for it. */
  private schedulePlacement(): void {
    if (this.placementQueued || !this.orchestrator.needsPlacement) return;
    this.placementQueued = true;
    setImmediate(() => {
      this.placementQueued = false;
      this.orchestrator.placePending();
    });
  }

  async stop(): Promise<void> {
    this.components.trust?.off('recheck', this.onRecheck);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.adminServer) {
      await this.adminServer.close();
      this.adminServer = null;
      await removeAdminFile(this.components.dataDir);
    }
  }
}


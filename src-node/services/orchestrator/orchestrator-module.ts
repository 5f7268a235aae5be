// The orchestrator role as a runtime module (issue 5 §3): a NodeRuntime with role 'orchestrator'
// (its connection manager accepts up to 20,000 inbound sessions and records none in the peer
// store) plus this module, which routes the membership messages to the Orchestrator, ticks its
// leases, and serves the admin API on loopback.
import { HEARTBEAT_INTERVAL_MS, MAX_HEARTBEAT_INTERVAL_MS, MIN_HEARTBEAT_INTERVAL_MS } from '../../../src-shared/membership/membership-profile.js';
import type { NodeRuntime } from '../../kernel/runtime/node-runtime.js';
import type { RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import { Orchestrator, type TrustHook } from './orchestrator.js';
import { startAdminServer, type AdminServer } from './admin-server.js';
import { parseAdminListen } from './admin-auth.js';
import { removeAdminFile, writeAdminFile } from './admin-file.js';

export const ORCHESTRATOR_MODULE = 'orchestrator';
/** Leases are checked four times per heartbeat interval (and at least every second). */
export const LEASE_CHECKS_PER_INTERVAL = 4;

export interface OrchestratorModuleOptions {
  /** Heartbeat interval PNodes are asked for; default 10 s (DESIGN.md §7). */
  readonly heartbeatIntervalMs?: number;
  readonly graceMs?: number;
  /** http://127.0.0.1:<port> to serve the admin API on; none when absent. */
  readonly adminListen?: string | undefined;
  /** Fixed admin token (tests). */
  readonly adminToken?: string;
  /** Trusted registration's hook (issue 5 §5); every PNode is untrusted without one. */
  readonly trust?: TrustHook;
  readonly maxPnodes?: number;
}

export function checkHeartbeatInterval(ms: number): number {
  if (!Number.isInteger(ms) || ms < MIN_HEARTBEAT_INTERVAL_MS || ms > MAX_HEARTBEAT_INTERVAL_MS) {
    throw new Error(`the heartbeat interval must be a whole number of ms from ${MIN_HEARTBEAT_INTERVAL_MS} to ${MAX_HEARTBEAT_INTERVAL_MS}`);
  }
  return ms;
}

export class OrchestratorModule implements RuntimeModule {
  readonly name = ORCHESTRATOR_MODULE;
  private core: Orchestrator | undefined;
  private runtime: NodeRuntime | undefined;
  private timer: NodeJS.Timeout | undefined;
  private placementQueued = false;
  private adminServer: AdminServer | null = null;
  readonly heartbeatIntervalMs: number;

  constructor(private readonly options: OrchestratorModuleOptions = {}) {
    this.heartbeatIntervalMs = checkHeartbeatInterval(options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
    if (options.adminListen !== undefined) parseAdminListen(options.adminListen);
  }

  /** The orchestrator's state (after start). */
  get orchestrator(): Orchestrator {
    if (!this.core) throw new Error('the orchestrator module has not started');
    return this.core;
  }

  get admin(): AdminServer | null {
    return this.adminServer;
  }

  async start(runtime: NodeRuntime): Promise<void> {
    this.runtime = runtime;
    const connections = runtime.connections;
    const core = new Orchestrator({
      selfNodeId: runtime.identity.nodeId,
      clock: runtime.clock,
      crypto: runtime.crypto,
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      ...(this.options.graceMs !== undefined ? { graceMs: this.options.graceMs } : {}),
      ...(this.options.trust ? { trust: this.options.trust } : {}),
      ...(this.options.maxPnodes !== undefined ? { maxPnodes: this.options.maxPnodes } : {}),
      transport: {
        send: (nodeId, kind, body) => connections.send(nodeId, kind, body),
        isConnected: (nodeId) => connections.get(nodeId)?.isOpen ?? false,
        sessions: () => connections.connections().length,
      },
    });
    this.core = core;
    const after = (): void => this.schedulePlacement();
    connections.handle('pnode-register', (c, body) => {
      core.onRegister(c.peerNodeId, body);
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
        listenUrls: () => runtime.listenUrls(),
        now: () => runtime.clock.now(),
        host,
        port,
        ...(this.options.adminToken !== undefined ? { token: this.options.adminToken } : {}),
      });
      await writeAdminFile(runtime.config.dataDir, { url: this.adminServer.url, token: this.adminServer.token, pid: process.pid, nodeId: runtime.identity.nodeId });
    }
  }

  /** Placement runs once per turn of the event loop, however many messages asked for it. */
  private schedulePlacement(): void {
    if (this.placementQueued || !this.core?.needsPlacement) return;
    this.placementQueued = true;
    setImmediate(() => {
      this.placementQueued = false;
      this.core?.placePending();
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.adminServer) {
      await this.adminServer.close();
      this.adminServer = null;
      if (this.runtime) await removeAdminFile(this.runtime.config.dataDir);
    }
  }
}


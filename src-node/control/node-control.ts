// The node's side of the control contract (DESIGN.md §4): builds the state snapshot from the
// kernel and the components a recipe lists (each a ControlSource: the sections it owns, its suspend
// reasons, its commands), pushes patches (coalesced, only sections that changed) and trace events,
// and runs commands by looking up the one owner registered for each. Both carriers use it: the
// local WebSocket and Electron IPC.
import type { CommandHandler, CommandHandlers, CommandName, CommandOf, CommandResult, ControlCommand, ResultOf } from '../../src-shared/control/commands.js';
import type { ControlEvent, NotificationKind } from '../../src-shared/control/messages.js';
import { EMPTY_CREDIT_VIEW, EMPTY_HISTORY_VIEW } from '../../src-shared/control/credit-view.js';
import { EMPTY_ACTIVITY_VIEW } from '../../src-shared/control/activity-view.js';
import { EMPTY_WORK_VIEW } from '../../src-shared/control/work-view.js';
import { CONTROL_PROTOCOL, MAX_STATE_TRACES, type NetworkView, type NodeState, type PeerView, type StateSection, type SuspendReason } from '../../src-shared/control/state.js';
import { IDLE_MACHINE, availabilityOf, contributionView, type AvailabilityState } from '../../src-shared/control/contribution.js';
import { ProtocolError } from '../../src-shared/protocol/errors.js';
import { scorePeer } from '../kernel/peers/score.js';
import { isIdentityError } from '../kernel/identity/identity-error.js';
import type { ControlSource } from '../kernel/runtime/runtime-module.js';
import type { ControlHandler } from './control-handler.js';
import type { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import type { Settings } from '../kernel/runtime/settings.js';
import { kernelCommands } from './kernel-commands.js';

/** Changes within this window go out as one patch. */
export const PATCH_COALESCE_MS = 50;

export interface NodeControlOptions {
  /** The components that own sections, suspend reasons and commands (a recipe lists them). */
  readonly sources?: readonly ControlSource[];
  /** Whether the volunteer lets the node compute (a contributor's Availability); default: the settings alone. */
  readonly availability?: { current(): AvailabilityState } | undefined;
  /** The desktop shell's login-item setting as it last read it (null: unknown); absent headless. */
  readonly launchAtLogin?: () => boolean | null;
  /** Directories in use from the configuration (command line, network descriptor); the settings' are shown apart. */
  readonly configuredDirectories?: () => readonly string[];
}

type Sections = Pick<NodeState, StateSection>;

function failed(message: string, code: 'failed' | 'not-available' = 'failed', protocolCode?: string): CommandResult<never> {
  return { ok: false, error: { code, message, ...(protocolCode ? { protocolCode } : {}) } };
}

/** One table of handlers from every owner; a command with two owners is a wiring mistake, caught at once. */
export function mergeHandlers(owners: readonly CommandHandlers[]): CommandHandlers {
  const merged: Record<string, unknown> = {};
  for (const handlers of owners) {
    for (const [name, handler] of Object.entries(handlers)) {
      if (handler === undefined) continue;
      if (name in merged) throw new Error(`the command "${name}" has two owners`);
      merged[name] = handler;
    }
  }
  return merged as CommandHandlers;
}

function runHandler<N extends CommandName>(handlers: CommandHandlers, command: CommandOf<N>): Promise<CommandResult<ResultOf<N>>> | CommandResult<ResultOf<N>> | undefined {
  const handler = handlers[command.command as N] as CommandHandler<N> | undefined;
  return handler?.(command);
}

export class NodeControl implements ControlHandler {
  private readonly listeners = new Set<(event: ControlEvent) => void>();
  private last: Sections | undefined;
  private patchTimer: NodeJS.Timeout | undefined;
  private readonly sources: readonly ControlSource[];
  private readonly handlers: CommandHandlers;
  private readonly onStateChanged = (): void => this.schedulePatch();
  private readonly onNotification = (kind: NotificationKind, title: string, body: string): void => this.notify(kind, title, body);
  private readonly detachTraces: () => void;

  constructor(
    private readonly runtime: NodeRuntime,
    private readonly options: NodeControlOptions = {},
  ) {
    this.sources = options.sources ?? [];
    this.handlers = mergeHandlers([kernelCommands(runtime, (kind, title, body) => this.notify(kind, title, body)), ...this.sources.map((s) => s.commands ?? {})]);
    runtime.on('state-changed', this.onStateChanged);
    runtime.on('notification', this.onNotification);
    this.detachTraces = runtime.traces.subscribe((event) => this.broadcast({ type: 'trace', event }));
  }

  // --- state --------------------------------------------------------------------------------

  snapshot(): NodeState {
    const sections = this.sections();
    this.last = sections;
    return { protocol: CONTROL_PROTOCOL, version: this.runtime.config.version, startedAt: this.runtime.startedAt, ...sections };
  }

  private sections(): Sections {
    const runtime = this.runtime;
    const settings = runtime.settings.get();
    const base: Sections = {
      identity: {
        nodeId: runtime.identity.nodeId,
        participantId: runtime.identity.participantId,
        keyPublic: runtime.identity.keyPublic,
        createdAt: runtime.identity.record['created-at'],
        keystore: runtime.keystore.kind,
      },
      network: this.network(settings),
      contribution: contributionView(this.availability(settings), false),
      orchestrators: [],
      peers: this.peers(),
      vnodes: [],
      trusted: { state: 'not-enrolled', operatorId: null, credentialId: null, validFrom: null, validUntil: null, lastError: null, revoked: null },
      hardware: null,
      traces: runtime.traces.recent(MAX_STATE_TRACES),
      launchAtLogin: this.options.launchAtLogin ? this.options.launchAtLogin() : null,
      credit: EMPTY_CREDIT_VIEW,
      contributionHistory: EMPTY_HISTORY_VIEW,
      activity: EMPTY_ACTIVITY_VIEW,
      work: EMPTY_WORK_VIEW,
    };
    const extraReasons: SuspendReason[] = [];
    let merged: Sections = base;
    for (const source of this.sources) {
      const contributed = source.state?.();
      if (contributed) merged = { ...merged, ...contributed };
      extraReasons.push(...(source.suspendReasons?.() ?? []));
    }
    // Compute is donated only through an orchestrator: without a registration, nothing is contributed.
    const registered = merged.orchestrators.some((o) => o.status === 'registered');
    return { ...merged, contribution: contributionView(this.availability(settings), registered, extraReasons) };
  }

  private availability(settings: Settings): AvailabilityState {
    return this.options.availability?.current() ?? availabilityOf(settings, IDLE_MACHINE, this.runtime.clock.now());
  }

  private network(settings: Settings): NetworkView {
    const config = this.runtime.config;
    return {
      networkId: config.network?.id ?? null,
      name: config.network?.name ?? null,
      joinPolicy: config.network ? (config.network.psk ? 'psk' : 'open') : null,
      joined: settings.joined,
      listenUrls: this.runtime.listenUrls(),
      seeds: [
        ...config.seeds.map((s) => ({ nodeId: s.nodeId, url: s.urls[0] ?? '', ...(s.label ? { label: s.label } : {}) })),
        ...settings.seeds,
      ],
      directories: settings.directories,
      configuredDirectories: (this.options.configuredDirectories?.() ?? []).filter((url) => !settings.directories.includes(url)),
      allowlistMode: this.runtime.allowlistPolicy.mode !== 'open',
      allowlist: settings.allowlist,
      projects: (config.network?.descriptor?.projects ?? []).map((p) => ({ key: p.key, name: p.name, description: p.description ?? null, url: p.url ?? null })),
    };
  }

  private peers(): PeerView[] {
    const now = this.runtime.clock.now();
    return this.runtime.peers.all().map((record) => {
      const connection = this.runtime.connections.get(record.nodeId);
      return {
        nodeId: record.nodeId,
        label: record.label,
        address: connection?.address ?? record.selectedEndpointUrl ?? record.endpoints[0]?.url ?? null,
        temperature: record.temperature,
        lifecycle: record.lifecycle,
        direction: connection?.direction ?? null,
        rttMs: record.rttSmoothedMs === null ? null : Math.round(record.rttSmoothedMs),
        score: scorePeer(record, now),
        capabilities: [...(record.capabilities ?? [])],
        lastSeen: record.lastSeen,
        blockedUntil: record.block ? (record.block.until ?? Number.MAX_SAFE_INTEGER) : null,
        blockReason: record.block?.reason ?? null,
      };
    });
  }

  // --- events -------------------------------------------------------------------------------

  subscribe(listener: (event: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private broadcast(event: ControlEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing carrier must not stop the others.
      }
    }
  }

  notify(kind: NotificationKind, title: string, body: string): void {
    this.broadcast({ type: 'notification', kind, title, body });
  }

  private schedulePatch(): void {
    if (this.patchTimer) return;
    this.patchTimer = setTimeout(() => {
      this.patchTimer = undefined;
      this.flushPatch();
    }, PATCH_COALESCE_MS);
    this.patchTimer.unref();
  }

  /** Sends the sections that differ from the last snapshot sent (traces travel as trace events). */
  flushPatch(): void {
    if (this.listeners.size === 0) {
      this.last = undefined;
      return;
    }
    const next = this.sections();
    const previous = this.last;
    this.last = next;
    const patch: Partial<Sections> = {};
    let changed = false;
    for (const key of Object.keys(next) as StateSection[]) {
      if (key === 'traces') continue;
      if (!previous || JSON.stringify(previous[key]) !== JSON.stringify(next[key])) {
        (patch as Record<string, unknown>)[key] = next[key];
        changed = true;
      }
    }
    if (changed) this.broadcast({ type: 'patch', patch });
  }

  stop(): void {
    if (this.patchTimer) clearTimeout(this.patchTimer);
    this.runtime.off('state-changed', this.onStateChanged);
    this.runtime.off('notification', this.onNotification);
    this.detachTraces();
    this.listeners.clear();
  }

  // --- commands -----------------------------------------------------------------------------

  async execute(command: ControlCommand): Promise<CommandResult> {
    try {
      const result = command.command === 'get-state' ? { ok: true as const, value: this.snapshot() } : await runHandler(this.handlers, command);
      this.schedulePatch();
      return result ?? failed(`"${command.command}" is not available on this node`, 'not-available');
    } catch (error) {
      if (error instanceof ProtocolError) return failed(error.detail, 'failed', error.code);
      if (isIdentityError(error)) return failed(error.message);
      return failed(error instanceof Error ? error.message : String(error));
    }
  }
}

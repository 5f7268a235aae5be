// The node's side of the control contract (DESIGN.md §4): builds the state snapshot from the
// runtime and its modules, pushes patches (coalesced, only sections that changed) and trace
// events, and runs commands. Both carriers use it: the local WebSocket and Electron IPC.
import type { CommandResult, ControlCommand } from '../../src-shared/control/commands.js';
import type { ControlEvent, NotificationKind } from '../../src-shared/control/messages.js';
import {
  CONTROL_PROTOCOL,
  MAX_STATE_TRACES,
  type ContributionView,
  type NetworkView,
  type NodeState,
  type PeerView,
  type StateSection,
  type SuspendReason,
} from '../../src-shared/control/state.js';
import { isNodeId } from '../../src-shared/protocol/did-key.js';
import { ProtocolError } from '../../src-shared/protocol/errors.js';
import { scorePeer } from '../kernel/peers/score.js';
import { allowlistPolicy } from '../kernel/peers/allowlist.js';
import { exportIdentity, importIdentity } from '../kernel/identity/backup.js';
import { installIdentity, readIdentitySecret } from '../kernel/identity/identity-store.js';
import { isIdentityError } from '../kernel/identity/identity-error.js';
import type { ControlHandler } from './control-handler.js';
import type { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import type { Settings } from '../kernel/runtime/settings.js';

/** Changes within this window go out as one patch. */
export const PATCH_COALESCE_MS = 50;

export interface NodeControlOptions {
  /** The desktop shell's login-item setting as it last read it (null: unknown); absent headless. */
  readonly launchAtLogin?: () => boolean | null;
}

type Sections = Pick<NodeState, StateSection>;

function failed(message: string, code: 'failed' | 'not-available' = 'failed', protocolCode?: string): CommandResult<never> {
  return { ok: false, error: { code, message, ...(protocolCode ? { protocolCode } : {}) } };
}

export class NodeControl implements ControlHandler {
  private readonly listeners = new Set<(event: ControlEvent) => void>();
  private last: Sections | undefined;
  private patchTimer: NodeJS.Timeout | undefined;
  private snoozeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly runtime: NodeRuntime,
    private readonly options: NodeControlOptions = {},
  ) {
    runtime.on('changed', () => this.schedulePatch());
    runtime.traces.subscribe((event) => this.broadcast({ type: 'trace', event }));
    runtime.on('notification', (kind, title, body) => this.notify(kind, title, body));
    this.armSnoozeTimer();
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
      contribution: this.contribution(settings, [], false),
      orchestrators: [],
      peers: this.peers(),
      vnodes: [],
      trusted: { state: 'not-enrolled', operatorId: null, credentialId: null, validFrom: null, validUntil: null, lastError: null },
      hardware: runtime.hardware?.current() ?? null,
      traces: runtime.traces.recent(MAX_STATE_TRACES),
      launchAtLogin: this.options.launchAtLogin ? this.options.launchAtLogin() : null,
    };
    const extraReasons: SuspendReason[] = [];
    let merged: Sections = base;
    for (const module of runtime.modulesRunning) {
      const contributed = module.state?.();
      if (!contributed) continue;
      const { contribution, ...rest } = contributed;
      merged = { ...merged, ...rest };
      if (contribution) extraReasons.push(...contribution.suspendReasons);
    }
    // Compute is donated only through an orchestrator: without a registration, nothing is contributed.
    const registered = merged.orchestrators.some((o) => o.status === 'registered');
    return { ...merged, contribution: this.contribution(settings, extraReasons, registered) };
  }

  private network(settings: Settings): NetworkView {
    const config = this.runtime.config;
    return {
      networkId: config.networkId ?? null,
      name: config.networkName ?? null,
      joinPolicy: config.psk ? 'psk' : config.networkId ? 'open' : null,
      joined: settings.joined,
      listenUrls: this.runtime.listenUrls(),
      seeds: [
        ...config.seeds.map((s) => ({ nodeId: s.nodeId, url: s.urls[0] ?? '', ...(s.label ? { label: s.label } : {}) })),
        ...settings.seeds,
      ],
      directories: settings.directories,
      allowlistMode: this.runtime.allowlistPolicy.mode !== 'open',
      allowlist: settings.allowlist,
    };
  }

  /** Status and "why not computing" from the settings and what modules report. */
  private contribution(settings: Settings, moduleReasons: readonly SuspendReason[], registered: boolean): ContributionView {
    const now = this.runtime.clock.now();
    const snoozed = settings.snoozedUntil !== null && settings.snoozedUntil > now;
    const reasons = new Set<SuspendReason>();
    if (!settings.joined) reasons.add('not-joined');
    if (!settings.contributionEnabled) reasons.add('contribution-off');
    if (snoozed) reasons.add('snoozed');
    if (!registered) reasons.add('no-orchestrator');
    for (const reason of moduleReasons) reasons.add(reason);
    let status: ContributionView['status'];
    if (!settings.joined || !settings.contributionEnabled) status = 'off';
    else if (snoozed) status = 'snoozed';
    else if (reasons.size === 0) status = 'contributing';
    else status = 'connecting';
    return {
      enabled: settings.contributionEnabled,
      status,
      snoozedUntil: snoozed ? settings.snoozedUntil : null,
      limits: settings.limits,
      suspendReasons: [...reasons],
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

  private armSnoozeTimer(): void {
    if (this.snoozeTimer) clearTimeout(this.snoozeTimer);
    const until = this.runtime.settings.get().snoozedUntil;
    if (until === null) return;
    const delay = until - this.runtime.clock.now();
    if (delay <= 0) return;
    this.snoozeTimer = setTimeout(() => this.runtime.emit('changed', 'contribution'), Math.min(delay + 10, 2 ** 31 - 1));
    this.snoozeTimer.unref();
  }

  stop(): void {
    if (this.patchTimer) clearTimeout(this.patchTimer);
    if (this.snoozeTimer) clearTimeout(this.snoozeTimer);
    this.listeners.clear();
  }

  // --- commands -----------------------------------------------------------------------------

  async execute(command: ControlCommand): Promise<CommandResult> {
    try {
      const result = await this.run(command);
      this.schedulePatch();
      return result;
    } catch (error) {
      if (error instanceof ProtocolError) return failed(error.detail, 'failed', error.code);
      if (isIdentityError(error)) return failed(error.message);
      return failed(error instanceof Error ? error.message : String(error));
    }
  }

  private async run(command: ControlCommand): Promise<CommandResult> {
    const runtime = this.runtime;
    switch (command.command) {
      case 'get-state':
        return { ok: true, value: this.snapshot() };
      case 'join': {
        const wasJoined = runtime.settings.get().joined;
        await runtime.join();
        if (!wasJoined) this.notify('joined', 'Joined the network', 'This computer is now a PNode. You can pause or leave at any time.');
        return { ok: true, value: null };
      }
      case 'leave':
        await runtime.leave();
        return { ok: true, value: null };
      case 'set-contribution':
        await runtime.updateSettings((s) => ({ ...s, contributionEnabled: command.enabled }));
        return { ok: true, value: null };
      case 'snooze': {
        const until = runtime.clock.now() + command.minutes * 60_000;
        await runtime.updateSettings((s) => ({ ...s, snoozedUntil: until }));
        this.armSnoozeTimer();
        return { ok: true, value: { snoozedUntil: until } };
      }
      case 'resume':
        await runtime.updateSettings((s) => ({ ...s, snoozedUntil: null }));
        this.armSnoozeTimer();
        return { ok: true, value: null };
      case 'set-limits': {
        const logical = runtime.hardware?.current()['cpu/logical-cores'] ?? null;
        if (command.limits.maxCores !== undefined && logical !== null && command.limits.maxCores > logical) {
          return failed(`this machine has ${logical} logical cores; maxCores cannot be ${command.limits.maxCores}`);
        }
        const next = await runtime.updateSettings((s) => ({ ...s, limits: { ...s.limits, ...command.limits } }));
        return { ok: true, value: next.limits };
      }
      case 'export-identity': {
        const { record, seed } = await readIdentitySecret({ dataDir: runtime.config.dataDir, keystore: runtime.keystore, crypto: runtime.crypto });
        try {
          const backup = await exportIdentity({ record, seed, passphrase: command.passphrase, crypto: runtime.crypto, clock: runtime.clock });
          return { ok: true, value: { backup, nodeId: record['node/id'] } };
        } finally {
          seed.fill(0);
        }
      }
      case 'import-identity': {
        const imported = await importIdentity(command.backup, command.passphrase, { crypto: runtime.crypto });
        try {
          const installed = await installIdentity({ dataDir: runtime.config.dataDir, keystore: runtime.keystore, crypto: runtime.crypto, seed: imported.seed, createdAt: imported.createdAt });
          return { ok: true, value: { nodeId: imported.nodeId, outcome: installed.outcome } };
        } finally {
          imported.seed.fill(0);
        }
      }
      case 'add-seed': {
        // Stored first: a seed that could not be saved is not used either (a failed command leaves no trace).
        await runtime.updateSettings((s) => ({
          ...s,
          seeds: [...s.seeds.filter((x) => x.nodeId !== command.nodeId), { nodeId: command.nodeId, url: command.url, ...(command.label ? { label: command.label } : {}) }],
        }));
        runtime.peers.upsertSeed({ nodeId: command.nodeId, urls: [command.url], ...(command.label ? { label: command.label } : {}) });
        runtime.connections.schedulePlan();
        return { ok: true, value: null };
      }
      case 'remove-seed':
        await runtime.updateSettings((s) => ({ ...s, seeds: s.seeds.filter((x) => x.nodeId !== command.nodeId) }));
        return { ok: true, value: null };
      case 'add-directory':
        await runtime.updateSettings((s) => ({ ...s, directories: [...s.directories.filter((d) => d !== command.url), command.url] }));
        return { ok: true, value: null };
      case 'remove-directory':
        await runtime.updateSettings((s) => ({ ...s, directories: s.directories.filter((d) => d !== command.url) }));
        return { ok: true, value: null };
      case 'block-peer': {
        const record = runtime.peers.block(command.nodeId, { reason: 'blocked by hand', ...(command.minutes ? { durationMs: command.minutes * 60_000 } : {}) });
        if (!record) return failed(`no known peer ${command.nodeId}`);
        runtime.connections.get(command.nodeId)?.close('E_TRANSPORT_REJECTED', 'blocked');
        return { ok: true, value: null };
      }
      case 'unblock-peer':
        if (!runtime.peers.unblock(command.nodeId)) return failed(`no known peer ${command.nodeId}`);
        runtime.connections.schedulePlan();
        return { ok: true, value: null };
      case 'set-allowlist-mode':
      case 'allowlist-add':
      case 'allowlist-remove':
        return this.allowlistCommand(command);
      case 'set-launch-at-login':
        // The desktop shell answers this one itself (it owns the OS login item).
        return failed('launch at login is a desktop-app setting', 'not-available');
      case 'send-signal-marker': {
        const sent = await runtime.sendSignalMarker(command.to, command.markerRef);
        return sent.ok ? { ok: true, value: sent.value } : failed(sent.error.detail, 'failed', sent.error.code);
      }
      default: {
        for (const module of runtime.modulesRunning) {
          const answer = module.execute?.(command);
          if (answer) return answer;
        }
        return failed(`"${command.command}" is not available on this node`, 'not-available');
      }
    }
  }

  private async allowlistCommand(command: Extract<ControlCommand, { command: 'set-allowlist-mode' | 'allowlist-add' | 'allowlist-remove' }>): Promise<CommandResult> {
    const runtime = this.runtime;
    if (runtime.config.allowlistFile) return failed(`the allowlist comes from ${runtime.config.allowlistFile}; edit that file`, 'not-available');
    const next = await runtime.updateSettings((s) => {
      switch (command.command) {
        case 'set-allowlist-mode':
          return { ...s, allowlistMode: command.enabled };
        case 'allowlist-add':
          return { ...s, allowlist: [...s.allowlist.filter((id) => id !== command.nodeId), command.nodeId] };
        case 'allowlist-remove':
          return { ...s, allowlist: s.allowlist.filter((id) => id !== command.nodeId) };
      }
    });
    runtime.setAllowlist(next.allowlistMode ? allowlistPolicy(next.allowlist.filter(isNodeId)) : { mode: 'open', isAllowed: () => true });
    return { ok: true, value: null };
  }
}

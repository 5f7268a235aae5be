// A contributor that can change its network while it runs (issue 12): the desktop app and
// `pnode node` host this instead of one contributorNode. Everything the node needs comes from the
// network's signed descriptor, remembered in the data dir's network book: orchestrators,
// directories, seeds, trust roots, the join policy (and a private network's key). Changing the
// network restarts the runtime with the new descriptor — `contributorNode(config)` again, same
// data dir, so the identity and the volunteer's settings stay — while the UIs keep one control
// surface: this host is the ControlHandler they hold, forwarding to the current node's NodeControl
// and answering the network commands itself (open-invite, join-network, leave-network, …).
// An invite only ever shows a preview; nothing changes before join-network.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandResult, ControlCommand, CommandOf } from '../../src-shared/control/commands.js';
import { applyPatch, type ControlEvent } from '../../src-shared/control/messages.js';
import type { InvitePreview, KnownNetworkView, NetworkBookView, NetworkDetailsView, NetworkSource, NodeState } from '../../src-shared/control/state.js';
import { ProtocolError } from '../../src-shared/protocol/errors.js';
import type { CryptoProvider } from '../../src-shared/protocol/crypto/provider.js';
import { type NetworkDescriptor, networkSeeds, parsePsk } from '../../src-shared/network/network-descriptor.js';
import { acceptNetworkDescriptor, inviteLink, parseInvite } from '../../src-shared/network/invite.js';
import { isLocalNetwork, networkDetails } from '../../src-shared/network/network-view.js';
import { describeRefusal } from '../../src-shared/network/refusal.js';
import { DIRECTORY_PROOF_HEADER, directoryProof } from '../../src-shared/network/directory-proof.js';
import { nativeCrypto } from '../kernel/crypto/native-provider.js';
import { type Clock, systemClock } from '../kernel/util/clock.js';
import { NetworkBook, type RememberedNetwork } from '../kernel/network/network-book.js';
import { fetchNetworkDescriptor } from '../kernel/network/descriptor-fetch.js';
import { renewalSources } from '../kernel/network/renewal.js';
import { mergeSeeds } from '../kernel/discovery/bootstrap.js';
import { trustWithExtraCas } from '../kernel/transport/tls.js';
import { PEERS_FILE_NAME } from '../kernel/peers/peer-store.js';
import { ADVERTISEMENT_CACHE_FILE } from '../kernel/advertisement/advertisement-cache.js';
import { DIRECTORY_CURSORS_FILE } from '../kernel/discovery/directory-cursors.js';
import type { ControlHandler } from '../control/control-handler.js';
import type { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import { contributorNode, type ContributorNode, type ContributorNodeConfig } from './contributor-node.js';
import type { ControlSetup } from './assembled-node.js';

/** How often the current network's descriptor is looked for in a newer version. */
export const DESCRIPTOR_RENEWAL_INTERVAL_MS = 6 * 60 * 60_000;
/** The first look, a little after start (the network has answered by then, or not). */
export const DESCRIPTOR_RENEWAL_FIRST_MS = 30_000;

/** A network on this computer that "Try it on this computer" starts (a small devnet). */
export interface LocalNetwork {
  /** Starts it (or finds it running) and answers its signed descriptor. */
  start(): Promise<NetworkDescriptor>;
  stop(): Promise<void>;
}

export interface NetworkHostOptions {
  /** The contributor's configuration; its `network` is replaced by the book's current one. */
  readonly config: ContributorNodeConfig;
  /** A network given at start (`pnode node --network F`): joined unless the node is told otherwise. */
  readonly startIn?: { readonly descriptor: NetworkDescriptor; readonly psk?: Uint8Array | undefined; readonly source: NetworkSource } | undefined;
  /** The network this build offers on first run (assets/networks), already read; null for none. */
  readonly defaultNetwork?: NetworkDescriptor | null;
  readonly localNetwork?: LocalNetwork | undefined;
  readonly control?: ControlSetup;
  readonly crypto?: CryptoProvider;
  readonly clock?: Clock;
  /** Told each time a node starts (the desktop shell hands it the user's activity again). */
  readonly onNode?: (node: ContributorNode) => void;
  /** The recipe (tests may wrap it). */
  readonly recipe?: (config: ContributorNodeConfig, control: ControlSetup) => Promise<ContributorNode>;
  readonly renewalIntervalMs?: number;
}

type NetworkCommandName = 'open-invite' | 'dismiss-invite' | 'join-network' | 'leave-network' | 'forget-network' | 'list-networks' | 'try-local-network';
const NETWORK_COMMANDS: ReadonlySet<string> = new Set<NetworkCommandName>(['open-invite', 'dismiss-invite', 'join-network', 'leave-network', 'forget-network', 'list-networks', 'try-local-network']);

/** Files of what a node learned in one network, which must not follow it into another. */
const PER_NETWORK_FILES = [PEERS_FILE_NAME, ADVERTISEMENT_CACHE_FILE, DIRECTORY_CURSORS_FILE];

interface Resolved {
  readonly descriptor: NetworkDescriptor;
  readonly source: NetworkSource;
  readonly fetchedFrom: string | null;
}

function refused(error: ProtocolError): CommandResult<never> {
  const refusal = describeRefusal(error.code, error.detail);
  return { ok: false, error: { code: 'failed', message: refusal.message, protocolCode: refusal.code } };
}

function failed(message: string, code: 'failed' | 'not-available' | 'busy' = 'failed'): CommandResult<never> {
  return { ok: false, error: { code, message } };
}

export class NetworkHost implements ControlHandler {
  private current: ContributorNode | null = null;
  private last: NodeState | null = null;
  private readonly listeners = new Set<(event: ControlEvent) => void>();
  private unsubscribe: (() => void) | null = null;
  private pending: InvitePreview | null = null;
  private refusedInvite: NetworkBookView['refusedInvite'] = null;
  private switching: NetworkBookView['switching'] = null;
  private problem: NetworkBookView['problem'] = null;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private localRunning = false;
  private renewalTimer: NodeJS.Timeout | undefined;
  private readonly crypto: CryptoProvider;
  private readonly clock: Clock;
  private readonly defaultNetwork: NetworkDescriptor | null;
  /** The host's start: the UIs' uptime does not restart with a change of network. */
  private readonly startedAt: number;

  private constructor(
    private readonly options: NetworkHostOptions,
    readonly book: NetworkBook,
  ) {
    this.crypto = options.crypto ?? nativeCrypto;
    this.clock = options.clock ?? systemClock;
    this.defaultNetwork = this.checkDefault(options.defaultNetwork ?? null);
    this.startedAt = this.clock.now();
  }

  /** Opens the book, joins the start network (if any), and starts the node in the current network. */
  static async start(options: NetworkHostOptions): Promise<NetworkHost> {
    const crypto = options.crypto ?? nativeCrypto;
    const clock = options.clock ?? systemClock;
    const book = await NetworkBook.open(options.config.dataDir, { crypto, clock, warn: options.config.warn });
    const host = new NetworkHost(options, book);
    if (options.startIn) {
      const remembered = await book.remember(options.startIn.descriptor, { source: options.startIn.source, psk: options.startIn.psk });
      await book.setCurrent(remembered.entry.id);
    }
    await host.startCurrent();
    host.scheduleRenewal(DESCRIPTOR_RENEWAL_FIRST_MS);
    return host;
  }

  /** The node running now (null only while it changes network). */
  get node(): ContributorNode | null {
    return this.current;
  }

  /** The running node's kernel (identity, data dir and control files stay the same across networks). */
  get runtime(): NodeRuntime {
    if (!this.current) throw new Error('the node is changing networks');
    return this.current.runtime;
  }

  /** The control surface the UIs hold: this host. */
  get control(): ControlHandler {
    return this;
  }

  private checkDefault(descriptor: NetworkDescriptor | null): NetworkDescriptor | null {
    if (descriptor === null) return null;
    const accepted = acceptNetworkDescriptor(descriptor, { crypto: this.crypto, now: this.clock.now() });
    if (!accepted.ok) {
      this.options.config.warn(`warning: the default network of this build is refused (${accepted.error.code} ${accepted.error.detail}); it is not offered`);
      return null;
    }
    return accepted.value;
  }

  // --- the node ----------------------------------------------------------------------------------

  private async configFor(network: RememberedNetwork | null, psk: Uint8Array | undefined): Promise<ContributorNodeConfig> {
    const base = this.options.config;
    if (network === null) return { ...base, network: undefined };
    const descriptor = network.descriptor;
    const id = descriptor['network/id'];
    return {
      ...base,
      // A network whose every service is on this computer (Try it, the devnet) is reached over
      // loopback without TLS; its sessions are encrypted and authenticated by the handshake.
      insecureLoopback: base.insecureLoopback || isLocalNetwork(descriptor),
      seeds: mergeSeeds(base.seeds, networkSeeds(descriptor)),
      trustCa: [...base.trustCa, ...this.book.trustRootFiles(id)],
      network: { id, name: descriptor['network/name'], psk, descriptor },
    };
  }

  /** Starts the node in the book's current network; an expired or keyless one is left (with the reason shown). */
  private async startCurrent(): Promise<void> {
    let network = this.book.current();
    let psk: Uint8Array | undefined;
    if (network) {
      if (network.entry.source === 'local') {
        const local = await this.startLocal().catch((error: unknown) => error as Error);
        if (local instanceof Error) {
          this.problem = { code: 'E_TRANSPORT_UNAVAILABLE', message: `The test network on this computer did not start: ${local.message}` };
          network = null;
        } else {
          network = await this.book.remember(local, { source: 'local' });
        }
      }
    }
    if (network && this.book.isExpired(network.descriptor)) {
      network = (await this.renewNow(network)) ?? network;
      if (this.book.isExpired(network.descriptor)) {
        this.problem = describeRefusal('E_ADV_EXPIRED', `network-descriptor.v1 of ${network.entry.id} expired at ${network.descriptor['expires-at']}`);
        network = null;
      }
    }
    if (network && network.descriptor['join/policy'] === 'psk') {
      psk = await this.book.psk(network.entry.id);
      if (!psk) {
        this.problem = { code: 'E_PROTO_INVALID', message: `Network ${network.descriptor['network/name']} is private and its key is not on this computer: join it again with its key.` };
        network = null;
      }
    }
    if (network === null && this.book.current() !== null) await this.book.setCurrent(null);
    await this.launch(await this.configFor(network, psk));
  }

  private async launch(config: ContributorNodeConfig): Promise<ContributorNode> {
    const recipe = this.options.recipe ?? contributorNode;
    const node = await recipe(config, this.options.control ?? {});
    if (this.stopped) {
      await node.stop();
      throw new Error('the node is stopping');
    }
    this.current = node;
    this.unsubscribe = node.control.subscribe((event) => this.onNodeEvent(event));
    this.last = this.decorate(node.control.snapshot());
    this.options.onNode?.(node);
    this.broadcast({ type: 'state', state: this.last });
    return node;
  }

  private async halt(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const node = this.current;
    this.current = null;
    await node?.stop();
  }

  // --- ControlHandler --------------------------------------------------------------------------

  snapshot(): NodeState {
    if (this.current) this.last = this.decorate(this.current.control.snapshot());
    if (!this.last) throw new Error('the node has not started');
    return this.last;
  }

  subscribe(listener: (event: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async execute(command: ControlCommand): Promise<CommandResult> {
    if (command.command === 'get-state') return { ok: true, value: this.snapshot() };
    if (NETWORK_COMMANDS.has(command.command)) {
      try {
        return await this.networkCommand(command as CommandOf<NetworkCommandName>);
      } catch (error) {
        const result = error instanceof ProtocolError ? refused(error) : failed(error instanceof Error ? error.message : String(error));
        if (command.command === 'open-invite' && command.fromLink === true && !result.ok) {
          // A link from outside the window: the window shows why it was refused.
          this.pending = null;
          this.refusedInvite = { code: result.error.protocolCode ?? result.error.code, message: result.error.message };
          this.bookChanged();
        }
        return result;
      }
    }
    const node = this.current;
    if (!node || this.switching) return failed('the node is changing networks; try again in a moment', 'busy');
    return node.control.execute(command);
  }

  private broadcast(event: ControlEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // One failing carrier must not stop the others.
      }
    }
  }

  private decorate(state: NodeState): NodeState {
    return { ...state, startedAt: this.startedAt, network: { ...state.network, book: this.bookView() } };
  }

  private onNodeEvent(event: ControlEvent): void {
    if (event.type === 'state') {
      this.last = this.decorate(event.state);
      this.broadcast({ type: 'state', state: this.last });
      return;
    }
    if (event.type === 'patch') {
      const patch = event.patch.network ? { ...event.patch, network: { ...event.patch.network, book: this.bookView() } } : event.patch;
      if (this.last) this.last = applyPatch(this.last, patch);
      this.broadcast({ type: 'patch', patch });
      return;
    }
    this.broadcast(event);
  }

  /** The book's part of the state changed: one patch of the network section. */
  private bookChanged(): void {
    if (!this.last) return;
    const network = { ...this.last.network, book: this.bookView() };
    this.last = { ...this.last, network };
    this.broadcast({ type: 'patch', patch: { network } });
  }

  private knownViews(): KnownNetworkView[] {
    return this.book.list().map((n) => ({
      details: networkDetails(n.descriptor),
      source: n.entry.source,
      lastJoinedAt: n.entry.lastJoinedAt,
      expired: this.book.isExpired(n.descriptor),
      hasKey: this.book.hasPsk(n.entry.id),
    }));
  }

  bookView(): NetworkBookView {
    const running = this.current?.runtime.config.network?.descriptor ?? null;
    return {
      current: running ? networkDetails(running) : null,
      currentInvite: running ? inviteLink(running) : null,
      known: this.knownViews(),
      defaultNetwork: this.defaultNetwork ? networkDetails(this.defaultNetwork) : null,
      pendingInvite: this.pending,
      refusedInvite: this.refusedInvite,
      switching: this.switching,
      problem: this.problem,
      canTryLocal: this.options.localNetwork !== undefined,
    };
  }

  // --- the network commands ------------------------------------------------------------------

  private async networkCommand(command: CommandOf<NetworkCommandName>): Promise<CommandResult> {
    switch (command.command) {
      case 'open-invite': {
        const resolved = await this.resolveInvite(command.invite);
        const id = resolved.descriptor['network/id'];
        const known = this.book.get(id);
        const preview: InvitePreview = {
          details: networkDetails(resolved.descriptor),
          invite: command.invite.trim(),
          known: known !== null,
          current: this.current?.runtime.config.network?.id === id,
          needsKey: resolved.descriptor['join/policy'] === 'psk' && (await this.book.psk(id)) === undefined,
        };
        this.pending = preview;
        this.refusedInvite = null;
        this.bookChanged();
        return { ok: true, value: preview };
      }
      case 'dismiss-invite':
        this.pending = null;
        this.refusedInvite = null;
        this.bookChanged();
        return { ok: true, value: null };
      case 'list-networks':
        return { ok: true, value: this.knownViews() };
      case 'forget-network': {
        if (this.current?.runtime.config.network?.id === command.networkId) return failed(`${command.networkId} is the network this node is in; leave it first`);
        if (!(await this.book.forget(command.networkId))) return failed(`no network ${command.networkId} is remembered here`);
        this.bookChanged();
        return { ok: true, value: null };
      }
      case 'leave-network':
        return this.serialized(() => this.leave());
      case 'join-network': {
        const given = [command.invite, command.networkId].filter((x) => x !== undefined).length;
        if (given !== 1) return failed('join-network takes exactly one of invite and networkId', 'failed');
        const resolved = command.invite !== undefined ? await this.resolveInvite(command.invite) : this.resolveKnown(command.networkId!);
        return this.serialized(() => this.join(resolved, command.psk));
      }
      case 'try-local-network': {
        if (!this.options.localNetwork) return failed('this node cannot start a test network on this computer', 'not-available');
        return this.serialized(async () => {
          this.switching = 'starting-local';
          this.bookChanged();
          let descriptor: NetworkDescriptor;
          try {
            descriptor = await this.startLocal();
          } catch (error) {
            this.switching = null;
            this.bookChanged();
            return failed(`the test network on this computer did not start: ${error instanceof Error ? error.message : String(error)}`);
          }
          return this.join({ descriptor, source: 'local', fetchedFrom: null }, undefined);
        });
      }
    }
  }

  /** One change of network at a time. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Reads and checks an invite: d1 carries the descriptor, u1 is fetched and must match its hash. */
  private async resolveInvite(text: string): Promise<Resolved> {
    const parsed = parseInvite(text);
    if (!parsed.ok) throw parsed.error;
    const now = this.clock.now();
    if (parsed.value.kind === 'descriptor') {
      const accepted = acceptNetworkDescriptor(parsed.value.descriptor, { crypto: this.crypto, now });
      if (!accepted.ok) throw accepted.error;
      const admitted = this.book.admit(accepted.value);
      if (!admitted.ok) throw admitted.error;
      return { descriptor: accepted.value, source: 'invite', fetchedFrom: null };
    }
    const fetched = await fetchNetworkDescriptor(parsed.value.url, { crypto: this.crypto, now, expectedHash: parsed.value.hash });
    if (!fetched.ok) throw fetched.error;
    const admitted = this.book.admit(fetched.value);
    if (!admitted.ok) throw admitted.error;
    return { descriptor: fetched.value, source: 'invite', fetchedFrom: parsed.value.url };
  }

  private resolveKnown(id: string): Resolved {
    const known = this.book.get(id);
    const now = this.clock.now();
    if (known) {
      const accepted = acceptNetworkDescriptor(known.descriptor, { crypto: this.crypto, now });
      if (!accepted.ok) throw accepted.error;
      return { descriptor: accepted.value, source: known.entry.source, fetchedFrom: known.entry.fetchedFrom };
    }
    if (this.defaultNetwork && this.defaultNetwork['network/id'] === id) {
      const accepted = acceptNetworkDescriptor(this.defaultNetwork, { crypto: this.crypto, now });
      if (!accepted.ok) throw accepted.error;
      return { descriptor: accepted.value, source: 'default', fetchedFrom: null };
    }
    throw new ProtocolError('E_PROTO_INVALID', `no network ${id} is remembered here or offered by this build`);
  }

  private async join(resolved: Resolved, pskText: string | undefined): Promise<CommandResult<NetworkDetailsView>> {
    const { descriptor } = resolved;
    const id = descriptor['network/id'];
    let psk: Uint8Array | undefined;
    if (descriptor['join/policy'] === 'psk') {
      if (pskText !== undefined) {
        const parsed = parsePsk(pskText);
        if (!parsed.ok) return failed(`That is not a network key: ${parsed.error.detail}.`);
        psk = parsed.value;
      } else {
        psk = await this.book.psk(id);
      }
      if (!psk) return failed(`${descriptor['network/name']} is a private network: enter its key to join${descriptor['psk/hint'] ? ` (${descriptor['psk/hint']})` : ''}.`);
    } else if (pskText !== undefined) {
      return failed(`${descriptor['network/name']} is an open network: it has no key.`);
    }

    const before = this.book.current();
    const wasKnown = this.book.get(id) !== null;
    this.switching = 'joining';
    this.pending = null;
    this.bookChanged();
    try {
      const remembered = await this.book.remember(descriptor, { source: resolved.source, psk, fetchedFrom: resolved.fetchedFrom });
      await this.halt();
      if (before?.entry.id !== id) await this.clearNetworkState();
      let node: ContributorNode;
      try {
        node = await this.launch(await this.configFor(remembered, psk));
      } catch (error) {
        // Back to where we were; a network first met in this attempt is not remembered.
        if (!wasKnown) await this.book.forget(id).catch(() => undefined);
        await this.startCurrent();
        throw error;
      }
      await this.book.setCurrent(id);
      this.problem = null;
      await node.runtime.join();
      if (before?.entry.source === 'local' && resolved.source !== 'local') await this.stopLocal();
      return { ok: true, value: networkDetails(remembered.descriptor) };
    } finally {
      this.switching = null;
      this.bookChanged();
    }
  }

  private async leave(): Promise<CommandResult<null>> {
    const before = this.book.current();
    this.switching = 'leaving';
    this.bookChanged();
    try {
      await this.halt();
      await this.book.setCurrent(null);
      await this.clearNetworkState();
      this.problem = null;
      const node = await this.launch(await this.configFor(null, undefined));
      await node.runtime.leave();
      if (before?.entry.source === 'local') await this.stopLocal();
      return { ok: true, value: null };
    } finally {
      this.switching = null;
      this.bookChanged();
    }
  }

  /** What the node learned in the network it leaves (peers, advertisements, directory cursors). */
  private async clearNetworkState(): Promise<void> {
    const dir = this.options.config.dataDir;
    await Promise.all(PER_NETWORK_FILES.map((file) => rm(join(dir, file), { force: true })));
  }

  private async startLocal(): Promise<NetworkDescriptor> {
    const local = this.options.localNetwork;
    if (!local) throw new Error('no local network here');
    const descriptor = await local.start();
    this.localRunning = true;
    return descriptor;
  }

  private async stopLocal(): Promise<void> {
    if (!this.localRunning) return;
    this.localRunning = false;
    await this.options.localNetwork?.stop();
  }

  // --- renewal -----------------------------------------------------------------------------------

  private scheduleRenewal(delayMs: number): void {
    if (this.stopped) return;
    this.renewalTimer = setTimeout(() => {
      void this.renewCurrent().finally(() => this.scheduleRenewal(this.options.renewalIntervalMs ?? DESCRIPTOR_RENEWAL_INTERVAL_MS));
    }, delayMs);
    this.renewalTimer.unref();
  }

  /** Looks for a newer descriptor of `network` at its sources; keeps the newest valid one of the same owner. */
  async renewNow(network: RememberedNetwork): Promise<RememberedNetwork | null> {
    const trust = trustWithExtraCas(this.book.trustRootFiles(network.entry.id));
    const psk = network.descriptor['join/policy'] === 'psk' ? await this.book.psk(network.entry.id) : undefined;
    let best: NetworkDescriptor | null = null;
    for (const url of renewalSources(network.descriptor, network.entry.fetchedFrom)) {
      // A private network's directories answer members only: prove the key to them (to them only).
      const toDirectory = network.descriptor.directories.some((d) => url.startsWith(d.replace(/\/+$/, '')));
      const headers = psk && toDirectory ? { [DIRECTORY_PROOF_HEADER]: directoryProof(this.crypto, psk, network.entry.id, 'GET', new URL(url).pathname, this.clock.now()) } : undefined;
      const fetched = await fetchNetworkDescriptor(url, { crypto: this.crypto, now: this.clock.now(), trust, ...(headers ? { headers } : {}) });
      if (!fetched.ok) continue;
      if (await this.book.renew(fetched.value)) best = fetched.value;
    }
    return best ? this.book.get(network.entry.id) : null;
  }

  /** The periodic renewal: a newer descriptor of the current network restarts the node with it. */
  async renewCurrent(): Promise<boolean> {
    const network = this.book.current();
    if (!network || network.entry.source === 'local' || this.stopped) return false;
    const renewed = await this.renewNow(network);
    if (!renewed) return false;
    await this.serialized(async () => {
      if (this.stopped || this.book.current()?.entry.id !== renewed.entry.id) return;
      const psk = await this.book.psk(renewed.entry.id);
      await this.halt();
      await this.launch(await this.configFor(renewed, psk));
    });
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.renewalTimer) clearTimeout(this.renewalTimer);
    await this.queue.catch(() => undefined);
    await this.halt();
    await this.stopLocal();
    this.listeners.clear();
  }

  /** Lines for the start banner. */
  banner(): readonly string[] {
    const lines = [...(this.current?.banner() ?? [])];
    if (!this.current?.runtime.config.network) {
      lines.push(this.problem ? `network    none: ${this.problem.message}` : 'network    none yet: join one from the dashboard (paste an invite), or start with --network <descriptor>');
    }
    return lines;
  }
}

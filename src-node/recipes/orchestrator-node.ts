// The orchestrator deployment: the orchestrator itself (registrations, leases, VNodes, the admin
// API), trusted registration's check, the registration authority when it runs here, and the work
// scheduler. Services never import each other; this recipe is where they meet, through the
// AdminExtensions they all serve under and the InProcessAuthority the trust check reads. The
// kernel's revocation sync (issue 15 §5) carries revocation lists between the authority, the trust
// check, the network's directories and the sessions.
import type { NodeConfig } from '../kernel/runtime/node-config.js';
import type { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import type { RuntimeModule } from '../kernel/runtime/runtime-module.js';
import { AdminExtensions } from '../kernel/http/admin-extension.js';
import type { SignalMarkers } from '../kernel/messaging/signal-markers.js';
import { discoveryBanner, discoveryModules, discoveryParts, type DiscoveryParts, type DiscoverySetup } from './discovery.js';
import { OrchestratorModule, type OrchestratorModuleOptions } from '../services/orchestrator/orchestrator-module.js';
import { OperatorTrust, type OperatorTrustOptions } from '../services/orchestrator/operator-trust.js';
import { WorkSchedulerModule, type WorkSchedulerModuleOptions } from '../services/orchestrator/work/work-scheduler-module.js';
import { CreditOutboxModule, type CreditOutboxModuleOptions } from '../services/orchestrator/credit/credit-outbox-module.js';
import { AuthorityModule, type AuthorityModuleOptions } from '../services/authority/authority-module.js';
import { adminFilePath } from '../services/orchestrator/admin-file.js';
import { networkProjects } from '../../src-shared/network/network-descriptor.js';
import { loadServerTls } from '../kernel/transport/tls.js';
import { RevocationSync, type RevocationSyncOptions } from '../kernel/revocation/revocation-sync.js';
import { configuredDirectories } from './discovery.js';
import { CapabilitySearch } from '../services/orchestrator/capability-search.js';
import { DhtModule, type DhtModuleOptions } from '../kernel/dht/dht-module.js';
import { assembleNode, type AssembledNode, type ControlSetup } from './assembled-node.js';

export interface OrchestratorSetup {
  readonly orchestrator?: OrchestratorModuleOptions;
  /** Trusted registration: authority keys to trust, revocation lists of other authorities. */
  readonly trust?: OperatorTrustOptions;
  /** Run the registration authority in this process (null: not here). */
  readonly authority?: AuthorityModuleOptions | null;
  readonly work?: WorkSchedulerModuleOptions;
  /** Seed directories (--directory) where revocation lists are published and fetched; the network's follow. */
  readonly directories?: readonly string[];
  /** Tuning of the revocation sync for tests. */
  readonly revocations?: Omit<RevocationSyncOptions, 'keys' | 'directories'>;
  readonly credit?: CreditOutboxModuleOptions;
  /** Gossip like any node (issue 12 §2): its seeds and directories, tuning for tests. */
  readonly discovery?: DiscoverySetup;
  /** The network's DHT (issue 16), when its descriptor names one: bind address and port. */
  readonly dht?: DhtModuleOptions;
}

export interface OrchestratorNodeConfig extends NodeConfig {
  readonly orchestrator: OrchestratorSetup;
}

export interface OrchestratorParts {
  readonly orchestrator: OrchestratorModule;
  readonly trust: OperatorTrust;
  readonly authority: AuthorityModule | null;
  readonly work: WorkSchedulerModule;
  readonly revocations: RevocationSync;
  /** Credit receipts: the scheduler's onValidated hook issues them, the outbox delivers them. */
  readonly credit: CreditOutboxModule;
  /** The network's DHT (off when the descriptor names none), and the search by capability over it and the registrations. */
  readonly dht: DhtModule;
  readonly capabilities: CapabilitySearch;
  /** In start order. The authority starts after the orchestrator: its first revocations reach a trust check that listens. */
  readonly modules: readonly RuntimeModule[];
}

/**
 * The deployment's components over a kernel, wired to each other (and to nothing else). `dht`: the
 * discovery stack's DHT, which runs it (one DHT per node); without it the parts run one of their own.
 */
export function orchestratorParts(runtime: NodeRuntime, setup: OrchestratorSetup, shared?: { readonly dht: DhtModule }): OrchestratorParts {
  const kernel = runtime.components;
  const admin = new AdminExtensions();
  const directories = configuredDirectories(runtime.config, setup.directories);
  const follows: { trust?: OperatorTrust } = {};
  const revocations = new RevocationSync(kernel, { ...setup.revocations, keys: () => follows.trust?.trustedKeys() ?? [], directories: () => directories });
  const authority = setup.authority === undefined || setup.authority === null ? null : new AuthorityModule({ ...kernel, admin, revocations }, setup.authority);
  const trust = new OperatorTrust({ ...kernel, revocations, ...(authority ? { authority } : {}) }, setup.trust);
  follows.trust = trust;
  const orchestrator = new OrchestratorModule({ ...kernel, admin, trust }, setup.orchestrator);
  // Projects (issue 13 §1): the network descriptor's, then those the operator named.
  const descriptor = runtime.config.network?.descriptor;
  const projects = [...(descriptor ? networkProjects(descriptor).map((p) => ({ ...p, source: 'network' as const })) : []), ...(setup.work?.projects ?? [])];
  const tlsFiles = runtime.config.tls;
  const jobsTls = setup.work?.jobsListen?.startsWith('https:') && tlsFiles ? loadServerTls(tlsFiles.certFile, tlsFiles.keyFile) : undefined;
  const credit = new CreditOutboxModule(kernel, setup.credit);
  // Credit starts before the scheduler (its outbox is open for the first validated result) and stops after it.
  const work = new WorkSchedulerModule({ ...kernel, admin, orchestrator: orchestrator.orchestrator, credit }, { ...setup.work, projects, ...(jobsTls ? { tls: jobsTls } : {}) });
  const dht = shared?.dht ?? new DhtModule(kernel, setup.dht);
  const capabilities = new CapabilitySearch({ registered: () => orchestrator.orchestrator.registry.all(), finder: dht, admin });
  return { orchestrator, trust, authority, work, revocations, credit, dht, capabilities, modules: [revocations, trust, orchestrator, ...(authority ? [authority] : []), credit, work, ...(shared ? [] : [dht])] };
}

export type OrchestratorNode = AssembledNode & OrchestratorParts & DiscoveryParts & { readonly signals: SignalMarkers };

/** The role's banner lines. */
function orchestratorBanner(config: NodeConfig, parts: OrchestratorParts): string[] {
  const { orchestrator, authority, trust, work } = parts;
  const lines = [
    `role       orchestrator: heartbeat every ${orchestrator.heartbeatIntervalMs} ms, lease ${orchestrator.orchestrator.leaseMs} ms`,
    orchestrator.admin ? `admin      ${orchestrator.admin.url} (bearer token in ${adminFilePath(config.dataDir)})` : 'admin      off (start with --admin-listen http://127.0.0.1:<port>)',
  ];
  if (authority?.key) lines.push(`authority  ${authority.key} (registration-authority/key; tokens: pnode authority issue-token --data-dir ${config.dataDir})`);
  const trusted = [...trust.trustedKeys()].filter((k) => k !== authority?.key);
  if (trusted.length > 0) lines.push(`trusting   ${trusted.join(', ')}`);
  lines.push(work.demoText ? `work       demo ${work.demoText}` : 'work       no demo (start one with --demo mandelbrot, or POST /jobs {"demo": "mandelbrot"})');
  lines.push(`jobs       store ${work.store.kind} ${work.store.location}; ${work.projects.size} project${work.projects.size === 1 ? '' : 's'}${work.server ? `; job API ${work.server.url}` : '; job API off (start with --jobs-listen)'}`);
  return lines;
}

/**
 * The orchestrator takes part in peer exchange (issue 12 §2): every PNode holds a session with it,
 * so a PNode that knows only its orchestrator learns the network's peers from it within a few
 * exchange rounds, and the advertisements PNodes push to it travel on.
 */
export function orchestratorNode(config: OrchestratorNodeConfig, control: ControlSetup = {}): Promise<OrchestratorNode> {
  return assembleNode<OrchestratorParts & DiscoveryParts>(
    config,
    (runtime) => {
      const discovery = discoveryParts(runtime, { ...config.orchestrator.discovery, ...(config.orchestrator.dht ? { dht: config.orchestrator.dht } : {}) });
      const parts = orchestratorParts(runtime, config.orchestrator, { dht: discovery.dht });
      return {
        modules: [...discoveryModules(discovery), ...parts.modules],
        sources: [discovery.signals],
        banner: () => [...orchestratorBanner(config, parts), ...discoveryBanner(config, discovery)],
        parts: { ...parts, ...discovery },
      };
    },
    control,
  );
}

// The orchestrator deployment: the orchestrator itself (registrations, leases, VNodes, the admin
// API), trusted registration's check, the registration authority when it runs here, and the work
// scheduler. Services never import each other; this recipe is where they meet, through the
// AdminExtensions they all serve under and the InProcessAuthority the trust check reads.
import type { NodeConfig } from '../kernel/runtime/node-config.js';
import type { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import type { RuntimeModule } from '../kernel/runtime/runtime-module.js';
import { AdminExtensions } from '../kernel/http/admin-extension.js';
import { SignalMarkers } from '../kernel/messaging/signal-markers.js';
import { OrchestratorModule, type OrchestratorModuleOptions } from '../services/orchestrator/orchestrator-module.js';
import { OperatorTrust, type OperatorTrustOptions } from '../services/orchestrator/operator-trust.js';
import { WorkSchedulerModule, type WorkSchedulerModuleOptions } from '../services/orchestrator/work/work-scheduler-module.js';
import { CreditOutboxModule, type CreditOutboxModuleOptions } from '../services/orchestrator/credit/credit-outbox-module.js';
import { AuthorityModule, type AuthorityModuleOptions } from '../services/authority/authority-module.js';
import { adminFilePath } from '../services/orchestrator/admin-file.js';
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
  readonly credit?: CreditOutboxModuleOptions;
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
  /** Credit receipts: the scheduler's onValidated hook issues them, the outbox delivers them. */
  readonly credit: CreditOutboxModule;
  /** The network's DHT (off when the descriptor names none), and the search by capability over it and the registrations. */
  readonly dht: DhtModule;
  readonly capabilities: CapabilitySearch;
  /** In start order. The authority starts after the orchestrator: its first revocations reach a trust check that listens. */
  readonly modules: readonly RuntimeModule[];
}

/** The deployment's components over a kernel, wired to each other (and to nothing else). */
export function orchestratorParts(runtime: NodeRuntime, setup: OrchestratorSetup): OrchestratorParts {
  const kernel = runtime.components;
  const admin = new AdminExtensions();
  const authority = setup.authority === undefined || setup.authority === null ? null : new AuthorityModule({ ...kernel, admin }, setup.authority);
  const trust = new OperatorTrust({ ...kernel, ...(authority ? { authority } : {}) }, setup.trust);
  const orchestrator = new OrchestratorModule({ ...kernel, admin, trust }, setup.orchestrator);
  const work = new WorkSchedulerModule({ ...kernel, admin, orchestrator: orchestrator.orchestrator }, setup.work);
  const credit = new CreditOutboxModule(kernel, setup.credit);
  const dht = new DhtModule(kernel, setup.dht);
  const capabilities = new CapabilitySearch({ registered: () => orchestrator.orchestrator.registry.all(), finder: dht, admin });
  return { orchestrator, trust, authority, work, credit, dht, capabilities, modules: [trust, orchestrator, ...(authority ? [authority] : []), credit, work, dht] };
}

export type OrchestratorNode = AssembledNode & OrchestratorParts & { readonly signals: SignalMarkers };

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
  return lines;
}

export function orchestratorNode(config: OrchestratorNodeConfig, control: ControlSetup = {}): Promise<OrchestratorNode> {
  return assembleNode<OrchestratorParts & { readonly signals: SignalMarkers }>(
    config,
    (runtime) => {
      const parts = orchestratorParts(runtime, config.orchestrator);
      const signals = new SignalMarkers(runtime.components);
      return { modules: [...parts.modules, signals], sources: [signals], banner: () => orchestratorBanner(config, parts), parts: { ...parts, signals } };
    },
    control,
  );
}

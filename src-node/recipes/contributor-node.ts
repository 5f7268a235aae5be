// The contributor (a PNode): the one recipe `pnode node` and the desktop app both call. It builds
// the kernel's discovery stack, then the contributor's components in dependency order — each
// named in its constructor — and starts them in that order:
//   availability ← settings, machine activity;  hardware;  VNode host ← availability;
//   membership ← availability, hardware, VNode host;  work runner ← VNode host, membership;
//   revocation sync (the authorities' signed revocation lists, from directories and sessions);
//   trusted registration ← membership, revocation sync;  notifications ← membership, trusted registration;
//   credit ← membership, VNode host;  contribution history ← VNode host, credit;
//   work view ← VNode host, availability, hardware;  activity ← availability, VNode host, membership,
//   credit, trusted registration (and the work view's names for workloads).
import { networkOrchestrators } from '../../src-shared/network/network-descriptor.js';
import type { NodeConfig } from '../kernel/runtime/node-config.js';
import { Availability, headlessActivity, type AvailabilityOptions } from '../contributor/availability/availability.js';
import { HardwareModule, type HardwareModuleOptions } from '../contributor/hardware/hardware-module.js';
import { MembershipModule, type MembershipModuleOptions } from '../contributor/membership/membership-module.js';
import type { OrchestratorTarget } from '../contributor/membership/orchestrator-link.js';
import { NotificationsModule } from '../contributor/notifications-module.js';
import { TrustedRegistrationModule, type TrustedRegistrationOptions } from '../contributor/trust/trusted-registration-module.js';
import type { SandboxLauncher } from '../contributor/vnode/sandbox-process.js';
import { VNodeHostModule, type VNodeHostModuleOptions } from '../contributor/vnode/vnode-module.js';
import { WorkRunner, type WorkRunnerOptions } from '../contributor/work/work-runner.js';
import { CreditModule, type CreditModuleOptions } from '../contributor/credit/credit-module.js';
import { ContributionHistoryModule } from '../contributor/history/history-module.js';
import { WorkViewModule } from '../contributor/work/work-view-module.js';
import { ActivityModule } from '../contributor/activity/activity-module.js';
import { contributorCapabilities } from '../contributor/dht-capabilities.js';
import { assembleNode, type AssembledNode, type ControlSetup } from './assembled-node.js';
import { RevocationSync, type RevocationSyncOptions } from '../kernel/revocation/revocation-sync.js';
import { discoveryBanner, discoveryModules, discoveryParts, type DiscoveryParts, type DiscoverySetup } from './discovery.js';

export interface ContributorSetup extends DiscoverySetup {
  /** Orchestrators from the command line; the network descriptor's follow them. */
  readonly orchestrators?: readonly OrchestratorTarget[];
  /** Who tells the node about the machine: the desktop shell (setUserActivity), or a headless probe. */
  readonly activity: 'desktop' | 'headless';
  /** How VNode sandboxes start (the desktop app: Electron utility processes). */
  readonly launcher?: SandboxLauncher;
  /** Tuning for tests and simulations, each passed to its component. */
  readonly hardware?: HardwareModuleOptions;
  readonly availability?: AvailabilityOptions;
  readonly vnodeHost?: VNodeHostModuleOptions['host'];
  readonly membership?: Omit<MembershipModuleOptions, 'orchestrators'>;
  readonly trusted?: TrustedRegistrationOptions;
  readonly work?: WorkRunnerOptions;
  readonly revocations?: Omit<RevocationSyncOptions, 'keys' | 'directories'>;
  readonly credit?: CreditModuleOptions;
}

export interface ContributorNodeConfig extends NodeConfig {
  readonly contributor: ContributorSetup;
}

export interface ContributorParts extends DiscoveryParts {
  readonly availability: Availability;
  readonly hardware: HardwareModule;
  readonly vnodes: VNodeHostModule;
  readonly membership: MembershipModule;
  readonly work: WorkRunner;
  readonly trusted: TrustedRegistrationModule;
  readonly revocations: RevocationSync;
  readonly credit: CreditModule;
  readonly history: ContributionHistoryModule;
  readonly workView: WorkViewModule;
  readonly activity: ActivityModule;
}

export type ContributorNode = AssembledNode & ContributorParts;

/** The orchestrators a contributor registers with: the command line's, then the network's. */
export function contributorOrchestrators(config: ContributorNodeConfig): OrchestratorTarget[] {
  const descriptor = config.network?.descriptor;
  const fromNetwork = descriptor ? networkOrchestrators(descriptor).map((o) => ({ nodeId: o.nodeId, urls: [o.url] })) : [];
  return [...(config.contributor.orchestrators ?? []), ...fromNetwork];
}

export function contributorNode(config: ContributorNodeConfig, control: ControlSetup = {}): Promise<ContributorNode> {
  const setup = config.contributor;
  return assembleNode<ContributorParts>(
    config,
    (runtime) => {
      const kernel = runtime.components;
      const hardware = new HardwareModule(kernel, setup.hardware);
      const availability = new Availability(
        { ...kernel, logicalCores: () => hardware.logicalCores(), ...(setup.activity === 'headless' ? { activitySource: headlessActivity } : {}) },
        setup.availability,
      );
      // The DHT announces the compute profiles that follow from the hardware and availability.
      const discovery = discoveryParts(runtime, setup, contributorCapabilities(hardware, availability));
      const vnodes = new VNodeHostModule({ ...kernel, availability }, { host: { ...setup.vnodeHost, ...(setup.launcher ? { launcher: setup.launcher } : {}) } });
      const membership = new MembershipModule({ ...kernel, availability, hardware, vnodes }, { ...setup.membership, orchestrators: contributorOrchestrators(config) });
      const work = new WorkRunner({ ...kernel, vnodes, membership }, setup.work);
      // The authorities followed: the network's, and the one that issued our credential.
      const follows: { trusted?: TrustedRegistrationModule } = {};
      const networkAuthority = config.network?.descriptor?.['registration-authority/key'];
      const revocations = new RevocationSync(kernel, {
        ...setup.revocations,
        keys: () => [...new Set([...(networkAuthority ? [networkAuthority] : []), ...(follows.trusted?.credential ? [follows.trusted.credential['issuer/key']] : [])])],
        directories: () => discovery.directoryClient.directories(),
      });
      const trusted = new TrustedRegistrationModule({ ...kernel, membership, revocations }, setup.trusted);
      follows.trusted = trusted;
      const notifications = new NotificationsModule({ ...kernel, membership, trusted });
      const credit = new CreditModule({ ...kernel, membership, vnodes }, setup.credit);
      const history = new ContributionHistoryModule({ ...kernel, vnodes, credit });
      const workView = new WorkViewModule({ ...kernel, vnodes, availability, logicalCores: () => hardware.logicalCores() });
      const activity = new ActivityModule({ ...kernel, availability, vnodes, workloads: workView.catalogue, membership, credit, trusted });
      const parts: ContributorParts = { ...discovery, availability, hardware, vnodes, membership, work, trusted, revocations, credit, history, workView, activity };
      return {
        modules: [...discoveryModules(discovery), revocations, hardware, availability, vnodes, work, membership, trusted, notifications, credit, history, workView, activity],
        sources: [discovery.signals, hardware, availability, vnodes, membership, trusted, credit, history, workView, activity],
        availability,
        configuredDirectories: () => discovery.directoryClient.configured(),
        banner: () => discoveryBanner(config, discovery),
        parts,
      };
    },
    control,
  );
}

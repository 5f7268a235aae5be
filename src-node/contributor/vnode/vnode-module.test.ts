import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src-shared/control/state.js';
import { NodeControl } from '../../control/node-control.js';
import { startTestNode, type TestNode } from '../../../tests/support/nodes.js';
import { VNODE_HOST_MODULE, VNodeHostModule } from './vnode-module.js';
import { Availability, type ActivityReading, type AvailabilityOptions, type AvailabilityComponents } from '../availability/availability.js';
import { waitFor } from '../../../tests/support/vnode/host-fixtures.js';

const nodes: TestNode[] = [];

interface Hosted {
  readonly node: TestNode;
  readonly module: VNodeHostModule;
  readonly availability: Availability;
  readonly control: () => NodeControl;
}

async function nodeWith(limits = DEFAULT_LIMITS, activity: Pick<AvailabilityComponents, 'activitySource'> = {}, options: AvailabilityOptions = {}): Promise<Hosted> {
  let module: VNodeHostModule | undefined;
  let availability: Availability | undefined;
  const node = await startTestNode({
    listenOn: false,
    initialSettings: { joined: true, limits },
    modules: (runtime) => {
      availability = new Availability({ ...runtime.components, ...activity }, options);
      module = new VNodeHostModule({ ...runtime.components, availability });
      return [availability, module];
    },
  });
  nodes.push(node);
  return { node, module: module!, availability: availability!, control: () => new NodeControl(node, { sources: [module!, availability!], availability }) };
}

afterEach(async () => {
  for (const node of nodes.splice(0)) await node.cleanup();
});

describe('the vnode-host runtime module', () => {
  it('shows its VNodes in the control state', async () => {
    const { module, control } = await nodeWith();
    expect(module.name).toBe(VNODE_HOST_MODULE);
    expect(control().snapshot().vnodes).toEqual([]);
    expect(module.host.allocate({ vnodeId: 'v1', orchestrator: 'orch', cores: 1, memoryMb: 32 }).ok).toBe(true);
    const snapshot = control().snapshot();
    expect(snapshot.vnodes).toMatchObject([{ vnodeId: 'v1', orchestrator: 'orch', state: 'allocated', cores: 1, memoryMb: 32, tasksDone: 0 }]);
  });

  it('follows the contribution toggle, the snooze and the limits', async () => {
    const { node, module } = await nodeWith();
    const host = module.host;
    expect(host.pausedBy()).toEqual([]);

    await node.updateSettings((s) => ({ ...s, contributionEnabled: false }));
    expect(host.pausedBy()).toEqual(['contribution-off']);
    // Availability reports contribution-off; the module reports only its own reasons.
    expect(module.suspendReasons()).toEqual([]);
    await node.updateSettings((s) => ({ ...s, contributionEnabled: true, snoozedUntil: node.clock.now() + 300 }));
    expect(host.pausedBy()).toEqual(['snoozed']);
    await waitFor(() => host.pausedBy().length === 0, 'the snooze to end');

    await node.updateSettings((s) => ({ ...s, limits: { ...s.limits, cpuPercent: 30, maxCores: 1 } }));
    expect(host.limits).toMatchObject({ cpuPercent: 30, maxCores: 1 });

    await node.leave();
    expect(host.pausedBy()).toEqual(['contribution-off']);
  });

  it('pauses for the user activity the desktop shell reports, when the limits say so', async () => {
    const { module, availability, control } = await nodeWith({ ...DEFAULT_LIMITS, onlyWhenIdle: true, pauseOnBattery: true });
    availability.setUserActivity({ idleSeconds: 4, onBattery: true });
    expect(module.suspendReasons()).toEqual(['on-battery', 'user-active']);
    expect(control().snapshot().contribution.suspendReasons).toEqual(expect.arrayContaining(['on-battery', 'user-active']));
    availability.setUserActivity({ idleSeconds: 600, onBattery: false });
    expect(module.suspendReasons()).toEqual([]);
  });

  it('polls a headless activity probe when given one', async () => {
    let reading: ActivityReading = { idleSeconds: null, onBattery: true };
    const { module } = await nodeWith(DEFAULT_LIMITS, { activitySource: async () => reading }, { activityPollMs: 20 });
    await waitFor(() => module.host.pausedBy().includes('on-battery'), 'the probe to report battery');
    reading = { idleSeconds: null, onBattery: false };
    await waitFor(() => module.host.pausedBy().length === 0, 'the probe to report mains');
  });
});

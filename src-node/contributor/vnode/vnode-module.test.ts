import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src-shared/control/state.js';
import { NodeControl } from '../../control/node-control.js';
import type { NodeRuntime } from '../../kernel/runtime/node-runtime.js';
import { startTestNode } from '../../../tests/support/nodes.js';
import { VNODE_HOST_MODULE, VNodeHostModule, type ActivityReading } from './vnode-module.js';
import { waitFor } from '../../../tests/support/vnode/host-fixtures.js';

const nodes: (NodeRuntime & { cleanup: () => Promise<void> })[] = [];

async function nodeWith(module: VNodeHostModule, limits = DEFAULT_LIMITS) {
  const node = await startTestNode({ modules: [module], listenOn: false, initialSettings: { joined: true, limits } });
  nodes.push(node);
  return node;
}

afterEach(async () => {
  for (const node of nodes.splice(0)) await node.cleanup();
});

describe('the vnode-host runtime module', () => {
  it('shows its VNodes in the control state', async () => {
    const module = new VNodeHostModule();
    const node = await nodeWith(module);
    expect(node.module(VNODE_HOST_MODULE)).toBe(module);
    expect(new NodeControl(node).snapshot().vnodes).toEqual([]);
    expect(module.host!.allocate({ vnodeId: 'v1', orchestrator: 'orch', cores: 1, memoryMb: 32 }).ok).toBe(true);
    const snapshot = new NodeControl(node).snapshot();
    expect(snapshot.vnodes).toMatchObject([{ vnodeId: 'v1', orchestrator: 'orch', state: 'allocated', cores: 1, memoryMb: 32, tasksDone: 0 }]);
  });

  it('follows the contribution toggle, the snooze and the limits', async () => {
    const module = new VNodeHostModule();
    const node = await nodeWith(module);
    const host = module.host!;
    expect(host.pausedBy()).toEqual([]);

    await node.updateSettings((s) => ({ ...s, contributionEnabled: false }));
    expect(host.pausedBy()).toEqual(['contribution-off']);
    // NodeControl adds contribution-off itself; the module reports only its own reasons.
    expect(module.state().contribution?.suspendReasons).toEqual([]);
    await node.updateSettings((s) => ({ ...s, contributionEnabled: true, snoozedUntil: node.clock.now() + 300 }));
    expect(host.pausedBy()).toEqual(['snoozed']);
    await waitFor(() => host.pausedBy().length === 0, 'the snooze to end', 5_000);

    await node.updateSettings((s) => ({ ...s, limits: { ...s.limits, cpuPercent: 30, maxCores: 1 } }));
    expect(host.limits).toMatchObject({ cpuPercent: 30, maxCores: 1 });

    await node.leave();
    expect(host.pausedBy()).toEqual(['contribution-off']);
  });

  it('pauses for the user activity the desktop shell reports, when the limits say so', async () => {
    const module = new VNodeHostModule();
    const node = await nodeWith(module, { ...DEFAULT_LIMITS, onlyWhenIdle: true, pauseOnBattery: true });
    node.setUserActivity({ idleSeconds: 4, onBattery: true });
    expect(module.state().contribution?.suspendReasons).toEqual(['on-battery', 'user-active']);
    expect(new NodeControl(node).snapshot().contribution.suspendReasons).toEqual(expect.arrayContaining(['on-battery', 'user-active']));
    node.setUserActivity({ idleSeconds: 600, onBattery: false });
    expect(module.state().contribution?.suspendReasons).toEqual([]);
  });

  it('polls a headless activity probe when given one', async () => {
    let reading: ActivityReading = { idleSeconds: null, onBattery: true };
    const module = new VNodeHostModule({ activity: async () => reading, activityPollMs: 20 });
    await nodeWith(module);
    await waitFor(() => module.host!.pausedBy().includes('on-battery'), 'the probe to report battery');
    reading = { idleSeconds: null, onBattery: false };
    await waitFor(() => module.host!.pausedBy().length === 0, 'the probe to report mains');
  });
});

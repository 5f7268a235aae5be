import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/util/clock.js';
import { MAX_REMEMBERED_VNODES, VNODE_STATS_FILE, VNodeStatsStore } from './vnode-stats.js';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pnode-stats-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const vnode = (vnodeId: string) => ({ vnodeId, orchestrator: 'o', cores: 1, memoryMb: 64 });

describe('VNodeStatsStore', () => {
  it('counts tasks and CPU time per VNode and in total, and writes them', async () => {
    const dir = dataDir();
    const clock = new ManualClock(new Date(2026, 10, 21, 12).getTime());
    const store = new VNodeStatsStore(dir, clock);
    await store.load();
    store.allocate(vnode('a'));
    store.addTask('a', 120.4, 'done');
    store.addTask('a', 30, 'failed');
    store.addTask('a', 5, 'cancelled');
    await store.flush();
    expect(store.get('a')).toMatchObject({ tasksDone: 1, tasksFailed: 1, cpuMsToday: 155, cpuMsTotal: 155, day: '2026-11-21' });
    expect(store.total()).toMatchObject({ tasksDone: 1, tasksFailed: 1, cpuMsToday: 155, cpuMsTotal: 155 });
    const onDisk = JSON.parse(readFileSync(join(dir, VNODE_STATS_FILE), 'utf8')) as { schema: string; total: { cpuMsTotal: number } };
    expect(onDisk.schema).toBe('pnode-vnode-stats.v1');
    expect(onDisk.total.cpuMsTotal).toBe(155);
  });

  it('writes what is pending on close and nothing after it (the data dir may be gone)', async () => {
    const dir = dataDir();
    const store = new VNodeStatsStore(dir, new ManualClock(new Date(2026, 10, 21, 12).getTime()));
    await store.load();
    store.allocate(vnode('a'));
    store.addTask('a', 10, 'done');
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    store.addTask('a', 20, 'done');
    await store.flush();
    expect(existsSync(dir)).toBe(false);
    expect(store.total()).toMatchObject({ tasksDone: 2, cpuMsTotal: 30 });
  });

  it('starts "today" again on a new day and keeps the total', async () => {
    const dir = dataDir();
    const clock = new ManualClock(new Date(2026, 10, 21, 23, 59).getTime());
    const store = new VNodeStatsStore(dir, clock);
    await store.load();
    store.allocate(vnode('a'));
    store.addTask('a', 100, 'done');
    clock.advance(2 * 60_000);
    expect(store.get('a')).toMatchObject({ cpuMsToday: 0, cpuMsTotal: 100, day: '2026-11-22' });
    store.addTask('a', 7, 'done');
    expect(store.total()).toMatchObject({ cpuMsToday: 7, cpuMsTotal: 107, tasksDone: 2 });
    await store.flush();

    const again = new VNodeStatsStore(dir, clock);
    await again.load();
    expect(again.get('a')).toMatchObject({ cpuMsToday: 7, cpuMsTotal: 107 });
    clock.advance(24 * 60 * 60_000);
    expect(again.total()).toMatchObject({ cpuMsToday: 0, cpuMsTotal: 107 });
  });

  it('sets a corrupt file aside and starts counting again', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, VNODE_STATS_FILE), '{ not json');
    const store = new VNodeStatsStore(dir, new ManualClock());
    const asides: string[] = [];
    await store.load((_error, aside) => asides.push(aside));
    expect(asides).toHaveLength(1);
    expect(readdirSync(dir).some((name) => name.startsWith(`${VNODE_STATS_FILE}.corrupt-`))).toBe(true);
    expect(store.total()).toMatchObject({ tasksDone: 0, cpuMsTotal: 0 });
  });

  it('reads field by field: nonsense values count as zero', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, VNODE_STATS_FILE), JSON.stringify({ total: { tasksDone: -4, cpuMsTotal: 'lots' }, vnodes: [{ vnodeId: 'a', tasksDone: 2 }, { nope: true }, 7] }));
    const store = new VNodeStatsStore(dir, new ManualClock());
    await store.load();
    expect(store.total()).toMatchObject({ tasksDone: 0, cpuMsTotal: 0 });
    expect(store.all().map((r) => [r.vnodeId, r.tasksDone])).toEqual([['a', 2]]);
  });

  it('remembers a bounded number of VNodes, forgetting the oldest released ones', async () => {
    const clock = new ManualClock();
    const store = new VNodeStatsStore(dataDir(), clock);
    await store.load();
    for (let i = 0; i < MAX_REMEMBERED_VNODES + 5; i++) {
      clock.advance(1_000);
      store.allocate(vnode(`v${i}`));
      store.release(`v${i}`);
    }
    await store.flush();
    expect(store.all()).toHaveLength(MAX_REMEMBERED_VNODES);
    expect(store.get('v0')).toBeUndefined();
    expect(store.get(`v${MAX_REMEMBERED_VNODES + 4}`)).toBeDefined();
  });
});

// The contributor's credit and contribution history as a node runs them: a real runtime with the
// VNode host (real sandbox processes), membership, the credit module and the history module, read
// through NodeControl as a UI would. The receipts are appended to the ledger directly here (the
// session path is tests/integration/credit-delivery.test.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeControl } from '../../control/node-control.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { systemClock } from '../../kernel/util/clock.js';
import { startTestNode, type TestNode } from '../../../tests/support/nodes.js';
import { membershipParts } from '../../../tests/support/contributors.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { testIdentity } from '../../../tests/support/identities.js';
import { receiptSource } from '../../../tests/support/credit.js';
import { TEST_LIMITS, cacheWat, taskFor } from '../../../tests/support/vnode/host-fixtures.js';
import * as wat from '../../../tests/support/vnode/fixtures.js';
import { DEFAULT_SETTINGS } from '../../kernel/runtime/settings.js';
import { HISTORY_DAYS, HISTORY_HOURS } from '../../../src-shared/control/credit-view.js';
import type { VNodeHost } from '../vnode/vnode-host.js';
import { CreditModule } from '../credit/credit-module.js';
import { CreditLedger, type CreditLedgerOptions } from '../credit/credit-ledger.js';
import { ContributionHistoryModule } from './history-module.js';
import { HISTORY_FILE } from './contribution-history.js';

const orchestrator = testIdentity(0x21);
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Contributor {
  readonly node: TestNode;
  readonly host: VNodeHost;
  readonly credit: CreditModule;
  readonly history: ContributionHistoryModule;
  readonly control: NodeControl;
  /** Stops the node (once; the test's cleanup calls it too). */
  stop(): Promise<void>;
}

/** Small ledger segments, so a few receipts rotate some away. */
const SMALL_LEDGER = { segmentBytes: 3_000, maxSegments: 2 } as const;

async function contributor(dataDir: string, ledger: Partial<Pick<CreditLedgerOptions, 'segmentBytes' | 'maxSegments'>> = {}): Promise<Contributor> {
  let credit: CreditModule | undefined;
  let history: ContributionHistoryModule | undefined;
  let host: VNodeHost | undefined;
  const node = await startTestNode({
    dataDir,
    listenOn: false,
    initialSettings: { ...DEFAULT_SETTINGS, joined: true, limits: TEST_LIMITS },
    modules: (runtime) => {
      const parts = membershipParts(runtime, { orchestrators: [{ nodeId: orchestrator.nodeId, urls: ['ws://127.0.0.1:9/peer'] }] }, { vnodeHost: { host: { totalMemoryMb: 8192, logicalCores: 4 } } });
      host = parts.vnodes!.host;
      credit = new CreditModule({ ...runtime.components, membership: parts.membership, vnodes: parts.vnodes! }, { ledger });
      history = new ContributionHistoryModule({ ...runtime.components, vnodes: parts.vnodes!, credit });
      return [...parts.modules, credit, history];
    },
  });
  const control = new NodeControl(node, { sources: [credit!, history!] });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      control.stop();
      await node.cleanup();
    })());
  cleanups.push(stop);
  return { node, host: host!, credit: credit!, history: history!, control, stop };
}

describe('credit and contribution history on a running node', () => {
  it('count a task that ran, wait for its receipt, and show both through the control contract', async () => {
    const dir = makeTempDir('pnode-history-');
    cleanups.push(dir.cleanup);
    const made = await contributor(dir.path);
    expect(made.host.allocate({ vnodeId: 'vnode-1', orchestrator: orchestrator.nodeId, cores: 1, memoryMb: 64 }).ok).toBe(true);
    const busy = await cacheWat(made.host, wat.BUSY_WAT);
    const result = await made.host.runTask(taskFor(busy, { input: new Uint8Array([20, 0, 0, 0]), taskId: 'att:real-1' }));
    expect(result.status).toBe('ok');

    let state = made.control.snapshot();
    expect(state.contributionHistory.today).toMatchObject({ tasksDone: 1, cpuMs: result.cpuMs, tasksValidated: 0 });
    expect(state.contributionHistory.allTime.tasksDone).toBe(1);
    expect(state.credit).toMatchObject({ pending: 1, validated: 0, total: 0, receipts: 0 });

    const source = receiptSource(orchestrator, made.node.identity.nodeId, { now: () => Date.now() });
    const receipt = source.next({ taskId: 'att:real-1', cpuMs: Math.max(1, Math.round(result.cpuMs)) });
    const stored = await made.credit.ledger!.append(receipt, (id) => id === orchestrator.nodeId);
    expect(stored.ok).toBe(true);
    state = made.control.snapshot();
    expect(state.credit).toMatchObject({ pending: 0, validated: 1, rejected: 0, receipts: 1, total: receipt['credit/micro'], unit: 'micro-cobblestone' });
    expect(state.credit.recent[0]).toMatchObject({ receiptId: receipt['receipt/id'], taskId: 'att:real-1', outcome: 'validated' });
    expect(state.contributionHistory.today).toMatchObject({ tasksDone: 1, tasksValidated: 1, credit: receipt['credit/micro'] });

    const history = await made.control.execute({ command: 'get-history' });
    expect(history.ok).toBe(true);
    const detail = history.ok ? (history.value as { hours: { tasksDone: number; start: number }[]; days: { day: string }[] }) : undefined;
    expect(detail!.hours).toHaveLength(HISTORY_HOURS);
    expect(detail!.days).toHaveLength(HISTORY_DAYS);
    expect(detail!.hours.at(-1)!.tasksDone).toBe(1);

    const one = await made.control.execute({ command: 'get-receipt', receiptId: receipt['receipt/id'] });
    expect(one).toMatchObject({ ok: true, value: { verified: true, receipt } });
    const missing = await made.control.execute({ command: 'get-receipt', receiptId: 'rcpt:NOTHERE' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'failed' } });
    const page = await made.control.execute({ command: 'list-receipts', limit: 10 });
    expect(page).toMatchObject({ ok: true, value: { receipts: [{ receiptId: receipt['receipt/id'] }], nextBefore: null } });
  }, 60_000);

  it('keep everything across a restart, and count receipts the history missed before a crash', async () => {
    const dir = makeTempDir('pnode-history-');
    cleanups.push(dir.cleanup);
    const first = await contributor(dir.path);
    const source = receiptSource(orchestrator, first.node.identity.nodeId, { now: () => Date.now() });
    for (let i = 0; i < 3; i++) expect((await first.credit.ledger!.append(source.next({ outcome: i === 1 ? 'invalid' : 'validated' }), () => true)).ok).toBe(true);
    await first.history.store.flush();
    const before = first.control.snapshot();
    expect(before.contributionHistory.allTime).toMatchObject({ tasksValidated: 2, tasksRejected: 1 });
    // What a crash between the ledger's append and the history's write leaves: the history from before.
    const historyBefore = readFileSync(join(dir.path, HISTORY_FILE), 'utf8');
    await first.stop();
    const ledger = await CreditLedger.open({ dataDir: dir.path, crypto: nativeCrypto, self: first.node.identity.nodeId, clock: systemClock });
    expect((await ledger.append(source.next(), () => true)).ok).toBe(true);
    await ledger.close();
    writeFileSync(join(dir.path, HISTORY_FILE), historyBefore);

    const second = await contributor(dir.path);
    const after = second.control.snapshot();
    expect(after.credit).toMatchObject({ receipts: 4, validated: 3, rejected: 1, total: 3 * source.next()['credit/micro'] });
    expect(after.contributionHistory.allTime).toMatchObject({ tasksValidated: 3, tasksRejected: 1, credit: after.credit.total });
    expect(after.contributionHistory.since).toBe(before.contributionHistory.since);
  }, 60_000);

  it('count, after a crash, receipts the ledger stored and rotated away while the history lagged', async () => {
    const dir = makeTempDir('pnode-history-');
    cleanups.push(dir.cleanup);
    const first = await contributor(dir.path, SMALL_LEDGER);
    const source = receiptSource(orchestrator, first.node.identity.nodeId, { now: () => Date.now() });
    expect((await first.credit.ledger!.append(source.next(), () => true)).ok).toBe(true);
    await first.history.store.flush();
    const historyBefore = readFileSync(join(dir.path, HISTORY_FILE), 'utf8');
    await first.stop();
    // The node went on storing receipts, and its history file stayed as it was (killed each time before the write).
    const ledger = await CreditLedger.open({ ...SMALL_LEDGER, dataDir: dir.path, crypto: nativeCrypto, self: first.node.identity.nodeId, clock: systemClock });
    for (let i = 0; i < 30; i++) expect((await ledger.append(source.next({ outcome: i % 5 === 4 ? 'invalid' : 'validated', cpuMs: 1_000 + i }), () => true)).ok).toBe(true);
    expect(ledger.rotatedAway!.entries).toBeGreaterThan(1);
    await ledger.close();
    writeFileSync(join(dir.path, HISTORY_FILE), historyBefore);

    const second = await contributor(dir.path, SMALL_LEDGER);
    const after = second.control.snapshot();
    expect(after.credit).toMatchObject({ receipts: 31, validated: 25, rejected: 6 });
    expect(after.contributionHistory.allTime).toMatchObject({ tasksValidated: 25, tasksRejected: 6, credit: after.credit.total });
  }, 60_000);

  it('refuse a corrupt history file by setting it aside and starting again', async () => {
    const dir = makeTempDir('pnode-history-');
    cleanups.push(dir.cleanup);
    writeFileSync(join(dir.path, HISTORY_FILE), '{"schema": "pnode-contribution-history.v1", "hours": [');
    const made = await contributor(dir.path);
    expect(made.control.snapshot().contributionHistory.allTime.cpuMs).toBe(0);
    expect(made.history.store.get().revision).toBe(0);
  }, 60_000);
});

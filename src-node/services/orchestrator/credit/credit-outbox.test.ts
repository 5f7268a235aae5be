import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { ManualClock } from '../../../kernel/util/clock.js';
import { nativeCrypto } from '../../../kernel/crypto/native-provider.js';
import { makeTempDir } from '../../../../tests/support/temp-dir.js';
import { testIdentity } from '../../../../tests/support/identities.js';
import { validatedFact } from '../../../../tests/support/credit.js';
import { compareEpochs, verifyCreditReceipt } from '../../../../src-shared/credit/credit-receipt.js';
import { creditFor } from '../../../../src-shared/credit/credit-formula.js';
import type { CreditReceipt } from '../../../../src-shared/credit/credit-receipt.js';
import { CreditOutbox, type CreditOutboxOptions } from './credit-outbox.js';

const orchestrator = testIdentity(0x20);
const [p1, p2, p3] = [testIdentity(0x11), testIdentity(0x12), testIdentity(0x13)].map((i) => i.nodeId) as [string, string, string];
const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function dataDir(): string {
  const dir = makeTempDir('pnode-outbox-');
  cleanups.push(dir.cleanup);
  return dir.path;
}

function open(dir: string, change: Partial<CreditOutboxOptions> = {}, clock = new ManualClock()): Promise<CreditOutbox> {
  return CreditOutbox.open({ dataDir: dir, clock, signer: orchestrator.signer, ...change });
}

const ids = (list: readonly CreditReceipt[]) => list.map((r) => r['receipt/id']);

describe('the credit outbox', () => {
  it('numbers receipts per PNode, signs them with the node key and keeps them across a restart', async () => {
    const dir = dataDir();
    const outbox = await open(dir);
    const a1 = await outbox.issue(validatedFact(p1, 'att:a1'));
    const a2 = await outbox.issue(validatedFact(p1, 'att:a2', { outcome: 'late' }));
    const b1 = await outbox.issue(validatedFact(p2, 'att:b1'));
    expect([a1.receipt!['sequence/no'], a2.receipt!['sequence/no'], b1.receipt!['sequence/no']]).toEqual([1, 2, 1]);
    expect(a1.receipt!['sequence/epoch']).toBe(a2.receipt!['sequence/epoch']);
    expect(a1.receipt!['sequence/epoch']).not.toBe(b1.receipt!['sequence/epoch']);
    expect(a1.receipt!['credit/micro']).toBe(creditFor(43_200, 1_000));
    expect(a2.receipt!['credit/micro']).toBe(0);
    const verified = verifyCreditReceipt(a1.receipt, { crypto: nativeCrypto, self: p1, knownOrchestrator: (id) => id === orchestrator.nodeId });
    expect(verified.ok).toBe(true);
    expect(outbox.next(p1)).toEqual(a1.receipt);
    await outbox.close();

    const again = await open(dir);
    expect(ids(again.waitingFor(p1))).toEqual([a1.receiptId, a2.receiptId]);
    expect(ids(again.waitingFor(p2))).toEqual([b1.receiptId]);
    expect(again.waiting()).toBe(3);
    const a3 = await again.issue(validatedFact(p1, 'att:a3'));
    expect(a3.receipt!['sequence/no']).toBe(3);
    expect(a3.receipt!['sequence/epoch']).toBe(a1.receipt!['sequence/epoch']);
    await again.close();
  });

  it('answers a fact reported twice with the receipt already issued, and issues no second number', async () => {
    const outbox = await open(dataDir());
    const first = await outbox.issue(validatedFact(p1, 'att:same'));
    const second = await outbox.issue(validatedFact(p1, 'att:same', { claim: { cpuMs: 99_000, benchMops: 9_000, wallMs: 99_000 } }));
    expect(second).toEqual({ receiptId: first.receiptId, receipt: first.receipt, duplicate: true });
    expect(outbox.sequenceOf(p1)?.next).toBe(2);
    outbox.settle(p1, first.receiptId, 'delivered');
    const third = await outbox.issue(validatedFact(p1, 'att:same'));
    expect(third).toEqual({ receiptId: first.receiptId, receipt: undefined, duplicate: true });
    await outbox.close();
  });

  it('grants the lowest claim among the agreeing replicas', async () => {
    const outbox = await open(dataDir());
    const honest = { cpuMs: 10_000, benchMops: 2_000, wallMs: 11_000 };
    const issued = await outbox.issue(validatedFact(p1, 'att:liar', { claim: { cpuMs: 59_000, benchMops: 2_000, wallMs: 60_000 }, budgetMs: 60_000, agreeing: [honest] }));
    expect(issued.receipt!['credit/micro']).toBe(creditFor(10_000, 2_000));
    expect(issued.receipt!['credited/cpu-ms']).toBe(59_000);
    await outbox.close();
  });

  it('lets settled receipts go, also after a restart', async () => {
    const dir = dataDir();
    const outbox = await open(dir);
    const one = await outbox.issue(validatedFact(p1, 'att:1'));
    const two = await outbox.issue(validatedFact(p1, 'att:2'));
    expect(outbox.settle(p1, one.receiptId, 'delivered')).toBe(true);
    expect(outbox.settle(p1, one.receiptId, 'delivered')).toBe(false);
    expect(outbox.next(p1)).toEqual(two.receipt);
    await outbox.close();
    const again = await open(dir);
    expect(ids(again.waitingFor(p1))).toEqual([two.receiptId]);
    await again.close();
  });

  it('drops the oldest waiting receipt past the per-PNode bound, and from the fullest PNode past the global one', async () => {
    const dir = dataDir();
    const dropped: string[] = [];
    const outbox = await open(dir, { maxPerPNode: 3, maxReceipts: 5, onDropped: (r) => dropped.push(r['receipt/id']) });
    const issued: string[] = [];
    for (let i = 0; i < 5; i++) issued.push((await outbox.issue(validatedFact(p1, `att:p1-${i}`))).receiptId);
    expect(dropped).toEqual(issued.slice(0, 2));
    expect(ids(outbox.waitingFor(p1))).toEqual(issued.slice(2));
    const b = [await outbox.issue(validatedFact(p2, 'att:p2-0')), await outbox.issue(validatedFact(p2, 'att:p2-1'))];
    expect(outbox.waiting()).toBe(5);
    // One more anywhere: the global bound takes the oldest of the PNode with the most waiting.
    await outbox.issue(validatedFact(p3, 'att:p3-0'));
    expect(dropped.at(-1)).toBe(issued[2]);
    expect(outbox.waiting()).toBe(5);
    expect(ids(outbox.waitingFor(p2))).toEqual(b.map((x) => x.receiptId));
    await outbox.close();
    const again = await open(dir, { maxPerPNode: 3, maxReceipts: 5 });
    expect(ids(again.waitingFor(p1))).toEqual(issued.slice(3));
    // The numbers of dropped receipts are never given out again: the PNode sees the gap.
    expect(again.sequenceOf(p1)?.next).toBe(6);
    await again.close();
  });

  it('tells of a drop before the drop is written, so a crash right after cannot leave one nobody heard of', async () => {
    const dir = dataDir();
    const onDisk: boolean[] = [];
    const outbox = await open(dir, {
      maxPerPNode: 1,
      onDropped: (r) => {
        // Give a write already started (on libuv's thread pool) time to land, then look at the file.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        onDisk.push(readFileSync(outbox.path, 'utf8').includes(`"id":"${r['receipt/id']}"`));
      },
    });
    await outbox.issue(validatedFact(p1, 'att:first'));
    await outbox.issue(validatedFact(p1, 'att:second'));
    await outbox.flush();
    expect(onDisk).toEqual([false]);
    expect(readFileSync(outbox.path, 'utf8')).toContain('"how":"dropped"');
    await outbox.close();
  });

  it('drops receipts its PNode did not collect in time', async () => {
    const clock = new ManualClock();
    const dropped: string[] = [];
    const outbox = await open(dataDir(), { receiptTtlMs: 60_000, onDropped: (r) => dropped.push(r['receipt/id']) }, clock);
    const old = await outbox.issue(validatedFact(p1, 'att:old', { validatedAt: clock.now() - 61_000 }));
    const fresh = await outbox.issue(validatedFact(p1, 'att:fresh', { validatedAt: clock.now() - 1_000 }));
    expect(outbox.expire(clock.now())).toBe(1);
    expect(dropped).toEqual([old.receiptId]);
    expect(ids(outbox.waitingFor(p1))).toEqual([fresh.receiptId]);
    await outbox.close();
  });

  it('compacts its file once it has grown to twice what it holds, losing nothing', async () => {
    const dir = dataDir();
    const outbox = await open(dir, { compactMinBytes: 8_192, fsync: false });
    let kept: string | undefined;
    for (let i = 0; i < 60; i++) {
      const issued = await outbox.issue(validatedFact(p1, `att:c${i}`));
      if (i === 59) kept = issued.receiptId;
      else outbox.settle(p1, issued.receiptId, 'delivered');
    }
    await outbox.flush();
    await outbox.issue(validatedFact(p2, 'att:after'));
    await outbox.flush();
    // 61 receipts and 59 settles would be ~70 KB uncompacted.
    expect(statSync(outbox.path).size).toBeLessThan(20_000);
    await outbox.close();
    const again = await open(dir);
    expect(ids(again.waitingFor(p1))).toEqual([kept]);
    expect(again.sequenceOf(p1)?.next).toBe(61);
    expect(again.waiting()).toBe(2);
    await again.close();
  });

  it('forgets the least recently credited PNode past its bound; coming back, that PNode starts a later epoch', async () => {
    const clock = new ManualClock();
    const outbox = await open(dataDir(), { maxPNodes: 2 }, clock);
    const first = await outbox.issue(validatedFact(p1, 'att:x'));
    outbox.settle(p1, first.receiptId, 'delivered');
    clock.advance(1_000);
    await outbox.issue(validatedFact(p2, 'att:y'));
    clock.advance(1_000);
    await outbox.issue(validatedFact(p3, 'att:z'));
    expect(outbox.sequenceOf(p1)).toBeUndefined();
    clock.advance(1_000);
    // p2 still has a receipt waiting, so p3's arrival could only forget p1.
    const back = await outbox.issue(validatedFact(p1, 'att:x2'));
    expect(back.receipt!['sequence/no']).toBe(1);
    expect(compareEpochs(back.receipt!['sequence/epoch'], first.receipt!['sequence/epoch'])).toBeGreaterThan(0);
    await outbox.close();
  });
});

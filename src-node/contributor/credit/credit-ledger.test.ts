import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../kernel/util/clock.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { testIdentity } from '../../../tests/support/identities.js';
import { receiptSource } from '../../../tests/support/credit.js';
import { creditFor } from '../../../src-shared/credit/credit-formula.js';
import { CreditLedger, type CreditLedgerOptions } from './credit-ledger.js';
import { LEDGER_DIR, segmentName } from './ledger-file.js';
import { MAX_LEDGER_ORCHESTRATORS } from './ledger-totals.js';

const pnode = testIdentity(0x10);
const orchestrator = testIdentity(0x20);
const stranger = testIdentity(0x30);
const known = (id: string) => id === orchestrator.nodeId;
const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function dataDir(): string {
  const dir = makeTempDir('pnode-ledger-');
  cleanups.push(dir.cleanup);
  return dir.path;
}

function open(dir: string, change: Partial<CreditLedgerOptions> = {}): Promise<CreditLedger> {
  return CreditLedger.open({ dataDir: dir, crypto: nativeCrypto, self: pnode.nodeId, clock: new ManualClock(), ...change });
}

function segmentPath(dir: string, segment: number): string {
  return join(dir, LEDGER_DIR, segmentName(segment));
}

async function codeOf(ledger: CreditLedger, value: unknown): Promise<string> {
  const result = await ledger.append(value, known);
  return result.ok ? 'ok' : result.error.code;
}

describe('the credit ledger', () => {
  it('stores verified receipts in order, with totals, summaries and each receipt in full', async () => {
    const dir = dataDir();
    const ledger = await open(dir);
    const source = receiptSource(orchestrator, pnode.nodeId);
    const a = source.next();
    const b = source.next({ outcome: 'invalid' });
    const c = source.next({ cpuMs: 86_400 });
    for (const receipt of [a, b, c]) expect(await codeOf(ledger, receipt)).toBe('ok');
    expect(ledger.totals).toMatchObject({ entries: 3, validated: 2, rejected: 1, gaps: 0, credit: creditFor(43_200, 1_000) + creditFor(86_400, 1_000) });
    expect(ledger.totals.orchestrators[orchestrator.nodeId]).toMatchObject({ seq: 3, receipts: 3 });
    expect(ledger.recent(2).map((s) => s.receiptId)).toEqual([c['receipt/id'], b['receipt/id']]);
    expect(ledger.recent(10)[2]).toMatchObject({ index: 1, taskId: 'att:task1', outcome: 'validated', orchestrator: orchestrator.nodeId, projectName: 'Test project' });
    const detail = await ledger.detail(b['receipt/id']);
    expect(detail).toMatchObject({ verified: true, problem: null, receipt: b, summary: { index: 2, outcome: 'invalid', credit: 0 } });
    expect(await ledger.detail('rcpt:NOSUCH')).toBeNull();
    await ledger.close();

    const again = await open(dir);
    expect(again.totals).toEqual(ledger.totals);
    expect(again.recent(3)).toEqual(ledger.recent(3));
    expect((await again.detail(a['receipt/id']))?.verified).toBe(true);
    expect(again.loadReport).toMatchObject({ tornBytes: 0, corruptLines: 0, problems: [] });
    await again.close();
  });

  it('refuses the same receipt twice (E_HS_REPLAY) and an older one (E_ADV_STALE_SEQ), writing nothing', async () => {
    const dir = dataDir();
    const ledger = await open(dir);
    const source = receiptSource(orchestrator, pnode.nodeId);
    const first = source.next();
    const second = source.next();
    expect(await codeOf(ledger, first)).toBe('ok');
    expect(await codeOf(ledger, second)).toBe('ok');
    const bytes = statSync(segmentPath(dir, 1)).size;
    expect(await codeOf(ledger, second)).toBe('E_HS_REPLAY');
    expect(await codeOf(ledger, first)).toBe('E_HS_REPLAY');
    // The same number again under another receipt id: a replay of a number the ledger has passed.
    expect(await codeOf(ledger, source.numbered(2, { taskId: 'att:other' }))).toBe('E_ADV_STALE_SEQ');
    expect(await codeOf(ledger, source.numbered(1, { taskId: 'att:older' }))).toBe('E_ADV_STALE_SEQ');
    // An epoch older than the one the ledger holds.
    const old = receiptSource(orchestrator, pnode.nodeId, { epoch: 'seq:01JAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(await codeOf(ledger, old.numbered(9))).toBe('E_ADV_STALE_SEQ');
    expect(statSync(segmentPath(dir, 1)).size).toBe(bytes);
    expect(ledger.totals.entries).toBe(2);
    await ledger.close();
  });

  it('counts receipts that never came as gaps, within an epoch and when a new epoch begins', async () => {
    const ledger = await open(dataDir());
    const source = receiptSource(orchestrator, pnode.nodeId);
    const first = await ledger.append(source.numbered(1), known);
    const fourth = await ledger.append(source.numbered(4), known);
    expect(first.ok && first.value.missing).toBe(0);
    expect(fourth.ok && fourth.value.missing).toBe(2);
    const later = receiptSource(orchestrator, pnode.nodeId, { epoch: 'seq:01JZZZZZZZZZZZZZZZZZZZZZZZ' });
    const restarted = await ledger.append(later.numbered(3), known);
    expect(restarted.ok && restarted.value.missing).toBe(2);
    expect(ledger.totals).toMatchObject({ entries: 3, gaps: 4 });
    // Back in the old epoch: refused.
    expect(await codeOf(ledger, source.numbered(5))).toBe('E_ADV_STALE_SEQ');
    await ledger.close();
  });

  it('refuses forged, misaddressed and unknown-signer receipts with their codes before writing', async () => {
    const dir = dataDir();
    const ledger = await open(dir);
    const source = receiptSource(orchestrator, pnode.nodeId);
    const good = source.next();
    const bytes = statSync(segmentPath(dir, 1)).size;
    expect(await codeOf(ledger, { ...good, 'credit/micro': good['credit/micro'] - 1 })).toBe('E_SIG_INVALID');
    expect(await codeOf(ledger, receiptSource(orchestrator, stranger.nodeId).next())).toBe('E_PROTO_INVALID');
    expect(await codeOf(ledger, receiptSource(stranger, pnode.nodeId).next())).toBe('E_SIG_UNKNOWN_SIGNER');
    expect(await codeOf(ledger, { ...good, 'schema/v': 7 })).toBe('E_PROTO_INVALID');
    expect(await codeOf(ledger, 'not a receipt')).toBe('E_PROTO_INVALID');
    expect(statSync(segmentPath(dir, 1)).size).toBe(bytes);
    expect(await codeOf(ledger, good)).toBe('ok');
    await ledger.close();
    expect(await codeOf(ledger, source.next())).toBe('E_TRANSPORT_UNAVAILABLE');
  });

  it(`counts receipts of at most ${MAX_LEDGER_ORCHESTRATORS} orchestrators`, async () => {
    const ledger = await open(dataDir(), { fsync: false });
    for (let i = 0; i < MAX_LEDGER_ORCHESTRATORS; i++) {
      const result = await ledger.append(receiptSource(testIdentity(0x60 + i), pnode.nodeId).next(), () => true);
      expect(result.ok, `orchestrator ${i}`).toBe(true);
    }
    const one = await ledger.append(receiptSource(testIdentity(0x20), pnode.nodeId).next(), () => true);
    expect(!one.ok && one.error.code).toBe('E_PROTO_INVALID');
    await ledger.close();
  });

  it('detects a torn last record after a crash, cuts it off and carries on; earlier bytes never change', async () => {
    const dir = dataDir();
    const ledger = await open(dir);
    const source = receiptSource(orchestrator, pnode.nodeId);
    for (let i = 0; i < 3; i++) expect(await codeOf(ledger, source.next())).toBe('ok');
    await ledger.close();
    const before = readFileSync(segmentPath(dir, 1));
    // What a SIGKILL inside a write leaves: part of a record and no newline.
    const torn = readFileSync(segmentPath(dir, 1), 'utf8').split('\n').at(-2)!.slice(0, 120);
    appendFileSync(segmentPath(dir, 1), torn);

    const again = await open(dir);
    expect(again.loadReport.tornBytes).toBe(120);
    expect(again.loadReport.problems.join()).toMatch(/torn/);
    expect(again.totals.entries).toBe(3);
    expect(readFileSync(segmentPath(dir, 1))).toEqual(before);
    expect(await codeOf(again, source.next())).toBe('ok');
    await again.close();
    const after = readFileSync(segmentPath(dir, 1));
    expect(after.subarray(0, before.length)).toEqual(before);
    const reopened = await open(dir);
    expect(reopened.totals.entries).toBe(4);
    expect(reopened.loadReport).toMatchObject({ tornBytes: 0, corruptLines: 0 });
    await reopened.close();
  });

  it('skips a damaged record in the middle and keeps the ones after it', async () => {
    const dir = dataDir();
    const ledger = await open(dir);
    const source = receiptSource(orchestrator, pnode.nodeId);
    for (let i = 0; i < 4; i++) expect(await codeOf(ledger, source.next())).toBe('ok');
    await ledger.close();
    const lines = readFileSync(segmentPath(dir, 1), 'utf8').split('\n');
    // Line 0 is the head; line 2 holds receipt 2: flip a character of its body.
    lines[2] = lines[2]!.replace('"n":2', '"n":7');
    writeFileSync(segmentPath(dir, 1), lines.join('\n'));
    const again = await open(dir);
    expect(again.loadReport.corruptLines).toBe(1);
    expect(again.totals.entries).toBe(4);
    expect(again.recent(10).map((s) => s.index)).toEqual([4, 3, 1]);
    expect(await codeOf(again, source.next())).toBe('ok');
    await again.close();
  });

  it('rotates into bounded segments, keeping the totals of every receipt ever stored', async () => {
    const dir = dataDir();
    const options = { segmentBytes: 3_000, maxSegments: 3, fsync: false };
    const ledger = await open(dir, options);
    const source = receiptSource(orchestrator, pnode.nodeId);
    const receipts = Array.from({ length: 30 }, (_, i) => source.next({ cpuMs: 1_000 * (i + 1) }));
    for (const receipt of receipts) expect(await codeOf(ledger, receipt)).toBe('ok');
    const credit = receipts.reduce((sum, r) => sum + r['credit/micro'], 0);
    expect(ledger.totals).toMatchObject({ entries: 30, credit, validated: 30 });
    const files = readdirSync(join(dir, LEDGER_DIR));
    expect(files.length).toBe(3);
    expect(ledger.segmentNumbers.length).toBe(3);
    for (const file of files) expect(statSync(join(dir, LEDGER_DIR, file)).size).toBeLessThan(3_000 + 2_100);
    // The oldest receipts are no longer held in full; the newest are.
    expect(await ledger.detail(receipts[0]!['receipt/id'])).toBeNull();
    expect((await ledger.detail(receipts[29]!['receipt/id']))?.verified).toBe(true);
    const held = ledger.recent(100);
    expect(held.length).toBeLessThan(30);
    expect(held[0]!.index).toBe(30);
    await ledger.close();

    const again = await open(dir, options);
    expect(again.totals).toEqual(ledger.totals);
    expect(again.recent(100)).toEqual(held);
    // A replay of a receipt no longer held in full is still refused, by its number.
    expect(await codeOf(again, receipts[0])).toBe('E_ADV_STALE_SEQ');
    await again.close();
  });

  it('gives the totals of the receipts it rotated away, which since() no longer answers', async () => {
    const dir = dataDir();
    const options = { segmentBytes: 3_000, maxSegments: 3, fsync: false };
    const ledger = await open(dir, options);
    expect(ledger.rotatedAway).toEqual({ entries: 0, credit: 0, validated: 0, rejected: 0, gaps: 0, orchestrators: {} });
    const source = receiptSource(orchestrator, pnode.nodeId);
    const receipts = Array.from({ length: 30 }, (_, i) => source.next({ cpuMs: 1_000 * (i + 1), outcome: i % 4 === 3 ? 'invalid' : 'validated' }));
    for (const receipt of receipts) expect(await codeOf(ledger, receipt)).toBe('ok');
    const away = ledger.rotatedAway!;
    const oldestHeld = ledger.since(0)[0]!.index;
    expect(oldestHeld).toBeGreaterThan(1);
    expect(away.entries).toBe(oldestHeld - 1);
    const gone = receipts.slice(0, away.entries);
    const validated = gone.filter((r) => r['result/outcome'] === 'validated');
    expect(away).toMatchObject({ credit: validated.reduce((sum, r) => sum + r['credit/micro'], 0), validated: validated.length, rejected: gone.length - validated.length });
    await ledger.close();
    const again = await open(dir, options);
    expect(again.rotatedAway).toEqual(away);
    await again.close();
  });

  it('pages through the receipts it holds, newest first', async () => {
    const ledger = await open(dataDir(), { fsync: false });
    const source = receiptSource(orchestrator, pnode.nodeId);
    for (let i = 0; i < 7; i++) expect(await codeOf(ledger, source.next())).toBe('ok');
    const first = ledger.page(undefined, 3);
    expect(first.receipts.map((s) => s.index)).toEqual([7, 6, 5]);
    expect(first.nextBefore).toBe(5);
    const second = ledger.page(first.nextBefore!, 3);
    expect(second.receipts.map((s) => s.index)).toEqual([4, 3, 2]);
    const last = ledger.page(second.nextBefore!, 3);
    expect(last).toEqual({ receipts: [ledger.recent(7)[6]], nextBefore: null });
    expect(ledger.since(5).map((s) => s.index)).toEqual([6, 7]);
    await ledger.close();
  });

  it('appends one at a time: concurrent receipts of one orchestrator land in order', async () => {
    const ledger = await open(dataDir());
    const source = receiptSource(orchestrator, pnode.nodeId);
    const batch = Array.from({ length: 20 }, () => source.next());
    const results = await Promise.all(batch.map((r) => ledger.append(r, known)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(ledger.totals).toMatchObject({ entries: 20, gaps: 0 });
    await ledger.close();
  });
});

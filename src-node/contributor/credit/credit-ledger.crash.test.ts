// Crash safety of the credit ledger and the contribution history beside it, by killing a real
// writer (tests/support/credit-crash-writer.ts) at random moments, before and after it is ready,
// with segments small enough that rotation is killed too. After every kill the ledger is opened
// with the real loader: no receipt it acknowledged is missing, none is counted twice, the totals
// match the receipts, at most a torn last record was cut off, and the history file loads and has
// counted no receipt the ledger lacks. SIGKILL leaves the page cache whole, so after one trial in
// CUT_EVERY the newest segment also loses part of its last record, as a power loss inside a write
// might leave it (the fsyncs are what cover power loss; no test here can): the loader must find
// the torn record, cut it off and carry on. Kill moments come from a seed (PNODE_CRASH_SEED replays).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { LEDGER_DIR } from './ledger-file.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { systemClock } from '../../kernel/util/clock.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { CRASH_LEDGER_OPTIONS, CRASH_ORCHESTRATOR, CRASH_PNODE } from '../../../tests/support/credit-crash-writer.js';
import { CRASH_PRE_READY_EVERY, buildCreditWriter, killedCreditWriter, seeded } from '../../../tests/support/credit-crash-trials.js';
import { creditFor } from '../../../src-shared/credit/credit-formula.js';
import { ContributionHistoryStore } from '../history/contribution-history.js';
import { CreditLedger } from './credit-ledger.js';

const TRIALS = 40;
/** Appends wait for fdatasync: give each trial time for a few dozen. */
const MAX_KILL_DELAY_MS = 600;
const CUT_EVERY = 4;
const PER_RECEIPT = creditFor(43_200, 1_000);
const seed = Number(process.env['PNODE_CRASH_SEED'] ?? Date.now() % 2 ** 31);
let writer: { path: string; remove: () => void };
const dir = makeTempDir('pnode-ledger-crash-');

beforeAll(async () => {
  writer = await buildCreditWriter();
});
afterAll(() => {
  writer?.remove();
  dir.cleanup();
});

/** Cuts the newest segment inside its last record (never into its head); false when it holds none. */
function cutLastRecord(random: () => number): boolean {
  const folder = join(dir.path, LEDGER_DIR);
  const newest = readdirSync(folder).filter((name) => name.startsWith('segment-')).sort().at(-1);
  if (!newest) return false;
  const path = join(folder, newest);
  const text = readFileSync(path);
  const end = text.length - 1;
  const start = text.lastIndexOf(0x0a, end - 1) + 1;
  const headEnd = text.indexOf(0x0a) + 1;
  if (start <= headEnd - 1 || start >= end) return false;
  truncateSync(path, start + 1 + Math.floor(random() * (end - start - 1)));
  return true;
}

describe('the credit ledger under SIGKILL', () => {
  it(`after each of ${TRIALS} kills it holds every receipt it acknowledged, once, and the history agrees`, async () => {
    const random = seeded(seed);
    const started = Date.now();
    let acked = 0;
    let tornTails = 0;
    let killedBeforeReady = 0;
    let lastSegment = 0;
    let cutIndex = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const run = await killedCreditWriter(writer.path, ['ledger', dir.path], random, trial % CRASH_PRE_READY_EVERY === CRASH_PRE_READY_EVERY - 1, MAX_KILL_DELAY_MS);
      if (!run.ready) killedBeforeReady++;
      for (const line of run.lines) {
        const [word, n] = line.split(' ');
        if (word === 'done') acked = Math.max(acked, Number(n));
      }
      const where = `trial ${trial} (seed ${seed})`;
      let cut = false;
      if (trial % CUT_EVERY === CUT_EVERY - 1) cut = cutLastRecord(random);
      const ledger = await CreditLedger.open({ ...CRASH_LEDGER_OPTIONS, dataDir: dir.path, crypto: nativeCrypto, self: CRASH_PNODE.nodeId, clock: systemClock });
      try {
        const report = ledger.loadReport;
        if (report.tornBytes > 0) tornTails++;
        if (cut) expect(report.tornBytes, `${where}: the cut record was not found`).toBeGreaterThan(0);
        expect(report.corruptLines, `${where}: ${report.problems.join('; ')}`).toBe(0);
        const seq = ledger.totals.orchestrators[CRASH_ORCHESTRATOR.nodeId]?.seq ?? 0;
        // A cut takes the last acknowledged record with it: that one is lost by design of the simulation.
        if (cut) {
          acked = Math.min(acked, seq);
          // The history may have counted the record the cut took: it is ahead by that one until the ledger passes it.
          cutIndex = Math.max(cutIndex, seq + 1);
        }
        expect(seq, `${where}: an acknowledged receipt is missing`).toBeGreaterThanOrEqual(acked);
        expect(ledger.totals.entries, where).toBe(seq);
        expect(ledger.totals.gaps, where).toBe(0);
        expect(ledger.totals.credit, where).toBe(seq * PER_RECEIPT);
        expect(ledger.segmentNumbers.length, where).toBeLessThanOrEqual(CRASH_LEDGER_OPTIONS.maxSegments);
        lastSegment = ledger.segmentNumbers.at(-1) ?? 0;
        const newest = ledger.recent(1)[0];
        if (newest) expect((await ledger.detail(newest.receiptId))?.verified, where).toBe(true);
        const history = new ContributionHistoryStore(dir.path, systemClock);
        await history.load();
        const counted = history.get().receiptsThrough;
        expect(counted, `${where}: the history counted a receipt the ledger lacks`).toBeLessThanOrEqual(Math.max(seq, cutIndex));
        expect(history.get().total.credit, where).toBe(counted * PER_RECEIPT);
        expect(history.get().total.tasksValidated, where).toBe(counted);
      } finally {
        await ledger.close();
      }
    }
    console.info(
      `[crash] credit ledger: ${TRIALS} SIGKILLs (${killedBeforeReady} before ready) in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${seed}; ` +
        `${acked} receipts acknowledged, all found; ${tornTails} torn last records found and cut off; rotated up to segment ${lastSegment}`,
    );
    expect(acked).toBeGreaterThan(0);
    expect(tornTails).toBeGreaterThan(0);
    expect(lastSegment, 'rotation was never reached').toBeGreaterThan(CRASH_LEDGER_OPTIONS.maxSegments);
  }, 300_000);
});

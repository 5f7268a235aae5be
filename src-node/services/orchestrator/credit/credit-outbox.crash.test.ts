// Crash safety of the orchestrator's credit outbox, by killing a real writer
// (tests/support/credit-crash-writer.ts) that issues receipts to three PNodes, settles some and
// drops some at its bound, with a compaction threshold small enough that compactions are killed
// too. After every kill the outbox is opened with the real loader: every receipt it said was
// issued is still waiting unless it was settled or dropped, the numbers never go back, and what
// waits verifies. Kill moments come from a seed (PNODE_CRASH_SEED replays).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { nativeCrypto } from '../../../kernel/crypto/native-provider.js';
import { systemClock } from '../../../kernel/util/clock.js';
import { makeTempDir } from '../../../../tests/support/temp-dir.js';
import { CRASH_ORCHESTRATOR, CRASH_OUTBOX_OPTIONS, CRASH_OUTBOX_PNODES } from '../../../../tests/support/credit-crash-writer.js';
import { CRASH_PRE_READY_EVERY, buildCreditWriter, killedCreditWriter, seeded } from '../../../../tests/support/credit-crash-trials.js';
import { verifyCreditReceipt } from '../../../../src-shared/credit/credit-receipt.js';
import { CreditOutbox } from './credit-outbox.js';

const TRIALS = 40;
const seed = Number(process.env['PNODE_CRASH_SEED'] ?? Date.now() % 2 ** 31) ^ 0x2c1b3c6d;
let writer: { path: string; remove: () => void };
const dir = makeTempDir('pnode-outbox-crash-');

beforeAll(async () => {
  writer = await buildCreditWriter();
});
afterAll(() => {
  writer?.remove();
  dir.cleanup();
});

describe('the credit outbox under SIGKILL', () => {
  it(`after each of ${TRIALS} kills every receipt it issued still waits, unless settled or dropped`, async () => {
    const random = seeded(seed);
    const started = Date.now();
    const issued = new Map<string, { pnode: string; seq: number }>();
    const gone = new Set<string>();
    const highest = new Map<string, number>();
    let tornTails = 0;
    let largest = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const run = await killedCreditWriter(writer.path, ['outbox', dir.path], random, trial % CRASH_PRE_READY_EVERY === CRASH_PRE_READY_EVERY - 1);
      for (const line of run.lines) {
        const [word, a, b, c] = line.split(' ');
        if (word === 'issued') {
          issued.set(b!, { pnode: a!, seq: Number(c) });
          highest.set(a!, Math.max(highest.get(a!) ?? 0, Number(c)));
        } else if (word === 'settle' || word === 'dropped') {
          gone.add(a!);
        }
      }
      const where = `trial ${trial} (seed ${seed})`;
      const outbox = await CreditOutbox.open({ ...CRASH_OUTBOX_OPTIONS, dataDir: dir.path, clock: systemClock, signer: CRASH_ORCHESTRATOR.signer });
      try {
        if (outbox.loadReport.tornBytes > 0) tornTails++;
        largest = Math.max(largest, statSync(outbox.path).size);
        expect(outbox.loadReport.corruptLines, where).toBe(0);
        const waiting = new Set<string>();
        for (const pnode of CRASH_OUTBOX_PNODES) {
          const list = outbox.waitingFor(pnode);
          expect(list.length, where).toBeLessThanOrEqual(CRASH_OUTBOX_OPTIONS.maxPerPNode);
          for (let i = 1; i < list.length; i++) expect(list[i]!['sequence/no'], `${where}: numbers out of order`).toBeGreaterThan(list[i - 1]!['sequence/no']);
          for (const receipt of list) {
            waiting.add(receipt['receipt/id']);
            expect(verifyCreditReceipt(receipt, { crypto: nativeCrypto, self: pnode, knownOrchestrator: (id) => id === CRASH_ORCHESTRATOR.nodeId }).ok, where).toBe(true);
          }
          const next = outbox.sequenceOf(pnode)?.next ?? 1;
          expect(next, `${where}: the sequence of ${pnode} went back`).toBeGreaterThan(highest.get(pnode) ?? 0);
        }
        for (const [id] of issued) if (!gone.has(id)) expect(waiting.has(id), `${where}: issued receipt ${id} is lost`).toBe(true);
      } finally {
        await outbox.close();
      }
    }
    console.info(
      `[crash] credit outbox: ${TRIALS} SIGKILLs in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${seed}; ` +
        `${issued.size} receipts issued, ${gone.size} settled or dropped, every other one found waiting; ${tornTails} torn last records cut off; the file never larger than ${largest} bytes (compacted)`,
    );
    expect(issued.size).toBeGreaterThan(0);
    // Without compaction the file would hold every record ever written (about 1 KiB per receipt issued).
    expect(largest).toBeLessThan(issued.size * 1_024);
  }, 300_000);
});

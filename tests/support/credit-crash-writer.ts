// The child process of the credit crash trials (src-node/contributor/credit/credit.crash.test.ts):
// a real writer that runs until the parent SIGKILLs it and reports every durable write on stdout
// (a pipe: a line printed is a line the parent gets, even if the kill comes next).
//
//   ledger <dataDir>   a CreditLedger (small segments, so rotation is killed too) and the
//                      contribution history beside it: appends the next receipt of one
//                      orchestrator, then counts it in the history (after replaying, on start, what
//                      the ledger holds past the history, as the history module does); `done
//                      <sequence>` once the ledger answered (the record is on disk).
//   outbox <dataDir>   a CreditOutbox (small compaction threshold and per-PNode bound): issues
//                      receipts to three PNodes in turn (`issued <pnode> <receipt id> <sequence>` once on
//                      disk) and settles the oldest waiting one every other turn (`settle <id>`,
//                      printed before the settle); `dropped <id>` when the bound drops one (the
//                      outbox tells of a drop before it writes it).
// `ready` once opened. It gives up by itself after CREDIT_WRITER_MAX_MS.
import { writeSync } from 'node:fs';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { CreditLedger } from '../../src-node/contributor/credit/credit-ledger.js';
import { ContributionHistoryStore } from '../../src-node/contributor/history/contribution-history.js';
import { receiptCount, withLedgerSince, withReceipt } from '../../src-node/contributor/history/history-buckets.js';
import { CreditOutbox } from '../../src-node/services/orchestrator/credit/credit-outbox.js';
import { testIdentity } from './identities.js';
import { receiptSource, validatedFact } from './credit.js';

export const CREDIT_WRITER_MAX_MS = 60_000;
export const CRASH_LEDGER_OPTIONS = { segmentBytes: 4_096, maxSegments: 3 } as const;
export const CRASH_OUTBOX_OPTIONS = { compactMinBytes: 16 * 1024, maxPerPNode: 24 } as const;
export const CRASH_PNODE = testIdentity(0x71);
export const CRASH_ORCHESTRATOR = testIdentity(0x72);
export const CRASH_OUTBOX_PNODES = [testIdentity(0x73), testIdentity(0x74), testIdentity(0x75)].map((i) => i.nodeId);

/** The pause before trying a full pipe again (a synchronous wait: the line must be out before anything else runs). */
const SAY_RETRY_MS = 1;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Puts the line in the pipe before going on: a line the child has said is then one the parent gets,
 * even if the kill comes next. process.stdout queues a write in the process when the pipe is full
 * (a busy parent reads late), and the kill loses it, while the change the line announced may already
 * be on disk (a settled receipt the parent then counted as lost).
 */
function say(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  for (let written = 0; written < bytes.length; ) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      // stdout may be a non-blocking pipe: full for now, so try again until the parent reads.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(PAUSE, 0, 0, SAY_RETRY_MS);
    }
  }
}

async function runLedger(dataDir: string): Promise<void> {
  const ledger = await CreditLedger.open({ ...CRASH_LEDGER_OPTIONS, dataDir, crypto: nativeCrypto, self: CRASH_PNODE.nodeId, clock: systemClock });
  const history = new ContributionHistoryStore(dataDir, systemClock);
  await history.load();
  const source = receiptSource(CRASH_ORCHESTRATOR, CRASH_PNODE.nodeId, { now: () => Date.now() - 1_000 });
  let sequence = ledger.totals.orchestrators[CRASH_ORCHESTRATOR.nodeId]?.seq ?? 0;
  // As the history module does on start: count what the ledger stored after the history's last write.
  history.update((data) => withLedgerSince(data, ledger.rotatedAway, ledger.since(data.receiptsThrough), Date.now()));
  say('ready');
  for (;;) {
    const receipt = source.numbered(++sequence, { taskId: `att:crash${sequence}` });
    const result = await ledger.append(receipt, (id) => id === CRASH_ORCHESTRATOR.nodeId);
    if (!result.ok) throw new Error(`receipt ${sequence} refused: ${result.error.code} ${result.error.detail}`);
    say(`done ${sequence}`);
    const { summary } = result.value;
    history.update((data) => withReceipt(data, receiptCount(summary), Date.now()));
  }
}

async function runOutbox(dataDir: string): Promise<void> {
  const outbox = await CreditOutbox.open({ ...CRASH_OUTBOX_OPTIONS, dataDir, clock: systemClock, signer: CRASH_ORCHESTRATOR.signer, onDropped: (receipt) => say(`dropped ${receipt['receipt/id']}`) });
  say('ready');
  for (let turn = 0; ; turn++) {
    const pnode = CRASH_OUTBOX_PNODES[turn % CRASH_OUTBOX_PNODES.length]!;
    const next = outbox.sequenceOf(pnode)?.next ?? 1;
    const issued = await outbox.issue(validatedFact(pnode, `att:${pnode.slice(-6)}-${next}`, { validatedAt: Date.now() - 1_000 }));
    say(`issued ${pnode} ${issued.receiptId} ${issued.receipt!['sequence/no']}`);
    if (turn % 2 === 1) {
      const oldest = outbox.next(pnode);
      if (oldest) {
        say(`settle ${oldest['receipt/id']}`);
        outbox.settle(pnode, oldest['receipt/id'], 'delivered');
      }
    }
  }
}

export async function runCreditCrashWriter(args: readonly string[]): Promise<void> {
  setTimeout(() => process.exit(3), CREDIT_WRITER_MAX_MS).unref();
  const [mode, dataDir] = args;
  if (!dataDir) throw new Error('usage: ledger|outbox <dataDir>');
  if (mode === 'ledger') await runLedger(dataDir);
  else if (mode === 'outbox') await runOutbox(dataDir);
  else throw new Error(`unknown mode ${String(mode)}`);
}

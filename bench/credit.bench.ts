// Credit figures (issue 13 §5): issuing (formula + signature) and verifying a credit receipt, the
// orchestrator's outbox issuing durably (fdatasync, group commit) and its memory per waiting
// receipt, the PNode's ledger appending one receipt at a time (verify + fdatasync), and the
// contribution history counting a task. `npm run bench -- credit`. Printed, not asserted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeCredit } from '../src-shared/credit/credit-formula.js';
import { issueCreditReceipt, verifyCreditReceipt } from '../src-shared/credit/credit-receipt.js';
import { nativeCrypto } from '../src-node/kernel/crypto/native-provider.js';
import { ManualClock, systemClock } from '../src-node/kernel/util/clock.js';
import { CreditLedger } from '../src-node/contributor/credit/credit-ledger.js';
import { emptyHistory, withTask } from '../src-node/contributor/history/history-buckets.js';
import { CreditOutbox } from '../src-node/services/orchestrator/credit/credit-outbox.js';
import { testIdentity } from '../tests/support/identities.js';
import { receiptSource, validatedFact } from '../tests/support/credit.js';
import { measure, printEnvironment, printTable, timeScale } from './lib/measure.js';

const orchestrator = testIdentity(0x41);
const pnode = testIdentity(0x42);
const NOW = Date.parse('2026-11-21T12:00:00Z');
const TIMING = { warmupMs: 150, timeMs: 900 };

printEnvironment();
const award = computeCredit({ outcome: 'validated', claim: { cpuMs: 43_200, benchMops: 2_000, wallMs: 45_000 }, budgetMs: 60_000 });
let n = 0;
const issue = () =>
  issueCreditReceipt({ pnode: pnode.nodeId, project: { key: orchestrator.keyPublic, name: 'Bench' }, taskId: `att:b${n}`, outcome: 'validated', validatedAt: NOW, cpuMs: 43_200, award, epoch: 'seq:01KBENCH', sequence: ++n }, orchestrator.signer);
const sample = issue();
const options = { crypto: nativeCrypto, self: pnode.nodeId, knownOrchestrator: (id: string) => id === orchestrator.nodeId, now: NOW };
let history = emptyHistory(NOW);
printTable('credit receipts, in memory', [
  measure('issue (formula, rules, sign)', issue, TIMING),
  measure('verify (schema, rules, signature)', () => verifyCreditReceipt(sample, options), TIMING),
  measure('history: count a task', () => (history = withTask(history, { startedAt: NOW - 5_000, finishedAt: NOW, cpuMs: 4_000, done: true }, NOW)), TIMING),
]);

const root = mkdtempSync(join(tmpdir(), 'pnode-bench-credit-'));
try {
  // The outbox, as the scheduler's hook drives it: many validations at once share each fdatasync.
  const count = Math.max(500, Math.round(20_000 * timeScale()));
  const outbox = await CreditOutbox.open({ dataDir: join(root, 'outbox'), clock: new ManualClock(NOW), signer: orchestrator.signer, maxPerPNode: count, maxReceipts: count });
  const pnodes = Array.from({ length: 50 }, (_, i) => testIdentity(0x80 + i).nodeId);
  const heapBefore = process.memoryUsage().heapUsed;
  let started = performance.now();
  const inFlight = 256;
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const i = next++;
        await outbox.issue(validatedFact(pnodes[i % pnodes.length]!, `att:o${i}`, { validatedAt: NOW }));
      }
    }),
  );
  const issueSeconds = (performance.now() - started) / 1000;
  global.gc?.();
  const heapPerReceipt = (process.memoryUsage().heapUsed - heapBefore) / count;
  await outbox.close();
  started = performance.now();
  const reopened = await CreditOutbox.open({ dataDir: join(root, 'outbox'), clock: new ManualClock(NOW), signer: orchestrator.signer, maxPerPNode: count, maxReceipts: count });
  const reopenMs = performance.now() - started;
  await reopened.close();

  // The ledger, as a PNode's credit module drives it: one receipt at a time, each verified and on disk before the next.
  const appends = Math.max(100, Math.round(2_000 * timeScale()));
  const ledger = await CreditLedger.open({ dataDir: join(root, 'ledger'), crypto: nativeCrypto, self: pnode.nodeId, clock: systemClock });
  const source = receiptSource(orchestrator, pnode.nodeId, { now: () => Date.now() - 1_000 });
  const receipts = Array.from({ length: appends }, () => source.next());
  started = performance.now();
  for (const receipt of receipts) {
    const result = await ledger.append(receipt, (id) => id === orchestrator.nodeId);
    if (!result.ok) throw result.error;
  }
  const appendSeconds = (performance.now() - started) / 1000;
  await ledger.close();
  started = performance.now();
  const again = await CreditLedger.open({ dataDir: join(root, 'ledger'), crypto: nativeCrypto, self: pnode.nodeId, clock: systemClock });
  const ledgerOpenMs = performance.now() - started;
  const held = again.recent(Number.MAX_SAFE_INTEGER).length;
  await again.close();

  process.stdout.write(
    `\ncredit outbox: ${count} receipts issued durably by ${inFlight} callers at once: ${(count / issueSeconds).toFixed(0)}/s; ` +
      `≈ ${(heapPerReceipt / 1024).toFixed(2)} KiB of heap per waiting receipt${global.gc ? '' : ' (run with --expose-gc for a steadier figure)'}; reopened in ${reopenMs.toFixed(0)} ms\n` +
      `credit ledger: ${appends} receipts appended one at a time (verify + fdatasync each): ${(appends / appendSeconds).toFixed(0)}/s; ` +
      `reopened in ${ledgerOpenMs.toFixed(0)} ms holding ${held} receipts in full\n`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}

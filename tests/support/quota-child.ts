// Stores driven in a child process that runs under a real file-size quota (file-size-limit.ts):
// each operation's answer and the store's in-memory view after it go to stdout as JSON lines, so
// the parent can compare them with what is on disk afterwards.
//
//   settings <dataDir>    three changes: a small one, one that makes settings.json too big, a small one
//   directory <dataDir>   PUTs of new nodes and of replacements until the log cannot grow, then a
//                         compaction (a rewrite from memory) and more PUTs
import { SettingsStore } from '../../src-node/kernel/runtime/settings.js';
import { DirectoryStore } from '../../src-node/services/directory/directory-store.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { makePublisher, signedAdvertisement } from './directory.js';

/** The directory scenario: this many publishers, each PUT twice (a new node, then a replacement). */
export const QUOTA_DIRECTORY_PUBLISHERS = 16;

export interface QuotaLine {
  readonly op: string;
  /** 'ok', or the error code (EFBIG on a file past the quota). */
  readonly answer: string;
  /** The store's own view right after the answer. */
  readonly memory: unknown;
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
}

export async function runQuotaChild(args: readonly string[]): Promise<void> {
  const [kind, dataDir] = args;
  const say = (line: QuotaLine): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
  if (kind === 'settings') {
    const store = new SettingsStore(dataDir!);
    await store.load();
    const attempt = async (op: string, change: Parameters<SettingsStore['update']>[0]): Promise<void> => {
      let answer = 'ok';
      try {
        await store.update(change);
      } catch (error) {
        answer = codeOf(error);
      }
      say({ op, answer, memory: store.get() });
    };
    await attempt('limits 40', (s) => ({ ...s, limits: { ...s.limits, cpuPercent: 40 } }));
    const seeds = Array.from({ length: 30 }, (_, i) => ({ nodeId: `node:did:key:z6Mk${'x'.repeat(40)}${i}`, url: `wss://seed-${i}.example/peer` }));
    await attempt('30 seeds', (s) => ({ ...s, seeds }));
    await attempt('limits 60', (s) => ({ ...s, limits: { ...s.limits, cpuPercent: 60 } }));
    return;
  }
  if (kind === 'directory') {
    const store = await DirectoryStore.open({ dataDir: dataDir!, clock: systemClock, crypto: nativeCrypto });
    const publishers = Array.from({ length: QUOTA_DIRECTORY_PUBLISHERS }, () => makePublisher());
    const putOne = async (op: string, publisher: (typeof publishers)[number], sequence: number): Promise<void> => {
      const verified = store.verify(signedAdvertisement(publisher, { sequence }));
      if (!verified.ok) throw verified.error;
      const outcome = store.put(verified.value);
      let answer: string = outcome.kind;
      if (outcome.kind === 'stored' || outcome.kind === 'unchanged') {
        try {
          await outcome.durable;
        } catch (error) {
          answer = codeOf(error);
        }
      }
      say({ op, answer, memory: { nodeId: publisher.nodeId, sequence, served: store.get(publisher.nodeId)?.sequence ?? null } });
    };
    // Interleaved and concurrent, as PUTs arrive: new nodes and replacements share batches.
    for (let i = 0; i < publishers.length; i += 4) {
      const group = publishers.slice(i, i + 4);
      await Promise.all(group.map((p, j) => putOne(`put ${i + j} seq 0`, p, 0)));
      await Promise.all(group.map((p, j) => putOne(`put ${i + j} seq 1`, p, 1)));
    }
    let compaction = 'ok';
    await store.compact().catch((error: unknown) => (compaction = codeOf(error)));
    say({ op: 'compact', answer: compaction, memory: { size: store.size } });
    await putOne('put 0 seq 2', publishers[0]!, 2);
    await store.close();
    return;
  }
  throw new Error(`quota child: unknown store ${String(kind)}`);
}

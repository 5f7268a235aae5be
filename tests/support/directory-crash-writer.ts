// The child process of the directory's crash test (directory-log.crash.test.ts): it PUTs into a
// DirectoryStore as fast as it can — new rows and replacements, with compaction thresholds so low
// that the log is rewritten every few batches — and prints `acked <node-id> <sequence/no>` for each
// row once it is on disk, until the parent SIGKILLs it. No side effects on import; the test
// bundles a two-line entry that calls runDirectoryCrashWriter. It gives up by itself after
// DIRECTORY_CRASH_WRITER_MAX_MS so an orphan never outlives a failed run for long.
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { DirectoryStore } from '../../src-node/services/directory/directory-store.js';
import { makePublisher, signedAdvertisement } from './directory.js';

export const DIRECTORY_CRASH_WRITER_MAX_MS = 20_000;
export const DIRECTORY_CRASH_PUBLISHERS = 40;
export const DIRECTORY_CRASH_IN_FLIGHT = 16;

export async function runDirectoryCrashWriter(args: readonly string[]): Promise<void> {
  const dataDir = args[0];
  if (!dataDir) throw new Error('usage: <data dir>');
  setTimeout(() => process.exit(3), DIRECTORY_CRASH_WRITER_MAX_MS).unref();
  const store = await DirectoryStore.open({ dataDir, clock: systemClock, crypto: nativeCrypto, compactionRatio: 2, compactionMinBytes: 0 });
  const publishers = Array.from({ length: DIRECTORY_CRASH_PUBLISHERS }, () => makePublisher());
  const sequences = publishers.map(() => 0);
  process.stdout.write('ready\n');
  let turn = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      const i = turn++ % publishers.length;
      const publisher = publishers[i]!;
      const sequence = sequences[i]!;
      sequences[i] = sequence + 1;
      const outcome = store.put(signedAdvertisement(publisher, { sequence }));
      if (outcome.kind !== 'stored') continue;
      await outcome.durable;
      process.stdout.write(`acked ${publisher.nodeId} ${sequence}\n`);
    }
  };
  await Promise.all(Array.from({ length: DIRECTORY_CRASH_IN_FLIGHT }, lane));
}

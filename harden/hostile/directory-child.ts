// A seed directory alone in a child process (the real DirectoryStore and DirectoryServer), with its
// caps given on the command line, so the harness can fill it, read its memory from /proc, SIGKILL it
// and time its restart:
//
//   node directory-child.mjs <dataDir> <port> <maxEntries> <maxStoredBytes>
//
// Prints `directory <url>` once serving and `loaded <ms> <entries> <refused> <evicted>` (the time
// from the start of the log read to serving). Runs until killed.
import { randomBytes } from 'node:crypto';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed } from '../../src-node/kernel/identity/node-identity.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { parseDirectoryListenUrl } from '../../src-node/kernel/discovery/directory-url.js';
import { DirectoryStore } from '../../src-node/services/directory/directory-store.js';
import { DirectoryServer } from '../../src-node/services/directory/directory-http.js';

export async function runDirectoryChild(args: readonly string[]): Promise<void> {
  const [dataDir, port, maxEntries, maxStoredBytes] = args;
  if (!dataDir || !port || !maxEntries || !maxStoredBytes) throw new Error('usage: directory-child <dataDir> <port> <maxEntries> <maxStoredBytes>');
  const started = Date.now();
  const store = await DirectoryStore.open({ dataDir, clock: systemClock, crypto: nativeCrypto, maxEntries: Number(maxEntries), maxStoredBytes: Number(maxStoredBytes) });
  const server = await DirectoryServer.start({
    store,
    listen: parseDirectoryListenUrl(`http://127.0.0.1:${port}`, { insecureLoopback: true }),
    clock: systemClock,
    nodeId: identityFromSeed(randomBytes(32), nativeCrypto).nodeId,
  });
  const report = store.loadReport;
  process.stdout.write(`directory ${server.url}\nloaded ${Date.now() - started} ${store.size} ${report.refused} ${report.evicted}\n`);
  const stop = (): void => {
    void server.close().then(() => store.close()).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// Issue 12 §1: "Try it on this computer" starts a small devnet in the background (real `pnode`
// children that stop with their parent) and joins it; leaving stops it.
import { afterEach, describe, expect, it } from 'vitest';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { NetworkHost } from '../../src-node/recipes/network-host.js';
import { devnetLocalNetwork, LOCAL_NETWORK_ID } from '../../src-node/tools/devnet/local-network.js';
import { processExists } from '../../src-node/kernel/util/parent-watch.js';
import { readDevnetFile } from '../../src-node/tools/devnet/devnet.js';
import { PNODE_BIN } from '../support/nodes.js';
import { makeTempDir } from '../support/temp-dir.js';
import { join } from 'node:path';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('Try it on this computer', () => {
  it('starts a test network here, joins it and registers; leaving stops it', async () => {
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const localDir = join(dir.path, 'local-network');
    const host = await NetworkHost.start({
      config: { dataDir: join(dir.path, 'me'), role: 'contributor', listen: [], seeds: [], insecureLoopback: false, trustCa: [], keystore: 'file', warn: () => undefined, version: 'test', contributor: { activity: 'headless' } },
      localNetwork: devnetLocalNetwork({ dir: localDir, cli: { command: process.execPath, args: [PNODE_BIN] }, crypto: nativeCrypto, clock: systemClock, parentPid: process.pid, nodes: 1 }),
    });
    cleanups.push(() => host.stop());
    expect(host.snapshot().network.book?.canTryLocal).toBe(true);

    const joined = await host.execute({ command: 'try-local-network' });
    expect(joined, JSON.stringify(joined)).toMatchObject({ ok: true, value: { networkId: LOCAL_NETWORK_ID, onThisComputer: true } });
    expect(host.snapshot().network).toMatchObject({ networkId: LOCAL_NETWORK_ID, joined: true });
    await expect.poll(() => host.snapshot().orchestrators.some((o) => o.status === 'registered'), { timeout: 60_000 }).toBe(true);
    const pids = (await readDevnetFile(join(localDir, 'devnet'))).nodes.map((n) => n.pid);
    expect(pids.every(processExists)).toBe(true);

    expect(await host.execute({ command: 'leave-network' })).toEqual({ ok: true, value: null });
    await expect.poll(() => pids.some(processExists), { timeout: 30_000 }).toBe(false);
    expect(host.snapshot().network.book?.known[0]).toMatchObject({ source: 'local' });
  }, 180_000);
});

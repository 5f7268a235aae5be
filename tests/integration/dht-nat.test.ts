// Issue 16 §3/§5: two PNodes, each behind its own NAT router, meet through their network's DHT: the
// one with no listener at all is found by capability and reached by a holepunch, and our signed
// handshake runs over the punched stream. Real processes (`pnode dht-bootstrap`, `pnode node`,
// `pnode dht-find`) in network namespaces of the test's own (tests/support/netns.ts); skipped with
// the reason where namespaces cannot be made (not root, no ip/nft). CI runs as root with both.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatLab, netnsUnavailable, type NatLab } from '../support/netns.js';
import { spawnPnode, PNODE_BIN, type ChildNode } from '../support/nodes.js';
import { dhtNetwork } from '../support/dht.js';
import { makeTempDir } from '../support/temp-dir.js';

const unavailable = netnsUnavailable();
/** NAT type detection needs answers from at least 3 DHT nodes; a small network lists several bootstrap nodes. */
const BOOTSTRAP_NODES = 6;
/** dht-find runs at most this many times (a fresh node each: the bootstrap nodes' tables fill in the first seconds). */
const FIND_ATTEMPTS = 6;

describe.skipIf(unavailable !== undefined)(`two PNodes behind NAT${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: NatLab | undefined;
  const children: ChildNode[] = [];
  const dir = makeTempDir('pnode-dht-nat-');

  beforeAll(() => {
    lab = createNatLab({ homes: 2, servers: BOOTSTRAP_NODES });
  });
  afterAll(async () => {
    for (const child of children.splice(0).reverse()) await child.stop('SIGKILL');
    lab?.destroy();
    dir.cleanup();
  });

  it('the node with no listener is found by capability and reached by a holepunch, verified by the handshake', async () => {
    const network = dhtNetwork(lab!.serverAddresses.map((host) => ({ host, port: 47001 })));
    const descriptorFile = join(dir.path, 'network.json');
    writeFileSync(descriptorFile, JSON.stringify(network.descriptor));
    for (const [i, host] of lab!.serverAddresses.entries()) {
      children.push(await spawnPnode(['dht-bootstrap', '--listen', `${host}:47001`, '--network', descriptorFile, '--data-dir', join(dir.path, `boot-${i}`), '--keystore', 'file'], { netns: lab!.internet }));
    }
    const [home1, home2] = lab!.homes;
    // A PNode at home 1: no --listen, so no endpoint but the DHT's once it has joined (in the background).
    const pnode = await spawnPnode(['node', '--network', descriptorFile, '--data-dir', join(dir.path, 'home-1'), '--keystore', 'file'], { netns: home1!.home });
    children.push(pnode);

    let output = '';
    for (let attempt = 0; attempt < FIND_ATTEMPTS && !output.includes('found '); attempt++) {
      const run = spawnSync('ip', ['netns', 'exec', home2!.home, process.execPath, PNODE_BIN, 'dht-find', 'vnode/wasi', '--network', descriptorFile, '--data-dir', join(dir.path, 'home-2'), '--keystore', 'file', '--want', '1'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      output = run.stdout;
    }
    // Found, verified as the PNode's own node-id, and the path went through both NATs by a holepunch
    // to home 1's router's public address.
    expect(output).toMatch(new RegExp(`found ${pnode.nodeId} via dht \\(punched ${home1!.publicAddress.replace(/\./g, '\\.')}:\\d+\\)`));
  }, 240_000);
});

// `pnode dht-bootstrap` as the operator runs it (a child process): named in the network descriptor,
// it is the way in to the network's DHT, and nodes of the network find each other by capability
// through it. Bad addresses are usage errors.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DhtModule } from '../../src-node/kernel/dht/dht-module.js';
import { dhtBootstrapCommand } from '../../src-node/cli/commands/dht-bootstrap.js';
import type { NetworkMembership } from '../../src-node/kernel/runtime/node-config.js';
import { spawnPnode, startTestNode, type ChildNode, type TestNode } from '../support/nodes.js';
import { dhtNetwork, freeUdpPort } from '../support/dht.js';
import { makeTempDir } from '../support/temp-dir.js';
import { pnodeRoot, runCli } from '../support/cli.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dhtNode(network: NetworkMembership, capabilities: readonly string[]): Promise<TestNode & { dht: DhtModule }> {
  let dht: DhtModule | undefined;
  const node = await startTestNode({
    network,
    listenOn: false,
    modules: (runtime) => [(dht = new DhtModule({ ...runtime.components, capabilities: { current: () => capabilities, subscribe: () => () => undefined } }, { host: '127.0.0.1', startWaitMs: 15_000 }))],
  });
  cleanups.push(() => node.cleanup());
  return Object.assign(node, { dht: dht! });
}

describe('pnode dht-bootstrap', () => {
  it('runs a bootstrap node the descriptor names, through which nodes find each other by capability', async () => {
    const dir = makeTempDir('pnode-dht-cli-');
    cleanups.push(() => dir.cleanup());
    const port = await freeUdpPort();
    const network = dhtNetwork([{ host: '127.0.0.1', port }]);
    const descriptorFile = join(dir.path, 'network.json');
    writeFileSync(descriptorFile, JSON.stringify(network.descriptor));
    const child: ChildNode = await spawnPnode(['dht-bootstrap', '--listen', `127.0.0.1:${port}`, '--network', descriptorFile, '--data-dir', join(dir.path, 'boot'), '--keystore', 'file']);
    cleanups.push(() => child.stop());
    expect(child.output()).toContain(`dht        bootstrap node at udp 127.0.0.1:${port}`);

    const worker = await dhtNode(network, ['vnode/wasi']);
    const seeker = await dhtNode(network, []);
    expect((await seeker.dht.find('vnode/wasi', 2)).map((p) => p.nodeId)).toEqual([worker.identity.nodeId]);
    expect(await child.stop()).toBe(0);
  }, 60_000);

  it('refuses a listen address that is not IPv4 host:port', async () => {
    const dir = makeTempDir('pnode-dht-cli-');
    cleanups.push(() => dir.cleanup());
    for (const bad of ['localhost:47001', '0.0.0.0:47001', '127.0.0.1', '[::1]:47001']) {
      const run = await runCli(pnodeRoot(dhtBootstrapCommand), ['dht-bootstrap', '--listen', bad, '--data-dir', dir.path]);
      expect(run.code, bad).not.toBe(0);
      expect(run.stderr, bad).toContain('--listen');
    }
  });
});

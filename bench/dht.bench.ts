// The DHT's cost inside our node (issue 16 §4) and its lookups on loopback. `npm run bench -- dht`.
//
// 1. Budget: two idle `pnode node` processes side by side, the same in all but one thing: the
//    network descriptor of one names DHT bootstrap nodes (it joins, announces its capabilities,
//    listens for holepunches), the other's does not (no DHT, engine never loaded). Their RSS and CPU
//    over the same idle window; the difference is the DHT's (target: ≤ +15 MB RSS, ≤ +0.05 % CPU).
// 2. Lookups: on a loopback DHT of ours (bootstrap + relays), a node finds a capability announced by
//    others: the lookup alone (candidates) and the find (lookup + our handshake over a DHT stream).
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSupervised } from '../src-node/kernel/process/lifeline.js';
import { DAY_MS, buildNetworkDescriptor } from '../src-shared/network/network-descriptor.js';
import { nativeCrypto } from '../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed } from '../src-node/kernel/identity/node-identity.js';
import { openDhtEngine, type DhtEngine } from '../src-node/kernel/dht/engine.js';
import { NodeRuntime } from '../src-node/kernel/runtime/node-runtime.js';
import { DhtModule } from '../src-node/kernel/dht/dht-module.js';
import type { NetworkMembership } from '../src-node/kernel/runtime/node-config.js';
import { createSocket } from 'node:dgram';
import { printEnvironment, timeScale } from './lib/measure.js';
import { cpuPercent, mib, percentile, sampleProcess } from './lib/process-stats.js';

const scale = timeScale();
const IDLE_SECONDS = Math.max(5, 120 * scale);
const LOOKUPS = Math.max(10, Math.round(200 * scale));
const RELAYS = 8;
const WORKERS = 16;

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

const owner = identityFromSeed(new Uint8Array(32).fill(0x5d), nativeCrypto);
function descriptor(dht: readonly string[]) {
  const built = buildNetworkDescriptor(
    { id: 'net:dht-bench', name: 'DHT bench', directories: ['http://127.0.0.1:9/'], joinPolicy: 'open', createdAt: Date.now() - 60_000, validForMs: DAY_MS, ...(dht.length ? { dhtBootstrap: dht } : {}) },
    owner.signer,
    nativeCrypto,
  );
  if (!built.ok) throw built.error;
  return built.value;
}

printEnvironment();
const root = mkdtempSync(join(tmpdir(), 'pnode-dht-bench-'));
const children: ChildProcess[] = [];
const engines: DhtEngine[] = [];
const BIN = join(process.cwd(), 'bin', 'pnode.js');

function spawnNode(args: readonly string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawnSupervised(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`pnode ${args[0]} did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

try {
  // The loopback DHT: bootstrap node and relays in this process.
  const port = await freeUdpPort();
  const boot = openDhtEngine({ mode: 'bootstrap', host: '127.0.0.1', port, bootstrap: [] }).engine;
  await boot.bind();
  engines.push(boot);
  const bootstrap = [{ host: '127.0.0.1', port }];
  for (let i = 0; i < RELAYS; i++) {
    const relay = openDhtEngine({ mode: 'node', host: '127.0.0.1', bootstrap, reachable: true }).engine;
    await relay.fullyBootstrapped();
    engines.push(relay);
  }

  // --- 1. The budget ---
  const withFile = join(root, 'with-dht.json');
  const withoutFile = join(root, 'without-dht.json');
  writeFileSync(withFile, JSON.stringify(descriptor([`127.0.0.1:${port}`])));
  writeFileSync(withoutFile, JSON.stringify(descriptor([])));
  const common = ['--keystore', 'file'];
  const without = await spawnNode(['node', '--network', withoutFile, '--data-dir', join(root, 'without'), ...common], /control\s/);
  const withDht = await spawnNode(['node', '--network', withFile, '--data-dir', join(root, 'with'), ...common], /control\s/);
  // Let start-up (hardware probes, the DHT's join and first announcements) settle.
  await new Promise((r) => setTimeout(r, 10_000));
  const a0 = sampleProcess(without.pid!);
  const b0 = sampleProcess(withDht.pid!);
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const a1 = sampleProcess(without.pid!);
  const b1 = sampleProcess(withDht.pid!);
  if (a0 && a1 && b0 && b1) {
    const cpuWithout = cpuPercent(a0, a1);
    const cpuWith = cpuPercent(b0, b1);
    line(`idle node over ${IDLE_SECONDS} s, no DHT:      CPU ${cpuWithout.toFixed(3)} % of one core   RSS ${mib(a1.rssBytes)}`);
    line(`idle node over ${IDLE_SECONDS} s, with DHT:    CPU ${cpuWith.toFixed(3)} % of one core   RSS ${mib(b1.rssBytes)}`);
    line(`the DHT's cost in our node:           CPU ${(cpuWith - cpuWithout >= 0 ? '+' : '') + (cpuWith - cpuWithout).toFixed(3)} %   RSS ${(b1.rssBytes - a1.rssBytes >= 0 ? '+' : '') + mib(b1.rssBytes - a1.rssBytes)}   (budget: +0.05 %, +15 MB)`);
  } else {
    line('idle nodes: /proc is not available on this platform; no figures');
  }
  for (const child of children.splice(0)) child.kill('SIGKILL');

  // --- 2. Lookups on loopback ---
  const network: NetworkMembership = { id: 'net:dht-bench', name: 'DHT bench', descriptor: descriptor([`127.0.0.1:${port}`]) };
  const nodes: Array<{ runtime: NodeRuntime; dht: DhtModule }> = [];
  for (let i = 0; i < WORKERS + 1; i++) {
    let dht: DhtModule | undefined;
    const runtime = await NodeRuntime.launch(
      { dataDir: join(root, `n${i}`), role: 'seed', listen: [], seeds: [], insecureLoopback: true, trustCa: [], keystore: 'file', warn: () => undefined, version: 'bench', network },
      (opened) => [(dht = new DhtModule({ ...opened.components, capabilities: { current: () => (i === 0 ? [] : ['vnode/wasi']), subscribe: () => () => undefined } }, { host: '127.0.0.1', startWaitMs: 15_000 }))],
    );
    nodes.push({ runtime, dht: dht! });
  }
  await new Promise((r) => setTimeout(r, 2_000));
  const seeker = nodes[0]!;
  const lookupMs: number[] = [];
  const candidates: number[] = [];
  for (let i = 0; i < LOOKUPS; i++) {
    const from = performance.now();
    const found = await seeker.dht.lookup('vnode/wasi');
    lookupMs.push(performance.now() - from);
    candidates.push(found.length);
  }
  line(`lookup of a capability announced by ${WORKERS} nodes (${LOOKUPS}×):   p50 ${percentile(lookupMs, 50).toFixed(1)} ms   p99 ${percentile(lookupMs, 99).toFixed(1)} ms   candidates p50 ${percentile(candidates, 50)}`);
  const findMs: number[] = [];
  let found = 0;
  for (let i = 0; i < Math.min(LOOKUPS, 50); i++) {
    // A fresh verification each time: close what the last find opened.
    for (const connection of seeker.runtime.connections.connections()) connection.close(undefined, 'bench');
    const from = performance.now();
    const peers = await seeker.dht.find('vnode/wasi', 1);
    findMs.push(performance.now() - from);
    if (peers.length > 0) found++;
  }
  line(`find (lookup + handshake over a DHT stream, ${findMs.length}×):   p50 ${percentile(findMs, 50).toFixed(1)} ms   p99 ${percentile(findMs, 99).toFixed(1)} ms   found ${found}/${findMs.length}`);
  for (const node of nodes) await node.runtime.stop();
} finally {
  for (const child of children) child.kill('SIGKILL');
  for (const engine of engines.reverse()) await engine.destroy().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
}

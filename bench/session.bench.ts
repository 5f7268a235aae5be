// Session figures (issue 3 §8, DESIGN.md §9): full session setups per second over ws on loopback
// (both ends in this process), encrypted messages/s and MB/s on one session, and the RSS and CPU of
// an idle node holding 4 sessions. `npm run bench -- session`.
import { type ChildProcess } from 'node:child_process';
import { spawnSupervised } from '../src-node/kernel/process/lifeline.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '../src-node/kernel/transport/ws-listener.js';
import { parsePeerEndpoint } from '../src-node/kernel/transport/endpoint-url.js';
import { acceptInbound, openOutbound, type PeerConnection } from '../src-node/kernel/connection/peer-connection.js';
import { HandshakeNonceCache } from '../src-node/kernel/session/nonce-cache.js';
import { answerHello, startHandshake, type HandshakeContext } from '../src-node/kernel/session/handshake-flow.js';
import { identityFromSeed } from '../src-node/kernel/identity/node-identity.js';
import { nativeCrypto } from '../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../src-node/kernel/util/clock.js';
import { OwnAdvertisement } from '../src-node/kernel/advertisement/own-advertisement.js';
import { MAX_PEER_EXCHANGE_ADVERTISEMENTS } from '../src-shared/protocol/messages/discovery-bodies.js';
import { printEnvironment, timeScale } from './lib/measure.js';
import { cpuPercent, mib, sampleProcess } from './lib/process-stats.js';

const policy = { insecureLoopback: true };
const scale = timeScale();
const SETUP_SECONDS = Math.max(0.5, 5 * scale);
const STREAM_SECONDS = Math.max(0.5, 4 * scale);
const IDLE_SECONDS = Math.max(2, 60 * scale);
const CONCURRENCY = 8;

function context(byte: number): HandshakeContext {
  return { crypto: nativeCrypto, identity: identityFromSeed(new Uint8Array(32).fill(byte), nativeCrypto), clock: systemClock, nonces: new HandshakeNonceCache() };
}

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

function rate(count: number, ms: number): string {
  return Math.round((count * 1000) / ms).toLocaleString('en-US');
}

printEnvironment();

// --- 1. Session setups: handshake only, then over real sockets ---
const initiatorCtx = context(0x01);
const responderCtx = context(0x02);
{
  const start = Date.now();
  let count = 0;
  while (Date.now() - start < SETUP_SECONDS * 1000) {
    const dial = startHandshake(initiatorCtx, { recipient: responderCtx.identity.nodeId });
    const answered = answerHello(responderCtx, dial.helloText, {});
    if (!answered.ok) throw answered.error;
    const done = dial.acceptAck(answered.value.ackText);
    if (!done.ok) throw done.error;
    count++;
  }
  line(`handshake only (hello/ack + 3DH + HKDF, no socket):   ${rate(count, Date.now() - start)} setups/s`);
}

const accepted: PeerConnection[] = [];
const listener = await listen({
  endpoint: parsePeerEndpoint('ws://127.0.0.1:0/peer', policy),
  onConnection: (socket, info) => {
    acceptInbound(responderCtx, socket, { remoteAddress: info.remoteAddress }).then(
      (c) => {
        info.leavePending();
        c.start();
        accepted.push(c);
      },
      () => info.leavePending(),
    );
  },
});

async function setupsOverSockets(concurrency: number): Promise<number> {
  const start = Date.now();
  let count = 0;
  async function worker(): Promise<void> {
    while (Date.now() - start < SETUP_SECONDS * 1000) {
      const connection = await openOutbound(initiatorCtx, { url: listener.url, expectedNodeId: responderCtx.identity.nodeId, transport: { policy } });
      count++;
      connection.terminate();
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  for (const c of accepted.splice(0)) c.terminate();
  return (count * 1000) / (Date.now() - start);
}
const sequential = await setupsOverSockets(1);
const parallel = await setupsOverSockets(CONCURRENCY);
line(`full session setup over ws on loopback, sequential:   ${Math.round(sequential).toLocaleString('en-US')} setups/s`);
line(`full session setup over ws on loopback, ${CONCURRENCY} at once:    ${Math.round(parallel).toLocaleString('en-US')} setups/s   (target ≥ 500/s; js-libp2p ≈ 100/s)`);
line('');

// --- 2. Encrypted messages on one session ---
const client = await openOutbound(initiatorCtx, { url: listener.url, transport: { policy } });
client.start();
while (accepted.length === 0) await new Promise((r) => setTimeout(r, 5));
const server = accepted[0]!;

async function stream(label: string, send: () => boolean, bytesPerMessage: number): Promise<void> {
  let received = 0;
  const onMessage = (): void => {
    received++;
  };
  server.on('message', onMessage);
  const start = Date.now();
  let sent = 0;
  while (Date.now() - start < STREAM_SECONDS * 1000) {
    for (let i = 0; i < 64; i++) {
      if (send()) sent++;
    }
    // Let the socket drain: keep at most ~4 MiB in flight.
    while (client.socket.bufferedAmount > 4 * 1024 * 1024) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
  while (received < sent && Date.now() - start < (STREAM_SECONDS + 10) * 1000) await new Promise((r) => setTimeout(r, 5));
  const ms = Date.now() - start;
  server.off('message', onMessage);
  const mbps = (received * bytesPerMessage) / (ms / 1000) / 2 ** 20;
  line(`${label.padEnd(48)} ${rate(received, ms).padStart(9)} msgs/s   ${mbps.toFixed(1).padStart(7)} MiB/s`);
}

const ping = { nonce: 'nonce:01JBENCHPING0000000000000', ts: '2026-11-21T12:00:00Z' };
const pingBytes = JSON.stringify(ping).length + 24;
await stream(`small messages (ping, ~${pingBytes} B)`, () => client.send('ping', ping), pingBytes);

const dir = mkdtempSync(join(tmpdir(), 'pnode-bench-'));
const ads = [];
for (let i = 0; i < MAX_PEER_EXCHANGE_ADVERTISEMENTS; i++) {
  const identity = identityFromSeed(new Uint8Array(32).fill(0x40 + i), nativeCrypto);
  ads.push(await new OwnAdvertisement({ identity, dataDir: join(dir, String(i)), clock: systemClock }).next([{ url: `wss://node-${i}.example.net:7443/peer`, priority: 0 }]));
}
const exchange = { advertisements: ads };
const exchangeBytes = JSON.stringify(exchange).length;
await stream(`large messages (peer-exchange of 32 ads, ~${Math.round(exchangeBytes / 1024)} KiB)`, () => client.send('peer-exchange', exchange), exchangeBytes);
rmSync(dir, { recursive: true, force: true });
client.terminate();
await listener.close();
line('');

// --- 3. An idle node with 4 sessions ---
const BIN = join(process.cwd(), 'bin', 'pnode.js');
const root = mkdtempSync(join(tmpdir(), 'pnode-idle-'));
const children: ChildProcess[] = [];

function startNode(name: string, port: number, seeds: string[]): Promise<{ child: ChildProcess; nodeId: string }> {
  const child = spawnSupervised(process.execPath, [BIN, 'node', '--data-dir', join(root, name), '--listen', `ws://127.0.0.1:${port}/peer`, '--insecure-loopback', '--keystore', 'file', ...seeds.flatMap((s) => ['--seed', s])], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`node ${name} did not start: ${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const id = /node\/id\s+(node:did:key:z\w+)[\s\S]*control/.exec(output);
      if (id) {
        clearTimeout(timer);
        resolve({ child, nodeId: id[1]! });
      }
    });
  });
}

try {
  const basePort = 30_000 + Math.floor(Math.random() * 20_000);
  const target = await startNode('target', basePort, []);
  const seed = `${target.nodeId}@ws://127.0.0.1:${basePort}/peer`;
  for (let i = 1; i <= 4; i++) await startNode(`peer-${i}`, basePort + i, [seed]);
  const controlFile = JSON.parse(readFileSync(join(root, 'target', 'control.json'), 'utf8')) as { url: string; token: string };
  const { connectControl } = await import('../src-node/control/control-client.js');
  const control = await connectControl(controlFile.url, controlFile.token);
  await control.waitFor((s) => s.peers.filter((p) => p.lifecycle === 'connected').length >= 4, 30_000);
  control.close();
  // Let start-up work settle before measuring.
  await new Promise((r) => setTimeout(r, 2_000));
  const pid = target.child.pid!;
  const before = sampleProcess(pid);
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const after = sampleProcess(pid);
  if (before && after) {
    line(`idle node with 4 sessions over ${IDLE_SECONDS} s:   CPU ${cpuPercent(before, after).toFixed(2)} % of one core   RSS ${mib(after.rssBytes)}   (targets < 0.5 %, < 80 MB; js-libp2p ≈ 150 MB)`);
  } else {
    line('idle node: /proc is not available on this platform; no figures');
  }
} finally {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
}

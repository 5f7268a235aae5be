// Issue 15 §4: a hello captured on the wire is not accepted again after its victim restarts. A real
// `pnode node` process answers two hellos — one from a peer whose clock runs 2 s behind ours, one
// from a peer whose clock runs 20 s ahead (both inside the ±30 s skew window) — is SIGKILLed, started
// again on the same port and data dir, and each captured hello is replayed at it byte for byte.
// Both are refused with E_HS_REPLAY: the first by the start floor (signed before the process
// started), the second by the replay journal (its ts is after the restart, so only the journal
// knows it). Fresh hellos from the same two identities still get their sessions.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { spawnPnode, type ChildNode } from '../support/nodes.js';
import { makeTempDir } from '../support/temp-dir.js';
import { freeLoopbackPort } from '../../src-node/kernel/transport/free-port.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed, type NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { startHandshake } from '../../src-node/kernel/session/handshake-flow.js';
import { closeCodeFor } from '../../src-node/kernel/transport/close-codes.js';
import type { Clock } from '../../src-node/kernel/util/clock.js';

const AHEAD_MS = 20_000;
const BEHIND_MS = 2_000;
const children: ChildNode[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await child.stop('SIGKILL');
});

function startNode(dataDir: string, port: number): Promise<ChildNode> {
  return spawnPnode(['node', '--data-dir', dataDir, '--listen', `ws://127.0.0.1:${port}/peer`, '--insecure-loopback', '--keystore', 'file'], {
    readyPattern: /listening\s+ws:\/\//,
    timeoutMs: 60_000,
  }).then((child) => {
    children.push(child);
    return child;
  });
}

interface Answer {
  /** The first text message the node sent: the ack (a session) or a JSON error. */
  readonly first: Record<string, unknown>;
  readonly closeCode: number | null;
}

/** Sends `helloText` as the first message of a fresh connection; what the node answered. */
function offer(url: string, helloText: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let first: Record<string, unknown> | undefined;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no answer within 20 s'));
    }, 20_000);
    ws.on('open', () => ws.send(helloText));
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      if (first || isBinary) return;
      first = JSON.parse(String(data)) as Record<string, unknown>;
      // An ack means a session: hang up ourselves, the answer is in.
      if (first['handshake/mode'] === 'ack') {
        clearTimeout(timer);
        ws.terminate();
        resolve({ first, closeCode: null });
      }
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (first) resolve({ first, closeCode: code });
      else reject(new Error(`closed (${code}) without an answer`));
    });
  });
}

function hello(identity: NodeIdentity, clock: Clock, recipient: string): string {
  return startHandshake({ crypto: nativeCrypto, identity, clock, nonces: new HandshakeNonceCache() }, { recipient, intent: 'peer-connect' }).helloText;
}

describe('replay across a restart', () => {
  it('refuses captured hellos after the node is SIGKILLed and restarted, and still takes fresh ones', async () => {
    const dataDir = makeTempDir('pnode-replay-').path;
    const port = await freeLoopbackPort();
    const url = `ws://127.0.0.1:${port}/peer`;
    const first = await startNode(dataDir, port);
    const nodeId = first.nodeId;
    const slow = identityFromSeed(randomBytes(32), nativeCrypto);
    const fast = identityFromSeed(randomBytes(32), nativeCrypto);
    const ahead: Clock = { now: () => Date.now() + AHEAD_MS };
    // The slow peer's clock must read later than the node's start, or the node refuses it (the floor).
    await new Promise((resolve) => setTimeout(resolve, BEHIND_MS + 1_000));
    const capturedSlow = hello(slow, { now: () => Date.now() - BEHIND_MS }, nodeId);
    const capturedFast = hello(fast, ahead, nodeId);
    const firstAnswer = await offer(url, capturedSlow);
    expect(firstAnswer.first['handshake/mode'], JSON.stringify(firstAnswer)).toBe('ack');
    expect((await offer(url, capturedFast)).first['handshake/mode']).toBe('ack');
    // Before any restart, the cache in memory already refuses them.
    expect((await offer(url, capturedSlow)).first).toMatchObject({ 'msg/kind': 'error', body: { code: 'E_HS_REPLAY' } });

    await first.stop('SIGKILL');
    children.splice(children.indexOf(first), 1);
    const second = await startNode(dataDir, port);
    expect(second.nodeId).toBe(nodeId);

    const replayedSlow = await offer(url, capturedSlow);
    expect(replayedSlow.first).toMatchObject({ 'msg/kind': 'error', body: { code: 'E_HS_REPLAY' } });
    expect(String((replayedSlow.first['body'] as { detail: string }).detail)).toMatch(/before this node started/);
    expect(replayedSlow.closeCode).toBe(closeCodeFor('E_HS_REPLAY'));

    const replayedFast = await offer(url, capturedFast);
    expect(replayedFast.first).toMatchObject({ 'msg/kind': 'error', body: { code: 'E_HS_REPLAY' } });
    expect(String((replayedFast.first['body'] as { detail: string }).detail)).toMatch(/already seen/);
    expect(replayedFast.closeCode).toBe(closeCodeFor('E_HS_REPLAY'));

    // (A fresh hello from a clock 2 s behind would be refused in the node's first 2 s: its own clock here.)
    expect((await offer(url, hello(slow, { now: () => Date.now() }, nodeId))).first['handshake/mode']).toBe('ack');
    expect((await offer(url, hello(fast, ahead, nodeId))).first['handshake/mode']).toBe('ack');
  }, 180_000);
});

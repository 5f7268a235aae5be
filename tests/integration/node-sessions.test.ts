// Issue 3 §8: 2–5 real nodes on loopback, real sockets, real crypto.
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestNode, seedOf, traceCount } from '../support/nodes.js';
import { makeTempDir } from '../support/temp-dir.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { openOutbound } from '../../src-node/kernel/connection/peer-connection.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { testIdentity } from '../support/identities.js';
import { PATIENCE_MS, pause, within } from '../support/wait.js';
import { ProtocolError } from '../../src-shared/protocol/errors.js';

const nodes: Array<NodeRuntime & { cleanup: () => Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.cleanup()));
});

async function node(options: Parameters<typeof startTestNode>[0] = {}) {
  const started = await startTestNode(options);
  nodes.push(started);
  return started;
}

// Fast pings; a generous timeout so a loaded CI machine does not count as a lost peer.
const fastKeepalive = { keepalive: { intervalMs: 100, timeoutMs: 3_000 } };

describe('a small network of nodes', () => {
  it('three nodes bootstrapping from one seed each reach a session with it and exchange capabilities', async () => {
    const seed = await node();
    const a = await node({ seeds: [seedOf(seed)] });
    const b = await node({ seeds: [seedOf(seed)] });
    await expect.poll(() => seed.connections.connections().length).toBe(2);
    for (const peer of [a, b]) {
      // The seed may hold the session before the dialer has read the seed's last handshake message.
      await expect.poll(() => peer.connections.get(seed.identity.nodeId)?.isOpen).toBe(true);
      await expect.poll(() => traceCount(peer, 'capability/exchanged', seed.identity.nodeId)).toBeGreaterThan(0);
      await expect.poll(() => peer.peers.get(seed.identity.nodeId)?.capabilities).toContain('core/messaging');
    }
    expect(traceCount(seed, 'handshake/accepted')).toBeGreaterThanOrEqual(2);
    expect(traceCount(seed, 'session/established')).toBeGreaterThanOrEqual(2);
  });

  it('measures RTT with ping/pong and feeds it to the peer score', async () => {
    const seed = await node({ timing: fastKeepalive });
    const a = await node({ seeds: [seedOf(seed)], timing: fastKeepalive });
    await expect.poll(() => a.peers.get(seed.identity.nodeId)?.rttLastMs ?? null).not.toBeNull();
  });

  it('keeps at most 2 hot peers and 4 live sessions on a contributor', async () => {
    const seeds = [];
    for (let i = 0; i < 5; i++) seeds.push(await node());
    const a = await node({ seeds: seeds.map(seedOf) });
    await expect.poll(() => a.connections.connections().length).toBeGreaterThanOrEqual(2);
    // A window in which the working set must not grow past its limits.
    await pause(500);
    expect(a.connections.connections().length).toBeLessThanOrEqual(4);
    expect(a.peers.all().filter((p) => p.temperature === 'hot').length).toBeLessThanOrEqual(2);
  });

  it('delivers a signal marker end to end, verified and traced on both sides', async () => {
    const b = await node();
    const a = await node({ seeds: [seedOf(b)] });
    const sent = await a.signals.send(b.identity.nodeId, 'signal-marker:01JTEST');
    expect(sent.ok).toBe(true);
    await expect.poll(() => b.signals.recent().length).toBe(1);
    expect(b.signals.recent()[0]).toMatchObject({ from: a.identity.nodeId, participant: a.identity.participantId, markerRef: 'signal-marker:01JTEST' });
    expect(traceCount(a, 'signal-marker/sent', b.identity.nodeId)).toBe(1);
    expect(traceCount(b, 'signal-marker/received', a.identity.nodeId)).toBe(1);
  });

  it('reconnects after a peer restarts on the same data dir and port', async () => {
    const dir = makeTempDir();
    let b = await startTestNode({ dataDir: dir.path, timing: fastKeepalive });
    const port = new URL(b.listenUrls()[0]!).port;
    const bId = b.identity.nodeId;
    const a = await node({ seeds: [{ nodeId: bId, urls: [`ws://127.0.0.1:${port}/peer`] }], timing: fastKeepalive });
    await expect.poll(() => a.connections.get(bId)?.isOpen ?? false).toBe(true);
    await b.cleanup();
    await expect.poll(() => a.connections.get(bId)?.isOpen ?? false).toBe(false);
    b = await startTestNode({ dataDir: dir.path, listen: [`ws://127.0.0.1:${port}/peer`], timing: fastKeepalive });
    nodes.push(b);
    expect(b.identity.nodeId).toBe(bId);
    await expect.poll(() => a.connections.get(bId)?.isOpen ?? false).toBe(true);
  });
});

describe('allowlist mode', () => {
  function allowlistFile(ids: string[]): string {
    const dir = makeTempDir();
    const file = join(dir.path, 'allowlist.txt');
    writeFileSync(file, `# peers we accept\n${ids.join('\n')}\n`);
    return file;
  }

  it('admits only listed nodes inbound', async () => {
    const friend = testIdentity(0x11);
    const gate = await node({ allowlistFile: allowlistFile([friend.nodeId]) });
    const stranger = await node({ seeds: [seedOf(gate)] });
    await expect.poll(() => traceCount(gate, 'handshake/rejected')).toBeGreaterThan(0);
    const rejection = gate.traces.recent(1000).find((e) => e['event/type'] === 'handshake/rejected');
    expect(rejection?.detail).toMatchObject({ code: 'E_TRANSPORT_REJECTED' });
    expect(gate.connections.get(stranger.identity.nodeId)).toBeUndefined();
  });

  it('refuses to complete a session it dials to an unlisted node', async () => {
    const other = await node();
    const gate = await node({ allowlistFile: allowlistFile([testIdentity(0x12).nodeId]), seeds: [seedOf(other)] });
    // The gate knows the seed and its address, so an open node would dial it at once; this one must
    // not, for a while (a window in which nothing may happen, not a wait for something).
    await expect.poll(() => gate.peers.get(other.identity.nodeId)?.endpoints.length ?? 0).toBeGreaterThan(0);
    await pause(800);
    expect(gate.connections.get(other.identity.nodeId)).toBeUndefined();
    expect(other.connections.get(gate.identity.nodeId)).toBeUndefined();
  });
});

describe('a flooding peer', () => {
  it('is slowed and then dropped by the rate limit, and the node stays responsive', async () => {
    const target = await node();
    const flooder = testIdentity(0x66);
    const connection = await openOutbound(
      { crypto: nativeCrypto, identity: flooder, clock: systemClock, nonces: new HandshakeNonceCache() },
      { url: target.listenUrls()[0]!, transport: { policy: { insecureLoopback: true } } },
    );
    connection.start();
    const closed = new Promise<unknown>((resolve) => connection.once('close', resolve));
    const started = Date.now();
    // Bounded: at most 5,000 messages, or the test's patience.
    for (let i = 0; i < 5_000 && connection.isOpen && Date.now() - started < PATIENCE_MS; i++) {
      connection.send('ping', { nonce: `flood-${i}`, ts: '2026-11-21T12:00:00Z' });
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(await within(closed, 'the flooder to be dropped')).toMatchObject({ code: 'E_TRANSPORT_REJECTED' });
    const well = await node({ seeds: [seedOf(target)] });
    await expect.poll(() => well.connections.get(target.identity.nodeId)?.isOpen ?? false).toBe(true);
    expect(target.peers.get(flooder.nodeId)?.protocolViolations).toBeGreaterThan(0);
  });
});

describe('dial failures', () => {
  it('reports an unreachable seed as E_TRANSPORT_UNAVAILABLE and backs off', async () => {
    const a = await node({ seeds: [{ nodeId: testIdentity(0x21).nodeId, urls: ['ws://127.0.0.1:9/peer'] }] });
    // Each failed dial sets a cooldown (full jitter: the first may last a few ms only, and is
    // lifted when it has passed): look for a failure with its cooldown still ahead.
    await expect.poll(() => {
      const seed = a.peers.get(testIdentity(0x21).nodeId);
      return (seed?.consecutiveFailures ?? 0) > 0 && seed?.cooldownUntil != null;
    }).toBe(true);
    const error = a.traces.recent(1000).find((e) => e['event/type'] === 'error/occurred');
    expect(error?.detail).toMatchObject({ code: 'E_TRANSPORT_UNAVAILABLE', class: 'transport/unavailable' });
  });

  it('an unknown node at the address cannot pass for the seed (E_SIG_UNKNOWN_SIGNER)', async () => {
    const impostor = await node();
    const a = await node({ seeds: [{ nodeId: testIdentity(0x22).nodeId, urls: impostor.listenUrls() }] });
    await expect.poll(() => traceCount(impostor, 'handshake/rejected') + traceCount(a, 'handshake/rejected')).toBeGreaterThan(0);
    expect(a.connections.get(impostor.identity.nodeId)).toBeUndefined();
    void ProtocolError;
  });
});

// Hostile DHT participants for the tests and the harden harness (issue 16 §5): a candidate that
// answers our hello with a forged identity, a DHT node that answers lookups with made-up records,
// a "bootstrap node" that answers everything with garbage, and a source that floods.
import { createSocket, type Socket } from 'node:dgram';
import { createRequire } from 'node:module';
import type { RawData, WebSocket } from 'ws';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { DhtInbound } from '../../src-node/kernel/dht/dht-transport.js';
import { newDhtKeyPair, openDhtEngine, type DhtEngine, type DhtKeyPair } from '../../src-node/kernel/dht/engine.js';
import { capabilityTopic, type TopicScope } from '../../src-node/kernel/dht/topics.js';
import type { NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import { answerHello } from '../../src-node/kernel/session/handshake-flow.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import type { DhtBootstrapNode as DescriptorBootstrapNode } from '../../src-shared/network/network-descriptor.js';

const require = createRequire(import.meta.url);
const c = require('compact-encoding') as { encode(encoding: unknown, value: unknown): Buffer };
const messages = require('hyperdht/lib/messages') as { peer: unknown; lookupRawReply: unknown };
const COMMAND_LOOKUP = 3;



/**
 * A DHT node that announces itself under `capability` and, when dialled, answers our hello with an
 * ack it signed as `self` but that names `claimed` as its sender: a forged identity.
 */
export async function forgingCandidate(options: { bootstrap: readonly DescriptorBootstrapNode[]; scope: TopicScope; capability: string; self: NodeIdentity; claimed: string; host?: string }): Promise<{ keyPair: DhtKeyPair; hellos: () => number; destroy(): Promise<void> }> {
  const engine = openDhtEngine({ mode: 'node', bootstrap: options.bootstrap, host: options.host ?? '127.0.0.1', reachable: true }).engine;
  await engine.fullyBootstrapped();
  const keyPair = newDhtKeyPair();
  const ctx = { crypto: nativeCrypto, identity: options.self, clock: systemClock, nonces: new HandshakeNonceCache() };
  let hellos = 0;
  const inbound = new DhtInbound({
    engine,
    keyPair,
    onConnection: (socket: WebSocket) => {
      socket.once('message', (data: RawData) => {
        hellos++;
        const answered = answerHello(ctx, Buffer.from(data as Buffer).toString('utf8'));
        if (!answered.ok) return socket.close();
        const forged = { ...(JSON.parse(answered.value.ackText) as Record<string, unknown>), 'sender/node-id': options.claimed };
        socket.send(JSON.stringify(forged));
      });
    },
  });
  await inbound.start();
  await engine.announce(capabilityTopic(options.scope, options.capability), keyPair).finished();
  return {
    keyPair,
    hellos: () => hellos,
    async destroy() {
      await inbound.stop();
      await engine.destroy();
    },
  };
}

/** A DHT node that answers every lookup with `fakes` made-up records (DHT keys nobody holds). */
export async function lyingRecordNode(options: { bootstrap: readonly DescriptorBootstrapNode[]; fakes: number; host?: string }): Promise<{ engine: DhtEngine; lies: () => number; destroy(): Promise<void> }> {
  const engine = openDhtEngine({ mode: 'node', bootstrap: options.bootstrap, host: options.host ?? '127.0.0.1', reachable: true }).engine as DhtEngine & { onrequest(request: { command: number; reply(value: Buffer | null): void }): boolean };
  await engine.fullyBootstrapped();
  const records = Array.from({ length: options.fakes }, () => c.encode(messages.peer, { publicKey: nativeCrypto.randomBytes(32), relayAddresses: [] }));
  let lies = 0;
  const honest = engine.onrequest.bind(engine);
  engine.onrequest = (request) => {
    if (request.command !== COMMAND_LOOKUP) return honest(request);
    lies++;
    request.reply(c.encode(messages.lookupRawReply, { peers: records, bump: 0 }));
    return true;
  };
  return { engine, lies: () => lies, destroy: () => engine.destroy() };
}

/** A UDP socket at a bootstrap address that answers every packet with random bytes. */
export async function garbageBootstrap(host = '127.0.0.1'): Promise<{ node: DescriptorBootstrapNode; packets: () => number; close(): void }> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  let packets = 0;
  socket.on('message', (message, from) => {
    packets++;
    if (packets > 10_000) return; // bounded
    socket.send(nativeCrypto.randomBytes(1 + (message.length % 200)), from.port, from.address);
  });
  return { node: { host, port: socket.address().port }, packets: () => packets, close: () => socket.close() };
}

/** One source address announcing `count` fresh DHT keys under one topic (a Sybil flood). */
export async function floodAnnouncements(options: { bootstrap: readonly DescriptorBootstrapNode[]; topic: Buffer; count: number; host: string }): Promise<{ sent: number; destroy(): Promise<void> }> {
  const engine = openDhtEngine({ mode: 'node', bootstrap: options.bootstrap, host: options.host, reachable: true }).engine;
  await engine.fullyBootstrapped();
  let sent = 0;
  for (let i = 0; i < options.count; i += 20) {
    await Promise.allSettled(
      Array.from({ length: Math.min(20, options.count - i) }, () => {
        sent++;
        return engine.announce(options.topic, newDhtKeyPair()).finished();
      }),
    );
  }
  return { sent, destroy: () => engine.destroy() };
}

/** One source address sending `count` lookups of `topic` as fast as the engine lets it. */
export async function floodLookups(options: { bootstrap: readonly DescriptorBootstrapNode[]; topic: Buffer; count: number; host: string }): Promise<{ destroy(): Promise<void> }> {
  const engine = openDhtEngine({ mode: 'node', bootstrap: options.bootstrap, host: options.host, reachable: true }).engine;
  await engine.fullyBootstrapped();
  for (let i = 0; i < options.count; i += 50) {
    await Promise.allSettled(Array.from({ length: Math.min(50, options.count - i) }, () => engine.lookup(options.topic).finished()));
  }
  return { destroy: () => engine.destroy() };
}

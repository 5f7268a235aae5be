// The ways a peer can stall a node (scenario 4), each with the named limit that must end it:
// inbound, a peer that dials the node and stops at some step of the upgrade, the handshake or a
// frame; outbound, a peer the node dials that stops answering. Each case runs against a real node
// and reports when the node let go (a close frame or the end of TCP for inbound cases, the dial
// failing for outbound ones) and when the TCP connection was really gone.
import { randomBytes } from 'node:crypto';
import { makePing } from '../../src-shared/protocol/messages/core-bodies.js';
import { encodeSessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import { PENDING_HELLO_TIMEOUT_MS } from '../../src-shared/protocol/profile.js';
import type { KeepaliveTiming } from '../../src-node/kernel/connection/keepalive.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed, type NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { startHandshake, type EstablishedSession } from '../../src-node/kernel/session/handshake-flow.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { CONNECT_TIMEOUT_MS, HELLO_WAIT_TIMEOUT_MS, UPGRADE_TIMEOUT_CHECK_MS, UPGRADE_TIMEOUT_MS } from '../../src-node/kernel/transport/limits.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { OPCODE_BINARY, OPCODE_TEXT, RawClient, startStallServer, type StallServerMode } from './raw-ws.js';

/** Share of the hello wait a slow (but not too slow) peer waits before its hello. */
export const SLOW_HELLO_SHARE = 0.5;
/** Share of a frame a stalling peer sends before it stops. */
export const PARTIAL_FRAME_SHARE = 0.5;
/** The ws dialer's own guard over its handshake timeout (ws-dialer.ts). */
const DIALER_GUARD_MS = 1_000;
/** How long a case waits for an answer the node gives at once (the upgrade, the ack). */
const ANSWER_WAIT_MS = 5_000;

export interface StallTarget {
  readonly runtime: NodeRuntime;
  readonly port: number;
  readonly path: string;
  readonly keepalive: KeepaliveTiming;
}

/** What a running case has seen so far (times are Date.now()). */
export interface StallProbe {
  readonly startedAt: number;
  /** When the stall began (the last byte the peer sent, or the dial). */
  stalledAt: number;
  /** When the node let go: close frame or TCP end (inbound), the dial failing (outbound). */
  droppedAt: number | null;
  /** When the TCP connection was gone. */
  tcpClosedAt: number | null;
  /** The node completed what the peer did in time (the slow hello): a session. */
  accepted: boolean;
  note: string;
  cleanup(): Promise<void>;
}

export interface StallCase {
  readonly name: string;
  readonly what: string;
  readonly direction: 'inbound' | 'outbound';
  /** The limit that must end it, by name, and its value for this target. */
  readonly limitName: string;
  limitMs(target: StallTarget): number;
  /** Checking granularity on top of the limit (a timer that looks every so often). */
  slackMs(target: StallTarget): number;
  readonly expect: 'dropped' | 'accepted';
  start(target: StallTarget): Promise<StallProbe>;
}

function freshIdentity(): NodeIdentity {
  return identityFromSeed(randomBytes(32), nativeCrypto, { createdAt: new Date().toISOString() });
}

function handshakeContext(identity: NodeIdentity) {
  return { crypto: nativeCrypto, identity, clock: systemClock, nonces: new HandshakeNonceCache() };
}

/** A probe over a raw client: dropped/closed times follow the client. */
function clientProbe(client: RawClient, startedAt: number): StallProbe {
  const probe: StallProbe = {
    startedAt,
    stalledAt: startedAt,
    droppedAt: null,
    tcpClosedAt: null,
    accepted: false,
    note: '',
    cleanup: async () => client.destroy(),
  };
  const follow = setInterval(() => {
    probe.droppedAt = client.droppedAt;
    probe.tcpClosedAt = client.closedAt;
    if (client.closeCode !== null && !probe.note.includes('close')) probe.note = `close ${client.closeCode}`;
    if (client.closedAt !== null) clearInterval(follow);
  }, 5);
  follow.unref();
  return probe;
}

async function upgraded(target: StallTarget): Promise<{ client: RawClient; at: number }> {
  const client = await RawClient.open(target.port);
  const status = await client.upgrade(target.path, target.port);
  if (status !== 101) throw new Error(`upgrade answered ${status}`);
  return { client, at: Date.now() };
}

/** Sends a real hello and waits for the ack; the session on success. */
async function handshake(client: RawClient, identity: NodeIdentity, nodeId: string): Promise<EstablishedSession> {
  const initiator = startHandshake(handshakeContext(identity), { recipient: nodeId });
  const seen = client.frames.length;
  client.send(OPCODE_TEXT, Buffer.from(initiator.helloText, 'utf8'));
  const ack = await client.nextFrame((f) => client.frames.indexOf(f) >= seen && f.opcode === OPCODE_TEXT, ANSWER_WAIT_MS);
  if (!ack) throw new Error('no ack');
  const accepted = initiator.acceptAck(ack.payload.toString('utf8'));
  if (!accepted.ok) throw new Error(`ack refused: ${accepted.error.code} ${accepted.error.detail}`);
  return accepted.value;
}

const upgradeLimit = {
  limitName: 'UPGRADE_TIMEOUT_MS',
  limitMs: () => UPGRADE_TIMEOUT_MS,
  slackMs: () => UPGRADE_TIMEOUT_CHECK_MS,
} as const;

const helloLimit = {
  limitName: 'HELLO_WAIT_TIMEOUT_MS',
  limitMs: () => HELLO_WAIT_TIMEOUT_MS,
  slackMs: () => 0,
} as const;

function outboundCase(name: string, what: string, mode: StallServerMode, limitName: string, limitMs: number, slackMs: number): StallCase {
  return {
    name,
    what,
    direction: 'outbound',
    limitName,
    limitMs: () => limitMs,
    slackMs: () => slackMs,
    expect: 'dropped',
    async start(target) {
      const server = await startStallServer(mode);
      const startedAt = Date.now();
      // A node-id the node expects there (as from an advertisement): nobody will prove it.
      const expected = freshIdentity().nodeId;
      const probe: StallProbe = {
        startedAt,
        stalledAt: startedAt,
        droppedAt: null,
        tcpClosedAt: null,
        accepted: false,
        note: '',
        cleanup: () => server.close(),
      };
      target.runtime.connections.connect([server.url], { nodeId: expected }).then(
        (connection) => {
          probe.accepted = true;
          probe.note = 'connected?!';
          connection.close();
        },
        (error: unknown) => {
          probe.droppedAt = Date.now();
          const free = !target.runtime.connections.isDialing(expected);
          probe.note = `${error instanceof Error ? error.message.slice(0, 60) : String(error)}${free ? '' : ' (still dialing!)'}`;
        },
      );
      const follow = setInterval(() => {
        const closed = server.connections[0]?.closedAt ?? null;
        if (closed !== null) {
          probe.tcpClosedAt = closed;
          clearInterval(follow);
        }
      }, 5);
      follow.unref();
      return probe;
    },
  };
}

export const STALL_CASES: readonly StallCase[] = [
  {
    name: 'tcp-silent',
    what: 'TCP connect, then nothing',
    direction: 'inbound',
    ...upgradeLimit,
    expect: 'dropped',
    async start(target) {
      const client = await RawClient.open(target.port);
      return clientProbe(client, Date.now());
    },
  },
  {
    name: 'http-partial',
    what: 'half an upgrade request, then nothing',
    direction: 'inbound',
    ...upgradeLimit,
    expect: 'dropped',
    async start(target) {
      const client = await RawClient.open(target.port);
      client.write(Buffer.from(`GET ${target.path} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nUpgrade: websocket\r\n`, 'latin1'));
      return clientProbe(client, Date.now());
    },
  },
  {
    name: 'ws-no-hello',
    what: 'upgrade, then no hello',
    direction: 'inbound',
    ...helloLimit,
    expect: 'dropped',
    async start(target) {
      const { client, at } = await upgraded(target);
      return clientProbe(client, at);
    },
  },
  {
    name: 'ws-partial-hello',
    what: 'upgrade, half the hello frame, then nothing',
    direction: 'inbound',
    ...helloLimit,
    expect: 'dropped',
    async start(target) {
      const { client, at } = await upgraded(target);
      const initiator = startHandshake(handshakeContext(freshIdentity()), { recipient: target.runtime.identity.nodeId });
      client.sendPartial(OPCODE_TEXT, Buffer.from(initiator.helloText, 'utf8'), PARTIAL_FRAME_SHARE);
      return clientProbe(client, at);
    },
  },
  {
    name: 'ws-slow-hello',
    what: `upgrade, the hello after ${SLOW_HELLO_SHARE * 100} % of the wait`,
    direction: 'inbound',
    ...helloLimit,
    expect: 'accepted',
    async start(target) {
      const { client, at } = await upgraded(target);
      const probe = clientProbe(client, at);
      void (async () => {
        await new Promise((r) => setTimeout(r, HELLO_WAIT_TIMEOUT_MS * SLOW_HELLO_SHARE));
        try {
          await handshake(client, freshIdentity(), target.runtime.identity.nodeId);
          probe.accepted = true;
          probe.note = `session after ${Date.now() - at} ms`;
        } catch (error) {
          probe.note = error instanceof Error ? error.message : String(error);
        }
        client.destroy();
      })();
      return probe;
    },
  },
  {
    name: 'session-mid-frame',
    what: 'a session, then half a frame, then nothing',
    direction: 'inbound',
    limitName: 'keepalive timeout',
    limitMs: (target) => target.keepalive.timeoutMs,
    // The keepalive checks when the timeout runs out (before, a tick later: up to one interval).
    slackMs: () => 0,
    expect: 'dropped',
    async start(target) {
      const { client, at } = await upgraded(target);
      const session = await handshake(client, freshIdentity(), target.runtime.identity.nodeId);
      const probe = clientProbe(client, at);
      // One whole ping (the session works), then half of the next frame, and silence.
      client.send(OPCODE_BINARY, session.channel.seal(encodeSessionMessage('ping', makePing(Date.now()))));
      client.sendPartial(OPCODE_BINARY, session.channel.seal(encodeSessionMessage('ping', makePing(Date.now()))), PARTIAL_FRAME_SHARE);
      probe.stalledAt = Date.now();
      return probe;
    },
  },
  outboundCase('dial-silent', 'a peer that accepts TCP and never answers the upgrade', 'silent', 'CONNECT_TIMEOUT_MS', CONNECT_TIMEOUT_MS, DIALER_GUARD_MS),
  outboundCase('dial-no-ack', 'a peer that upgrades and never sends the ack', 'no-ack', 'PENDING_HELLO_TIMEOUT_MS', PENDING_HELLO_TIMEOUT_MS, 0),
  outboundCase('dial-partial-ack', 'a peer that upgrades and sends half an ack frame', 'partial-ack', 'PENDING_HELLO_TIMEOUT_MS', PENDING_HELLO_TIMEOUT_MS, 0),
];

export function stallCase(name: string): StallCase {
  const found = STALL_CASES.find((c) => c.name === name);
  if (!found) throw new Error(`no stall case ${name} (${STALL_CASES.map((c) => c.name).join(', ')})`);
  return found;
}

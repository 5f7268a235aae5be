// Fuzz targets of the WebSocket surfaces, over real loopback sockets to a real NodeRuntime:
// - ws:control: the local control server with the node's real NodeControl behind it; messages
//   are real commands (every kind) mutated, mutated text, binary frames, oversized frames;
// - ws:session: a node's peer listener; each input is a first message (a fresh hello mutated, or
//   garbage), or a real handshake followed by frames: mutated session messages sealed with the
//   real session keys, or raw ciphertext.
// They must answer (a coded refusal, an error message, a close), never crash or hang, and keep
// serving: after every batch a fresh, valid client must get what it asks for.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket, type RawData } from 'ws';
import type { JsonObject } from '../../src-shared/protocol/artifacts.js';
import { isErrorCode } from '../../src-shared/protocol/errors.js';
import { decodeSessionMessage, encodeSessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import { makePing } from '../../src-shared/protocol/messages/core-bodies.js';
import { MAX_FRAME_PLAINTEXT_BYTES } from '../../src-node/kernel/session/secure-channel.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed, type NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { startRuntime } from '../lib/runtimes.js';
import { NodeControl } from '../../src-node/control/node-control.js';
import { startControlServer } from '../../src-node/control/control-server.js';
import { connectControl } from '../../src-node/control/control-client.js';
import { CONTROL_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../../src-node/control/control-auth.js';
import { buildHello } from '../../src-node/kernel/session/handshake.js';
import { startHandshake, type EstablishedSession } from '../../src-node/kernel/session/handshake-flow.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { resign } from '../lib/captures.js';
import { byteStreams, mix, valueStreams } from '../lib/inputs.js';
import { mutateBytes } from '../lib/mutate-bytes.js';
import { mutatePath, sendRawTo } from '../lib/http-client.js';
import { toJsonText, type JsonLike } from '../lib/mutate-json.js';
import type { Rng } from '../lib/random.js';
import type { FuzzSession, FuzzTarget } from '../lib/fuzz.js';
import { defineTarget } from './common.js';

const WS_LIMIT_MS = 10_000;

/** The raw bytes of a WebSocket upgrade request, mutated: its target, its headers, its bytes. */
function mutatedUpgrade(rng: Rng, port: number, path: string, extraHeaders: readonly string[]): Uint8Array {
  const target = rng.chance(0.6) ? mutatePath(rng, path, [path.slice(1), 'control', 'peer', '']) : path;
  const headers = [`Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', ...extraHeaders];
  const text = Buffer.from(`GET ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8');
  return rng.chance(0.5) ? mutateBytes(rng, text) : text;
}

/** The status a mutated upgrade request got (101 when it was taken), or that the server closed. */
async function upgradeOutcome(port: number, bytes: Uint8Array): Promise<string> {
  const answer = await sendRawTo('127.0.0.1', port, bytes, WS_LIMIT_MS);
  if (answer.kind === 'timeout') return 'upgrade: no answer';
  return answer.kind === 'response' ? `upgrade ${answer.status}` : 'upgrade closed';
}
/** Control connections in use at once (the server takes 16). */
const CONTROL_LANES = 4;

function startNode(workDir: string, role: 'contributor' | 'seed', listen: boolean): Promise<NodeRuntime> {
  return startRuntime({ dataDir: mkdtempSync(join(workDir, `${role}-`)), role, listen, joined: false });
}

function rawBytes(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}

/** One control connection: sends a message at a time and waits for its response (or the close). */
class ControlLane {
  private socket: WebSocket | undefined;
  private sent = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  /** Commands on one connection before a fresh one (the server allows a burst of 40 per connection). */
  static readonly PER_CONNECTION = 30;

  private connect(): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, [CONTROL_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${this.token}`], { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`control server refused: HTTP ${res.statusCode}`)));
    });
  }

  async send(data: string | Uint8Array, binary: boolean): Promise<string> {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN || this.sent >= ControlLane.PER_CONNECTION) {
      this.socket?.terminate();
      this.socket = await this.connect();
      this.sent = 0;
    }
    const socket = this.socket;
    this.sent++;
    return new Promise<string>((resolve) => {
      const done = (outcome: string): void => {
        socket.off('message', onMessage);
        socket.off('close', onClose);
        resolve(outcome);
      };
      const onMessage = (message: RawData): void => {
        let parsed: { type?: unknown; result?: { ok?: boolean; error?: { code?: unknown } } };
        try {
          parsed = JSON.parse(rawBytes(message).toString('utf8')) as typeof parsed;
        } catch {
          return done('garbage answer');
        }
        if (parsed.type !== 'response') return;
        done(parsed.result?.ok ? 'ok' : String(parsed.result?.error?.code ?? 'response without a code'));
      };
      const onClose = (code: number): void => {
        this.socket = undefined;
        done(`closed:${code}`);
      };
      socket.on('message', onMessage);
      socket.on('close', onClose);
      socket.send(data, { binary });
    });
  }

  close(): void {
    this.socket?.terminate();
  }
}

interface ControlInput {
  readonly data: string | Uint8Array;
  readonly binary: boolean;
  /** A raw upgrade request (on a fresh connection) instead of a message. */
  readonly upgrade?: boolean;
}

const control = defineTarget({
  name: 'ws:control',
  drives: "the local control server (token, origin and host checks passed; message size, JSON, rate limit, parseCommand) with the node's real NodeControl executing what parses",
  sources: 'real {"id","command"} requests of every command kind (a real backup in import-identity) mutated structurally and as text (invalid UTF-8 included), sent as text or binary frames, oversized; fast-check JSON; raw upgrade requests with their target, headers or bytes mutated',
  timeLimitMs: WS_LIMIT_MS,
  concurrency: CONTROL_LANES,
  batch: 1_000,
  open: async (context, c): Promise<FuzzSession<unknown>> => {
    const runtime = await startNode(context.workDir, 'contributor', false);
    const handler = new NodeControl(runtime);
    const token = 'harden-control-token';
    const server = await startControlServer({ handler, token });
    const requests = c.commands.map((command, id) => ({ id, command }));
    const values = valueStreams(context.seed, requests);
    const texts = byteStreams(context.seed, requests.map((r) => Buffer.from(JSON.stringify(r))));
    const next = mix<ControlInput>([
      [3, 'capture', (rng) => ({ data: toJsonText(values.capture(rng)), binary: false })],
      [55, 'mutated', (rng) => ({ data: toJsonText(values.mutated(rng)), binary: false })],
      [20, 'mutated-text', (rng) => ({ data: texts.mutated(rng), binary: false })],
      [5, 'mutated', (rng) => ({ data: toJsonText(values.capture(rng)), binary: true })],
      [2, 'mutated', (rng) => ({ data: `{"id":1,"command":{"command":"enroll","token":"${'x'.repeat(rng.pick([4_097, 300 * 1024]))}"}}`, binary: false })],
      [15, 'generated', (rng) => ({ data: rng.chance(0.5) ? toJsonText(values.shaped(rng)) : values.generatedText(rng), binary: false })],
      [10, 'mutated-upgrade', (rng) => ({ data: mutatedUpgrade(rng, server.port, '/control', [`Sec-WebSocket-Protocol: ${CONTROL_SUBPROTOCOL}, ${TOKEN_SUBPROTOCOL_PREFIX}${token}`]), binary: true, upgrade: true })],
    ]);
    const lanes = Array.from({ length: CONTROL_LANES }, () => new ControlLane(server.url, token));
    // One message at a time per connection: a lane is taken by one input until it is answered.
    const free = [...lanes];
    const waiting: Array<(lane: ControlLane) => void> = [];
    const acquire = (): Promise<ControlLane> => (free.length > 0 ? Promise.resolve(free.pop()!) : new Promise((resolve) => waiting.push(resolve)));
    const release = (lane: ControlLane): void => {
      const next = waiting.shift();
      if (next) next(lane);
      else free.push(lane);
    };
    return {
      next: (rng: Rng) => next(rng),
      run: async (input: ControlInput) => {
        if (input.upgrade) return upgradeOutcome(server.port, input.data as Uint8Array);
        const lane = await acquire();
        try {
          return await lane.send(input.data, input.binary);
        } finally {
          release(lane);
        }
      },
      show: (input: ControlInput) => ({ binary: input.binary, upgrade: input.upgrade === true, text: typeof input.data === 'string' ? input.data : Buffer.from(input.data).toString('latin1') }),
      healthCheck: async () => {
        const client = await connectControl(server.url, token, { timeoutMs: context.healthWaitMs });
        try {
          const answer = await client.command({ command: 'get-state' }, context.healthWaitMs);
          if (!answer.ok) throw new Error(`get-state failed: ${answer.error.code} ${answer.error.message}`);
          if ((answer.value as { identity?: { nodeId?: string } }).identity?.nodeId !== runtime.identity.nodeId) throw new Error('get-state answered another node');
        } finally {
          client.close();
        }
      },
      close: async () => {
        for (const lane of lanes) lane.close();
        await server.close();
        handler.stop();
        await runtime.stop();
      },
    } as FuzzSession<unknown>;
  },
});

type Frame = { readonly sealed: Uint8Array } | { readonly raw: Uint8Array };

type SessionInput =
  | { readonly kind: 'upgrade'; readonly raw: Uint8Array }
  | { readonly kind: 'first'; readonly data: string | Uint8Array; readonly binary: boolean }
  | { readonly kind: 'frames'; readonly seed: Uint8Array; readonly frames: readonly Frame[] };

function identityOf(seed: Uint8Array): NodeIdentity {
  return identityFromSeed(seed, nativeCrypto, { createdAt: '2026-11-21T12:00:00Z' });
}

type Incoming = { readonly data: Buffer; readonly isBinary: boolean } | { readonly closed: number };

/**
 * A client socket to the peer listener that queues what arrives: a node sends its first frames
 * right behind the ack, before anyone could attach a listener for them.
 */
class PeerSocket {
  private readonly queue: Incoming[] = [];
  private waiter: ((item: Incoming) => void) | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => this.push({ data: rawBytes(data), isBinary }));
    socket.on('close', (code) => this.push({ closed: code }));
    socket.on('error', () => undefined);
  }

  static open(url: string): Promise<PeerSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      socket.once('open', () => resolve(new PeerSocket(socket)));
      socket.once('error', reject);
    });
  }

  private push(item: Incoming): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter(item);
    else this.queue.push(item);
  }

  next(): Promise<Incoming> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  send(data: string | Uint8Array, binary: boolean): void {
    this.socket.send(data, { binary });
  }

  close(): void {
    this.socket.terminate();
  }
}

/** The first answer to a first message: the ack, a coded refusal, or the close. */
async function firstAnswer(peer: PeerSocket): Promise<{ text?: string; outcome: string }> {
  const item = await peer.next();
  if ('closed' in item) return { outcome: `closed:${item.closed}` };
  if (item.isBinary) return { outcome: 'binary answer' };
  const text = item.data.toString('utf8');
  try {
    const value = JSON.parse(text) as { 'msg/kind'?: unknown; body?: { code?: unknown }; 'handshake/mode'?: unknown };
    if (value['msg/kind'] === 'error' && isErrorCode(value.body?.code)) return { text, outcome: `refused:${value.body.code}` };
    if (value['handshake/mode'] === 'ack') return { text, outcome: 'ack' };
  } catch {
    // fall through
  }
  return { text, outcome: 'garbage answer' };
}

/** A real handshake as `identity`: the established session (or an error naming the refusal). */
async function handshake(url: string, identity: NodeIdentity, recipient: string): Promise<{ peer: PeerSocket; session: EstablishedSession }> {
  const peer = await PeerSocket.open(url);
  const initiator = startHandshake({ crypto: nativeCrypto, identity, clock: systemClock, nonces: new HandshakeNonceCache() }, { recipient, intent: 'peer-connect' });
  peer.send(initiator.helloText, false);
  const answer = await firstAnswer(peer);
  if (answer.outcome !== 'ack' || answer.text === undefined) {
    peer.close();
    throw new Error(`the node refused a valid hello: ${answer.outcome}`);
  }
  const accepted = initiator.acceptAck(answer.text);
  if (!accepted.ok) {
    peer.close();
    throw new Error(`the node's ack does not validate: ${accepted.error.code} ${accepted.error.detail}`);
  }
  return { peer, session: accepted.value };
}

/** After the frames, a ping: the pong (the node read everything), an error it sent first, or the close. */
async function conversation(peer: PeerSocket, session: EstablishedSession, frames: readonly Frame[]): Promise<string> {
  const ping = makePing(Date.now());
  let firstError: string | undefined;
  try {
    try {
      for (const frame of frames) peer.send('raw' in frame ? frame.raw : session.channel.seal(frame.sealed), true);
      if (session.channel.canSeal) peer.send(session.channel.seal(encodeSessionMessage('ping', ping)), true);
    } catch (error) {
      return `not sent: ${error instanceof Error ? error.message : String(error)}`;
    }
    for (;;) {
      const item = await peer.next();
      if ('closed' in item) return firstError ? `error:${firstError} then closed:${item.closed}` : `closed:${item.closed}`;
      if (!item.isBinary) return 'text after the handshake';
      const opened = session.channel.open(item.data);
      if (!opened.ok) return `node frame does not open: ${opened.error.code}`;
      const message = decodeSessionMessage(opened.value, { crypto: nativeCrypto });
      if (!message.ok) return `node message does not decode: ${message.error.code}`;
      if (message.value.kind === 'error') firstError ??= message.value.body.code;
      if (message.value.kind === 'pong' && message.value.body.nonce === ping.nonce) return firstError ? `error:${firstError} then pong` : 'pong';
    }
  } finally {
    peer.close();
  }
}

const peerSession = defineTarget({
  name: 'ws:session',
  drives: "a node's peer listener end to end (the HTTP upgrade, acceptInbound, answerHello, PeerConnection: binary-only frames, SecureChannel.open, decodeSessionMessage, the bad-message budget, the handlers behind each kind)",
  sources: 'raw upgrade requests with their target, headers or bytes mutated; first messages: fresh real hellos to the node mutated structurally, re-signed, as text, binary, garbage; after a real handshake: real session messages of every kind mutated and sealed with the session keys, or raw mutated ciphertext',
  timeLimitMs: WS_LIMIT_MS,
  concurrency: 4,
  batch: 500,
  open: async (context, c): Promise<FuzzSession<unknown>> => {
    const runtime = await startNode(context.workDir, 'seed', true);
    const url = runtime.listenUrls()[0]!;
    const port = Number(new URL(url).port);
    const self = runtime.identity.nodeId;
    const hellos = valueStreams(context.seed, c.hellos.map((h) => h.artifact as unknown as JsonObject));
    const messages = byteStreams(context.seed, [...c.sessionMessages]);
    const bodies = valueStreams(context.seed, c.sessionMessages.slice(0, 40).map((m) => Buffer.from(m).toString('base64')));
    const fresh = (rng: Rng): { identity: NodeIdentity; hello: JsonObject } => {
      const identity = identityOf(rng.bytes(32));
      return { identity, hello: buildHello({ crypto: nativeCrypto, identity, now: Date.now(), recipient: self }).artifact as unknown as JsonObject };
    };
    const plaintext = (rng: Rng): Frame => {
      const bytes = rng.chance(0.8) ? messages.mutated(rng) : messages.capture(rng);
      return { sealed: bytes.subarray(0, MAX_FRAME_PLAINTEXT_BYTES) };
    };
    const next = mix<SessionInput>([
      [3, 'capture', (rng) => ({ kind: 'first', data: toJsonText(fresh(rng).hello), binary: false })],
      [20, 'mutated', (rng) => {
        const { hello } = fresh(rng);
        return { kind: 'first', data: toJsonText(hellos.mutate(rng, hello as JsonLike)), binary: false };
      }],
      [10, 'mutated+resigned', (rng) => {
        const { identity, hello } = fresh(rng);
        const mutated = hellos.mutate(rng, hello as JsonLike);
        const signed = resign('peer-handshake.v1', mutated, new Map([[identity.keyPublic, identity.signer]]));
        return { kind: 'first', data: toJsonText(signed ?? mutated), binary: false };
      }],
      [10, 'mutated-text', (rng) => ({ kind: 'first', data: mutateBytes(rng, Buffer.from(toJsonText(fresh(rng).hello))), binary: rng.chance(0.2) })],
      [5, 'generated', (rng) => ({ kind: 'first', data: bodies.generatedText(rng), binary: rng.chance(0.3) })],
      [37, 'mutated', (rng) => ({ kind: 'frames', seed: rng.bytes(32), frames: Array.from({ length: 1 + rng.int(6) }, () => plaintext(rng)) })],
      [15, 'mutated', (rng) => ({ kind: 'frames', seed: rng.bytes(32), frames: [...Array.from({ length: rng.int(3) }, () => plaintext(rng)), { raw: rng.chance(0.5) ? messages.generated(rng) : mutateBytes(rng, c.session.frames[0]!) }] })],
      [10, 'mutated-upgrade', (rng) => ({ kind: 'upgrade', raw: mutatedUpgrade(rng, port, '/peer', []) })],
    ]);
    return {
      next: (rng: Rng) => next(rng),
      run: async (input: SessionInput): Promise<string> => {
        if (input.kind === 'upgrade') return upgradeOutcome(port, input.raw);
        if (input.kind === 'first') {
          const peer = await PeerSocket.open(url);
          peer.send(input.data, input.binary);
          const answer = await firstAnswer(peer);
          peer.close();
          return answer.outcome;
        }
        const { peer, session } = await handshake(url, identityOf(input.seed), self);
        return conversation(peer, session, input.frames);
      },
      show: (input: SessionInput) => (input.kind === 'upgrade' ? { upgrade: Buffer.from(input.raw).toString('latin1') } : input.kind === 'first' ? { first: typeof input.data === 'string' ? input.data : Buffer.from(input.data).toString('latin1'), binary: input.binary } : { frames: input.frames.map((f) => ('raw' in f ? { raw: Buffer.from(f.raw).toString('hex') } : { sealed: Buffer.from(f.sealed).toString('hex') })) }),
      healthCheck: async () => {
        const identity = identityOf(nativeCrypto.randomBytes(32));
        const { peer, session } = await handshake(url, identity, self);
        const outcome = await conversation(peer, session, []);
        if (outcome !== 'pong') throw new Error(`a valid session with a ping got ${outcome}, not a pong`);
      },
      close: () => runtime.stop(),
    } as FuzzSession<unknown>;
  },
});

export const WS_TARGETS: readonly FuzzTarget[] = [control, peerSession];

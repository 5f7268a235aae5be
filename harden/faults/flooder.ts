// The flooding peer of scenario 5, run as its own process (so its work does not slow the process
// that measures): it opens real sessions to a node and, until its time is up, in FLOOD_LANES lanes
// at once, cycles through
//   messages  one session sending pings, peer-exchange requests and heartbeat requests as fast as
//             its socket takes them, until the node cuts it off (or MESSAGE_BURST_MAX_MS);
//   invalid   fresh sessions each ending with one bad frame: random bytes (fails to decrypt), an
//             oversized frame (over MAX_FRAME_BYTES), a text frame, sealed garbage (undecodable);
// each session under a fresh identity (a Sybil flood: the node's per-node-id limits and blocks
// never see the same peer twice). On exit it prints one line, `flood {json}`, with what it did.
//
//   node flooder.mjs <url> <node-id> <duration-ms> <seed>
import { randomBytes } from 'node:crypto';
import { makePing } from '../../src-shared/protocol/messages/core-bodies.js';
import type { PeerConnection } from '../../src-node/kernel/connection/peer-connection.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed } from '../../src-node/kernel/identity/node-identity.js';
import { MAX_FRAME_BYTES } from '../../src-node/kernel/transport/limits.js';
import { openSession } from './healthy-peer.js';
import { Rng } from '../lib/random.js';

/** Sessions the flooder keeps going at once, each cycling through bursts and bad frames. */
export const FLOOD_LANES = 4;
/** Bytes the flooder lets queue on its socket before it waits for them to drain. */
export const FLOOD_BUFFER_BYTES = 256 * 1024;
/** One message burst on one session lasts at most this long. */
export const MESSAGE_BURST_MAX_MS = 15_000;
/** Bad frames sent (one per session) between two message bursts. */
export const INVALID_FRAMES_PER_ROUND = 8;
/** How long the flooder waits for the node to close a session after a bad frame. */
export const CLOSE_WAIT_MS = 2_000;

export type BadFrame = 'random-bytes' | 'oversized' | 'text' | 'sealed-garbage';
const BAD_FRAMES: readonly BadFrame[] = ['random-bytes', 'oversized', 'text', 'sealed-garbage'];

export interface FloodReport {
  readonly sessions: number;
  /** Session attempts that failed (refused, busy, timed out). */
  readonly refused: number;
  readonly messages: number;
  readonly badFrames: number;
  /** Why the node closed our sessions, counted ("rate limit", "1009", …). */
  readonly closes: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

function closeKey(reason: string): string {
  return reason.replace(/\d{5,}/g, 'N').replace(/\s+/g, ' ').slice(0, 48);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface FloodSession {
  readonly connection: PeerConnection;
  /** Resolves with the reason the session ended, as the node gave it. */
  readonly closed: Promise<string>;
}

/** The reason `session` closed with, or null if it is still open after `ms`. */
function closedWithin(session: FloodSession, ms: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([session.closed, timeout]).finally(() => clearTimeout(timer));
}

export async function flood(url: string, nodeId: string, durationMs: number, seed: number): Promise<FloodReport> {
  const rng = new Rng(seed);
  const deadline = Date.now() + durationMs;
  const closes: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let sessions = 0;
  let refused = 0;
  let messages = 0;
  let badFrames = 0;

  const open = async (): Promise<FloodSession | undefined> => {
    try {
      const connection = await openSession(identityFromSeed(rng.bytes(32), nativeCrypto), url, nodeId);
      sessions++;
      const closed = new Promise<string>((resolve) => connection.once('close', (info) => resolve(info.reason)));
      return { connection, closed };
    } catch (error) {
      refused++;
      count(errors, closeKey(error instanceof Error ? error.message : String(error)));
      await sleep(10);
      return undefined;
    }
  };

  const burst = async (): Promise<void> => {
    const session = await open();
    if (!session) return;
    const connection = session.connection;
    const until = Math.min(deadline, Date.now() + MESSAGE_BURST_MAX_MS);
    // The first message goes whatever the time: a starved handshake can take the session past the
    // deadline, and a flood that sent nothing would prove nothing.
    for (let n = 0; connection.isOpen && (n === 0 || Date.now() < until); n++) {
      if (connection.socket.bufferedAmount > FLOOD_BUFFER_BYTES) {
        await sleep(1);
        continue;
      }
      const now = Date.now();
      const pick = n % 3;
      const sent =
        pick === 0
          ? connection.send('ping', makePing(now))
          : pick === 1
            ? connection.send('peer-exchange', { 'req/id': `px:${n}`, want: 32 })
            : connection.send('heartbeat', { 'req/id': `hb:${n}`, seq: n, primary: true, contributing: true, 'load/permille': 1, 'memory/available-mb': 1, vnodes: [] });
      if (sent) messages++;
      // Yield now and then so the socket gets written out and closes are heard.
      if (n % 64 === 63) await new Promise((r) => setImmediate(r));
    }
    const reason = connection.isOpen ? null : await closedWithin(session, CLOSE_WAIT_MS);
    count(closes, reason === null ? 'open at the end of the burst' : closeKey(reason));
    connection.terminate();
  };

  const badFrame = async (kind: BadFrame): Promise<void> => {
    const session = await open();
    if (!session) return;
    const connection = session.connection;
    const socket = connection.socket;
    const payload =
      kind === 'random-bytes'
        ? randomBytes(64)
        : kind === 'oversized'
          ? Buffer.alloc(MAX_FRAME_BYTES + 1)
          : kind === 'text'
            ? Buffer.from('{"msg/kind":"ping"}')
            : Buffer.from(connection.session.channel.seal(randomBytes(64)));
    const frames = kind === 'sealed-garbage' ? 6 : 1; // the node tolerates a few undecodable messages
    for (let i = 0; i < frames && socket.readyState === socket.OPEN; i++) {
      const frame = kind === 'sealed-garbage' && i > 0 ? Buffer.from(connection.session.channel.seal(randomBytes(64))) : payload;
      socket.send(frame, { binary: kind !== 'text' });
      badFrames++;
    }
    const reason = await closedWithin(session, CLOSE_WAIT_MS);
    count(closes, `${kind}: ${reason === null ? 'not closed' : closeKey(reason)}`);
    connection.terminate();
  };

  const lane = async (): Promise<void> => {
    while (Date.now() < deadline) {
      await burst();
      for (let i = 0; i < INVALID_FRAMES_PER_ROUND && Date.now() < deadline; i++) await badFrame(rng.pick(BAD_FRAMES));
    }
  };
  await Promise.all(Array.from({ length: FLOOD_LANES }, () => lane()));
  return { sessions, refused, messages, badFrames, closes, errors };
}

/** The child's entry: `<url> <node-id> <duration-ms> <seed>`. */
export async function runFlooder(argv: readonly string[]): Promise<void> {
  const [url, nodeId, duration, seed] = argv;
  if (!url || !nodeId || !duration || !seed) throw new Error('usage: flooder <url> <node-id> <duration-ms> <seed>');
  const report = await flood(url, nodeId, Number(duration), Number(seed));
  process.stdout.write(`flood ${JSON.stringify(report)}\n`);
  process.exit(0);
}

// The eclipse attacker of `npm run harden -- eclipse` (issue 15 §1), in a process of its own so the
// victim's memory is the victim's: validly signed advertisements of thousands of identities (each
// its own key), with a far-future expiry (the attack as the issue found it) or at the longest
// lifetime the rules allow, pointing at attacker addresses; served by
//   - a seed directory of its own (tests/support/hostile-directory.ts) on an attacker address, the
//     whole pool again under a fresh epoch every rotation, and/or
//   - gossiping peers: sessions to the victim under fresh identities from several attacker
//     addresses, each pushing batches of the pool as fast as the victim admits and answering the
//     victim's requests with more of it; a session the victim ends is opened again under the next
//     identity.
//
//   node eclipse-attacker.mjs '<json EclipseAttackerPlan>'
//
// Prints `directory <url>` (or `directory none`), then `ready`; runs for `durationMs`; prints
// `figures <json AttackerFigures>` and exits.
import { createHash } from 'node:crypto';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed, type NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import type { PeerConnection } from '../../src-node/kernel/connection/peer-connection.js';
import { CLOSE_NORMAL, closeSocket } from '../../src-node/kernel/transport/close-codes.js';
import type { SessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import type { PeerExchangeBody } from '../../src-shared/protocol/messages/discovery-bodies.js';
import { MAX_PEER_EXCHANGE_ADVERTISEMENTS } from '../../src-shared/protocol/messages/discovery-bodies.js';
import { signArtifact } from '../../src-shared/protocol/signing.js';
import { formatTimestamp } from '../../src-shared/protocol/time.js';
import { newId } from '../../src-shared/protocol/ids.js';
import { ADVERTISEMENT_MAX_LIFETIME_MS } from '../../src-shared/protocol/advertisement-rules.js';
import { startHostileDirectory } from '../../tests/support/hostile-directory.js';
import { openSession } from '../faults/healthy-peer.js';
import { sleep } from '../faults/wait.js';

/** A gossiping session pushes a batch this often (the victim admits 4 a second per peer). */
export const ATTACKER_PUSH_EVERY_MS = 250;
/** The directory serves its pool again, under a fresh epoch, this often. */
export const ATTACKER_ROTATE_EVERY_MS = 5_000;
/** How far in the future a far-future advertisement expires. */
export const FAR_FUTURE_MS = 10 * 365 * 24 * 3_600_000;
/** After a refused or ended session, a lane waits this long before its next identity. */
const LANE_RETRY_MS = 200;
/**
 * At the end, sessions closed with the close handshake get this long to finish it before they are
 * dropped: the victim reads every push sent before the close frame, while a drop (a reset) can
 * throw away what a starved victim had not read yet, and the figures would miss it.
 */
const CLOSE_PATIENCE_MS = 60_000;
/** How often the end checks whether the sessions have closed. */
const CLOSE_POLL_MS = 50;

export interface EclipseAttackerPlan {
  readonly seed: number;
  /** Identities in the advertisement pool. */
  readonly identities: number;
  readonly farFuture: boolean;
  /** Serve the pool from a directory of its own, on this address (null: no directory). */
  readonly directoryHost: string | null;
  /** Gossip: the victim's peer URL and node-id (null: no gossip). */
  readonly victim: { readonly url: string; readonly nodeId: string } | null;
  /** Addresses the gossiping sessions come from (one lane each). */
  readonly addresses: readonly string[];
  /** Session identities the gossip may use in all. */
  readonly sessionIdentities: number;
  readonly durationMs: number;
}

export interface AttackerFigures {
  readonly identities: number;
  readonly advertisements: number;
  readonly addresses: number;
  readonly seconds: number;
  readonly directoryServed: number;
  readonly sessionIdentitiesUsed: number;
  readonly sessionsOpened: number;
  readonly sessionsRefused: number;
  readonly sessionsEndedByVictim: number;
  readonly pushes: number;
  readonly advertisementsPushed: number;
  readonly answers: number;
}

function identityAt(seed: number, label: string, index: number): NodeIdentity {
  const bytes = createHash('sha256').update(`eclipse:${seed}:${label}:${index}`).digest();
  return identityFromSeed(new Uint8Array(bytes), nativeCrypto);
}

function advertisementOf(identity: NodeIdentity, index: number, plan: EclipseAttackerPlan, addresses: readonly string[]): Record<string, unknown> {
  const now = Date.now();
  const address = addresses[index % addresses.length] ?? '127.0.0.1';
  return signArtifact(
    'node-advertisement.v1',
    {
      'schema/v': 1,
      'advertisement/id': newId('adv', now),
      'node/id': identity.nodeId,
      'sequence/no': 1,
      'advertised-at': formatTimestamp(now),
      'expires-at': formatTimestamp(now + (plan.farFuture ? FAR_FUTURE_MS : ADVERTISEMENT_MAX_LIFETIME_MS - 60_000)),
      'key/alg': 'ed25519',
      'key/public': identity.keyPublic,
      endpoints: [{ 'endpoint/url': `ws://${address}:${1_024 + (index % 60_000)}/peer`, 'endpoint/transport': 'wss', 'endpoint/role': 'listener', 'endpoint/priority': 0 }],
      'transports/supported': ['wss'],
    },
    identity.signer,
  );
}

export async function runEclipseAttacker(args: readonly string[]): Promise<void> {
  const plan = JSON.parse(args[0] ?? '{}') as EclipseAttackerPlan;
  const pool = Array.from({ length: plan.identities }, (_, i) => advertisementOf(identityAt(plan.seed, 'pool', i), i, plan, plan.addresses));
  const directory = plan.directoryHost === null ? null : await startHostileDirectory(pool, undefined, plan.directoryHost);
  process.stdout.write(`directory ${directory?.url ?? 'none'}\nready\n`);
  // The attack's time starts once it is ready: signing the pool can take longer than the attack
  // itself on a starved machine, and an attack that ended before it began would prove nothing.
  const started = Date.now();

  let cursor = 0;
  const batch = (): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < MAX_PEER_EXCHANGE_ADVERTISEMENTS && pool.length > 0; i++) out.push(pool[cursor++ % pool.length]!);
    return out;
  };
  const counts = { sessionIdentitiesUsed: 0, sessionsOpened: 0, sessionsRefused: 0, sessionsEndedByVictim: 0, pushes: 0, advertisementsPushed: 0, answers: 0 };
  const deadline = started + plan.durationMs;
  const open = new Set<PeerConnection>();
  /** Every session's socket, to wait at the end for the closing handshakes. */
  const sockets: Array<PeerConnection['socket']> = [];
  const closedByUs = new Set<PeerConnection>();
  /** Ends a session with the close handshake, waiting for the victim's answer as long as CLOSE_PATIENCE_MS. */
  const closeGently = (connection: PeerConnection): void => {
    closedByUs.add(connection);
    closeSocket(connection.socket, CLOSE_NORMAL, 'attack over', CLOSE_PATIENCE_MS);
  };

  const lane = async (address: string): Promise<void> => {
    const victim = plan.victim!;
    while (Date.now() < deadline && counts.sessionIdentitiesUsed < plan.sessionIdentities) {
      const identity = identityAt(plan.seed, 'session', counts.sessionIdentitiesUsed++);
      let connection: PeerConnection;
      try {
        connection = await openSession(identity, victim.url, victim.nodeId, address);
      } catch {
        counts.sessionsRefused++;
        await sleep(LANE_RETRY_MS);
        continue;
      }
      counts.sessionsOpened++;
      open.add(connection);
      sockets.push(connection.socket);
      let ended = false;
      connection.once('close', (info) => {
        ended = true;
        open.delete(connection);
        if (info.by === 'remote' && !closedByUs.has(connection)) counts.sessionsEndedByVictim++;
      });
      connection.on('message', (message: SessionMessage) => {
        if (message.kind !== 'peer-exchange') return;
        const body = message.body as PeerExchangeBody;
        if (body['req/id'] === undefined) return;
        const answer = batch();
        if (connection.send('peer-exchange', { 're/id': body['req/id'], advertisements: answer } as never)) {
          counts.answers++;
          counts.advertisementsPushed += answer.length;
        }
      });
      // Every session pushes at least once, though a starved handshake took it past the deadline.
      do {
        const push = batch();
        if (connection.send('peer-exchange', { advertisements: push } as never)) {
          counts.pushes++;
          counts.advertisementsPushed += push.length;
        }
        await sleep(ATTACKER_PUSH_EVERY_MS);
      } while (!ended && Date.now() < deadline);
      if (!ended) closeGently(connection);
      await sleep(LANE_RETRY_MS);
    }
  };

  const lanes = plan.victim ? plan.addresses.map((address) => lane(address)) : [];
  const rotations = (async () => {
    while (directory && Date.now() < deadline) {
      await sleep(Math.min(ATTACKER_ROTATE_EVERY_MS, Math.max(0, deadline - Date.now())));
      if (Date.now() < deadline) directory.serve(pool);
    }
  })();
  await Promise.all([...lanes, rotations, sleep(Math.max(0, deadline - Date.now()))]);
  for (const connection of open) if (!closedByUs.has(connection)) closeGently(connection);
  // Each session is closing by now; its socket is done once the victim has answered the close.
  const closing = () => sockets.filter((socket) => socket.readyState !== socket.CLOSED);
  for (const giveUpAt = Date.now() + CLOSE_PATIENCE_MS; closing().length > 0 && Date.now() < giveUpAt; ) await sleep(CLOSE_POLL_MS);
  for (const socket of closing()) socket.terminate();
  const figures: AttackerFigures = {
    identities: plan.identities + counts.sessionIdentitiesUsed,
    advertisements: pool.length,
    addresses: new Set([...plan.addresses, ...(plan.directoryHost ? [plan.directoryHost] : [])]).size,
    seconds: (Date.now() - started) / 1000,
    directoryServed: directory?.served() ?? 0,
    ...counts,
  };
  await directory?.close();
  process.stdout.write(`figures ${JSON.stringify(figures)}\n`);
  process.exit(0);
}

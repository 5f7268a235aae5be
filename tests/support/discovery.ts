// Test helpers for discovery: signed advertisements of any identity (valid, expired, forged), and
// a bare session to a running node that sends exactly what a test tells it to. Not used by the runtime.
import { newId } from '../../src-shared/protocol/ids.js';
import { formatTimestamp } from '../../src-shared/protocol/time.js';
import { signArtifact } from '../../src-shared/protocol/signing.js';
import type { PeerExchangeBody } from '../../src-shared/protocol/messages/discovery-bodies.js';
import type { SessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import type { NodeAdvertisement } from '../../src-node/kernel/advertisement/advertisement-types.js';
import type { NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import { openOutbound, type PeerConnection } from '../../src-node/kernel/connection/peer-connection.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';

export interface TestAdvertisementOptions {
  readonly sequence?: number;
  readonly url?: string;
  /** Milliseconds from now; negative for an expired advertisement. */
  readonly expiresInMs?: number;
  readonly federationId?: string;
}

/** A node-advertisement.v1 signed by `identity`. */
export function signedAdvertisement(identity: NodeIdentity, options: TestAdvertisementOptions = {}): NodeAdvertisement {
  const now = Date.now();
  const expiresIn = options.expiresInMs ?? 10 * 60_000;
  const advertisedAt = expiresIn > 0 ? now : now + expiresIn - 60_000;
  return signArtifact(
    'node-advertisement.v1',
    {
      'schema/v': 1,
      'advertisement/id': newId('adv', now),
      'node/id': identity.nodeId,
      'sequence/no': options.sequence ?? 1,
      'advertised-at': formatTimestamp(advertisedAt),
      'expires-at': formatTimestamp(now + expiresIn),
      'key/alg': 'ed25519',
      'key/public': identity.keyPublic,
      ...(options.federationId ? { 'federation/id': options.federationId } : {}),
      endpoints: [{ 'endpoint/url': options.url ?? 'ws://127.0.0.1:9/peer', 'endpoint/transport': 'wss', 'endpoint/role': 'listener', 'endpoint/priority': 0 }],
      'transports/supported': ['wss'],
    },
    identity.signer,
  ) as unknown as NodeAdvertisement;
}

/** A validly signed advertisement changed afterwards: E_SIG_INVALID for whoever checks it. */
export function forgedAdvertisement(identity: NodeIdentity, options: TestAdvertisementOptions = {}): NodeAdvertisement {
  const valid = signedAdvertisement(identity, options);
  return { ...valid, endpoints: [{ ...valid.endpoints[0]!, 'endpoint/url': 'ws://127.0.0.1:6666/evil' }] };
}

export interface RawPeer {
  readonly connection: PeerConnection;
  /** Every peer-exchange body received, in order. */
  readonly received: PeerExchangeBody[];
  send(body: PeerExchangeBody): boolean;
  closed(): Promise<unknown>;
}

/** Opens a session to `url` as `identity`, outside any runtime. */
export async function rawPeer(identity: NodeIdentity, url: string, psk?: Uint8Array): Promise<RawPeer> {
  const connection = await openOutbound(
    { crypto: nativeCrypto, identity, clock: systemClock, nonces: new HandshakeNonceCache(), ...(psk ? { psk } : {}) },
    { url, transport: { policy: { insecureLoopback: true } } },
  );
  const received: PeerExchangeBody[] = [];
  const closed = new Promise<unknown>((resolve) => connection.once('close', resolve));
  connection.on('message', (message: SessionMessage) => {
    if (message.kind === 'peer-exchange') received.push(message.body as PeerExchangeBody);
  });
  connection.start();
  return { connection, received, send: (body) => connection.send('peer-exchange', body), closed: () => closed };
}

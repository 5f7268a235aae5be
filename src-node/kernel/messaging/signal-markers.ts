// Signal markers over sessions (spec digest §c.5): a participant-signed signal-marker-envelope.v1
// sent on an established session, verified on receipt (the session codec checks the signature),
// traced both ways. Every node receives them; `send` dials the peer first when there is no
// session, asking a lookup (the seed directories) for its address when the peer store has none.
import { newId } from '../../../src-shared/protocol/ids.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import { signArtifact } from '../../../src-shared/protocol/signing.js';
import { PROTOCOL_VERSION } from '../../../src-shared/protocol/profile.js';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import { ProtocolError, type Result, fail, ok } from '../../../src-shared/protocol/errors.js';
import { isNodeId } from '../../../src-shared/protocol/did-key.js';
import type { CommandHandlers } from '../../../src-shared/control/commands.js';
import type { NodeIdentity } from '../identity/node-identity.js';
import type { KernelComponents } from '../runtime/components.js';
import { requireComponents } from '../runtime/components.js';
import type { ControlSource, RuntimeModule } from '../runtime/runtime-module.js';

/** Received markers kept in memory for `recent()` (the trace log has them all). */
export const RECENT_SIGNAL_MARKERS = 100;

export function buildSignalMarkerEnvelope(identity: NodeIdentity, markerRef: string, now: number): JsonObject {
  return signArtifact(
    'signal-marker-envelope.v1',
    {
      'schema/v': 1,
      'message/id': newId('msg', now),
      'protocol/version': PROTOCOL_VERSION,
      'message/kind': 'signal-marker-envelope.v1',
      'sender/participant-id': identity.participantId,
      'created-at': formatTimestamp(now),
      'marker/ref': markerRef,
    },
    // MVP: the participant role signs with the node key; peers still treat the ids as distinct.
    identity.signer,
  );
}

export interface ReceivedSignalMarker {
  readonly from: string;
  readonly participant: string;
  readonly markerRef: string;
  readonly messageId: string;
  readonly receivedAt: number;
}

/** Finds a peer's advertisement elsewhere (the directory client), verifying and caching it on the way. */
export interface PeerLookup {
  fetchAdvertisement(nodeId: string): Promise<unknown>;
}

export type SignalMarkersComponents = Pick<KernelComponents, 'identity' | 'connections' | 'peers' | 'clock' | 'traces'> & {
  /** Where to ask for a peer the peer store does not know (absent: nowhere). */
  readonly lookup?: PeerLookup | undefined;
};

export class SignalMarkers implements RuntimeModule, ControlSource {
  readonly name = 'signal-markers';
  private readonly received: ReceivedSignalMarker[] = [];

  constructor(private readonly components: SignalMarkersComponents) {
    requireComponents(this.name, components, ['identity', 'connections', 'peers', 'clock', 'traces']);
  }

  readonly commands: CommandHandlers = {
    'send-signal-marker': async (command) => {
      const sent = await this.send(command.to, command.markerRef);
      return sent.ok ? { ok: true, value: sent.value } : { ok: false, error: { code: 'failed', message: sent.error.detail, protocolCode: sent.error.code } };
    },
  };

  start(): void {
    const { connections, clock, traces } = this.components;
    connections.handle('signal-marker-envelope.v1', (connection, body) => {
      const marker: ReceivedSignalMarker = {
        from: connection.peerNodeId,
        participant: String(body['sender/participant-id']),
        markerRef: String(body['marker/ref']),
        messageId: String(body['message/id']),
        receivedAt: clock.now(),
      };
      this.received.push(marker);
      if (this.received.length > RECENT_SIGNAL_MARKERS) this.received.shift();
      traces.emit('signal-marker/received', {
        peer: connection.peerNodeId,
        detail: { 'message/id': marker.messageId, 'marker/ref': marker.markerRef, 'sender/participant-id': marker.participant },
      });
    });
  }

  stop(): void {}

  recent(): readonly ReceivedSignalMarker[] {
    return this.received;
  }

  /** Sends a signal marker to a peer, dialing it first when there is no session. */
  async send(to: string, markerRef: string): Promise<Result<{ messageId: string }>> {
    const { connections, peers, identity, clock, traces, lookup } = this.components;
    if (!isNodeId(to)) return fail('E_PROTO_INVALID', `not a node id: ${to}`);
    let connection = connections.get(to);
    if (!connection) {
      let urls = peers.get(to)?.endpoints.map((e) => e.url) ?? [];
      if (urls.length === 0 && lookup) {
        await lookup.fetchAdvertisement(to).catch(() => null);
        urls = peers.get(to)?.endpoints.map((e) => e.url) ?? [];
      }
      try {
        connection = await connections.connect(urls, { nodeId: to });
      } catch (error) {
        const failure = error instanceof ProtocolError ? error : new ProtocolError('E_TRANSPORT_UNAVAILABLE', String(error));
        return { ok: false, error: failure };
      }
    }
    const envelope = buildSignalMarkerEnvelope(identity, markerRef, clock.now());
    if (!connection.send('signal-marker-envelope.v1', envelope)) return fail('E_TRANSPORT_UNAVAILABLE', `the session with ${to} closed`);
    const messageId = String(envelope['message/id']);
    traces.emit('signal-marker/sent', { peer: to, detail: { 'message/id': messageId, 'marker/ref': markerRef } });
    return ok({ messageId });
  }
}

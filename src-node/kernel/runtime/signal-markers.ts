// Signal markers over sessions (spec digest §c.5): a participant-signed signal-marker-envelope.v1
// sent on an established session, verified on receipt (the session codec checks the signature),
// traced both ways.
import { newId } from '../../../src-shared/protocol/ids.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import { signArtifact } from '../../../src-shared/protocol/signing.js';
import { PROTOCOL_VERSION } from '../../../src-shared/protocol/profile.js';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import type { NodeIdentity } from '../identity/node-identity.js';

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

// Every JSON Schema the node knows, by artifact name. Later artifacts of our profile register here.
import nodeIdentity from './node-identity.v1.schema.json' with { type: 'json' };
import nodeAdvertisement from './node-advertisement.v1.schema.json' with { type: 'json' };
import peerHandshake from './peer-handshake.v1.schema.json' with { type: 'json' };
import capabilityAdvertisement from './capability-advertisement.v1.schema.json' with { type: 'json' };
import signalMarkerEnvelope from './signal-marker-envelope.v1.schema.json' with { type: 'json' };
import signalMarker from './signal-marker.v1.schema.json' with { type: 'json' };
import networkDescriptor from './network-descriptor.v1.schema.json' with { type: 'json' };
import pnodeDescriptor from './pnode-descriptor.v1.schema.json' with { type: 'json' };
import operatorCredential from './operator-credential.v1.schema.json' with { type: 'json' };
import operatorAttestation from './operator-attestation.v1.schema.json' with { type: 'json' };
import revocationList from './revocation-list.v1.schema.json' with { type: 'json' };
import creditReceipt from './credit-receipt.v1.schema.json' with { type: 'json' };

export const SCHEMAS = {
  'node-identity.v1': nodeIdentity,
  'node-advertisement.v1': nodeAdvertisement,
  'peer-handshake.v1': peerHandshake,
  'capability-advertisement.v1': capabilityAdvertisement,
  'signal-marker-envelope.v1': signalMarkerEnvelope,
  'signal-marker.v1': signalMarker,
  'network-descriptor.v1': networkDescriptor,
  'pnode-descriptor.v1': pnodeDescriptor,
  // Trusted registration (issue 5 §5; src-shared/trust).
  'operator-credential.v1': operatorCredential,
  'operator-attestation.v1': operatorAttestation,
  'revocation-list.v1': revocationList,
  // Credit (issue 13 §5; src-shared/credit).
  'credit-receipt.v1': creditReceipt,
} as const;

export type SchemaName = keyof typeof SCHEMAS;
export const SCHEMA_NAMES = Object.keys(SCHEMAS) as readonly SchemaName[];

export function isSchemaName(value: unknown): value is SchemaName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(SCHEMAS, value);
}

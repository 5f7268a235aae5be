// Our signed capability-advertisement.v1 (spec digest §c.4, §i), sent on every new session: each
// offered capability is presented with a self-issued passport signed over canonical JSON.
import { newId } from '../../../src-shared/protocol/ids.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import { signArtifact } from '../../../src-shared/protocol/signing.js';
import { signPassport, PASSPORT_SCHEMA } from '../../../src-shared/protocol/passport.js';
import { OFFERED_CAPABILITIES, PROTOCOL_VERSION } from '../../../src-shared/protocol/profile.js';
import { SESSION_KINDS } from '../../../src-shared/protocol/messages/kinds.js';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import type { NodeIdentity } from '../identity/node-identity.js';

/** How long our self-issued passports are valid; a fresh advertisement is made after half of it. */
export const PASSPORT_VALIDITY_MS = 10 * 60_000;

export interface CapabilityAdvertisementOptions {
  readonly capabilities?: readonly string[];
  /** Free-form role names this node serves (`orchestrator`, `seed-directory`, …). */
  readonly roles?: readonly string[];
}

export function buildCapabilityAdvertisement(identity: NodeIdentity, now: number, options: CapabilityAdvertisementOptions = {}): JsonObject {
  const capabilities = options.capabilities ?? OFFERED_CAPABILITIES;
  const advertisementId = newId('caps', now);
  const presented = capabilities.map((capability) => ({
    'capability/id': capability,
    'wire/name': capability,
    'assertion/kind': 'self-issued-passport',
    passport: signPassport(
      {
        schema: PASSPORT_SCHEMA,
        passport_id: `passport:capability:${capability.replace(/\//g, '-')}:${advertisementId.slice('caps:'.length)}`,
        node_id: identity.nodeId,
        capability_id: capability,
        scope: { 'protocol/version': PROTOCOL_VERSION },
        issued_at: formatTimestamp(now),
        expires_at: formatTimestamp(now + PASSPORT_VALIDITY_MS),
        'issuer/participant_id': identity.participantId,
        'issuer/node_id': identity.nodeId,
        revocation_ref: null,
      },
      identity.signer,
    ),
  }));
  return signArtifact(
    'capability-advertisement.v1',
    {
      'schema/v': 1,
      'advertisement/id': advertisementId,
      'node/id': identity.nodeId,
      'published-at': formatTimestamp(now),
      'protocol/version': PROTOCOL_VERSION,
      'transport/profiles': ['wss'],
      'capabilities/core': [...capabilities],
      'capabilities/presented': presented,
      'roles/attached': [...(options.roles ?? [])],
      'surfaces/exposed': ['peer-session'],
      'messages/supported': ['peer-handshake.v1', ...SESSION_KINDS],
    },
    identity.signer,
  );
}

/** Keeps one advertisement and re-signs it when half its passports' validity has passed. */
export class CapabilityAdvertiser {
  private current: { advertisement: JsonObject; madeAt: number } | undefined;

  constructor(
    private readonly identity: NodeIdentity,
    private readonly options: CapabilityAdvertisementOptions = {},
  ) {}

  advertisement(now: number): JsonObject {
    if (!this.current || now - this.current.madeAt >= PASSPORT_VALIDITY_MS / 2) {
      this.current = { advertisement: buildCapabilityAdvertisement(this.identity, now, this.options), madeAt: now };
    }
    return this.current.advertisement;
  }
}

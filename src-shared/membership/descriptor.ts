// pnode-descriptor.v1: what a PNode registers with (issue 5 §2). The PNode builds it from its
// detected hardware and the volunteer's limits and signs it with its node key; the orchestrator
// verifies it whole before it reads a field. Pure: no I/O, time comes in as `now`.
import { type Result, ProtocolError, attempt, fail } from '../protocol/errors.js';
import { checkSchema } from '../protocol/schema-gate.js';
import { verifyArtifact } from '../protocol/verify.js';
import { signArtifact, type ArtifactSignature } from '../protocol/signing.js';
import { newId } from '../protocol/ids.js';
import { formatTimestamp, parseTimestamp } from '../protocol/time.js';
import { HANDSHAKE_MAX_CLOCK_SKEW_MS, SUPPORTED_PROTOCOL_VERSIONS, PROTOCOL_VERSION } from '../protocol/profile.js';
import type { CryptoProvider, Ed25519Signer } from '../protocol/crypto/provider.js';
import type { JsonObject } from '../protocol/artifacts.js';
import { checkHardwareSummary } from '../hardware/hardware-summary-gate.js';
import type { HardwareSummary } from '../hardware/hardware-summary.js';
import type { ContributionLimits } from '../control/state.js';
import { DESCRIPTOR_TTL_MS, MAX_OFFER_CORES, MAX_OFFER_MEMORY_MB } from './membership-profile.js';

export const PNODE_DESCRIPTOR_SCHEMA = 'pnode-descriptor.v1';
/** Longest validity an orchestrator accepts (a week): a descriptor is a fresh statement, not a certificate. */
export const MAX_DESCRIPTOR_VALIDITY_MS = 7 * 24 * 60 * 60_000;

/** What the volunteer offers, in the units of the wire. */
export interface Offer {
  readonly cores: number;
  readonly 'memory-mb': number;
}

export interface PnodeDescriptor {
  readonly 'schema/v': 1;
  readonly 'descriptor/id': string;
  readonly 'node/id': string;
  readonly 'sequence/no': number;
  readonly 'issued-at': string;
  readonly 'expires-at': string;
  readonly hardware: HardwareSummary;
  readonly offer: Offer;
  readonly 'software/version': string;
  readonly 'protocol/version': string;
  /** Trusted registration (issue 5 §5): the operator attestation, checked by the orchestrator's trust hook. */
  readonly operator?: JsonObject;
  readonly signature: ArtifactSignature;
}

/**
 * The offer: the volunteer's limits applied to the machine. Cores = min(maxCores, logical cores);
 * memory = memoryPercent of total memory, rounded down. Unknown hardware offers what the limits
 * say for cores and no memory: an orchestrator caps claims its measurements do not support anyway.
 */
export function offerFor(hardware: HardwareSummary, limits: ContributionLimits): Offer {
  const logical = hardware['cpu/logical-cores'];
  const cores = Math.max(0, Math.min(MAX_OFFER_CORES, logical === null ? limits.maxCores : Math.min(limits.maxCores, logical)));
  const total = hardware['memory/total-mb'];
  const memory = total === null ? 0 : Math.floor((total * limits.memoryPercent) / 100);
  return { cores, 'memory-mb': Math.max(0, Math.min(MAX_OFFER_MEMORY_MB, memory)) };
}

export interface DescriptorInput {
  readonly nodeId: string;
  readonly hardware: HardwareSummary;
  readonly offer: Offer;
  readonly softwareVersion: string;
  /** Milliseconds since the epoch; also the sequence number unless `sequence` is given. */
  readonly now: number;
  readonly sequence?: number;
  readonly ttlMs?: number;
  readonly operator?: JsonObject;
}

/** The descriptor before its signature. `sequence/no` defaults to `now`, so it grows across restarts without state. */
export function unsignedDescriptor(input: DescriptorInput): Omit<PnodeDescriptor, 'signature'> {
  const issued = Math.floor(input.now / 1000) * 1000;
  return {
    'schema/v': 1,
    'descriptor/id': newId('pdesc', input.now),
    'node/id': input.nodeId,
    'sequence/no': input.sequence ?? Math.floor(input.now),
    'issued-at': formatTimestamp(issued),
    'expires-at': formatTimestamp(issued + (input.ttlMs ?? DESCRIPTOR_TTL_MS)),
    hardware: input.hardware,
    offer: input.offer,
    'software/version': input.softwareVersion,
    'protocol/version': PROTOCOL_VERSION,
    ...(input.operator ? { operator: input.operator } : {}),
  };
}

export function signDescriptor(input: DescriptorInput, signer: Ed25519Signer): PnodeDescriptor {
  return signArtifact(PNODE_DESCRIPTOR_SCHEMA, unsignedDescriptor(input) as unknown as JsonObject, signer) as unknown as PnodeDescriptor;
}

export interface VerifyDescriptorOptions {
  readonly crypto: CryptoProvider;
  /** Milliseconds since the epoch: expiry and issue time are checked against it. */
  readonly now: number;
  /** The session's authenticated peer: a node registers itself only. */
  readonly expectedNodeId?: string;
}

/**
 * Full check, cheapest first: schema gate, the hardware summary gate, time and version rules,
 * the signer binding, then the signature and expiry. Codes: E_PROTO_INVALID (shape, times, another
 * node), E_PROTO_VERSION, E_SIG_INVALID, E_SIG_UNKNOWN_SIGNER, E_ADV_EXPIRED.
 */
export function verifyDescriptor(value: unknown, options: VerifyDescriptorOptions): Result<PnodeDescriptor> {
  const shaped = checkSchema<JsonObject>(PNODE_DESCRIPTOR_SCHEMA, value);
  if (!shaped.ok) return shaped;
  const descriptor = shaped.value;
  const hardware = checkHardwareSummary(descriptor['hardware']);
  if (!hardware.ok) return fail('E_PROTO_INVALID', `${PNODE_DESCRIPTOR_SCHEMA} $.hardware: ${hardware.error.detail}`);
  const rules = attempt(() => {
    const issued = parseTimestamp(descriptor['issued-at'] as string);
    const expires = parseTimestamp(descriptor['expires-at'] as string);
    if (!(expires > issued)) throw new ProtocolError('E_PROTO_INVALID', `${PNODE_DESCRIPTOR_SCHEMA} expires-at must be after issued-at`);
    if (expires - issued > MAX_DESCRIPTOR_VALIDITY_MS) throw new ProtocolError('E_PROTO_INVALID', `${PNODE_DESCRIPTOR_SCHEMA} is valid for longer than ${MAX_DESCRIPTOR_VALIDITY_MS} ms`);
    if (issued > options.now + HANDSHAKE_MAX_CLOCK_SKEW_MS) throw new ProtocolError('E_PROTO_INVALID', `${PNODE_DESCRIPTOR_SCHEMA} issued-at is in the future`);
    const version = descriptor['protocol/version'] as string;
    if (!SUPPORTED_PROTOCOL_VERSIONS.includes(version)) throw new ProtocolError('E_PROTO_VERSION', `${PNODE_DESCRIPTOR_SCHEMA} protocol/version ${JSON.stringify(version)} is not supported`);
    if (options.expectedNodeId !== undefined && descriptor['node/id'] !== options.expectedNodeId) {
      throw new ProtocolError('E_PROTO_INVALID', `${PNODE_DESCRIPTOR_SCHEMA} $["node/id"]: names another node than the session peer`);
    }
  });
  if (!rules.ok) return rules;
  return verifyArtifact<PnodeDescriptor & JsonObject>(PNODE_DESCRIPTOR_SCHEMA, descriptor, { crypto: options.crypto, checkExpiry: true, now: options.now });
}

// The format of `<dataDir>/peers.json`: `{"schema": "pnode-peers.v1", "peers": [...]}`, one entry
// per remembered peer. Live state (lifecycle, temperature, the open session, the source) is not
// stored: a loaded peer is `remembered` and idle, or blocked or cooling down if that has not ended
// yet. Decoding checks every field; a record that fails is reported, never half-trusted.
// Each peer keeps who brought it (`sources`, provenance.ts) and when we last reached it ourselves
// (`verifiedAt`): the fairness of the store and the tried/new split survive a restart. A stored
// advertisement that lives longer than the shared lifetime rule allows (a far-future expiry an
// older build took) is dropped at load, with the endpoints it brought.
import { rename, stat } from 'node:fs/promises';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import { isNodeId } from '../../../src-shared/protocol/did-key.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import { CorruptFileError, readJsonFile } from '../storage/atomic-file.js';
import { checkAdvertisementLifetime } from '../../../src-shared/protocol/advertisement-rules.js';
import { MAX_SOURCES_PER_PEER, UNKNOWN_SOURCE, decodeSource, type SourceRef } from './provenance.js';
import {
  ENDPOINT_ORIGINS,
  ENDPOINT_ROLES,
  MAX_CAPABILITIES_PER_PEER,
  MAX_ENDPOINTS_PER_PEER,
  MAX_ENDPOINT_URL_LENGTH,
  MAX_LABEL_LENGTH,
  MAX_REASON_LENGTH,
  type PeerBlock,
  type PeerEndpoint,
  type PeerRecord,
  clipText,
  compareEndpoints,
  connectedMsAt,
  liftExpired,
  newPeerRecord,
  settleRecord,
} from './peer-record.js';

export const PEERS_FILE_SCHEMA = 'pnode-peers.v1';
/** A peers.json larger than this is not read (it is treated as corrupt and moved aside). */
export const PEERS_FILE_MAX_BYTES = 16 * 1024 * 1024;
/** Corrupt copies kept side by side for one timestamp; past that the file stays where it is. */
export const MAX_CORRUPT_COPIES = 100;

export interface PeersFileContent {
  /** The records that decoded; all of them when `problem` is null. */
  readonly records: PeerRecord[];
  /** Why the file cannot be trusted as a whole, naming its path. */
  readonly problem: CorruptFileError | null;
}

/** Reads peers.json: undefined when there is none. Other I/O errors (permissions) are thrown. */
export async function readPeersFile(path: string, now: number): Promise<PeersFileContent | undefined> {
  try {
    const info = await stat(path);
    if (info.size > PEERS_FILE_MAX_BYTES) return { records: [], problem: new CorruptFileError(path, `larger than ${PEERS_FILE_MAX_BYTES} bytes`) };
    const raw = await readJsonFile(path);
    if (raw === undefined) return undefined;
    const decoded = decodePeersFile(raw, now);
    return { records: decoded.records, problem: decoded.problem === null ? null : new CorruptFileError(path, decoded.problem) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof CorruptFileError) return { records: [], problem: error };
    throw error;
  }
}

/**
 * Renames an untrusted file to `<path>.corrupt-<time>` (no colons: the name must work on Windows),
 * never over an existing file. Null when MAX_CORRUPT_COPIES names are taken; a failed rename throws.
 */
export async function moveCorruptFileAside(path: string, now: number): Promise<string | null> {
  const stamp = formatTimestamp(now).replace(/:/g, '');
  for (let i = 0; i < MAX_CORRUPT_COPIES; i++) {
    const target = `${path}.corrupt-${stamp}${i === 0 ? '' : `-${i}`}`;
    try {
      await stat(target);
      continue;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await rename(path, target);
    return target;
  }
  return null;
}

/** The file's text for these records, connected time counted up to `now`. */
export function encodePeersFile(records: Iterable<PeerRecord>, now: number): string {
  const peers = [...records].map((r) => encodeStoredPeer(r, now));
  return `${JSON.stringify({ schema: PEERS_FILE_SCHEMA, peers })}\n`;
}

/** What peers.json holds per peer: the record without its live state and without `source`. */
function encodeStoredPeer(record: PeerRecord, now: number): Record<string, unknown> {
  return {
    nodeId: record.nodeId,
    label: record.label,
    endpoints: record.endpoints,
    advertisement: record.advertisement,
    selectedEndpointUrl: record.selectedEndpointUrl,
    rttLastMs: record.rttLastMs,
    rttSmoothedMs: record.rttSmoothedMs,
    consecutiveFailures: record.consecutiveFailures,
    successes: record.successes,
    failures: record.failures,
    firstSeen: record.firstSeen,
    lastSeen: record.lastSeen,
    connectedMs: connectedMsAt(record, now),
    block: record.block,
    cooldownUntil: record.cooldownUntil,
    protocolViolations: record.protocolViolations,
    violationStrikes: record.violationStrikes,
    lastViolationAt: record.lastViolationAt,
    replayIncidents: record.replayIncidents,
    capabilityMissingCount: record.capabilityMissingCount,
    capabilities: record.capabilities,
    lastFailureReason: record.lastFailureReason,
    verifiedAt: record.verifiedAt,
    sources: record.sources,
  };
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const nullOr =
  <T>(check: (v: unknown) => v is T) =>
  (v: unknown): v is T | null =>
    v === null || check(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function decodeEndpoint(v: unknown): PeerEndpoint | null {
  if (!isObject(v)) return null;
  const { url, priority, role, origin } = v;
  if (!isString(url) || url.length > MAX_ENDPOINT_URL_LENGTH || !isCount(priority)) return null;
  if (!(ENDPOINT_ROLES as readonly unknown[]).includes(role) || !(ENDPOINT_ORIGINS as readonly unknown[]).includes(origin)) return null;
  return { url, priority, role: role as PeerEndpoint['role'], origin: origin as PeerEndpoint['origin'] };
}

function decodeBlock(v: unknown): PeerBlock | null | undefined {
  if (v === null) return null;
  if (!isObject(v) || !isString(v['reason']) || !nullOr(isTime)(v['until']) || typeof v['automatic'] !== 'boolean' || !isTime(v['since'])) return undefined;
  return { reason: clipText(v['reason'], MAX_REASON_LENGTH), until: v['until'], automatic: v['automatic'], since: v['since'] };
}

/** The shared lifetime rule (advertisement-rules.ts) on a stored advertisement's times. */
function lifetimeHolds(advertisement: Record<string, unknown>, now: number): boolean {
  const advertisedAt = advertisement['advertised-at'];
  const expiresAt = advertisement['expires-at'];
  if (typeof advertisedAt !== 'string' || typeof expiresAt !== 'string') return false;
  return checkAdvertisementLifetime({ 'advertised-at': advertisedAt, 'expires-at': expiresAt }, now).ok;
}

/** One stored peer as a record (source `remembered`, idle), or a reason it cannot be trusted. */
export function decodeStoredPeer(v: unknown, now: number): PeerRecord | string {
  if (!isObject(v)) return 'not an object';
  const nodeId = v['nodeId'];
  if (!isString(nodeId) || !isNodeId(nodeId)) return 'nodeId is not a node-id';
  const endpointsRaw = v['endpoints'];
  if (!Array.isArray(endpointsRaw)) return `${nodeId}: endpoints is not a list`;
  const endpoints = endpointsRaw.map(decodeEndpoint);
  if (endpoints.some((e) => e === null)) return `${nodeId}: bad endpoint`;
  const block = decodeBlock(v['block']);
  if (block === undefined) return `${nodeId}: bad block`;
  const capabilities = v['capabilities'];
  if (capabilities !== null && !(Array.isArray(capabilities) && capabilities.every(isString))) return `${nodeId}: bad capabilities`;
  let advertisement = v['advertisement'];
  if (advertisement !== null && !isObject(advertisement)) return `${nodeId}: bad advertisement`;
  const verifiedAt = v['verifiedAt'];
  if (verifiedAt !== undefined && !nullOr(isTime)(verifiedAt)) return `${nodeId}: bad verifiedAt`;
  const sourcesRaw = v['sources'];
  if (sourcesRaw !== undefined && !Array.isArray(sourcesRaw)) return `${nodeId}: bad sources`;
  const sources: SourceRef[] = [];
  for (const item of (sourcesRaw as unknown[] | undefined) ?? []) {
    const source = decodeSource(item);
    if (source === null) return `${nodeId}: bad source`;
    if (sources.length < MAX_SOURCES_PER_PEER && !sources.some((s) => s.key === source.key)) sources.push(source);
  }
  let kept = endpoints as PeerEndpoint[];
  if (advertisement !== null && !lifetimeHolds(advertisement as Record<string, unknown>, now)) {
    advertisement = null;
    kept = kept.filter((e) => e.origin !== 'advertisement');
  }
  const checks: Array<[string, (x: unknown) => boolean]> = [
    ['label', nullOr(isString)],
    ['selectedEndpointUrl', nullOr(isString)],
    ['rttLastMs', nullOr(isMs)],
    ['rttSmoothedMs', nullOr(isMs)],
    ['consecutiveFailures', isCount],
    ['successes', isCount],
    ['failures', isCount],
    ['firstSeen', isTime],
    ['lastSeen', isTime],
    ['connectedMs', isMs],
    ['cooldownUntil', nullOr(isTime)],
    ['protocolViolations', isCount],
    ['violationStrikes', isCount],
    ['lastViolationAt', nullOr(isTime)],
    ['replayIncidents', isCount],
    ['capabilityMissingCount', isCount],
    ['lastFailureReason', nullOr(isString)],
  ];
  for (const [key, check] of checks) if (!check(v[key])) return `${nodeId}: bad ${key}`;
  const record: PeerRecord = {
    ...newPeerRecord(nodeId, 'remembered', v['firstSeen'] as number),
    label: v['label'] === null ? null : clipText(v['label'] as string, MAX_LABEL_LENGTH),
    endpoints: kept.sort(compareEndpoints).slice(0, MAX_ENDPOINTS_PER_PEER),
    advertisement: advertisement as JsonObject | null,
    selectedEndpointUrl: v['selectedEndpointUrl'] as string | null,
    rttLastMs: v['rttLastMs'] as number | null,
    rttSmoothedMs: v['rttSmoothedMs'] as number | null,
    consecutiveFailures: v['consecutiveFailures'] as number,
    successes: v['successes'] as number,
    failures: v['failures'] as number,
    lastSeen: v['lastSeen'] as number,
    connectedMs: v['connectedMs'] as number,
    block,
    cooldownUntil: v['cooldownUntil'] as number | null,
    protocolViolations: v['protocolViolations'] as number,
    violationStrikes: v['violationStrikes'] as number,
    lastViolationAt: v['lastViolationAt'] as number | null,
    replayIncidents: v['replayIncidents'] as number,
    capabilityMissingCount: v['capabilityMissingCount'] as number,
    capabilities: capabilities === null ? null : [...new Set(capabilities as string[])].slice(0, MAX_CAPABILITIES_PER_PEER),
    lastFailureReason: v['lastFailureReason'] === null ? null : clipText(v['lastFailureReason'] as string, MAX_REASON_LENGTH),
    // A file from before the tried/new split: a peer that had sessions was one we had reached.
    verifiedAt: verifiedAt === undefined ? ((v['successes'] as number) > 0 ? (v['lastSeen'] as number) : null) : (verifiedAt as number | null),
    sources: sources.length > 0 ? sources : [UNKNOWN_SOURCE],
  };
  return settleRecord(liftExpired(record, now), now);
}

/** The records of a peers.json value, and the first problem found (null when all is well). */
export function decodePeersFile(raw: unknown, now: number): { records: PeerRecord[]; problem: string | null } {
  if (!isObject(raw) || raw['schema'] !== PEERS_FILE_SCHEMA || !Array.isArray(raw['peers'])) {
    return { records: [], problem: `not a ${PEERS_FILE_SCHEMA} file` };
  }
  const records: PeerRecord[] = [];
  const seen = new Set<string>();
  let problem: string | null = null;
  (raw['peers'] as unknown[]).forEach((item, index) => {
    const decoded = decodeStoredPeer(item, now);
    if (typeof decoded === 'string') {
      problem ??= `peer ${index}: ${decoded}`;
    } else if (seen.has(decoded.nodeId)) {
      problem ??= `peer ${index}: ${decoded.nodeId} appears twice`;
    } else {
      seen.add(decoded.nodeId);
      records.push(decoded);
    }
  });
  return { records, problem };
}

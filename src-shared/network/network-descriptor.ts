// network-descriptor.v1 (DESIGN.md §1, "Domains"): a network as its owner describes it — its
// entry points (static seeds, seed directories, orchestrators) and how to join it (open, or with a
// pre-shared key that the descriptor never carries; only an optional human hint). The owner's node
// key signs it; it expires. Signing input: "network-descriptor.v1" 0x00 || dcbor(all but signature).
//
// verifyNetworkDescriptor = verifyArtifact (schema gate, owner binding, signature, expiry) plus the
// rules a schema cannot say, all E_PROTO_INVALID with the failing path:
// - expires-at after created-at;
// - seed and orchestrator node-ids strictly parsed (valid Ed25519 points), unique within each list;
// - seed and orchestrator URLs are ws(s):// peer endpoints, directory URLs http(s)://, none with
//   credentials, a query or a fragment;
// - at least one entry point (a seed, a directory or an orchestrator);
// - psk/hint only with join/policy psk, and never anything that looks like a key;
// - registration-authority/key a strictly valid did:key fingerprint;
// - projects (issue 13 §1): each key a strictly valid did:key fingerprint, listed once; URLs
//   http(s):// without credentials.
// - trust/roots (issue 12): PEM CA certificates a member trusts for the network's wss:// and https://
//   services beside the system's roots — certificate blocks only (never a private key), each
//   well-formed base64 inside its armour;
// - descriptor/url (issue 12): where the owner publishes renewed versions, http(s)://.
// - dht/bootstrap (optional, issue 16): the network's own DHT bootstrap nodes as IPv4 host:port,
//   unique, a usable unicast address (not 0.0.0.0, multicast or broadcast) and a port 1…65535. A
//   network without it runs no DHT; one that wants the public Holepunch DHT lists its nodes here.
import { ProtocolError, type Result, attempt, fail, ok } from '../protocol/errors.js';
import { verifyArtifact } from '../protocol/verify.js';
import { signArtifact } from '../protocol/signing.js';
import { type NodeId, nodeIdFromPublicKey, parseFingerprint, parseNodeId } from '../protocol/did-key.js';
import { formatTimestamp, parseTimestamp } from '../protocol/time.js';
import { fromHex, toHex } from '../protocol/encoding/hex.js';
import { fromBase64url } from '../protocol/encoding/base64url.js';
import type { CryptoProvider, Ed25519Signer } from '../protocol/crypto/provider.js';
import type { JsonObject } from '../protocol/artifacts.js';

export const NETWORK_DESCRIPTOR_SCHEMA = 'network-descriptor.v1';
/** Largest descriptor file read (the schema's list bounds keep real ones far below). */
export const NETWORK_DESCRIPTOR_MAX_BYTES = 64 * 1024;
export const NETWORK_DESCRIPTOR_DEFAULT_VALID_DAYS = 365;
export const NETWORK_DESCRIPTOR_MAX_VALID_DAYS = 3_650;
export const DAY_MS = 86_400_000;

export const JOIN_POLICIES = ['open', 'psk'] as const;
export type JoinPolicy = (typeof JOIN_POLICIES)[number];

/** A network's pre-shared key: exactly this many bytes (DESIGN.md §5, HMAC-SHA256 key). */
export const NETWORK_PSK_LENGTH = 32;
/** A psk/hint holding a run of this many key-alphabet characters (hex, base64url) looks like a key. */
export const PSK_HINT_MAX_KEYLIKE_RUN = 32;

export interface NetworkSeed {
  readonly 'node/id': NodeId;
  readonly 'endpoint/url': string;
  readonly label?: string;
}

export interface NetworkOrchestrator {
  readonly 'node/id': NodeId;
  readonly 'endpoint/url': string;
}

/** A project allowed to submit work (issue 13 §1), as volunteers are shown it. */
export interface NetworkProject {
  /** The project's Ed25519 key as a did:key fingerprint (z…): it signs the project's requests. */
  readonly key: string;
  readonly name: string;
  readonly description?: string;
  readonly url?: string;
}

/** A CA certificate (PEM) members trust for this network's services, beside the system's roots. */
export interface NetworkTrustRoot {
  readonly pem: string;
  readonly label?: string;
}

/** Most trust roots one descriptor carries, and the longest PEM text of one. */
export const NETWORK_TRUST_ROOTS_MAX = 4;
export const NETWORK_TRUST_ROOT_MAX_CHARS = 8_192;

/** network-descriptor.v1 after verification. */
export interface NetworkDescriptor {
  readonly 'schema/v': 1;
  readonly 'network/id': string;
  readonly 'network/name': string;
  readonly 'owner/node-id': NodeId;
  readonly 'created-at': string;
  readonly 'expires-at': string;
  readonly seeds: readonly NetworkSeed[];
  readonly directories: readonly string[];
  readonly orchestrators: readonly NetworkOrchestrator[];
  readonly 'join/policy': JoinPolicy;
  readonly 'psk/hint'?: string;
  readonly 'registration-authority/key'?: string;
  readonly projects?: readonly NetworkProject[];
  readonly 'trust/roots'?: readonly NetworkTrustRoot[];
  readonly 'descriptor/url'?: string;
  /** The network's DHT bootstrap nodes, `a.b.c.d:port` (docs/DHT.md). */
  readonly 'dht/bootstrap'?: readonly string[];
  readonly signature: { readonly alg: 'ed25519'; readonly value: string };
  readonly [extra: string]: unknown;
}

/** What the owner decides; `buildNetworkDescriptor` turns it into a signed descriptor. */
export interface NetworkDescriptorInput {
  readonly id: string;
  readonly name: string;
  readonly seeds?: readonly { readonly nodeId: string; readonly url: string; readonly label?: string | undefined }[];
  readonly directories?: readonly string[];
  readonly orchestrators?: readonly { readonly nodeId: string; readonly url: string }[];
  readonly joinPolicy: JoinPolicy;
  readonly pskHint?: string | undefined;
  readonly registrationAuthorityKey?: string | undefined;
  readonly projects?: readonly NetworkProject[] | undefined;
  readonly trustRoots?: readonly { readonly pem: string; readonly label?: string | undefined }[];
  readonly descriptorUrl?: string | undefined;
  /** DHT bootstrap nodes as `a.b.c.d:port`; none: the network runs no DHT. */
  readonly dhtBootstrap?: readonly string[] | undefined;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly validForMs: number;
}

export interface VerifyDescriptorOptions {
  readonly crypto: CryptoProvider;
  /** Milliseconds since the epoch for the expiry check; defaults to the clock. */
  readonly now?: number;
}

const PEER_SCHEMES = ['ws:', 'wss:'];
/** DHT bootstrap nodes one descriptor may list (the schema says the same). */
export const MAX_DHT_BOOTSTRAP_NODES = 16;
const DIRECTORY_SCHEMES = ['http:', 'https:'];
const CREDENTIALS = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*@/;
const KEYLIKE_RUN = new RegExp(`[A-Za-z0-9_-]{${PSK_HINT_MAX_KEYLIKE_RUN},}`);

function invalid(path: string, why: string): ProtocolError {
  return new ProtocolError('E_PROTO_INVALID', `${NETWORK_DESCRIPTOR_SCHEMA} ${path}: ${why}`);
}

function checkNodeId(id: string, path: string): void {
  try {
    parseNodeId(id);
  } catch (error) {
    throw invalid(path, error instanceof ProtocolError ? error.detail : 'not a node id');
  }
}

function checkUrl(text: string, schemes: readonly string[], path: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(path, `not a URL: ${JSON.stringify(text)}`);
  }
  if (!schemes.includes(url.protocol)) throw invalid(path, `must be a ${schemes.map((s) => `${s}//`).join(' or ')} URL, not ${url.protocol}//`);
  if (CREDENTIALS.test(text)) throw invalid(path, 'must carry no credentials');
  if (url.search || url.hash) throw invalid(path, 'must carry no query or fragment');
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----/g;

/** One or more CERTIFICATE blocks and nothing else but whitespace; never a key. */
function checkTrustRoot(pem: string, path: string): void {
  if (/PRIVATE KEY/.test(pem)) throw invalid(path, 'holds a private key; a trust root is a CA certificate only');
  let blocks = 0;
  const rest = pem.replace(PEM_BLOCK, (_all, label: string) => {
    if (label !== 'CERTIFICATE') throw invalid(path, `holds a ${label} block; only CERTIFICATE blocks are trust roots`);
    blocks++;
    return '';
  });
  if (blocks === 0) throw invalid(path, 'holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)');
  if (rest.trim() !== '') throw invalid(path, 'holds text outside its certificate blocks');
}

export interface DhtBootstrapNode {
  readonly host: string;
  readonly port: number;
}

const IPV4_HOST_PORT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/;

/** One `a.b.c.d:port` DHT bootstrap node: IPv4 only, a unicast address, a port from 1 to 65535. */
export function parseDhtBootstrapNode(text: string): Result<DhtBootstrapNode> {
  const match = IPV4_HOST_PORT.exec(text);
  if (!match) return fail('E_PROTO_INVALID', `a DHT bootstrap node is IPv4 a.b.c.d:port, got ${JSON.stringify(text.slice(0, 64))}`);
  const octets = match.slice(1, 5).map(Number);
  const port = Number(match[5]);
  if (octets.some((o, i) => o > 255 || (match[i + 1]!.length > 1 && match[i + 1]!.startsWith('0')))) return fail('E_PROTO_INVALID', `${text}: not an IPv4 address`);
  if (octets[0] === 0) return fail('E_PROTO_INVALID', `${text}: 0.x.x.x is not a host`);
  if (octets[0]! >= 224) return fail('E_PROTO_INVALID', `${text}: a multicast or reserved address is not a host`);
  if (!(port >= 1 && port <= 65_535)) return fail('E_PROTO_INVALID', `${text}: the port is from 1 to 65535`);
  return ok({ host: octets.join('.'), port });
}

/** The rules beyond the schema (see the head of this file); throws E_PROTO_INVALID. */
export function checkNetworkDescriptorSemantics(descriptor: NetworkDescriptor): void {
  if (!(parseTimestamp(descriptor['expires-at']) > parseTimestamp(descriptor['created-at']))) {
    throw invalid('$["expires-at"]', 'must be after created-at');
  }
  const seeds = new Set<string>();
  descriptor.seeds.forEach((seed, i) => {
    const path = `$.seeds[${i}]`;
    checkNodeId(seed['node/id'], `${path}["node/id"]`);
    if (seeds.has(seed['node/id'])) throw invalid(`${path}["node/id"]`, `${seed['node/id']} is listed twice`);
    seeds.add(seed['node/id']);
    checkUrl(seed['endpoint/url'], PEER_SCHEMES, `${path}["endpoint/url"]`);
  });
  const orchestrators = new Set<string>();
  descriptor.orchestrators.forEach((orchestrator, i) => {
    const path = `$.orchestrators[${i}]`;
    checkNodeId(orchestrator['node/id'], `${path}["node/id"]`);
    if (orchestrators.has(orchestrator['node/id'])) throw invalid(`${path}["node/id"]`, `${orchestrator['node/id']} is listed twice`);
    orchestrators.add(orchestrator['node/id']);
    checkUrl(orchestrator['endpoint/url'], PEER_SCHEMES, `${path}["endpoint/url"]`);
  });
  descriptor.directories.forEach((directory, i) => checkUrl(directory, DIRECTORY_SCHEMES, `$.directories[${i}]`));
  if (seeds.size + orchestrators.size + descriptor.directories.length === 0) {
    throw invalid('$', 'a network needs at least one entry point: a seed, a directory or an orchestrator');
  }
  const hint = descriptor['psk/hint'];
  if (hint !== undefined) {
    if (descriptor['join/policy'] !== 'psk') throw invalid('$["psk/hint"]', 'only a psk network has a psk hint');
    if (KEYLIKE_RUN.test(hint)) throw invalid('$["psk/hint"]', 'looks like a key; a hint says where to get the key, never the key itself');
  }
  const dht = descriptor['dht/bootstrap'];
  if (dht !== undefined) {
    const seen = new Set<string>();
    dht.forEach((text, i) => {
      const parsed = parseDhtBootstrapNode(text);
      if (!parsed.ok) throw invalid(`$["dht/bootstrap"][${i}]`, parsed.error.detail);
      const key = `${parsed.value.host}:${parsed.value.port}`;
      if (seen.has(key)) throw invalid(`$["dht/bootstrap"][${i}]`, `${key} is listed twice`);
      seen.add(key);
    });
  }
  const authority = descriptor['registration-authority/key'];
  if (authority !== undefined) {
    try {
      parseFingerprint(authority);
    } catch (error) {
      throw invalid('$["registration-authority/key"]', error instanceof ProtocolError ? error.detail : 'not a key fingerprint');
    }
  }
  const projectKeys = new Set<string>();
  (descriptor.projects ?? []).forEach((project, i) => {
    const path = `$.projects[${i}]`;
    try {
      parseFingerprint(project.key);
    } catch (error) {
      throw invalid(`${path}.key`, error instanceof ProtocolError ? error.detail : 'not a key fingerprint');
    }
    if (projectKeys.has(project.key)) throw invalid(`${path}.key`, `${project.key} is listed twice`);
    projectKeys.add(project.key);
    if (project.url !== undefined) checkUrl(project.url, DIRECTORY_SCHEMES, `${path}.url`);
  });

  (descriptor['trust/roots'] ?? []).forEach((root, i) => checkTrustRoot(root.pem, `$["trust/roots"][${i}].pem`));
  const url = descriptor['descriptor/url'];
  if (url !== undefined) checkUrl(url, DIRECTORY_SCHEMES, '$["descriptor/url"]');
}

/**
 * Full check of a descriptor: schema gate, owner/node-id resolves to the signing key, signature,
 * expiry at `now` (E_ADV_EXPIRED), then the semantic rules.
 */
export function verifyNetworkDescriptor(value: unknown, options: VerifyDescriptorOptions): Result<NetworkDescriptor> {
  const verified = verifyArtifact<NetworkDescriptor & JsonObject>(NETWORK_DESCRIPTOR_SCHEMA, value, {
    crypto: options.crypto,
    checkExpiry: true,
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  if (!verified.ok) return verified;
  return attempt(() => {
    checkNetworkDescriptorSemantics(verified.value);
    return verified.value;
  });
}

/** Builds, signs and verifies a descriptor; the owner is the signer's node id. */
export function buildNetworkDescriptor(input: NetworkDescriptorInput, signer: Ed25519Signer, crypto: CryptoProvider): Result<NetworkDescriptor> {
  if (!(input.validForMs > 0)) return fail('E_PROTO_INVALID', 'a network descriptor must be valid for a positive time');
  const payload: JsonObject = {
    'schema/v': 1,
    'network/id': input.id,
    'network/name': input.name,
    'owner/node-id': nodeIdFromPublicKey(signer.publicKey),
    'created-at': formatTimestamp(input.createdAt),
    'expires-at': formatTimestamp(input.createdAt + input.validForMs),
    seeds: (input.seeds ?? []).map((s) => ({ 'node/id': s.nodeId, 'endpoint/url': s.url, ...(s.label !== undefined ? { label: s.label } : {}) })),
    directories: [...(input.directories ?? [])],
    orchestrators: (input.orchestrators ?? []).map((o) => ({ 'node/id': o.nodeId, 'endpoint/url': o.url })),
    'join/policy': input.joinPolicy,
    ...(input.pskHint !== undefined ? { 'psk/hint': input.pskHint } : {}),
    ...(input.registrationAuthorityKey !== undefined ? { 'registration-authority/key': input.registrationAuthorityKey } : {}),
    ...(input.projects !== undefined && input.projects.length > 0
      ? { projects: input.projects.map((p) => ({ key: p.key, name: p.name, ...(p.description !== undefined ? { description: p.description } : {}), ...(p.url !== undefined ? { url: p.url } : {}) })) }
      : {}),
    ...(input.trustRoots && input.trustRoots.length > 0
      ? { 'trust/roots': input.trustRoots.map((r) => ({ pem: r.pem, ...(r.label !== undefined ? { label: r.label } : {}) })) }
      : {}),
    ...(input.descriptorUrl !== undefined ? { 'descriptor/url': input.descriptorUrl } : {}),
    ...(input.dhtBootstrap !== undefined ? { 'dht/bootstrap': [...input.dhtBootstrap] } : {}),
  };
  const signed = signArtifact(NETWORK_DESCRIPTOR_SCHEMA, payload, signer);
  return verifyNetworkDescriptor(signed, { crypto, now: input.createdAt });
}

/** `<node-id>@<url>` as the CLI takes seeds and orchestrators; the id is strictly parsed. */
export function parseNodeAtUrl(text: string): Result<{ nodeId: NodeId; url: string }> {
  const at = text.indexOf('@');
  if (at <= 0 || at === text.length - 1) return fail('E_PROTO_INVALID', `expected <node-id>@<url>, got ${JSON.stringify(text)}`);
  const nodeId = text.slice(0, at);
  const url = text.slice(at + 1);
  return attempt(() => {
    checkNodeId(nodeId, 'node-id');
    checkUrl(url, PEER_SCHEMES, 'url');
    return { nodeId: nodeId as NodeId, url };
  });
}

// ---- accessors ----

/** Seeds in the shape of the runtime's static seed list. */
export function networkSeeds(descriptor: NetworkDescriptor): { nodeId: NodeId; urls: string[]; label?: string }[] {
  return descriptor.seeds.map((s) => ({ nodeId: s['node/id'], urls: [s['endpoint/url']], ...(s.label !== undefined ? { label: s.label } : {}) }));
}

export function networkDirectories(descriptor: NetworkDescriptor): string[] {
  return [...descriptor.directories];
}

export function networkOrchestrators(descriptor: NetworkDescriptor): { nodeId: NodeId; url: string }[] {
  return descriptor.orchestrators.map((o) => ({ nodeId: o['node/id'], url: o['endpoint/url'] }));
}

/** The projects allowed to submit work (issue 13 §1); none when the descriptor names none. */
export function networkProjects(descriptor: NetworkDescriptor): NetworkProject[] {
  return [...(descriptor.projects ?? [])];
}

/** The trust roots' PEM texts (empty when the network's services use publicly trusted certificates). */
export function networkTrustRoots(descriptor: NetworkDescriptor): string[] {
  return (descriptor['trust/roots'] ?? []).map((root) => root.pem);
}

/** The network's DHT bootstrap nodes (verified already); empty: the network runs no DHT. */
export function networkDhtBootstrap(descriptor: NetworkDescriptor): DhtBootstrapNode[] {
  const nodes: DhtBootstrapNode[] = [];
  for (const text of descriptor['dht/bootstrap'] ?? []) {
    const parsed = parseDhtBootstrapNode(text);
    if (parsed.ok) nodes.push(parsed.value);
  }
  return nodes;
}

export function descriptorExpiresAt(descriptor: NetworkDescriptor): number {
  return parseTimestamp(descriptor['expires-at']);
}

// ---- the pre-shared key ----

/** A PSK as text: 64 hex digits, or unpadded base64url; exactly NETWORK_PSK_LENGTH bytes. Whitespace around it is ignored. */
export function parsePsk(text: string): Result<Uint8Array> {
  const trimmed = text.trim();
  let bytes: Uint8Array | undefined;
  // A 32-byte key is 64 characters in hex and 43 in base64url: an even-length hex text is hex.
  if (/^(?:[0-9a-fA-F]{2})+$/.test(trimmed)) bytes = fromHex(trimmed);
  else if (/^[A-Za-z0-9_-]+$/.test(trimmed)) {
    try {
      bytes = fromBase64url(trimmed);
    } catch {
      bytes = undefined;
    }
  }
  if (!bytes) return fail('E_PROTO_INVALID', `a network key is ${NETWORK_PSK_LENGTH * 2} hex digits or unpadded base64url`);
  if (bytes.length !== NETWORK_PSK_LENGTH) return fail('E_PROTO_INVALID', `a network key is exactly ${NETWORK_PSK_LENGTH} bytes, got ${bytes.length}`);
  return ok(bytes);
}

/** The text form we write: 64 lowercase hex digits and a newline. */
export function formatPsk(psk: Uint8Array): string {
  return `${toHex(psk)}\n`;
}

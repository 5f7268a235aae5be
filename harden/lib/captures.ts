// Real captures: valid artifacts and messages made by the project's own code, with keys derived
// from the harness seed. Mutation starts from these, so fuzzed inputs get past the first checks and
// reach the deep ones. Nothing here is hand-written where the code can produce it: advertisements
// by OwnAdvertisement's shape (directory testing helper), handshakes by buildHello/answerHello,
// capability advertisements and signal markers by the runtime's builders, descriptors by
// buildNetworkDescriptor and signDescriptor, membership replies by a real Orchestrator, frames by a
// real SecureChannel, backups by sealBackup, peers.json by a real PeerStore.
import { signProjectRequest } from '../../src-shared/jobs/project-request.js';
import { utf8 } from '../../src-shared/protocol/encoding/bytes.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CryptoProvider, Ed25519Signer, X25519Agreement } from '../../src-shared/protocol/crypto/provider.js';
import type { JsonObject } from '../../src-shared/protocol/artifacts.js';
import { SIGNED_ARTIFACTS, type SignedSchemaName } from '../../src-shared/protocol/artifacts.js';
import { fingerprintOf } from '../../src-shared/protocol/did-key.js';
import { encodeDeterministic } from '../../src-shared/protocol/encoding/dcbor.js';
import { toHex } from '../../src-shared/protocol/encoding/hex.js';
import { signArtifact, signingInput } from '../../src-shared/protocol/signing.js';
import { signPassport } from '../../src-shared/protocol/passport.js';
import { formatTimestamp } from '../../src-shared/protocol/time.js';
import { ProtocolError } from '../../src-shared/protocol/errors.js';
import { encodeSessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import { SESSION_KINDS, type SessionBody, type SessionKind } from '../../src-shared/protocol/messages/kinds.js';
import { errorBody, makePing, makePong } from '../../src-shared/protocol/messages/core-bodies.js';
import { buildNetworkDescriptor, formatPsk } from '../../src-shared/network/network-descriptor.js';
import { signDescriptor } from '../../src-shared/membership/descriptor.js';
import { unknownHardwareSummary, type HardwareSummary } from '../../src-shared/hardware/hardware-summary.js';
import { COMMAND_NAMES, type ControlCommand } from '../../src-shared/control/commands.js';
import { encodeTask, encodeWorkload, type VNodeTask } from '../../src-shared/vnode/workload.js';
import { encodeTaskResult, makeTaskResult, type TaskResult } from '../../src-shared/vnode/task-result.js';
import { splitModule, type ModuleChunkWire } from '../../src-shared/vnode/module-chunks.js';
import { contentHash } from '../../src-shared/vnode/content-hash.js';
import { issueCreditReceipt, type CreditReceipt } from '../../src-shared/credit/credit-receipt.js';
import { computeCredit } from '../../src-shared/credit/credit-formula.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed, type NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import { sealBackup } from '../../src-node/kernel/identity/backup.js';
import { buildCapabilityAdvertisement } from '../../src-node/kernel/connection/capability-advertisement.js';
import { buildSignalMarkerEnvelope } from '../../src-node/kernel/messaging/signal-markers.js';
import { startHandshake, answerHello } from '../../src-node/kernel/session/handshake-flow.js';
import { type BuiltHandshake, HANDSHAKE_SCHEMA, buildAck, buildHello } from '../../src-node/kernel/session/handshake.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { deriveSessionKeys } from '../../src-node/kernel/session/session-keys.js';
import { ManualClock } from '../../src-node/kernel/util/clock.js';
import { detectHardware, type HardwareProbes } from '../../src-node/contributor/hardware/detect.js';
import { PeerStore } from '../../src-node/kernel/peers/peer-store.js';
import { DEFAULT_SETTINGS, SETTINGS_SCHEMA } from '../../src-node/kernel/runtime/settings.js';
import { Orchestrator } from '../../src-node/services/orchestrator/orchestrator.js';
import { loadDemoModule, type LoadedModule } from '../../src-node/kernel/workloads/demo/demo-workloads.js';
import type { Vectors } from '../../tests/fixtures/vectors.js';
import vectorsJson from '../../tests/fixtures/orbiplex-vectors.json' with { type: 'json' };
import { Rng, deriveSeed } from './random.js';
import { type TrustCaptures, trustCaptures } from './trust-captures.js';
import { seededCrypto, withSeededRandomValues } from './seeded-random.js';

/** The time every in-process capture is made and checked at. */
export const CAPTURE_NOW = Date.parse('2026-11-21T12:00:00Z');
export const CAPTURE_CREATED_AT = '2026-11-21T11:00:00Z';
/** Lifetime of captured node advertisements (long, so surfaces with a real clock accept them too). */
export const CAPTURE_AD_TTL_MS = 5 * 60 * 60_000;
export const BACKUP_PASSPHRASE = 'correct horse battery staple';
export const NETWORK_PSK = new Uint8Array(32).fill(0x42);

export interface Session {
  /** Frames sealed by the initiator, in order, and the plaintext of each. */
  readonly frames: readonly Uint8Array[];
  readonly plaintexts: readonly Uint8Array[];
  /** The responder's keys, to open those frames in a fresh channel. */
  readonly responderKeys: { readonly sendKey: Uint8Array; readonly receiveKey: Uint8Array };
}

export interface Captures {
  readonly seed: number;
  /** a: the usual sender; b: the usual receiver (self); c, owner: others. */
  readonly identities: { readonly a: NodeIdentity; readonly b: NodeIdentity; readonly c: NodeIdentity; readonly owner: NodeIdentity };
  /** Every key a capture is signed with, by fingerprint (node ids and participant ids resolve to it). */
  readonly signers: ReadonlyMap<string, Ed25519Signer>;
  readonly artifacts: Readonly<Record<string, readonly JsonObject[]>>;
  readonly hellos: readonly BuiltHandshake[];
  /** Acks to the hello `pendingHelloId` from b, built for a fresh initiator with fixed values. */
  readonly acks: readonly BuiltHandshake[];
  readonly ackInitiator: { readonly handshakeId: string; readonly nonce: string; readonly ephemeral: X25519Agreement };
  readonly hardware: readonly HardwareSummary[];
  /** Real bodies of every session kind (a kind missing here is reported by the harness's own test). */
  readonly sessionBodies: { readonly [K in SessionKind]?: readonly SessionBody<K>[] };
  readonly sessionMessages: readonly Uint8Array[];
  readonly session: Session;
  readonly commands: readonly ControlCommand[];
  readonly backups: readonly string[];
  readonly workloads: readonly JsonObject[];
  readonly tasks: readonly JsonObject[];
  readonly results: readonly JsonObject[];
  /** Chunk sequences of whole modules, in order. */
  readonly chunkSets: readonly (readonly ModuleChunkWire[])[];
  /** The demo modules and the entry each exports. */
  readonly wasmModules: readonly { readonly bytes: Uint8Array; readonly entry: string }[];
  readonly peersFiles: readonly unknown[];
  readonly settingsFiles: readonly unknown[];
  readonly psk: Uint8Array;
  readonly pskText: string;
  /** Trusted registration: a real authority's credentials, revocation list, attestations and bodies. */
  readonly trust: TrustCaptures;
  /** Hex signing inputs of every signed capture, per schema: a mutated artifact that is accepted must have one of these. */
  readonly signingInputs: ReadonlyMap<string, ReadonlySet<string>>;
}

function identity(seed: number, label: string): NodeIdentity {
  return identityFromSeed(new Rng(deriveSeed(seed, label)).bytes(32), nativeCrypto, { createdAt: CAPTURE_CREATED_AT });
}

function advertisement(by: NodeIdentity, sequence: number, urls: readonly string[], at = CAPTURE_NOW, extra: JsonObject = {}): JsonObject {
  return signArtifact(
    'node-advertisement.v1',
    {
      'schema/v': 1,
      'advertisement/id': `adv:${toHex(new Rng(deriveSeed(sequence, by.nodeId)).bytes(8))}`,
      'node/id': by.nodeId,
      'sequence/no': sequence,
      'advertised-at': formatTimestamp(at),
      'expires-at': formatTimestamp(at + CAPTURE_AD_TTL_MS),
      'key/alg': 'ed25519',
      'key/public': by.keyPublic,
      endpoints: urls.map((url, priority) => ({ 'endpoint/url': url, 'endpoint/transport': 'wss', 'endpoint/role': 'listener', 'endpoint/priority': priority })),
      'transports/supported': ['wss'],
      ...extra,
    },
    by.signer,
  );
}

/** A signed node-advertisement.v1 of `by`, at `at` (exported for the surfaces, which need fresh ones). */
export function freshAdvertisement(by: NodeIdentity, sequence: number, at: number): JsonObject {
  return advertisement(by, sequence, ['wss://node.example:7443/peer'], at);
}

function orchestratorReplies(a: NodeIdentity, b: NodeIdentity, stranger: NodeIdentity, descriptor: JsonObject): Array<[SessionKind, unknown]> {
  const sent: Array<[SessionKind, unknown]> = [];
  const orchestrator = new Orchestrator({
    selfNodeId: b.nodeId,
    clock: new ManualClock(CAPTURE_NOW),
    crypto: nativeCrypto,
    heartbeatIntervalMs: 10_000,
    transport: {
      send: (_nodeId, kind, body) => {
        sent.push([kind, body]);
        return true;
      },
      isConnected: () => true,
      sessions: () => 1,
    },
  });
  orchestrator.onRegister(a.nodeId, { 'req/id': 'reg:1', descriptor, primary: true });
  orchestrator.onHeartbeat(a.nodeId, { 'req/id': 'hb:1', seq: 1, primary: true, contributing: true, 'load/permille': 120, 'memory/available-mb': 4096, vnodes: [] });
  const vnode = orchestrator.requestVNode({ cores: 1, memoryMb: 512 });
  orchestrator.placePending();
  orchestrator.releaseVNode(vnode.id);
  orchestrator.onHeartbeat(stranger.nodeId, { 'req/id': 'hb:2', seq: 1, primary: true, contributing: true, 'load/permille': null, 'memory/available-mb': null, vnodes: [] });
  return sent;
}

function bodiesOf<K extends SessionKind>(sent: Array<[SessionKind, unknown]>, kind: K): SessionBody<K>[] {
  return sent.filter(([k]) => k === kind).map(([, body]) => body as SessionBody<K>);
}

async function peersFile(a: NodeIdentity, ads: readonly JsonObject[]): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'pnode-harden-peers-'));
  try {
    const clock = new ManualClock(CAPTURE_NOW);
    const store = await PeerStore.open({ dataDir: dir, clock });
    store.upsertSeed({ nodeId: a.nodeId, urls: ['wss://seed.example:7443/peer'], label: 'seed one' });
    for (const ad of ads) store.upsertAdvertisement(ad, 'gossip');
    await store.close();
    return JSON.parse(await readFile(join(dir, 'peers.json'), 'utf8')) as unknown;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Bundled with the harness (tests/fixtures/vectors.ts finds the file beside itself, which a bundle is not).
const vectors = vectorsJson as unknown as Vectors;

/** The VNode work pieces: demo modules, a larger synthetic module, tasks and results. */
async function vnodeWork(seed: number): Promise<{ demos: LoadedModule[]; big: Uint8Array; tasks: VNodeTask[]; results: TaskResult[] }> {
  const demos = await Promise.all([loadDemoModule('mandelbrot'), loadDemoModule('primes')]);
  const big = new Rng(deriveSeed(seed, 'big-module')).bytes(100_000);
  const needs = { memoryMb: 64, maxMs: 10_000, cores: 1 as const };
  const tasks: VNodeTask[] = [
    { taskId: 'task:1', vnodeId: 'vn:1', moduleHash: demos[0]!.hash, moduleSize: demos[0]!.size, entry: 'tile', input: Uint8Array.of(1, 2, 3, 4), needs },
    { taskId: 'task:2', vnodeId: 'vn:2', moduleHash: demos[1]!.hash, moduleSize: demos[1]!.size, entry: 'count', input: new Uint8Array(0), needs: { memoryMb: 2048, maxMs: 3_600_000, cores: 1 } },
  ];
  const results = [
    makeTaskResult({ taskId: 'task:1', vnodeId: 'vn:1', status: 'ok', output: Uint8Array.of(9, 8, 7), cpuMs: 12, wallMs: 15 }),
    makeTaskResult({ taskId: 'task:2', vnodeId: 'vn:2', status: 'timeout', detail: 'ran longer than 10000 ms', cpuMs: 10_000, wallMs: 12_000 }),
    makeTaskResult({ taskId: 'task:3', vnodeId: 'vn:2', status: 'ok', output: new Uint8Array(0), cpuMs: 0, wallMs: 1 }),
  ];
  return { demos, big, tasks, results };
}

/** Bodies of the work kinds (issue 7), where the registry has them. */
async function workBodies(seed: number): Promise<Record<string, unknown[]>> {
  const { demos, big, tasks, results } = await vnodeWork(seed);
  const bigChunks = splitModule(big, contentHash(big));
  return {
    'vnode-task': tasks.map((t, i) => ({ 'req/id': `vt:${i}`, 'vnode/id': t.vnodeId, task: encodeTask(t) })),
    'vnode-result': results.map((r, i) => ({ 're/id': `vt:${i}`, result: encodeTaskResult(r) })),
    'vnode-module-request': [
      { 'req/id': 'vm:1', 'module/hash': demos[0]!.hash, 'module/size': demos[0]!.size },
      { 'req/id': 'vm:2', 'module/hash': contentHash(big), 'module/size': big.length, chunks: [0, 2, 3] },
    ],
    'vnode-module-chunk': [{ 're/id': 'vm:1', chunk: splitModule(demos[0]!.bytes)[0]! }, { 're/id': 'vm:2', chunk: bigChunks[3]! }],
  };
}

/** Credit receipts (issue 13 §5) as an orchestrator (a) issues them to a PNode (b): validated, and rejected. */
function creditReceipts(a: NodeIdentity, b: NodeIdentity, projectKey: string): CreditReceipt[] {
  const epoch = 'seq:01KHARDENEPOCH000000000001';
  const claim = { cpuMs: 43_200, benchMops: 2_000, wallMs: 45_000 };
  const receipt = (sequence: number, outcome: 'validated' | 'invalid', receiptId: string) =>
    issueCreditReceipt(
      { pnode: b.nodeId, project: { key: projectKey, name: 'Harden primes' }, taskId: `att:harden${sequence}`, outcome, validatedAt: CAPTURE_NOW - 1_000, cpuMs: claim.cpuMs, award: computeCredit({ outcome, claim, budgetMs: 60_000 }), epoch, sequence, receiptId },
      a.signer,
    );
  return [receipt(1, 'validated', 'rcpt:01KHARDEN0000000000000001'), receipt(2, 'invalid', 'rcpt:01KHARDEN0000000000000002')];
}

/** systeminformation's answers on a typical desktop, fed to the real hardware detector. */
const HARDEN_PROBES: HardwareProbes = {
  cpu: async () => ({ manufacturer: 'AMD', brand: 'Ryzen 7 5800X 8-Core Processor', cores: 16, physicalCores: 8, speed: 3.8, speedMax: 4.85 }),
  mem: async () => ({ total: 34_359_738_368, available: 21_474_836_480 }),
  osInfo: async () => ({ platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0-18-amd64', arch: 'x64' }),
  graphics: async () => ({ controllers: [{ vendor: 'NVIDIA Corporation', model: 'GeForce RTX 3070', vram: 8_192 }, { vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]', model: 'Cezanne', vram: 512 }] }),
  fsSize: async () => [],
};

let cached: { seed: number; captures: Promise<Captures> } | undefined;

/** The captures for `seed`, built once per process. */
export function captures(seed: number): Promise<Captures> {
  if (cached?.seed !== seed) cached = { seed, captures: buildCaptures(seed) };
  return cached.captures;
}

/** Builds the captures of `seed` afresh (captures() keeps one per process). */
export function buildCaptures(seed: number): Promise<Captures> {
  const rng = new Rng(deriveSeed(seed, 'captures'));
  return withSeededRandomValues(rng, () => buildSeededCaptures(seed, seededCrypto(rng)));
}

async function buildSeededCaptures(seed: number, seeded: CryptoProvider): Promise<Captures> {
  const a = identity(seed, 'identity-a');
  const b = identity(seed, 'identity-b');
  const c = identity(seed, 'identity-c');
  const owner = identity(seed, 'identity-owner');
  const signers = new Map<string, Ed25519Signer>();
  for (const id of [a, b, c, owner]) signers.set(id.keyPublic, id.signer);
  const testSigner = nativeCrypto.ed25519Signer(Buffer.from(vectors.test_signer.secret_key_hex, 'hex'));
  signers.set(fingerprintOf(vectors.test_signer.node_id), testSigner);

  // Node advertisements.
  const ads = [
    advertisement(a, 1, ['wss://a.example:7443/peer']),
    advertisement(a, 7, ['wss://a.example:7443/peer', 'ws://127.0.0.1:7000/peer']),
    advertisement(b, 3, ['wss://b.example/peer'], CAPTURE_NOW, { 'federation/id': 'net:harden' }),
    advertisement(c, 2 ** 40, ['wss://[::1]:7443/peer']),
  ];

  // Hardware: what the real detector makes of a typical desktop's probe answers (fixed, so a seed
  // replays the same inputs on any machine), and a summary that knows nothing.
  const detected = await detectHardware({ clock: new ManualClock(CAPTURE_NOW - 60_000), timeoutMs: 3_000, probes: HARDEN_PROBES });
  const hardware = [detected, unknownHardwareSummary(formatTimestamp(CAPTURE_NOW - 60_000), [{ probe: 'gpu', reason: 'timeout' }])];

  // Descriptors.
  const pnodeDescriptors = [
    signDescriptor({ nodeId: a.nodeId, hardware: detected, offer: { cores: 2, 'memory-mb': 2048 }, softwareVersion: '0.1.0', now: CAPTURE_NOW }, a.signer),
    signDescriptor({ nodeId: a.nodeId, hardware: hardware[1]!, offer: { cores: 0, 'memory-mb': 0 }, softwareVersion: '0.1.0', now: CAPTURE_NOW, sequence: 5 }, a.signer),
  ] as unknown as JsonObject[];
  const networkInputs = [
    { id: 'net:harden', name: 'Harden net', seeds: [{ nodeId: a.nodeId, url: 'wss://seed.example:7443/peer', label: 'first seed' }], directories: ['https://dir.example'], orchestrators: [{ nodeId: b.nodeId, url: 'wss://orch.example/peer' }], joinPolicy: 'open' as const },
    { id: 'net:private', name: 'Private', seeds: [{ nodeId: c.nodeId, url: 'ws://127.0.0.1:7001/peer' }], joinPolicy: 'psk' as const, pskHint: 'ask the owner on the usual channel', registrationAuthorityKey: owner.keyPublic },
  ];
  const networkDescriptors = networkInputs.map((input) => {
    const built = buildNetworkDescriptor({ ...input, createdAt: CAPTURE_NOW - 60_000, validForMs: 30 * 86_400_000 }, owner.signer, nativeCrypto);
    if (!built.ok) throw built.error;
    return built.value as unknown as JsonObject;
  });

  // Handshakes: hellos from a to b (with and without recipient, intent, psk proof), and acks.
  const hellos: BuiltHandshake[] = [
    buildHello({ crypto: seeded, identity: a, now: CAPTURE_NOW, recipient: b.nodeId, intent: 'peer-connect' }),
    buildHello({ crypto: seeded, identity: a, now: CAPTURE_NOW - 5_000 }),
    buildHello({ crypto: seeded, identity: a, now: CAPTURE_NOW, recipient: b.nodeId, psk: NETWORK_PSK, intent: 'bootstrap', terms: { 'pnode/role': 'contributor' } }),
    buildHello({ crypto: seeded, identity: c, now: CAPTURE_NOW + 10_000, capabilities: ['core/messaging'] }),
  ];
  const ackInitiator = { handshakeId: 'hs:harden-pending', nonce: 'nonce:harden-pending', ephemeral: seeded.x25519Ephemeral() };
  const acks: BuiltHandshake[] = [
    buildAck({ crypto: seeded, identity: b, now: CAPTURE_NOW, recipient: a.nodeId, ackOf: ackInitiator.handshakeId }),
    buildAck({ crypto: seeded, identity: b, now: CAPTURE_NOW + 1_000, recipient: a.nodeId, ackOf: ackInitiator.handshakeId, psk: NETWORK_PSK, intent: 'reconnect' }),
  ];

  // Projects (issue 13 §1): requests of a project key to the job API of `a`.
  const project = identity(seed, 'identity-project');
  signers.set(project.keyPublic, project.signer);
  const projectRequests = [
    signProjectRequest({ audience: a.nodeId, method: 'POST', target: '/v1/batches', body: utf8('{"name":"harden"}'), now: CAPTURE_NOW }, project.signer),
    signProjectRequest({ audience: a.nodeId, method: 'GET', target: '/v1/batches/batch%3A01JHARDEN/results?limit=10', body: new Uint8Array(0), now: CAPTURE_NOW }, project.signer),
  ];

  const trust = await trustCaptures(seed, CAPTURE_NOW, a, owner, detected, seeded);
  for (const [key, signer] of trust.operators) signers.set(key, signer);
  pnodeDescriptors.push(trust.attestedDescriptor);

  const capabilityAds = [buildCapabilityAdvertisement(a, CAPTURE_NOW), buildCapabilityAdvertisement(a, CAPTURE_NOW, { roles: ['orchestrator'], capabilities: ['core/messaging'] })];
  const markerEnvelopes = [buildSignalMarkerEnvelope(a, 'marker:harden/1', CAPTURE_NOW), buildSignalMarkerEnvelope(a, `marker:${'x'.repeat(200)}`, CAPTURE_NOW - 1_000)];
  const receipts = creditReceipts(a, b, owner.keyPublic);
  const example = (schema: string): JsonObject[] => vectors.valid_examples.filter((e) => e.schema === `${schema}.schema.json`).map((e) => structuredClone(e.content) as JsonObject);

  const artifacts: Record<string, JsonObject[]> = {
    'node-advertisement.v1': [...ads, ...example('node-advertisement.v1')],
    'peer-handshake.v1': [...hellos.map((h) => h.artifact as unknown as JsonObject), ...acks.map((h) => h.artifact as unknown as JsonObject)],
    'capability-advertisement.v1': [...capabilityAds, ...example('capability-advertisement.v1')],
    'signal-marker-envelope.v1': [...markerEnvelopes, ...example('signal-marker-envelope.v1')],
    'signal-marker.v1': example('signal-marker.v1'),
    'network-descriptor.v1': networkDescriptors,
    'pnode-descriptor.v1': pnodeDescriptors,
    'node-identity.v1': [a.record, b.record, ...example('node-identity.v1')] as unknown as JsonObject[],
    'operator-credential.v1': trust.credentials as unknown as JsonObject[],
    'operator-attestation.v1': trust.attestations as unknown as JsonObject[],
    'revocation-list.v1': trust.revocationLists as unknown as JsonObject[],
    'project-request.v1': projectRequests as unknown as JsonObject[],
    'credit-receipt.v1': receipts as unknown as JsonObject[],
  };

  // Session bodies, every kind; the membership ones partly from a real orchestrator.
  const sent = orchestratorReplies(a, b, c, pnodeDescriptors[0]!);
  const ping = makePing(CAPTURE_NOW);
  const sessionBodies: { [K in SessionKind]?: SessionBody<K>[] } = {
    'capability-advertisement.v1': capabilityAds,
    'signal-marker-envelope.v1': markerEnvelopes,
    ping: [ping, makePing(CAPTURE_NOW + 30_000)],
    pong: [makePong(ping, CAPTURE_NOW + 12)],
    error: [errorBody(new ProtocolError('E_PROTO_INVALID', 'ping $.body.nonce: is required')), errorBody(new ProtocolError('E_HS_UNKNOWN_REF', 'not registered here'), 'hb:1'), ...bodiesOf(sent, 'error')],
    'peer-exchange': [{ 'req/id': 'px:1', want: 32 }, { 're/id': 'px:1', advertisements: ads.slice(0, 3) }, { advertisements: [ads[3]!] }],
    'pnode-register': [
      { 'req/id': 'reg:1', descriptor: pnodeDescriptors[0]!, primary: true },
      { 'req/id': 'reg:2', descriptor: pnodeDescriptors[1]!, primary: false },
      ...bodiesOf(sent, 'pnode-register'),
      { 're/id': 'reg:9', accepted: false, reason: 'registry full' },
    ],
    heartbeat: [
      { 'req/id': 'hb:1', seq: 1, primary: true, contributing: true, 'load/permille': 120, 'memory/available-mb': 4096, vnodes: [{ 'vnode/id': 'vn:1', state: 'running' }], 'rtt/ms': 12 },
      { 'req/id': 'hb:2', seq: 2, primary: false, contributing: false, 'load/permille': null, 'memory/available-mb': null, vnodes: [] },
      ...bodiesOf(sent, 'heartbeat'),
    ],
    'vnode-allocate': [...bodiesOf(sent, 'vnode-allocate'), { 're/id': 'va:1', 'vnode/id': 'vn:1', accepted: true }, { 're/id': 'va:2', 'vnode/id': 'vn:2', accepted: false, reason: 'exceeds-offer' }],
    'vnode-release': [...bodiesOf(sent, 'vnode-release'), { 're/id': 'vr:1', 'vnode/id': 'vn:1', state: 'released' }],
    'vnode-status': [
      { 'vnode/id': 'vn:1', state: 'running' },
      { 'vnode/id': 'vn:2', state: 'failed', reason: 'sandbox exited' },
    ],
    'credit-receipt': [
      { 'req/id': 'cr:1', receipt: receipts[0]! as unknown as JsonObject },
      { 'req/id': 'cr:2', receipt: receipts[1]! as unknown as JsonObject },
      { 're/id': 'cr:1', 'receipt/id': receipts[0]!['receipt/id'] },
    ],
  };
  Object.assign(sessionBodies, await workBodies(seed), trust.bodies);
  const sessionMessages: Uint8Array[] = [];
  for (const kind of SESSION_KINDS) for (const body of sessionBodies[kind] ?? []) sessionMessages.push(encodeSessionMessage(kind, body as never));

  // A real session a → b, and the frames a seals.
  const clockA = new ManualClock(CAPTURE_NOW);
  const ephA = seeded.x25519Ephemeral();
  const ephB = seeded.x25519Ephemeral();
  const initiator = startHandshake({ crypto: seeded, identity: a, clock: clockA, nonces: new HandshakeNonceCache() }, { recipient: b.nodeId, ephemeral: ephA });
  const answered = answerHello({ crypto: seeded, identity: b, clock: clockA, nonces: new HandshakeNonceCache() }, initiator.helloText, { ephemeral: ephB });
  if (!answered.ok) throw answered.error;
  const established = initiator.acceptAck(answered.value.ackText);
  if (!established.ok) throw established.error;
  const responderKeys = deriveSessionKeys({
    crypto: nativeCrypto,
    role: 'responder',
    ephemeral: ephB,
    staticKey: b.staticX25519,
    peerPublicKey: a.publicKey,
    peerSessionPublicKey: ephA.publicKey,
    helloSigningInput: signingInput(HANDSHAKE_SCHEMA, initiator.hello as unknown as JsonObject),
    ackSigningInput: signingInput(HANDSHAKE_SCHEMA, answered.value.ack as unknown as JsonObject),
  });
  const plaintexts = sessionMessages.slice(0, 24);
  const frames = plaintexts.map((p) => established.value.channel.seal(p));

  // Control commands: one well-formed command of each kind.
  const backups = [
    await sealBackup({ nodeId: a.nodeId, createdAt: CAPTURE_CREATED_AT, seed: new Rng(deriveSeed(seed, 'identity-a')).bytes(32), passphrase: BACKUP_PASSPHRASE, crypto: seeded, now: CAPTURE_NOW }),
    await sealBackup({ nodeId: c.nodeId, createdAt: CAPTURE_CREATED_AT, seed: new Rng(deriveSeed(seed, 'identity-c')).bytes(32), passphrase: 'ünïcødé pässphräse ✓', crypto: seeded, now: CAPTURE_NOW }),
  ];
  const commandOf: Record<string, ControlCommand> = {
    'get-state': { command: 'get-state' },
    join: { command: 'join' },
    leave: { command: 'leave' },
    'set-contribution': { command: 'set-contribution', enabled: false },
    snooze: { command: 'snooze', minutes: 30 },
    resume: { command: 'resume' },
    'set-limits': { command: 'set-limits', limits: { cpuPercent: 50, memoryPercent: 25, maxCores: 2, onlyWhenIdle: true, pauseOnBattery: false } },
    enroll: { command: 'enroll', token: 'enroll-token-abc' },
    'renew-credential': { command: 'renew-credential' },
    'rotate-operator-key': { command: 'rotate-operator-key' },
    'export-identity': { command: 'export-identity', passphrase: BACKUP_PASSPHRASE },
    'import-identity': { command: 'import-identity', backup: backups[0]!, passphrase: BACKUP_PASSPHRASE },
    'add-seed': { command: 'add-seed', nodeId: c.nodeId, url: 'wss://seed.example:7443/peer', label: 'a seed' },
    'remove-seed': { command: 'remove-seed', nodeId: c.nodeId },
    'add-directory': { command: 'add-directory', url: 'https://dir.example' },
    'remove-directory': { command: 'remove-directory', url: 'https://dir.example' },
    'block-peer': { command: 'block-peer', nodeId: c.nodeId, minutes: 60 },
    'unblock-peer': { command: 'unblock-peer', nodeId: c.nodeId },
    'set-allowlist-mode': { command: 'set-allowlist-mode', enabled: false },
    'allowlist-add': { command: 'allowlist-add', nodeId: c.nodeId },
    'allowlist-remove': { command: 'allowlist-remove', nodeId: c.nodeId },
    'set-launch-at-login': { command: 'set-launch-at-login', enabled: true },
    'send-signal-marker': { command: 'send-signal-marker', to: c.nodeId, markerRef: 'marker:harden/2' },
    'get-receipt': { command: 'get-receipt', receiptId: 'rcpt:01KHARDEN0000000000000001' },
    'list-receipts': { command: 'list-receipts', before: 10, limit: 5 },
    'get-history': { command: 'get-history' },
    'list-activity': { command: 'list-activity', before: 40, limit: 20 },
    'get-result-picture': { command: 'get-result-picture', taskId: 'task:harden/mandelbrot/0' },
    'set-peer-label': { command: 'set-peer-label', nodeId: c.nodeId, label: 'the seed in the attic' },
    'open-invite': { command: 'open-invite', invite: 'pnode://join/d1/eyJuZXR3b3JrL2lkIjoibmV0OmZ1enoifQ', fromLink: true },
    'dismiss-invite': { command: 'dismiss-invite' },
    'join-network': { command: 'join-network', networkId: 'net:fuzz-lab', psk: 'ab'.repeat(32) },
    'leave-network': { command: 'leave-network' },
    'forget-network': { command: 'forget-network', networkId: 'net:fuzz-lab' },
    'list-networks': { command: 'list-networks' },
    'try-local-network': { command: 'try-local-network' },
  };
  const commands = COMMAND_NAMES.map((name) => {
    const command = commandOf[name];
    if (!command) throw new Error(`no capture for the control command ${name}`);
    return command;
  });

  // VNode workloads: the demo modules as built in the repo, and a larger synthetic one for chunking.
  const { demos, big, tasks, results } = await vnodeWork(seed);

  const settingsFiles = [
    { schema: SETTINGS_SCHEMA, ...DEFAULT_SETTINGS },
    { schema: SETTINGS_SCHEMA, ...DEFAULT_SETTINGS, joined: true, snoozedUntil: CAPTURE_NOW, seeds: [{ nodeId: c.nodeId, url: 'wss://seed.example/peer', label: 'x' }], directories: ['https://dir.example'], allowlistMode: true, allowlist: [a.nodeId] },
  ];

  const signingInputs = new Map<string, Set<string>>();
  for (const [schema, list] of Object.entries(artifacts)) {
    if (!(schema in SIGNED_ARTIFACTS)) continue;
    const set = new Set<string>();
    for (const artifact of list) {
      try {
        set.add(toHex(signingInput(schema as SignedSchemaName, artifact)));
      } catch {
        // An example that does not encode cannot be accepted either.
      }
    }
    signingInputs.set(schema, set);
  }

  return {
    seed,
    identities: { a, b, c, owner },
    signers,
    artifacts,
    hellos,
    acks,
    ackInitiator,
    hardware,
    sessionBodies,
    sessionMessages,
    session: { frames, plaintexts, responderKeys: { sendKey: responderKeys.sendKey, receiveKey: responderKeys.receiveKey } },
    commands,
    backups,
    workloads: tasks.map((t) => encodeWorkload(t) as unknown as JsonObject),
    tasks: tasks.map((t) => encodeTask(t) as unknown as JsonObject),
    results: results.map((r) => encodeTaskResult(r) as unknown as JsonObject),
    chunkSets: [splitModule(demos[0]!.bytes), splitModule(demos[1]!.bytes), splitModule(big, contentHash(big))],
    wasmModules: [{ bytes: demos[0]!.bytes, entry: 'tile' }, { bytes: demos[1]!.bytes, entry: 'count' }],
    peersFiles: [await peersFile(a, ads.filter((ad) => ad['node/id'] !== a.nodeId))],
    settingsFiles,
    trust,
    psk: NETWORK_PSK,
    pskText: formatPsk(NETWORK_PSK),
    signingInputs,
  };
}

/** Re-signs a (mutated) artifact with the key of its claimed signer when we hold it, passports too. Undefined when it cannot. */
export function resign(schema: SignedSchemaName, artifact: unknown, signers: ReadonlyMap<string, Ed25519Signer>): JsonObject | undefined {
  if (typeof artifact !== 'object' || artifact === null || Array.isArray(artifact)) return undefined;
  let claim: string;
  try {
    claim = SIGNED_ARTIFACTS[schema].signer(artifact as JsonObject).id;
  } catch {
    return undefined;
  }
  const signer = signers.get(fingerprintOf(claim));
  if (!signer) return undefined;
  try {
    const copy = { ...(artifact as JsonObject) };
    const presented = copy['capabilities/presented'];
    if (schema === 'capability-advertisement.v1' && Array.isArray(presented)) {
      copy['capabilities/presented'] = presented.map((item: unknown) => {
        const passport = (item as JsonObject | null)?.['passport'];
        if (typeof passport !== 'object' || passport === null || Array.isArray(passport)) return item;
        return { ...(item as JsonObject), passport: signPassport(passport as JsonObject, signer) };
      });
    }
    return signArtifact(schema, copy, signer);
  } catch (error) {
    if (error instanceof ProtocolError) return undefined;
    throw error;
  }
}

/** The deterministic CBOR of a value, or undefined when it has none (floats, depth, ...). */
export function tryEncode(value: unknown): Uint8Array | undefined {
  try {
    return encodeDeterministic(value);
  } catch (error) {
    if (error instanceof ProtocolError) return undefined;
    throw error;
  }
}

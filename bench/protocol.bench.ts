// Protocol core figures: deterministic CBOR, signing inputs, Ed25519 with both providers,
// artifact verification, did:key parsing, X25519 and AEAD. `npm run bench -- protocol`.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { portableCrypto } from '../src-shared/protocol/crypto/portable-provider.js';
import type { CryptoProvider } from '../src-shared/protocol/crypto/provider.js';
import { nativeCrypto } from '../src-node/kernel/crypto/native-provider.js';
import { encodeDeterministic } from '../src-shared/protocol/encoding/dcbor.js';
import { fromHex } from '../src-shared/protocol/encoding/hex.js';
import { toBase64url } from '../src-shared/protocol/encoding/base64url.js';
import { signArtifact, signingInput } from '../src-shared/protocol/signing.js';
import { verifyArtifact } from '../src-shared/protocol/verify.js';
import { DID_KEY_CACHE_SIZE, fingerprintFromPublicKey, nodeIdFromPublicKey, parseNodeId } from '../src-shared/protocol/did-key.js';
import type { JsonObject } from '../src-shared/protocol/artifacts.js';
import { measure as measureFor, printEnvironment, printRatio, printTable, type MeasureOptions, type Measurement } from './lib/measure.js';

const SEED = fromHex('2929292929292929292929292929292929292929292929292929292929292929');
const FRAME_BYTES = 1024;
/** 13 measurements of about a second each keep the whole bench under 20 s. */
const TIMING: MeasureOptions = { warmupMs: 150, timeMs: 900 };
const measure = (name: string, fn: () => unknown): Measurement => measureFor(name, fn, TIMING);

function byProvider<T>(make: (provider: CryptoProvider) => T): { portable: T; native: T } {
  return { portable: make(portableCrypto), native: make(nativeCrypto) };
}

// A realistic advertisement: the spec's seed-wss example, two endpoints, issued for the test signer.
const portableSigner = portableCrypto.ed25519Signer(SEED);
const nodeId = nodeIdFromPublicKey(portableSigner.publicKey);
const unsignedAdvertisement: JsonObject = {
  'schema/v': 1,
  'advertisement/id': 'adv:01JQNODEADV001',
  'node/id': nodeId,
  'sequence/no': 17,
  'advertised-at': '2026-03-23T18:08:00Z',
  'expires-at': '2026-03-23T18:18:00Z',
  'key/alg': 'ed25519',
  'key/public': fingerprintFromPublicKey(portableSigner.publicKey),
  'federation/id': 'fed:orbiplex-pl',
  endpoints: [
    { 'endpoint/url': 'wss://node-01.docs.orbiplex.ai/peer', 'endpoint/transport': 'wss', 'endpoint/role': 'listener', 'endpoint/priority': 0 },
    { 'endpoint/url': 'wss://192.168.1.20:7443/peer', 'endpoint/transport': 'wss', 'endpoint/role': 'listener', 'endpoint/priority': 10 },
  ],
  'transports/supported': ['wss'],
};
const advertisement = signArtifact('node-advertisement.v1', unsignedAdvertisement, portableSigner);
const message = signingInput('node-advertisement.v1', advertisement);

printEnvironment();
process.stdout.write(`node-advertisement.v1: ${encodeDeterministic(unsignedAdvertisement).length} bytes of dCBOR, signing input ${message.length} bytes\n\n`);

// --- encoding ---
const encoding = [
  measure('dcbor encode (node-advertisement)', () => encodeDeterministic(unsignedAdvertisement)),
  measure('signing input build (node-advertisement)', () => signingInput('node-advertisement.v1', advertisement)),
];
printTable('Deterministic CBOR', encoding);

// --- Ed25519 ---
const signers = byProvider((p) => p.ed25519Signer(SEED));
const signature = signers.native.sign(message);
const sign = {
  portable: measure('ed25519 sign, portable', () => signers.portable.sign(message)),
  native: measure('ed25519 sign, native', () => signers.native.sign(message)),
};
const publicKey = portableSigner.publicKey;
const verify = {
  portable: measure('ed25519 verify, portable', () => portableCrypto.ed25519Verify(publicKey, message, signature)),
  native: measure('ed25519 verify, native', () => nativeCrypto.ed25519Verify(publicKey, message, signature)),
};
// The design's reference (DESIGN.md §9): node:crypto with the public KeyObject imported once.
const keptKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64url(publicKey) }, format: 'jwk' });
const keptVerify = measure('ed25519 verify, node:crypto kept KeyObject', () => nodeVerify(null, message, keptKey, signature));
printTable(`Ed25519 (${message.length}-byte signing input)`, [sign.portable, sign.native, verify.portable, verify.native, keptVerify]);
printRatio('sign   native/portable', sign.native, sign.portable);
printRatio('verify native/portable', verify.native, verify.portable);
printRatio('verify native provider / node:crypto kept KeyObject (target ≥ 0.8)', verify.native, keptVerify);
process.stdout.write('\n');

// --- artifacts and ids ---
const verifyNative = measure('verifyArtifact node-advertisement, native', () => {
  const result = verifyArtifact('node-advertisement.v1', advertisement, { crypto: nativeCrypto });
  if (!result.ok) throw result.error;
  return result.ok;
});

// Cold parses: more distinct ids than the cache holds, visited in a cycle, so every parse misses.
const COLD_IDS = DID_KEY_CACHE_SIZE * 2;
const coldIds: string[] = [];
let point = ed25519.Point.BASE.multiply(0x1234567n);
for (let i = 0; i < COLD_IDS; i++) {
  coldIds.push(nodeIdFromPublicKey(point.toBytes()));
  point = point.add(ed25519.Point.BASE);
}
let coldIndex = 0;
const parseCold = measure('did:key parse, cold (cache miss)', () => parseNodeId(coldIds[coldIndex++ % COLD_IDS]!));
const parseCached = measure('did:key parse, cached', () => parseNodeId(nodeId));
printTable('Artifacts and identifiers', [verifyNative, parseCold, parseCached]);
printRatio('did:key parse cached/cold', parseCached, parseCold);
process.stdout.write('\n');

// --- X25519 and AEAD ---
const peer = portableCrypto.x25519FromSecret(portableCrypto.ed25519SecretToX25519(fromHex('42'.repeat(32)))).publicKey;
const agreements = byProvider((p) => p.x25519FromSecret(p.ed25519SecretToX25519(SEED)));
const x25519 = {
  portable: measure('x25519 agreement, portable', () => agreements.portable.agree(peer)),
  native: measure('x25519 agreement, native', () => agreements.native.agree(peer)),
};
const key = new Uint8Array(32).fill(7);
const nonce = new Uint8Array(12);
const frame = new Uint8Array(FRAME_BYTES).fill(0x5a);
const aeads = byProvider((p) => p.aead(key));
const seal = {
  portable: measure('chacha20-poly1305 seal 1 KiB, portable', () => aeads.portable.seal(nonce, frame)),
  native: measure('chacha20-poly1305 seal 1 KiB, native', () => aeads.native.seal(nonce, frame)),
};
const rows: Measurement[] = [x25519.portable, x25519.native, seal.portable, seal.native];
printTable('Session crypto', rows);
printRatio('x25519 native/portable', x25519.native, x25519.portable);
printRatio('seal   native/portable', seal.native, seal.portable);

// Fuzz targets of the protocol core, driven in-process: deterministic CBOR both ways, the schema
// gate and signature check of every artifact, the hardware summary gate, both handshake messages
// (through the real handshake flow), session frames before decryption (a real SecureChannel) and
// after (the session message codec, every kind, with the orchestrator's handlers behind the
// membership kinds and the advertisement cache behind peer-exchange).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Encoder } from 'cbor-x';
import { ProtocolError, type Result } from '../../src-shared/protocol/errors.js';
import { SIGNED_ARTIFACTS, type JsonObject, type SignedSchemaName } from '../../src-shared/protocol/artifacts.js';
import { decodeDeterministic, encodeDeterministic } from '../../src-shared/protocol/encoding/dcbor.js';
import { bytesEqual } from '../../src-shared/protocol/encoding/bytes.js';
import { toHex } from '../../src-shared/protocol/encoding/hex.js';
import { signingInput } from '../../src-shared/protocol/signing.js';
import { verifyArtifact } from '../../src-shared/protocol/verify.js';
import type { SchemaName } from '../../src-shared/protocol/schemas/registry.js';
import { decodeSessionMessage, encodeSessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import { SESSION_KINDS, type SessionKind } from '../../src-shared/protocol/messages/kinds.js';
import { verifyNetworkDescriptor } from '../../src-shared/network/network-descriptor.js';
import { verifyDescriptor } from '../../src-shared/membership/descriptor.js';
import { checkHardwareSummary } from '../../src-shared/hardware/hardware-summary-gate.js';
import { verifyCredential } from '../../src-shared/trust/credential.js';
import { verifyRevocationList } from '../../src-shared/trust/revocation-list.js';
import { verifyOperatorAttestation } from '../../src-shared/trust/attestation.js';
import { verifyCreditReceipt } from '../../src-shared/credit/credit-receipt.js';
import { CreditLedger } from '../../src-node/contributor/credit/credit-ledger.js';
import { resignAttestation } from '../lib/trust-captures.js';
import type { RegistrationAuthority } from '../../src-node/services/authority/authority.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { answerHello, startHandshake } from '../../src-node/kernel/session/handshake-flow.js';
import { HANDSHAKE_SCHEMA } from '../../src-node/kernel/session/handshake.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { MAX_FRAME_BYTES, SecureChannel } from '../../src-node/kernel/session/secure-channel.js';
import { ManualClock } from '../../src-node/kernel/util/clock.js';
import { Orchestrator } from '../../src-node/services/orchestrator/orchestrator.js';
import { AdvertisementCache } from '../../src-node/kernel/advertisement/advertisement-cache.js';
import { CAPTURE_NOW, type Captures, resign, tryEncode } from '../lib/captures.js';
import { ArbitraryStream, cborValue } from '../lib/arbitraries.js';
import { byteStreams, mix, parseJsonBytes, valueStreams } from '../lib/inputs.js';
import { mutateBytes } from '../lib/mutate-bytes.js';
import { writeCbor } from '../lib/cbor-writer.js';
import { cloneJson, depthOf, toJsonText, type JsonLike } from '../lib/mutate-json.js';
import { deriveSeed, type Rng } from '../lib/random.js';
import type { FuzzTarget, Verdict } from '../lib/fuzz.js';
import { defineTarget, resultOutcome, session } from './common.js';

/** cbor-x as a careless peer would use it: floats, unsorted keys, non-shortest forms allowed. */
const looseCbor = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: false } as ConstructorParameters<typeof Encoder>[0]);

function looseEncode(value: unknown): Uint8Array {
  // cbor-x recurses: a deep value would cost it a stack overflow before the fallback.
  if (depthOf(value, 200) >= 200) return writeCbor(value);
  try {
    const out = looseCbor.encode(value) as Uint8Array;
    return new Uint8Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
  } catch (error) {
    // cbor-x recurses and gives up on deep values; the plain writer does not.
    if (error instanceof RangeError) return writeCbor(value);
    throw error;
  }
}

/** Structural equality of the JSON/CBOR value space (-0 and 0 are the same integer). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b);
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function allArtifacts(c: Captures): JsonObject[] {
  return Object.values(c.artifacts).flat();
}

const dcborDecode = defineTarget({
  name: 'dcbor-decode',
  drives: 'decodeDeterministic (strict deterministic CBOR decoding: no tags, floats, indefinite lengths, duplicate keys; one form per value)',
  sources: 'bit/byte mutations and splices of real encodings (every session message kind, every artifact); random bytes; fast-check CBOR values encoded loosely (floats, unsorted keys, long forms)',
  open: (context, c) => {
    const pool = [...c.sessionMessages, ...allArtifacts(c).map(tryEncode).filter((b): b is Uint8Array => b !== undefined)];
    const bytes = byteStreams(context.seed, pool);
    const values = new ArbitraryStream<JsonLike>(cborValue, deriveSeed(context.seed, 'cbor-values'));
    const next = mix<Uint8Array>([
      [2, 'capture', bytes.capture],
      [66, 'mutated', bytes.mutated],
      [12, 'generated', bytes.generated],
      [20, 'generated', () => looseEncode(values.next())],
    ]);
    return session<Uint8Array>(
      (rng) => next(rng),
      (input) => {
        let value: unknown;
        try {
          value = decodeDeterministic(input);
        } catch (error) {
          if (error instanceof ProtocolError) return error.code;
          throw error;
        }
        const again = encodeDeterministic(value);
        return bytesEqual(again, input) ? 'ok' : { outcome: 'ok', violation: 'accepted bytes that are not the deterministic encoding of what they decode to' };
      },
    );
  },
});

const dcborEncode = defineTarget({
  name: 'dcbor-encode',
  drives: 'encodeDeterministic (refuses floats, unsafe integers, lone surrogates, depth > 32) and the round trip through decodeDeterministic',
  sources: 'fast-check CBOR/JSON values; structural mutations of every session body and artifact (boundary numbers, unicode edges, deep nesting, byte strings)',
  open: (context, c) => {
    const captured = [...Object.values(c.sessionBodies).flat(), ...allArtifacts(c)];
    const values = valueStreams(context.seed, captured, { bytes: true });
    const next = mix<JsonLike>([
      [2, 'capture', values.capture],
      [60, 'mutated', values.mutated],
      [20, 'generated', values.shaped],
      [18, 'generated', values.anything],
    ]);
    return session<JsonLike>(
      (rng) => next(rng),
      (input) => {
        let bytes: Uint8Array;
        try {
          bytes = encodeDeterministic(input);
        } catch (error) {
          if (error instanceof ProtocolError) return error.code;
          throw error;
        }
        let back: unknown;
        try {
          back = decodeDeterministic(bytes);
        } catch (error) {
          if (error instanceof ProtocolError) return { outcome: 'ok', violation: `our own encoding does not decode: ${error.detail}` };
          throw error;
        }
        return sameValue(back, input) ? 'ok' : { outcome: 'ok', violation: 'the value decoded from our encoding differs from the one encoded' };
      },
    );
  },
});

type Verify = (value: unknown, c: Captures) => Result<unknown>;

interface Gate {
  readonly drives: string;
  readonly verify: Verify;
  /** Re-signs a mutated value so it gets past the signatures (default: the artifact's own signer). */
  readonly resign?: (value: unknown, c: Captures) => unknown;
  /** For an accepted, not re-signed input: why it must not have been accepted (default: a signing input nobody signed). */
  readonly forged?: (value: unknown, c: Captures) => string | undefined;
}

/** The gate of each artifact; a schema in the registry but not here is listed by the harness's own test. */
export const VERIFIERS: Readonly<Partial<Record<SchemaName, Gate>>> = {
  'node-advertisement.v1': { drives: 'verifyArtifact(node-advertisement.v1): schema gate, expiry order, signer binding, signature, expiry', verify: (v) => verifyArtifact('node-advertisement.v1', v, { crypto: nativeCrypto, checkExpiry: true, now: CAPTURE_NOW }) },
  'peer-handshake.v1': { drives: 'verifyArtifact(peer-handshake.v1): schema gate, signer binding, signature', verify: (v) => verifyArtifact('peer-handshake.v1', v, { crypto: nativeCrypto, checkExpiry: true, now: CAPTURE_NOW }) },
  'capability-advertisement.v1': {
    drives: 'verifyArtifact(capability-advertisement.v1): schema gate, core ⊆ presented, signature, every self-issued passport (canonical JSON signature, subject, expiry)',
    verify: (v) => verifyArtifact('capability-advertisement.v1', v, { crypto: nativeCrypto, checkExpiry: true, now: CAPTURE_NOW }),
  },
  'signal-marker-envelope.v1': { drives: 'verifyArtifact(signal-marker-envelope.v1): schema gate, participant signer, signature', verify: (v) => verifyArtifact('signal-marker-envelope.v1', v, { crypto: nativeCrypto, checkExpiry: true, now: CAPTURE_NOW }) },
  'signal-marker.v1': { drives: 'verifyArtifact(signal-marker.v1): the schema gate (unsigned)', verify: (v) => verifyArtifact('signal-marker.v1', v, { crypto: nativeCrypto, checkExpiry: true, now: CAPTURE_NOW }) },
  'network-descriptor.v1': { drives: 'verifyNetworkDescriptor: schema gate, owner signature, expiry, then the semantic rules (ids, URLs, entry points, psk hint, RA key)', verify: (v) => verifyNetworkDescriptor(v, { crypto: nativeCrypto, now: CAPTURE_NOW }) },
  'pnode-descriptor.v1': { drives: 'verifyDescriptor: schema gate, hardware summary gate, times, version, session peer binding, signature, expiry', verify: (v, c) => verifyDescriptor(v, { crypto: nativeCrypto, now: CAPTURE_NOW, expectedNodeId: c.identities.a.nodeId }) },
  'node-identity.v1': { drives: 'verifyArtifact(node-identity.v1): schema gate, node id ↔ participant id ↔ key/public binding', verify: (v) => verifyArtifact('node-identity.v1', v, { crypto: nativeCrypto, checkExpiry: true, now: CAPTURE_NOW }) },
  // Trusted registration (issue 5 §5): the operator credentials.
  'operator-credential.v1': {
    drives: 'verifyCredential: schema gate, ids (operator, keys, node), window rules, trusted issuer, authority signature, validity window',
    verify: (v, c) => verifyCredential(v, { crypto: nativeCrypto, now: CAPTURE_NOW, trustedIssuers: [c.trust.authorityKey] }),
  },
  'revocation-list.v1': {
    drives: 'verifyRevocationList: schema gate, trusted issuer, authority signature, no credential listed twice',
    verify: (v, c) => verifyRevocationList(v, { crypto: nativeCrypto, trustedIssuers: [c.trust.authorityKey] }),
  },
  'operator-attestation.v1': {
    drives: "verifyOperatorAttestation on a descriptor's operator slot: schema gate, the credential (issuer, signature, window), revocation, node binding, key match, the operator's signature over the descriptor",
    verify: (v, c) => verifyOperatorAttestation({ ...c.trust.attestedDescriptor, operator: v }, { crypto: nativeCrypto, now: CAPTURE_NOW, authorityKeys: [c.trust.authorityKey] }),
    resign: (v, c) => resignAttestation(v, c.trust, (credential) => resign('operator-credential.v1', credential, c.signers)),
    forged: (v, c) => (c.trust.attestations.some((a) => bytesEqual(tryEncode(a) ?? new Uint8Array(0), tryEncode(v) ?? Uint8Array.of(1))) ? undefined : 'a mutated attestation was accepted'),
  },
  // Credit (issue 13 §5): a receipt from orchestrator a, checked by PNode b.
  'credit-receipt.v1': {
    drives: 'verifyCreditReceipt: size, schema gate, ids and number rules (no credit unless validated, no more than its CPU time and speed earn), this PNode, a known orchestrator, the signature',
    verify: (v, c) => verifyCreditReceipt(v, { crypto: nativeCrypto, self: c.identities.b.nodeId, knownOrchestrator: (id) => id === c.identities.a.nodeId, now: CAPTURE_NOW }),
  },
};

interface ArtifactInput {
  readonly value: unknown;
  /** Signed again after mutation by the key we hold: the signing-input check does not apply. */
  readonly resigned: boolean;
  /** The text did not parse as JSON (the boundary stops it before the gate). */
  readonly notJson?: boolean;
}

/** Mutations of an artifact, re-signed with the key of its (claimed) signer so they reach the checks after the signature. */
function resignedMaker(schema: SchemaName, c: Captures, mutated: (rng: Rng) => JsonLike): (rng: Rng) => ArtifactInput {
  const custom = VERIFIERS[schema]?.resign;
  return (rng) => {
    const value = mutated(rng);
    const signed = custom ? custom(value, c) : schema in SIGNED_ARTIFACTS ? resign(schema as SignedSchemaName, value, c.signers) : undefined;
    return signed !== undefined ? { value: signed, resigned: true } : { value, resigned: false };
  };
}

function acceptedUnsigned(schema: SchemaName, value: unknown, c: Captures): string | undefined {
  const forged = VERIFIERS[schema]?.forged;
  if (forged) return forged(value, c);
  if (!(schema in SIGNED_ARTIFACTS)) return undefined;
  const input = toHex(signingInput(schema as SignedSchemaName, value as JsonObject));
  return c.signingInputs.get(schema)?.has(input) ? undefined : 'a mutated artifact was accepted with a signing input nobody signed';
}

function artifactTarget(schema: SchemaName): FuzzTarget {
  const { drives, verify } = VERIFIERS[schema]!;
  return defineTarget({
    name: `artifact:${schema}`,
    drives,
    sources: `real ${schema} artifacts (and the spec's valid example) mutated structurally, re-signed after mutation, as mutated JSON text; fast-check objects with its keys; any JSON value`,
    open: (context, c) => {
      const list = c.artifacts[schema] ?? [];
      const values = valueStreams(context.seed, list, { vocabularyFrom: allArtifacts(c) });
      const signed = schema in SIGNED_ARTIFACTS || VERIFIERS[schema]?.resign !== undefined;
      const next = mix<ArtifactInput>([
        [2, 'capture', (rng) => ({ value: values.capture(rng), resigned: false })],
        [50, 'mutated', (rng) => ({ value: values.mutated(rng), resigned: false })],
        [signed ? 20 : 0, 'mutated+resigned', resignedMaker(schema, c, values.mutated)],
        [10, 'mutated-text', (rng) => {
          const parsed = parseJsonBytes(values.mutatedText(rng));
          return parsed.ok ? { value: parsed.value, resigned: false } : { value: null, resigned: false, notJson: true };
        }],
        [13, 'generated', (rng) => ({ value: values.shaped(rng), resigned: false })],
        [5, 'generated', (rng) => ({ value: values.anything(rng), resigned: false })],
      ]);
      return session<ArtifactInput>(
        (rng) => next(rng),
        (input): string | Verdict => {
          if (input.notJson) return 'not-json';
          const result = verify(input.value, c);
          if (!result.ok) return result.error.code;
          const violation = input.resigned ? undefined : acceptedUnsigned(schema, input.value, c);
          return violation ? { outcome: 'ok', violation } : 'ok';
        },
        { show: (input) => ({ ...input, value: input.value }) },
      );
    },
  });
}

const hardwareGate = defineTarget({
  name: 'gate:hardware-summary.v1',
  drives: 'checkHardwareSummary (the orchestrator-side schema gate of hardware summaries)',
  sources: "this machine's detected summary and an all-unknown one, mutated structurally and as text; fast-check objects with its keys; any JSON value",
  open: (context, c) => {
    const values = valueStreams(context.seed, c.hardware);
    const next = mix<unknown>([
      [2, 'capture', values.capture],
      [70, 'mutated', values.mutated],
      [10, 'mutated-text', (rng) => {
        const parsed = parseJsonBytes(values.mutatedText(rng));
        return parsed.ok ? parsed.value : Symbol.for('not-json');
      }],
      [13, 'generated', values.shaped],
      [5, 'generated', values.anything],
    ]);
    return session<unknown>(
      (rng) => next(rng),
      (input) => (input === Symbol.for('not-json') ? 'not-json' : resultOutcome(checkHardwareSummary(input))),
    );
  },
});

interface HandshakeInput {
  readonly text: string;
  readonly resigned: boolean;
  /** The receiving side holds the network's pre-shared key. */
  readonly psk: boolean;
}

function handshakeMakers(context: { seed: number }, c: Captures, built: readonly { artifact: unknown }[]): (rng: Rng) => { value: HandshakeInput; source: string } {
  const artifacts = built.map((b) => b.artifact as JsonObject);
  const values = valueStreams(context.seed, artifacts, { vocabularyFrom: c.artifacts['peer-handshake.v1'] });
  const texts = artifacts.map((a) => toJsonText(a));
  const withPsk = (rng: Rng, text: string, resigned: boolean): HandshakeInput => ({ text, resigned, psk: rng.chance(0.3) });
  return mix<HandshakeInput>([
    [3, 'capture', (rng) => withPsk(rng, rng.pick(texts), false)],
    [45, 'mutated', (rng) => withPsk(rng, toJsonText(values.mutated(rng)), false)],
    [20, 'mutated+resigned', (rng) => {
      const value = values.mutated(rng);
      const signed = resign('peer-handshake.v1', value, c.signers);
      return withPsk(rng, toJsonText(signed ?? value), signed !== undefined);
    }],
    [17, 'mutated-text', (rng) => withPsk(rng, Buffer.from(values.mutatedText(rng)).toString('utf8'), false)],
    [10, 'generated', (rng) => withPsk(rng, toJsonText(values.shaped(rng)), false)],
    [5, 'generated', (rng) => withPsk(rng, values.generatedText(rng), false)],
  ]);
}

const handshakeHello = defineTarget({
  name: 'handshake:hello',
  drives: 'answerHello (the responder side of the handshake flow: all 19 checks of validateHandshake, psk proof, nonce cache, then the ack and the session keys)',
  sources: 'real hellos from buildHello (with and without recipient, psk proof, terms) mutated structurally, re-signed, as mutated text; fast-check objects with their keys; any text',
  open: (context, c) => {
    const next = handshakeMakers(context, c, c.hellos);
    const clock = new ManualClock(CAPTURE_NOW);
    const signed = new Set(c.hellos.map((h) => toHex(h.signingInput)));
    return session<HandshakeInput>(
      (rng) => next(rng),
      (input): string | Verdict => {
        const answered = answerHello({ crypto: nativeCrypto, identity: c.identities.b, clock, nonces: new HandshakeNonceCache(), psk: input.psk ? c.psk : undefined }, input.text);
        if (!answered.ok) return answered.error.code;
        const hello = toHex(signingInput(HANDSHAKE_SCHEMA, answered.value.session.hello as unknown as JsonObject));
        if (!input.resigned && !signed.has(hello)) return { outcome: 'ok', violation: 'a mutated hello was accepted with a signing input nobody signed' };
        return 'ok';
      },
    );
  },
});

const handshakeAck = defineTarget({
  name: 'handshake:ack',
  drives: 'HandshakeInitiator.acceptAck (the initiator side: pending hello, ack reference and timeout, dialed-node binding, signature, session keys)',
  sources: 'real acks from buildAck to a pending hello, mutated structurally, re-signed, as mutated text; fast-check objects with their keys; any text',
  open: (context, c) => {
    const next = handshakeMakers(context, c, c.acks);
    const clock = new ManualClock(CAPTURE_NOW);
    const signed = new Set(c.acks.map((h) => toHex(h.signingInput)));
    return session<HandshakeInput>(
      (rng) => next(rng),
      (input): string | Verdict => {
        const ctx = { crypto: nativeCrypto, identity: c.identities.a, clock, nonces: new HandshakeNonceCache(), psk: input.psk ? c.psk : undefined };
        const initiator = startHandshake(ctx, { recipient: c.identities.b.nodeId, handshakeId: c.ackInitiator.handshakeId, nonce: c.ackInitiator.nonce, ephemeral: c.ackInitiator.ephemeral });
        const accepted = initiator.acceptAck(input.text);
        if (!accepted.ok) return accepted.error.code;
        const ack = toHex(signingInput(HANDSHAKE_SCHEMA, accepted.value.ack as unknown as JsonObject));
        if (!input.resigned && !signed.has(ack)) return { outcome: 'ok', violation: 'a mutated ack was accepted with a signing input nobody signed' };
        return 'ok';
      },
    );
  },
});

const secureChannel = defineTarget({
  name: 'session-frames',
  drives: 'SecureChannel.open (ChaCha20-Poly1305 frames before decryption: counters, sizes, authentication; failure is final)',
  sources: 'the frames a real session sealed, in order, with one tampered (byte mutations), dropped, replayed, reordered, oversized, cut below the tag, or foreign; random frames',
  open: (context, c) => {
    const frames = c.session.frames;
    const bytes = byteStreams(context.seed, [...frames]);
    const prefix = (rng: Rng): Uint8Array[] => frames.slice(0, 1 + rng.int(frames.length)).map((f) => f.slice());
    const next = mix<Uint8Array[]>([
      [3, 'capture', prefix],
      [40, 'mutated', (rng) => {
        const list = prefix(rng);
        const at = rng.int(list.length);
        list[at] = mutateBytes(rng, list[at]!, frames);
        return list;
      }],
      [10, 'mutated', (rng) => {
        const list = prefix(rng);
        list.splice(rng.int(list.length), 1);
        return list.length > 0 ? list : [frames[1]!.slice()];
      }],
      [10, 'mutated', (rng) => {
        const list = prefix(rng);
        const at = rng.int(list.length);
        list.splice(at + 1, 0, list[at]!.slice());
        return list;
      }],
      [10, 'mutated', (rng) => {
        const list = prefix(rng);
        const i = rng.int(list.length);
        const j = rng.int(list.length);
        [list[i], list[j]] = [list[j]!, list[i]!];
        return list;
      }],
      [5, 'mutated', (rng) => [...prefix(rng), rng.bytes(rng.pick([MAX_FRAME_BYTES + 1, MAX_FRAME_BYTES, 0, 1, 15, 16, 17]))]],
      [12, 'generated', (rng) => Array.from({ length: 1 + rng.int(4) }, () => bytes.generated(rng))],
      [10, 'mutated', (rng) => [...prefix(rng), bytes.mutated(rng)]],
    ]);
    return session<Uint8Array[]>(
      (rng) => next(rng),
      (input): string | Verdict => {
        const channel = new SecureChannel(nativeCrypto, { sendKey: c.session.responderKeys.sendKey.slice(), receiveKey: c.session.responderKeys.receiveKey.slice() });
        let first: ProtocolError | undefined;
        for (const frame of input) {
          const counter = channel.receivedFrames;
          const opened = channel.open(frame);
          if (opened.ok) {
            if (first) return { outcome: first.code, violation: 'a frame opened after the channel had failed' };
            if (!bytesEqual(frame, frames[counter] ?? new Uint8Array(0))) return { outcome: 'ok', violation: `a frame never sealed at counter ${counter} opened` };
            continue;
          }
          if (first && opened.error !== first) return { outcome: first.code, violation: 'a failed channel answered a different error later' };
          first ??= opened.error;
        }
        return first ? first.code : 'ok';
      },
      { show: (input) => input.map((f) => Buffer.from(f).toString('hex')) },
    );
  },
});

/** Where decoded messages go: a real orchestrator (with a trust hook over the real attestation verifier), a real advertisement cache, a real registration authority. */
class Dispatch {
  private readonly clock = new ManualClock(CAPTURE_NOW);
  readonly orchestrator: Orchestrator;
  readonly cache: AdvertisementCache;
  readonly authority: RegistrationAuthority;
  private ledger: Promise<CreditLedger> | undefined;
  private handled = 0;

  constructor(
    private readonly peer: string,
    private readonly self: string,
    private readonly workDir: string,
    c: Captures,
  ) {
    this.orchestrator = new Orchestrator({
      selfNodeId: self,
      clock: this.clock,
      crypto: nativeCrypto,
      heartbeatIntervalMs: 10_000,
      transport: {
        // What PeerConnection.send does with a body: encode it (throws on a body out of contract).
        send: (_nodeId, kind, body) => encodeSessionMessage(kind, body).length > 0,
        isConnected: () => true,
        sessions: () => 1,
      },
      trust: (descriptor, { now }) => {
        if (descriptor.operator === undefined) return { level: 'untrusted', operatorId: null };
        const trusted = verifyOperatorAttestation(descriptor as unknown as JsonObject, { crypto: nativeCrypto, now, authorityKeys: [c.trust.authorityKey], revoked: (id) => this.authority.isRevoked(id) });
        return trusted.ok ? { level: 'trusted', operatorId: trusted.value.operatorId } : { level: 'untrusted', operatorId: null };
      },
    });
    this.cache = new AdvertisementCache({ dataDir: mkdtempSync(join(workDir, 'adcache-')), clock: this.clock, crypto: nativeCrypto, selfNodeId: self });
    this.authority = c.trust.newAuthority(CAPTURE_NOW);
  }

  /** Hands a decoded message to its handler; the answer of a handler that answers later. */
  message(kind: SessionKind, body: unknown): Promise<unknown> | undefined {
    const o = this.orchestrator;
    let pending: Promise<unknown> | undefined;
    switch (kind) {
      case 'pnode-register':
        o.onRegister(this.peer, body as never);
        break;
      case 'heartbeat':
        o.onHeartbeat(this.peer, body as never);
        break;
      case 'vnode-allocate':
        o.onAllocateReply(this.peer, body as never);
        break;
      case 'vnode-release':
        o.onReleaseReply(this.peer, body as never);
        break;
      case 'vnode-status':
        o.onStatus(this.peer, body as never);
        break;
      case 'peer-exchange':
        for (const ad of (body as { advertisements?: unknown[] }).advertisements ?? []) this.cache.offer(ad);
        break;
      case 'credit-receipt': {
        // Requests go to a real ledger of the PNode (it answers with a Result); replies are the orchestrator's.
        const request = body as { 'req/id'?: unknown; receipt?: unknown };
        if (request['req/id'] === undefined) return undefined;
        this.ledger ??= CreditLedger.open({ dataDir: mkdtempSync(join(this.workDir, 'ledger-')), crypto: nativeCrypto, self: this.self, clock: this.clock, fsync: false });
        pending = this.ledger.then((ledger) => ledger.append(request.receipt, (id) => id === this.peer));
        break;
      }
      case 'operator-enroll':
      case 'operator-renew':
      case 'operator-rotate': {
        // Requests go to the authority (it answers with a Result); replies are the PNode's.
        if ((body as { 'req/id'?: unknown })['req/id'] === undefined) return undefined;
        const a = this.authority;
        pending = kind === 'operator-enroll' ? a.enroll(this.peer, body as never) : kind === 'operator-renew' ? a.renew(this.peer, body as never) : a.rotate(this.peer, body as never);
        break;
      }
      default:
        return undefined;
    }
    if (o.needsPlacement) o.placePending();
    if (++this.handled % 50 === 0) {
      // Time moves on: leases end, records age, and VNodes are asked for, so placement has work.
      this.clock.advance(5_000);
      o.tick();
      if (o.vnodes.size < 200) o.requestVNode({ cores: 1, memoryMb: 256 });
    }
    return pending;
  }
}

interface MessageInput {
  readonly bytes: Uint8Array;
}

function messageTarget(kind: SessionKind): FuzzTarget {
  const artifact = kind === 'capability-advertisement.v1' || kind === 'signal-marker-envelope.v1';
  return defineTarget({
    name: `msg:${kind}`,
    drives: `decodeSessionMessage for "${kind}" (envelope, strict CBOR, body codec${artifact ? ', artifact signature and expiry, session peer binding' : ''})${['pnode-register', 'heartbeat', 'vnode-allocate', 'vnode-release', 'vnode-status'].includes(kind) ? ', then a real Orchestrator (with a trust hook over verifyOperatorAttestation) handles it' : kind === 'peer-exchange' ? ', then each advertisement goes to a real AdvertisementCache' : kind.startsWith('operator-') ? ', then a request goes to a real RegistrationAuthority' : kind === 'credit-receipt' ? ', then a request goes to a real CreditLedger of the PNode' : ''}`,
    sources: `real ${kind} bodies${['pnode-register', 'heartbeat', 'vnode-allocate', 'vnode-release', 'error'].includes(kind) ? ' (including those a real Orchestrator sent)' : kind.startsWith('operator-') ? ' (requests with real proofs, replies with credentials a real authority issued)' : ''} mutated structurally${artifact ? ' and re-signed' : kind === 'pnode-register' ? ', with the descriptor mutated and re-signed' : ''} then encoded; byte mutations of the encoded message; fast-check bodies with their keys; any CBOR value`,
    open: (context, c) => {
      const bodies = (c.sessionBodies[kind] ?? []) as readonly unknown[];
      if (bodies.length === 0) throw new Error(`no captured body of the session kind ${kind}: add one to harden/lib/captures.ts`);
      const values = valueStreams(context.seed, bodies, { bytes: true, vocabularyFrom: allArtifacts(c) });
      const encoded = bodies.map((body) => encodeSessionMessage(kind, body as never));
      const bytes = byteStreams(context.seed, encoded);
      const descriptors = valueStreams(deriveSeed(context.seed, 'descriptor'), c.artifacts['pnode-descriptor.v1']!);
      const wrap = (body: unknown): MessageInput => ({ bytes: tryEncode({ 'msg/kind': kind, body }) ?? looseEncode({ 'msg/kind': kind, body }) });
      const resignBody = (rng: Rng): MessageInput => {
        if (artifact) {
          const mutated = values.mutated(rng);
          return wrap(resign(kind as SignedSchemaName, mutated, c.signers) ?? mutated);
        }
        // pnode-register: the descriptor inside, mutated and signed again.
        const body = cloneJson(rng.pick(bodies)) as Record<string, unknown>;
        if (typeof body['descriptor'] === 'object' && body['descriptor'] !== null) {
          body['descriptor'] = resign('pnode-descriptor.v1', descriptors.mutated(rng), c.signers) ?? body['descriptor'];
        }
        return wrap(body);
      };
      const next = mix<MessageInput>([
        [2, 'capture', (rng) => wrap(values.capture(rng))],
        [55, 'mutated', (rng) => wrap(values.mutated(rng))],
        [artifact || kind === 'pnode-register' ? 15 : 0, 'mutated+resigned', resignBody],
        [10, 'mutated-bytes', (rng) => ({ bytes: bytes.mutated(rng) })],
        [13, 'generated', (rng) => wrap(values.shaped(rng))],
        [5, 'generated', (rng) => wrap(values.anything(rng))],
      ]);
      const dispatch = new Dispatch(c.identities.a.nodeId, c.identities.b.nodeId, context.workDir, c);
      const bodyContext = { crypto: nativeCrypto, now: CAPTURE_NOW, peerNodeId: c.identities.a.nodeId };
      return session<MessageInput>(
        (rng) => next(rng),
        (input): string | Promise<string> => {
          const decoded = decodeSessionMessage(input.bytes, bodyContext);
          if (!decoded.ok) return decoded.error.code;
          if (decoded.value.kind !== kind) return `ok (${decoded.value.kind})`;
          const pending = dispatch.message(decoded.value.kind, decoded.value.body);
          if (!pending) return 'ok';
          // The authority answers with a Result: its code is the outcome.
          return pending.then((answer) => {
            const result = answer as Result<unknown>;
            return result.ok ? 'ok (issued)' : `ok (refused ${result.error.code})`;
          });
        },
        { show: (input) => ({ hex: Buffer.from(input.bytes).toString('hex') }) },
      );
    },
  });
}

const sessionEnvelope = defineTarget({
  name: 'session-envelope',
  drives: 'decodeSessionMessage on whole plaintexts (size cap, strict CBOR, exactly msg/kind and body, known kind, JSON-subset body, then the kind\'s codec)',
  sources: 'byte mutations and splices of real messages of every kind; random bytes; fast-check maps with msg/kind (known, unknown, wrong type) and any body',
  open: (context, c) => {
    const bytes = byteStreams(context.seed, [...c.sessionMessages]);
    const envelopes = valueStreams(context.seed, c.sessionMessages.map((m) => decodeDeterministic(m)), { bytes: true });
    const next = mix<Uint8Array>([
      [2, 'capture', bytes.capture],
      [50, 'mutated', bytes.mutated],
      [25, 'mutated', (rng) => {
        const value = envelopes.mutated(rng);
        return tryEncode(value) ?? looseEncode(value);
      }],
      [10, 'generated', bytes.generated],
      [13, 'generated', (rng) => tryEncode({ 'msg/kind': rng.pick([...SESSION_KINDS, 'pong ', 'PING', '', 'unknown-kind', 7]), body: envelopes.anything(rng) }) ?? bytes.generated(rng)],
    ]);
    const bodyContext = { crypto: nativeCrypto, now: CAPTURE_NOW, peerNodeId: c.identities.a.nodeId };
    return session<Uint8Array>(
      (rng) => next(rng),
      (input) => resultOutcome(decodeSessionMessage(input, bodyContext)),
    );
  },
});

export const PROTOCOL_TARGETS: readonly FuzzTarget[] = [
  dcborDecode,
  dcborEncode,
  ...(Object.keys(VERIFIERS) as SchemaName[]).map(artifactTarget),
  hardwareGate,
  handshakeHello,
  handshakeAck,
  secureChannel,
  sessionEnvelope,
  ...SESSION_KINDS.map(messageTarget),
];

export { looseEncode };

import { describe, expect, it } from 'vitest';
import { cloneJson, schemaNameOf, vectors } from '../../tests/fixtures/vectors.js';
import { portableCrypto } from './crypto/portable-provider.js';
import { fromHex } from './encoding/hex.js';
import { toBase64url } from './encoding/base64url.js';
import { signArtifact, signingInput } from './signing.js';
import { signPassport, passportSigningInput } from './passport.js';
import { verifyArtifact, type VerifyOptions } from './verify.js';
import { nodeIdFromPublicKey, participantIdFromPublicKey, fingerprintFromPublicKey } from './did-key.js';
import type { ErrorCode } from './errors.js';
import type { SchemaName } from './schemas/registry.js';
import type { JsonObject } from './artifacts.js';

const signer = portableCrypto.ed25519Signer(fromHex(vectors.test_signer.secret_key_hex));
const NODE_ID = vectors.test_signer.node_id;
const PARTICIPANT_ID = vectors.test_signer.derived_participant_id;
const KEY_PUBLIC = vectors.test_signer.key_public;

const other = portableCrypto.ed25519Signer(new Uint8Array(32).fill(0x42));
const OTHER_NODE_ID = nodeIdFromPublicKey(other.publicKey);

/** Pattern-valid ids whose text is not a usable Ed25519 key. */
const NOT_A_KEY_NODE_ID = 'node:did:key:z6MkrLQkJr2YQ6L8eYw6Qk8f9P8GmJm7a3x6P1v1Q2w3E4r5';
const UNKNOWN_PEER_NODE_ID = `node:did:key:z6Mkunknownpeer${'1'.repeat(31)}`;

const options: VerifyOptions = { crypto: portableCrypto };
const ADVERTISED_AT = Date.parse('2026-03-23T18:08:00Z');
const EXPIRES_AT = Date.parse('2026-03-23T18:18:00Z');

function exampleOf(schema: SchemaName): JsonObject {
  const found = vectors.valid_examples.find((e) => schemaNameOf(e) === schema);
  if (!found) throw new Error(`no example for ${schema}`);
  return cloneJson(found.content);
}

/** The seed-wss example advertisement, re-issued for the test signer and signed by it. */
function signedAdvertisement(change: (a: JsonObject) => void = () => {}): JsonObject {
  const advertisement = exampleOf('node-advertisement.v1');
  advertisement['node/id'] = NODE_ID;
  advertisement['key/public'] = KEY_PUBLIC;
  change(advertisement);
  return signArtifact('node-advertisement.v1', advertisement, signer);
}

function expectCode(schema: SchemaName, artifact: unknown, code: ErrorCode, detail?: string | RegExp, opts: VerifyOptions = options): void {
  const result = verifyArtifact(schema, artifact, opts);
  expect(result.ok ? 'ok' : `${result.error.code} ${result.error.detail}`).toMatch(new RegExp(`^${code}`));
  if (!result.ok && detail !== undefined) {
    if (typeof detail === 'string') expect(result.error.detail).toContain(detail);
    else expect(result.error.detail).toMatch(detail);
  }
}

function expectOk(schema: SchemaName, artifact: unknown, opts: VerifyOptions = options): void {
  const result = verifyArtifact(schema, artifact, opts);
  expect(result.ok ? 'ok' : `${result.error.code} ${result.error.detail}`).toBe('ok');
}

describe('verifyArtifact: node-advertisement.v1', () => {
  it('accepts an advertisement signed by the key its node/id names', () => {
    const advertisement = signedAdvertisement();
    expectOk('node-advertisement.v1', advertisement);
    const result = verifyArtifact('node-advertisement.v1', advertisement, options);
    if (result.ok) expect(result.value).toBe(advertisement);
  });

  it('signs deterministically: signing twice gives the same signature', () => {
    expect(signedAdvertisement()['signature']).toEqual(signedAdvertisement()['signature']);
  });

  it('rejects a tampered field with E_SIG_INVALID', () => {
    const tampered = signedAdvertisement();
    (tampered['endpoints'] as JsonObject[])[0]!['endpoint/url'] = 'wss://evil.example/peer';
    expectCode('node-advertisement.v1', tampered, 'E_SIG_INVALID', 'does not verify');
  });

  it('rejects a raised sequence/no, a removed optional field and an added field: all of them are signed', () => {
    expectCode('node-advertisement.v1', { ...signedAdvertisement(), 'sequence/no': 18 }, 'E_SIG_INVALID');
    const withoutFederation = signedAdvertisement();
    delete withoutFederation['federation/id'];
    expectCode('node-advertisement.v1', withoutFederation, 'E_SIG_INVALID');
    expectCode('node-advertisement.v1', { ...signedAdvertisement(), policy_annotations: { note: 'added later' } }, 'E_SIG_INVALID');
  });

  it('rejects key/public that does not match node/id with E_SIG_UNKNOWN_SIGNER', () => {
    const advertisement = signedAdvertisement((a) => (a['key/public'] = fingerprintFromPublicKey(other.publicKey)));
    expectCode('node-advertisement.v1', advertisement, 'E_SIG_UNKNOWN_SIGNER', 'key/public does not match');
  });

  it('rejects an advertisement signed by another key than node/id names with E_SIG_INVALID', () => {
    const advertisement = exampleOf('node-advertisement.v1');
    Object.assign(advertisement, { 'node/id': NODE_ID, 'key/public': KEY_PUBLIC });
    expectCode('node-advertisement.v1', signArtifact('node-advertisement.v1', advertisement, other), 'E_SIG_INVALID');
  });

  it('rejects a pattern-valid signer id that is not a valid key with E_SIG_UNKNOWN_SIGNER', () => {
    for (const id of [NOT_A_KEY_NODE_ID, UNKNOWN_PEER_NODE_ID, 'node:did:key:z6MkPeer']) {
      const advertisement = signedAdvertisement((a) => {
        a['node/id'] = id;
        a['key/public'] = id.slice('node:did:key:'.length);
      });
      expectCode('node-advertisement.v1', advertisement, 'E_SIG_UNKNOWN_SIGNER', 'cannot be resolved to an Ed25519 key');
    }
  });

  it('rejects the upstream example, whose signature is a placeholder, with E_SIG_INVALID', () => {
    expectCode('node-advertisement.v1', exampleOf('node-advertisement.v1'), 'E_SIG_INVALID', 'not unpadded base64url');
  });

  describe('expiry', () => {
    const advertisement = signedAdvertisement();

    it('is not checked without checkExpiry', () => {
      expectOk('node-advertisement.v1', advertisement, { ...options, now: EXPIRES_AT + 86_400_000 });
    });

    it('accepts a live advertisement with checkExpiry', () => {
      expectOk('node-advertisement.v1', advertisement, { ...options, checkExpiry: true, now: ADVERTISED_AT + 60_000 });
      expectOk('node-advertisement.v1', advertisement, { ...options, checkExpiry: true, now: EXPIRES_AT - 1 });
    });

    it('rejects at and after expires-at with E_ADV_EXPIRED', () => {
      expectCode('node-advertisement.v1', advertisement, 'E_ADV_EXPIRED', 'expired at 2026-03-23T18:18:00Z', { ...options, checkExpiry: true, now: EXPIRES_AT });
      expectCode('node-advertisement.v1', advertisement, 'E_ADV_EXPIRED', undefined, { ...options, checkExpiry: true, now: EXPIRES_AT + 1 });
    });

    it('uses the clock when now is not given (the vector advertisement lies in the past)', () => {
      expectCode('node-advertisement.v1', advertisement, 'E_ADV_EXPIRED', undefined, { ...options, checkExpiry: true });
    });

    it('checks the signature before expiry: a forged expired advertisement is E_SIG_INVALID', () => {
      const forged = { ...advertisement, 'expires-at': '2099-01-01T00:00:00Z' };
      expectCode('node-advertisement.v1', forged, 'E_SIG_INVALID', undefined, { ...options, checkExpiry: true, now: EXPIRES_AT + 1 });
    });
  });

  it('rejects expires-at before (or equal to) advertised-at with E_PROTO_INVALID', () => {
    expectCode('node-advertisement.v1', signedAdvertisement((a) => (a['expires-at'] = '2026-03-23T18:07:59Z')), 'E_PROTO_INVALID', 'expires-at must be after advertised-at');
    expectCode('node-advertisement.v1', signedAdvertisement((a) => (a['expires-at'] = a['advertised-at'])), 'E_PROTO_INVALID', 'expires-at must be after advertised-at');
  });

  it('compares the timestamps as instants, not as text', () => {
    // 18:30+02:00 is 16:30Z, earlier than advertised-at 18:08Z although it sorts later as text.
    expectCode('node-advertisement.v1', signedAdvertisement((a) => (a['expires-at'] = '2026-03-23T18:30:00+02:00')), 'E_PROTO_INVALID');
    expectOk('node-advertisement.v1', signedAdvertisement((a) => (a['expires-at'] = '2026-03-23T18:10:00-01:00')));
  });

  it('rejects timestamps the schema accepts but Date cannot read (a leap second, an hour-only offset) as E_PROTO_INVALID', () => {
    for (const unreadable of ['2026-12-31T23:59:60Z', '2026-03-23T18:30:00+01']) {
      expectCode('node-advertisement.v1', signedAdvertisement((a) => (a['expires-at'] = unreadable)), 'E_PROTO_INVALID', undefined, { ...options, checkExpiry: true, now: ADVERTISED_AT });
      expectCode('node-advertisement.v1', signedAdvertisement((a) => (a['advertised-at'] = unreadable)), 'E_PROTO_INVALID');
    }
  });

  describe('the signature object', () => {
    const good = signedAdvertisement();
    const goodValue = (good['signature'] as { value: string }).value;

    it('rejects a wrong algorithm at the schema gate (node-advertisement.v1 fixes alg to ed25519)', () => {
      expectCode('node-advertisement.v1', { ...good, signature: { alg: 'ed448', value: goodValue } }, 'E_PROTO_INVALID', '$.signature.alg');
    });

    const malformed: Array<[string, string]> = [
      ['padding', `${goodValue}==`],
      ['a standard-base64 character', `${goodValue.slice(0, 85)}+`],
      ['a non-canonical tail', `${goodValue.slice(0, 85)}${goodValue.endsWith('A') ? 'B' : 'A'}`],
      ['63 bytes', toBase64url(new Uint8Array(63))],
      ['65 bytes', toBase64url(new Uint8Array(65))],
      ['an empty value', ''],
      ['the placeholder text of the examples', 'base64url:node-advertisement-signature'],
    ];
    for (const [label, value] of malformed) {
      it(`rejects a value with ${label} as E_SIG_INVALID`, () => {
        expectCode('node-advertisement.v1', { ...good, signature: { alg: 'ed25519', value } }, 'E_SIG_INVALID');
      });
    }

    it('rejects 64 zero bytes and a signature over another message as E_SIG_INVALID', () => {
      expectCode('node-advertisement.v1', { ...good, signature: { alg: 'ed25519', value: toBase64url(new Uint8Array(64)) } }, 'E_SIG_INVALID', 'does not verify');
      const elsewhere = toBase64url(signer.sign(new Uint8Array([1, 2, 3])));
      expectCode('node-advertisement.v1', { ...good, signature: { alg: 'ed25519', value: elsewhere } }, 'E_SIG_INVALID', 'does not verify');
    });
  });

  it('turns a float hidden in an open field into E_PROTO_INVALID rather than a crash', () => {
    expectCode('node-advertisement.v1', { ...signedAdvertisement(), policy_annotations: { weight: 0.5 } }, 'E_PROTO_INVALID', 'a float');
  });

  it('rejects input that is not an artifact at the schema gate', () => {
    for (const value of [null, 'text', [], 17]) expectCode('node-advertisement.v1', value, 'E_PROTO_INVALID', '$: must be object');
  });
});

describe('verifyArtifact: capability-advertisement.v1 with self-issued passports', () => {
  const ISSUED_AT = '2026-03-23T18:11:00Z';
  const PASSPORT_EXPIRES_AT = '2026-03-23T18:16:00Z';

  function passportFor(capability: string, by = signer, nodeId = NODE_ID): JsonObject {
    return signPassport(
      {
        schema: 'capability-passport.v1',
        passport_id: `passport:capability:${capability.replace('/', '-')}:01JQNODECAP001`,
        node_id: nodeId,
        capability_id: capability,
        scope: { 'protocol/version': '0.1.0-mvp' },
        issued_at: ISSUED_AT,
        expires_at: PASSPORT_EXPIRES_AT,
        'issuer/participant_id': PARTICIPANT_ID,
        'issuer/node_id': nodeId,
        revocation_ref: null,
      },
      by,
    );
  }

  /** The base-node example, re-issued for the test signer with real passports, then signed. */
  function signedCapabilities(change: (a: JsonObject) => void = () => {}): JsonObject {
    const advertisement = exampleOf('capability-advertisement.v1');
    advertisement['node/id'] = NODE_ID;
    for (const presented of advertisement['capabilities/presented'] as JsonObject[]) {
      presented['passport'] = passportFor(presented['capability/id'] as string);
    }
    change(advertisement);
    return signArtifact('capability-advertisement.v1', advertisement, signer);
  }

  const presentedAt = (a: JsonObject, i: number) => (a['capabilities/presented'] as JsonObject[])[i]!;

  it('accepts an advertisement whose passports were signed with signPassport', () => {
    expectOk('capability-advertisement.v1', signedCapabilities());
  });

  it('signs passports over canonical JSON without signature, with no domain prefix', () => {
    const passport = passportFor('core/messaging');
    const input = new TextDecoder().decode(passportSigningInput(passport));
    expect(input.startsWith('{"capability_id":"core/messaging","expires_at":')).toBe(true);
    expect(input).not.toContain('signature');
    const value = (passport['signature'] as { value: string }).value;
    expect(portableCrypto.ed25519Verify(signer.publicKey, passportSigningInput(passport), new Uint8Array(Buffer.from(value, 'base64url')))).toBe(true);
  });

  it('rejects a passport signed by another key with E_SIG_INVALID naming the passport', () => {
    const advertisement = signedCapabilities((a) => (presentedAt(a, 1)['passport'] = passportFor('core/discovery', other)));
    expectCode('capability-advertisement.v1', advertisement, 'E_SIG_INVALID', 'passport signature for core/discovery does not verify');
  });

  it('rejects a passport whose signature is the example placeholder with E_SIG_INVALID', () => {
    const advertisement = signedCapabilities((a) => ((presentedAt(a, 0)['passport'] as JsonObject)['signature'] = { alg: 'ed25519', value: 'base64url:self-issued-core-messaging-passport-signature' }));
    expectCode('capability-advertisement.v1', advertisement, 'E_SIG_INVALID');
  });

  it('rejects a passport changed after the advertisement was signed (the passports are inside the signed map)', () => {
    const advertisement = signedCapabilities();
    (presentedAt(advertisement, 0)['passport'] as JsonObject)['expires_at'] = '2099-01-01T00:00:00Z';
    expectCode('capability-advertisement.v1', advertisement, 'E_SIG_INVALID', 'capability-advertisement.v1 signature does not verify');
  });

  it('rejects a self-issued passport that names another node with E_SIG_UNKNOWN_SIGNER', () => {
    const advertisement = signedCapabilities((a) => (presentedAt(a, 2)['passport'] = passportFor('core/keepalive', other, OTHER_NODE_ID)));
    expectCode('capability-advertisement.v1', advertisement, 'E_SIG_UNKNOWN_SIGNER', 'names another node');
  });

  it('rejects a passport for another capability, or of another schema, with E_PROTO_INVALID', () => {
    expectCode('capability-advertisement.v1', signedCapabilities((a) => (presentedAt(a, 1)['passport'] = passportFor('core/keepalive'))), 'E_PROTO_INVALID', 'capability_id does not match core/discovery');
    expectCode(
      'capability-advertisement.v1',
      signedCapabilities((a) => (presentedAt(a, 0)['passport'] = signPassport({ ...passportFor('core/messaging'), schema: 'capability-passport.v2' }, signer))),
      'E_PROTO_INVALID',
      'is not capability-passport.v1',
    );
  });

  it('checks passport expiry only with checkExpiry', () => {
    const advertisement = signedCapabilities();
    const after = Date.parse(PASSPORT_EXPIRES_AT) + 1;
    expectOk('capability-advertisement.v1', advertisement, { ...options, now: after });
    expectOk('capability-advertisement.v1', advertisement, { ...options, checkExpiry: true, now: Date.parse(ISSUED_AT) });
    expectCode('capability-advertisement.v1', advertisement, 'E_ADV_EXPIRED', 'passport for core/messaging expired', { ...options, checkExpiry: true, now: after });
  });

  it('requires a readable passport expires_at when checking expiry', () => {
    const advertisement = signedCapabilities((a) => {
      const passport = presentedAt(a, 0)['passport'] as JsonObject;
      delete passport['expires_at'];
      presentedAt(a, 0)['passport'] = signPassport(passport, signer);
    });
    expectOk('capability-advertisement.v1', advertisement);
    expectCode('capability-advertisement.v1', advertisement, 'E_PROTO_INVALID', 'has no valid expires_at', { ...options, checkExpiry: true, now: Date.parse(ISSUED_AT) });
  });

  it('rejects capabilities/core that no presented capability carries with E_PROTO_INVALID', () => {
    const advertisement = signedCapabilities((a) => (a['capabilities/core'] = ['core/messaging', 'core/relay']));
    expectCode('capability-advertisement.v1', advertisement, 'E_PROTO_INVALID', 'lists core/relay');
  });

  it('rejects a wrong algorithm or a malformed value as E_SIG_INVALID (this schema leaves alg open)', () => {
    const good = signedCapabilities();
    const value = (good['signature'] as { value: string }).value;
    expectCode('capability-advertisement.v1', { ...good, signature: { alg: 'ed25519+domain-v1', value } }, 'E_SIG_INVALID', 'unsupported signature algorithm');
    expectCode('capability-advertisement.v1', { ...good, signature: { alg: 'ed25519', value: value.slice(0, 80) } }, 'E_SIG_INVALID');
  });

  it('rejects a signer id that is not a valid key with E_SIG_UNKNOWN_SIGNER', () => {
    const advertisement = signedCapabilities((a) => (a['node/id'] = NOT_A_KEY_NODE_ID));
    expectCode('capability-advertisement.v1', advertisement, 'E_SIG_UNKNOWN_SIGNER');
  });

  it('rejects the upstream example with its placeholder signatures', () => {
    expectCode('capability-advertisement.v1', exampleOf('capability-advertisement.v1'), 'E_SIG_INVALID');
  });
});

describe('verifyArtifact: signal-marker-envelope.v1', () => {
  function signedEnvelope(by = signer, sender = PARTICIPANT_ID): JsonObject {
    const envelope = exampleOf('signal-marker-envelope.v1');
    envelope['sender/participant-id'] = sender;
    return signArtifact('signal-marker-envelope.v1', envelope, by);
  }

  it('accepts an envelope signed by the participant key', () => {
    expectOk('signal-marker-envelope.v1', signedEnvelope());
  });

  it('uses the signal-marker-envelope.v1 domain separator', () => {
    const input = signingInput('signal-marker-envelope.v1', signedEnvelope());
    expect(new TextDecoder().decode(input.subarray(0, 26))).toBe('signal-marker-envelope.v1\u0000');
  });

  it('rejects an envelope signed by another key, or tampered, with E_SIG_INVALID', () => {
    expectCode('signal-marker-envelope.v1', signedEnvelope(other), 'E_SIG_INVALID');
    expectCode('signal-marker-envelope.v1', { ...signedEnvelope(), 'marker/ref': 'signal-marker:other' }, 'E_SIG_INVALID');
  });

  it('rejects a sender whose id is not a valid key with E_SIG_UNKNOWN_SIGNER', () => {
    expectCode('signal-marker-envelope.v1', signedEnvelope(signer, 'participant:did:key:z6MkrLQkJr2YQ6L8eYw6Qk8f9P8GmJm7a3x6P1v1Q2w3E4r5'), 'E_SIG_UNKNOWN_SIGNER');
  });

  it('treats a participant envelope as the participant role: a node id is refused at the gate', () => {
    expectCode('signal-marker-envelope.v1', { ...signedEnvelope(), 'sender/participant-id': NODE_ID }, 'E_PROTO_INVALID', 'sender/participant-id');
  });
});

describe('verifyArtifact: peer-handshake.v1', () => {
  it('accepts the vector ack and a hello signed in the test', () => {
    expectOk('peer-handshake.v1', vectors.vectors[0]!.fixture);
    const hello = exampleOf('peer-handshake.v1');
    Object.assign(hello, { 'sender/node-id': NODE_ID, 'key/public': KEY_PUBLIC, 'recipient/node-id': OTHER_NODE_ID });
    delete hello['ack/of-handshake-id'];
    hello['handshake/mode'] = 'hello';
    expectOk('peer-handshake.v1', signArtifact('peer-handshake.v1', hello, signer));
  });

  it('rejects key/public of another node with E_SIG_UNKNOWN_SIGNER', () => {
    const ack = { ...vectors.vectors[0]!.fixture, 'key/public': fingerprintFromPublicKey(other.publicKey) };
    expectCode('peer-handshake.v1', ack, 'E_SIG_UNKNOWN_SIGNER');
  });
});

describe('verifyArtifact: node-identity.v1 semantic checks', () => {
  function identity(change: (a: JsonObject) => void = () => {}): JsonObject {
    const record: JsonObject = {
      'schema/v': 1,
      'node/id': NODE_ID,
      'participant/id': PARTICIPANT_ID,
      'created-at': '2026-03-23T18:05:00Z',
      'identity/status': 'active',
      'key/alg': 'ed25519',
      'key/public': KEY_PUBLIC,
      'key/storage-ref': `keychain:pnode/${NODE_ID}`,
    };
    change(record);
    return record;
  }

  it('accepts the test signer identity and the upstream bootstrap example (no signature needed)', () => {
    expectOk('node-identity.v1', identity());
    expectOk('node-identity.v1', exampleOf('node-identity.v1'));
  });

  it('rejects key/public that does not match node/id', () => {
    expectCode('node-identity.v1', identity((a) => (a['key/public'] = fingerprintFromPublicKey(other.publicKey))), 'E_PROTO_INVALID', 'key/public does not match node/id');
  });

  it('rejects a node/id or participant/id that is not a valid key', () => {
    expectCode('node-identity.v1', identity((a) => (a['node/id'] = UNKNOWN_PEER_NODE_ID)), 'E_PROTO_INVALID', 'decode to 34 bytes');
    expectCode('node-identity.v1', identity((a) => (a['participant/id'] = NOT_A_KEY_NODE_ID.replace('node:', 'participant:'))), 'E_PROTO_INVALID', 'valid Ed25519 point');
  });

  it('allows the participant role to carry another key (the roles are distinct)', () => {
    expectOk('node-identity.v1', identity((a) => (a['participant/id'] = participantIdFromPublicKey(other.publicKey))));
  });

  it('rejects a status other than active at the gate', () => {
    expectCode('node-identity.v1', identity((a) => (a['identity/status'] = 'revoked')), 'E_PROTO_INVALID', '$["identity/status"]');
  });
});

describe('verifyArtifact: unsigned artifacts', () => {
  it('runs only the schema gate for signal-marker.v1', () => {
    expectOk('signal-marker.v1', exampleOf('signal-marker.v1'));
    expectCode('signal-marker.v1', { ...exampleOf('signal-marker.v1'), mode: 'raw' }, 'E_PROTO_INVALID', '$.operations');
  });
});

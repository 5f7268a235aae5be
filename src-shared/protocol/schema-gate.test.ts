import { describe, expect, it } from 'vitest';
import { cloneJson, schemaNameOf, vectors } from '../../tests/fixtures/vectors.js';
import { assertSchema, checkSchema, jsonPointerToPath } from './schema-gate.js';
import { SCHEMAS, SCHEMA_NAMES, isSchemaName, type SchemaName } from './schemas/registry.js';
import { ProtocolError } from './errors.js';

type Json = Record<string, unknown>;

function example(schema: SchemaName, file?: string): Json {
  const found = vectors.valid_examples.find((e) => schemaNameOf(e) === schema && (file === undefined || e.file === file));
  if (!found) throw new Error(`no valid example for ${schema}`);
  return cloneJson(found.content);
}

/** A copy of the schema's valid example with `change` applied. */
function variant(schema: SchemaName, change: (artifact: Json) => void, file?: string): Json {
  const artifact = example(schema, file);
  change(artifact);
  return artifact;
}

function field<T = Json>(artifact: Json, ...path: Array<string | number>): T {
  let value: unknown = artifact;
  for (const part of path) value = (value as Record<string | number, unknown>)[part];
  return value as T;
}

interface InvalidCase {
  readonly label: string;
  readonly artifact: unknown;
  /** The failing JSON path and message, as the detail prints them. */
  readonly detail: string;
}

const NODE_ID_PATTERN = 'must match pattern "^node:did:key:z[1-9A-HJ-NP-Za-km-z]+$"';

/** A network-descriptor.v1 of our profile (no upstream example): schema-valid, not signed. */
function networkDescriptor(change: (artifact: Json) => void = () => undefined): Json {
  const artifact: Json = {
    'schema/v': 1,
    'network/id': 'net:example-lab',
    'network/name': 'Example lab',
    'owner/node-id': vectors.test_signer.node_id,
    'created-at': '2026-11-21T12:00:00Z',
    'expires-at': '2027-11-21T12:00:00Z',
    seeds: [{ 'node/id': vectors.test_signer.node_id, 'endpoint/url': 'wss://seed.example.org/peer', label: 'seed 1' }],
    directories: ['https://directory.example.org/'],
    orchestrators: [],
    'join/policy': 'open',
    signature: { alg: 'ed25519', value: 'AA' },
  };
  change(artifact);
  return artifact;
}

/** A pnode-descriptor.v1 of our profile (no upstream example): schema-valid, not signed. */
function pnodeDescriptor(change: (artifact: Json) => void = () => undefined): Json {
  const artifact: Json = {
    'schema/v': 1,
    'descriptor/id': 'pdesc:01JTESTDESC0001',
    'node/id': vectors.test_signer.node_id,
    'sequence/no': 1_780_000_000_000,
    'issued-at': '2026-11-21T12:00:00Z',
    'expires-at': '2026-11-22T12:00:00Z',
    hardware: { 'schema/v': 1 },
    offer: { cores: 2, 'memory-mb': 4096 },
    'software/version': '0.1.0',
    'protocol/version': 'pnode/1',
    signature: { alg: 'ed25519', value: 'A'.repeat(86) },
  };
  change(artifact);
  return artifact;
}

/** A fingerprint (z…) of the test signer's key, for the trust artifacts' key fields. */
const TEST_KEY = vectors.test_signer.node_id.slice('node:did:key:'.length);

/** An operator-credential.v1 of our profile (issue 5 §5): schema-valid, not signed. */
function operatorCredential(change: (artifact: Json) => void = () => undefined): Json {
  const artifact: Json = {
    'schema/v': 1,
    'credential/id': 'cred:01JTESTCRED0001',
    'operator/id': `operator:did:key:${TEST_KEY}`,
    'operator/key': TEST_KEY,
    'node/id': vectors.test_signer.node_id,
    'issuer/key': TEST_KEY,
    'issued-at': '2026-11-21T12:00:00Z',
    'valid-from': '2026-11-21T12:00:00Z',
    'valid-until': '2026-12-21T12:00:00Z',
    signature: { alg: 'ed25519', value: 'A'.repeat(86) },
  };
  change(artifact);
  return artifact;
}

/** The operator attestation of a pnode-descriptor.v1 (issue 5 §5): schema-valid, not signed. */
function operatorAttestation(change: (artifact: Json) => void = () => undefined): Json {
  const artifact: Json = { credential: operatorCredential(), 'operator/key': TEST_KEY, signature: { alg: 'ed25519', value: 'A'.repeat(86) } };
  change(artifact);
  return artifact;
}

/** A revocation-list.v1 of our profile (issue 5 §5): schema-valid, not signed. */
function revocationList(change: (artifact: Json) => void = () => undefined): Json {
  const artifact: Json = {
    'schema/v': 1,
    'issuer/key': TEST_KEY,
    'sequence/no': 3,
    'issued-at': '2026-11-21T12:00:00Z',
    revoked: [{ 'credential/id': 'cred:01JTESTCRED0001', 'revoked-at': '2026-11-21T12:00:00Z', reason: 'rotated', 'valid-until': '2026-12-21T12:00:00Z' }],
    signature: { alg: 'ed25519', value: 'A'.repeat(86) },
  };
  change(artifact);
  return artifact;
}

/** A credit-receipt.v1 of our profile (issue 13 §5): schema-valid, not signed. */
function creditReceipt(change: (artifact: Json) => void = () => undefined): Json {
  const artifact: Json = {
    'schema/v': 1,
    'receipt/id': 'rcpt:01JTESTRECEIPT0001',
    'orchestrator/node-id': vectors.test_signer.node_id,
    'pnode/node-id': vectors.test_signer.node_id,
    'project/key': TEST_KEY,
    'project/name': 'Primes',
    'task/id': 'att:01JTESTTASK0001',
    'result/outcome': 'validated',
    'validated-at': '2026-11-21T12:00:00Z',
    'cpu/ms': 1_200,
    'credited/cpu-ms': 1_200,
    'bench/mops': 1_000,
    'credit/micro': 2_777,
    'sequence/epoch': 'seq:01JTESTEPOCH0001',
    'sequence/no': 1,
    signature: { alg: 'ed25519', value: 'A'.repeat(86) },
  };
  change(artifact);
  return artifact;
}

const INVALID: Record<SchemaName, InvalidCase[]> = {
  'node-identity.v1': [
    { label: 'missing key/storage-ref', artifact: variant('node-identity.v1', (a) => delete a['key/storage-ref']), detail: '$["key/storage-ref"]: is required' },
    {
      label: 'an inline secret instead of a storage reference',
      artifact: variant('node-identity.v1', (a) => {
        delete a['key/storage-ref'];
        a['key/secret'] = 'KSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSk';
      }),
      detail: '$["key/storage-ref"]: is required',
    },
    { label: 'a node/id that breaks the pattern', artifact: variant('node-identity.v1', (a) => (a['node/id'] = 'node:did:key:z0OIl')), detail: `$["node/id"]: ${NODE_ID_PATTERN}` },
    {
      label: 'a participant/id with the node prefix',
      artifact: variant('node-identity.v1', (a) => (a['participant/id'] = a['node/id'])),
      detail: '$["participant/id"]: must match pattern "^participant:did:key:z[1-9A-HJ-NP-Za-km-z]+$"',
    },
    { label: 'schema/v 2', artifact: variant('node-identity.v1', (a) => (a['schema/v'] = 2)), detail: '$["schema/v"]: must be 1' },
    { label: 'schema/v as a string', artifact: variant('node-identity.v1', (a) => (a['schema/v'] = '1')), detail: '$["schema/v"]: must be 1' },
    { label: 'identity/status revoked', artifact: variant('node-identity.v1', (a) => (a['identity/status'] = 'revoked')), detail: '$["identity/status"]: must be one of "active"' },
    { label: 'identity/status suspended', artifact: variant('node-identity.v1', (a) => (a['identity/status'] = 'suspended')), detail: '$["identity/status"]: must be one of "active"' },
    {
      label: 'a storage-ref with whitespace',
      artifact: variant('node-identity.v1', (a) => (a['key/storage-ref'] = 'local-file:identity/node signing key.json')),
      detail: '$["key/storage-ref"]: must match pattern "^(?:local-file|keychain):[^\\s]+$"',
    },
    { label: 'a storage-ref with an unknown scheme', artifact: variant('node-identity.v1', (a) => (a['key/storage-ref'] = 'env:PNODE_SECRET')), detail: '$["key/storage-ref"]: must match pattern' },
    { label: 'an empty local-file storage-ref', artifact: variant('node-identity.v1', (a) => (a['key/storage-ref'] = 'local-file:')), detail: '$["key/storage-ref"]: must match pattern' },
    { label: 'key/alg rsa', artifact: variant('node-identity.v1', (a) => (a['key/alg'] = 'rsa')), detail: '$["key/alg"]: must be one of "ed25519"' },
    { label: 'created-at that is not a date-time', artifact: variant('node-identity.v1', (a) => (a['created-at'] = '2026-03-23 18:05')), detail: '$["created-at"]: must match format "date-time"' },
    { label: 'key/public with a non-base58 character', artifact: variant('node-identity.v1', (a) => (a['key/public'] = 'z6Mk0')), detail: '$["key/public"]: must match pattern "^z[1-9A-HJ-NP-Za-km-z]+$"' },
  ],
  'node-advertisement.v1': [
    { label: 'missing signature', artifact: variant('node-advertisement.v1', (a) => delete a['signature']), detail: '$.signature: is required' },
    { label: 'missing expires-at', artifact: variant('node-advertisement.v1', (a) => delete a['expires-at']), detail: '$["expires-at"]: is required' },
    { label: 'no endpoints', artifact: variant('node-advertisement.v1', (a) => (a['endpoints'] = [])), detail: '$.endpoints: must NOT have fewer than 1 items' },
    { label: 'an endpoint without priority', artifact: variant('node-advertisement.v1', (a) => delete field(a, 'endpoints', 0)['endpoint/priority']), detail: '$.endpoints[0]["endpoint/priority"]: is required' },
    { label: 'an endpoint on tcp', artifact: variant('node-advertisement.v1', (a) => (field(a, 'endpoints', 0)['endpoint/transport'] = 'tcp')), detail: '$.endpoints[0]["endpoint/transport"]: must be one of "wss"' },
    { label: 'an endpoint role outside the enum', artifact: variant('node-advertisement.v1', (a) => (field(a, 'endpoints', 0)['endpoint/role'] = 'dialer')), detail: '$.endpoints[0]["endpoint/role"]: must be one of "listener", "relay"' },
    { label: 'a negative endpoint priority', artifact: variant('node-advertisement.v1', (a) => (field(a, 'endpoints', 0)['endpoint/priority'] = -1)), detail: '$.endpoints[0]["endpoint/priority"]: must be >= 0' },
    { label: 'an endpoint url that is not a URI', artifact: variant('node-advertisement.v1', (a) => (field(a, 'endpoints', 0)['endpoint/url'] = 'not a uri')), detail: '$.endpoints[0]["endpoint/url"]: must match format "uri"' },
    { label: 'a node/id that breaks the pattern', artifact: variant('node-advertisement.v1', (a) => (a['node/id'] = 'node:did:key:6MkhaXg')), detail: `$["node/id"]: ${NODE_ID_PATTERN}` },
    { label: 'a fractional sequence/no', artifact: variant('node-advertisement.v1', (a) => (a['sequence/no'] = 1.5)), detail: '$["sequence/no"]: must be integer' },
    { label: 'a negative sequence/no', artifact: variant('node-advertisement.v1', (a) => (a['sequence/no'] = -1)), detail: '$["sequence/no"]: must be >= 0' },
    { label: 'an unsafe sequence/no', artifact: variant('node-advertisement.v1', (a) => (a['sequence/no'] = 2 ** 53)), detail: '$["sequence/no"]: must be <= 9007199254740991' },
    { label: 'duplicate transports', artifact: variant('node-advertisement.v1', (a) => (a['transports/supported'] = ['wss', 'wss'])), detail: '$["transports/supported"]: must NOT have duplicate items' },
    { label: 'signature alg rsa', artifact: variant('node-advertisement.v1', (a) => (field(a, 'signature').alg = 'rsa')), detail: '$.signature.alg: must be one of "ed25519"' },
    { label: 'a signature without value', artifact: variant('node-advertisement.v1', (a) => delete field(a, 'signature').value), detail: '$.signature.value: is required' },
    { label: 'succession without a successor', artifact: variant('node-advertisement.v1', (a) => (a['succession'] = { 'proof/current': 'x' })), detail: '$.succession["successor/node-id"]: is required' },
    { label: 'schema/v 0', artifact: variant('node-advertisement.v1', (a) => (a['schema/v'] = 0)), detail: '$["schema/v"]: must be 1' },
    { label: 'an empty advertisement/id', artifact: variant('node-advertisement.v1', (a) => (a['advertisement/id'] = '')), detail: '$["advertisement/id"]: must NOT have fewer than 1 characters' },
  ],
  'peer-handshake.v1': [
    { label: 'an ack without ack/of-handshake-id', artifact: variant('peer-handshake.v1', (a) => delete a['ack/of-handshake-id'], 'bootstrap.ack.peer-handshake.json'), detail: '$["ack/of-handshake-id"]: is required' },
    { label: 'an empty ack/of-handshake-id', artifact: variant('peer-handshake.v1', (a) => (a['ack/of-handshake-id'] = ''), 'bootstrap.ack.peer-handshake.json'), detail: '$["ack/of-handshake-id"]: must NOT have fewer than 1 characters' },
    { label: 'probe/challenge without probe/purpose', artifact: variant('peer-handshake.v1', (a) => (a['probe/challenge'] = 'challenge:1'), 'bootstrap.hello.peer-handshake.json'), detail: '$["probe/purpose"]: is required' },
    { label: 'probe/purpose without probe/challenge', artifact: variant('peer-handshake.v1', (a) => (a['probe/purpose'] = 'seed-directory-address-verification'), 'bootstrap.hello.peer-handshake.json'), detail: '$["probe/challenge"]: is required' },
    {
      label: 'an unknown probe/purpose',
      artifact: variant('peer-handshake.v1', (a) => Object.assign(a, { 'probe/challenge': 'c', 'probe/purpose': 'ping' }), 'bootstrap.hello.peer-handshake.json'),
      detail: '$["probe/purpose"]: must be one of "seed-directory-address-verification"',
    },
    { label: 'a session/pub of 42 characters', artifact: variant('peer-handshake.v1', (a) => (a['session/pub'] = 'A'.repeat(42))), detail: '$["session/pub"]: must match pattern "^[A-Za-z0-9_-]{43}$"' },
    { label: 'a session/pub with padding', artifact: variant('peer-handshake.v1', (a) => (a['session/pub'] = `${'A'.repeat(42)}=`)), detail: '$["session/pub"]: must match pattern' },
    { label: 'an unknown handshake/mode', artifact: variant('peer-handshake.v1', (a) => (a['handshake/mode'] = 'syn')), detail: '$["handshake/mode"]: must be one of "hello", "ack"' },
    { label: 'a participant id as sender', artifact: variant('peer-handshake.v1', (a) => (a['sender/node-id'] = vectors.test_signer.derived_participant_id)), detail: `$["sender/node-id"]: ${NODE_ID_PATTERN}` },
    { label: 'an app/ capability', artifact: variant('peer-handshake.v1', (a) => (a['capabilities/offered'] = ['core/messaging', 'app/messaging.accept'])), detail: '$["capabilities/offered"][1]: must match pattern' },
    { label: 'duplicate offered capabilities', artifact: variant('peer-handshake.v1', (a) => (a['capabilities/offered'] = ['core/messaging', 'core/messaging'])), detail: '$["capabilities/offered"]: must NOT have duplicate items' },
    { label: 'a unix-time ts', artifact: variant('peer-handshake.v1', (a) => (a['ts'] = 1774289403)), detail: '$.ts: must be string' },
    { label: 'transport/profile tcp', artifact: variant('peer-handshake.v1', (a) => (a['transport/profile'] = 'tcp')), detail: '$["transport/profile"]: must be one of "wss"' },
    { label: 'an unknown session/intent', artifact: variant('peer-handshake.v1', (a) => (a['session/intent'] = 'gossip')), detail: '$["session/intent"]: must be one of "bootstrap", "peer-connect", "reconnect"' },
    { label: 'missing nonce', artifact: variant('peer-handshake.v1', (a) => delete a['nonce']), detail: '$.nonce: is required' },
  ],
  'capability-advertisement.v1': [
    {
      label: 'capabilities/core without core/messaging',
      artifact: variant('capability-advertisement.v1', (a) => (a['capabilities/core'] = ['core/discovery', 'core/keepalive'])),
      detail: '$["capabilities/core"]: must contain at least 1 valid item(s)',
    },
    {
      label: 'no presented capability with wire/name core/messaging',
      artifact: variant('capability-advertisement.v1', (a) => (a['capabilities/presented'] = field<unknown[]>(a, 'capabilities/presented').slice(1))),
      detail: '$["capabilities/presented"]: must contain at least 1 valid item(s)',
    },
    { label: 'a presentation without passport', artifact: variant('capability-advertisement.v1', (a) => delete field(a, 'capabilities/presented', 0)['passport']), detail: '$["capabilities/presented"][0].passport: is required' },
    {
      label: 'an unknown assertion/kind',
      artifact: variant('capability-advertisement.v1', (a) => (field(a, 'capabilities/presented', 1)['assertion/kind'] = 'hearsay')),
      detail: '$["capabilities/presented"][1]["assertion/kind"]: must be one of "self-issued-passport", "issuer-passport", "federation-endorsed-passport"',
    },
    {
      label: 'a profile lang that breaks the pattern',
      artifact: variant('capability-advertisement.v1', (a) => (field(a, 'capabilities/presented', 0, 'capability/profile')['lang'] = 'e')),
      detail: '$["capabilities/presented"][0]["capability/profile"].lang: must match pattern "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"',
    },
    {
      label: 'a schema/ref that is not an orbiplex blob',
      artifact: variant('capability-advertisement.v1', (a) => (field(a, 'capabilities/presented', 0, 'capability/profile')['schema/ref'] = 'https://example.org/schema.json')),
      detail: '$["capabilities/presented"][0]["capability/profile"]["schema/ref"]: must match pattern',
    },
    {
      label: 'an app/ wire name (the registry inconsistency of §10)',
      artifact: variant('capability-advertisement.v1', (a) => (field(a, 'capabilities/presented', 2)['wire/name'] = 'app/messaging.accept')),
      detail: '$["capabilities/presented"][2]["wire/name"]: must match pattern',
    },
    { label: 'an empty signature alg', artifact: variant('capability-advertisement.v1', (a) => (field(a, 'signature').alg = '')), detail: '$.signature.alg: must NOT have fewer than 1 characters' },
    { label: 'no supported messages', artifact: variant('capability-advertisement.v1', (a) => (a['messages/supported'] = [])), detail: '$["messages/supported"]: must NOT have fewer than 1 items' },
    { label: 'transport/profiles tcp', artifact: variant('capability-advertisement.v1', (a) => (a['transport/profiles'] = ['tcp'])), detail: '$["transport/profiles"][0]: must be one of "wss"' },
    { label: 'schema/v 2', artifact: variant('capability-advertisement.v1', (a) => (a['schema/v'] = 2)), detail: '$["schema/v"]: must be 1' },
    { label: 'missing published-at', artifact: variant('capability-advertisement.v1', (a) => delete a['published-at']), detail: '$["published-at"]: is required' },
    { label: 'a node/id that breaks the pattern', artifact: variant('capability-advertisement.v1', (a) => (a['node/id'] = 'participant:did:key:z6Mk')), detail: `$["node/id"]: ${NODE_ID_PATTERN}` },
  ],
  'signal-marker-envelope.v1': [
    {
      label: 'message/kind signal-marker.v1 (the upstream invalid example)',
      artifact: variant('signal-marker-envelope.v1', (a) => (a['message/kind'] = 'signal-marker.v1')),
      detail: '$["message/kind"]: must be "signal-marker-envelope.v1"',
    },
    { label: 'missing marker/ref', artifact: variant('signal-marker-envelope.v1', (a) => delete a['marker/ref']), detail: '$["marker/ref"]: is required' },
    {
      label: 'a node id as sender',
      artifact: variant('signal-marker-envelope.v1', (a) => (a['sender/participant-id'] = vectors.test_signer.node_id)),
      detail: '$["sender/participant-id"]: must match pattern "^participant:did:key:z[1-9A-HJ-NP-Za-km-z]+$"',
    },
    { label: 'signature alg ed448', artifact: variant('signal-marker-envelope.v1', (a) => (field(a, 'signature').alg = 'ed448')), detail: '$.signature.alg: must be one of "ed25519"' },
    { label: 'created-at without a time zone', artifact: variant('signal-marker-envelope.v1', (a) => (a['created-at'] = '2026-03-30T14:00:00')), detail: '$["created-at"]: must match format "date-time"' },
    { label: 'an empty protocol/version', artifact: variant('signal-marker-envelope.v1', (a) => (a['protocol/version'] = '')), detail: '$["protocol/version"]: must NOT have fewer than 1 characters' },
    { label: 'schema/v 2', artifact: variant('signal-marker-envelope.v1', (a) => (a['schema/v'] = 2)), detail: '$["schema/v"]: must be 1' },
  ],
  'signal-marker.v1': [
    { label: 'a non-raw marker without basis_ref', artifact: variant('signal-marker.v1', (a) => delete a['basis_ref']), detail: '$.basis_ref: is required' },
    { label: 'a non-raw marker without requested_by', artifact: variant('signal-marker.v1', (a) => delete a['requested_by']), detail: '$.requested_by: is required' },
    { label: 'a non-raw marker with no operations', artifact: variant('signal-marker.v1', (a) => (a['operations'] = [])), detail: '$.operations: must NOT have fewer than 1 items' },
    { label: 'a non-raw marker hidden from the user', artifact: variant('signal-marker.v1', (a) => (a['visible_to_user'] = false)), detail: '$.visible_to_user: must be true' },
    {
      label: 'a raw marker with operations',
      artifact: variant('signal-marker.v1', (a) => Object.assign(a, { mode: 'raw', operations: ['summarization'] })),
      detail: '$.operations: must NOT have more than 0 items',
    },
    { label: 'an unknown mode', artifact: variant('signal-marker.v1', (a) => (a['mode'] = 'hidden')), detail: '$.mode: must be one of "raw", "structured", "transformed", "redacted"' },
    { label: 'missing actor', artifact: variant('signal-marker.v1', (a) => delete a['actor']), detail: '$.actor: is required' },
    { label: 'an unknown operation', artifact: variant('signal-marker.v1', (a) => (a['operations'] = ['mind_reading'])), detail: '$.operations[0]: must be one of "structure_extraction"' },
    { label: 'duplicate operations', artifact: variant('signal-marker.v1', (a) => (a['operations'] = ['translation', 'translation'])), detail: '$.operations: must NOT have duplicate items' },
    {
      label: 'visible_to_user as a string on a raw marker',
      artifact: { 'schema/v': 1, marker_id: 'm:1', applies_to_ref: 'r:1', mode: 'raw', actor: 'human', visible_to_user: 'yes' },
      detail: '$.visible_to_user: must be boolean',
    },
  ],
  'network-descriptor.v1': [
    { label: 'missing owner/node-id', artifact: networkDescriptor((a) => delete a['owner/node-id']), detail: '$["owner/node-id"]: is required' },
    { label: 'missing seeds', artifact: networkDescriptor((a) => delete a['seeds']), detail: '$.seeds: is required' },
    { label: 'a network/id without the net: prefix', artifact: networkDescriptor((a) => (a['network/id'] = 'example-lab')), detail: '$["network/id"]: must match pattern "^net:[a-z0-9]+(?:-[a-z0-9]+)*$"' },
    { label: 'a network/id with capitals', artifact: networkDescriptor((a) => (a['network/id'] = 'net:Example')), detail: '$["network/id"]: must match pattern' },
    { label: 'a seed node/id that breaks the pattern', artifact: networkDescriptor((a) => (field(a, 'seeds', 0)['node/id'] = 'participant:did:key:z6Mk')), detail: `$.seeds[0]["node/id"]: ${NODE_ID_PATTERN}` },
    { label: 'a seed url that is not a URI', artifact: networkDescriptor((a) => (field(a, 'seeds', 0)['endpoint/url'] = 'seed one')), detail: '$.seeds[0]["endpoint/url"]: must match format "uri"' },
    { label: 'a seed with a misspelt field', artifact: networkDescriptor((a) => (field(a, 'seeds', 0)['endpoint/uri'] = 'wss://x/peer')), detail: '$.seeds[0]["endpoint/uri"]: is not allowed' },
    { label: 'join/policy invite', artifact: networkDescriptor((a) => (a['join/policy'] = 'invite')), detail: '$["join/policy"]: must be one of "open", "psk"' },
    { label: 'schema/v 2', artifact: networkDescriptor((a) => (a['schema/v'] = 2)), detail: '$["schema/v"]: must be 1' },
    { label: 'a registration-authority/key with a role prefix', artifact: networkDescriptor((a) => (a['registration-authority/key'] = vectors.test_signer.node_id)), detail: '$["registration-authority/key"]: must match pattern "^z[1-9A-HJ-NP-Za-km-z]+$"' },
    { label: 'duplicate directories', artifact: networkDescriptor((a) => (a['directories'] = ['https://d.example.org/', 'https://d.example.org/'])), detail: '$.directories: must NOT have duplicate items' },
    { label: 'expires-at that is not a date-time', artifact: networkDescriptor((a) => (a['expires-at'] = 'next year')), detail: '$["expires-at"]: must match format "date-time"' },
  ],
  'pnode-descriptor.v1': [
    { label: 'missing offer', artifact: pnodeDescriptor((a) => delete a['offer']), detail: '$.offer: is required' },
    { label: 'a fractional offer of cores', artifact: pnodeDescriptor((a) => (field(a, 'offer')['cores'] = 1.5)), detail: '$.offer.cores: must be integer' },
    { label: 'a negative memory offer', artifact: pnodeDescriptor((a) => (field(a, 'offer')['memory-mb'] = -1)), detail: '$.offer["memory-mb"]: must be >= 0' },
    { label: 'an offer with an unknown field', artifact: pnodeDescriptor((a) => (field(a, 'offer')['gpus'] = 1)), detail: '$.offer.gpus: is not allowed' },
    { label: 'a participant id as node/id', artifact: pnodeDescriptor((a) => (a['node/id'] = vectors.test_signer.derived_participant_id)), detail: `$["node/id"]: ${NODE_ID_PATTERN}` },
    { label: 'hardware as a string', artifact: pnodeDescriptor((a) => (a['hardware'] = 'x86')), detail: '$.hardware: must be object' },
    { label: 'an unknown top-level field', artifact: pnodeDescriptor((a) => (a['trusted'] = true)), detail: '$.trusted: is not allowed' },
    { label: 'a signature value of the wrong length', artifact: pnodeDescriptor((a) => (field(a, 'signature')['value'] = 'AA')), detail: '$.signature.value: must match pattern "^[A-Za-z0-9_-]{86}$"' },
    { label: 'an operator attestation that is not an object', artifact: pnodeDescriptor((a) => (a['operator'] = 'op:1')), detail: '$.operator: must be object' },
  ],
  'operator-credential.v1': [
    { label: 'missing node/id', artifact: operatorCredential((a) => delete a['node/id']), detail: '$["node/id"]: is required' },
    { label: 'a node id as operator/id', artifact: operatorCredential((a) => (a['operator/id'] = vectors.test_signer.node_id)), detail: '$["operator/id"]: must match pattern "^operator:did:key:z[1-9A-HJ-NP-Za-km-z]+$"' },
    { label: 'an issuer/key with a role prefix', artifact: operatorCredential((a) => (a['issuer/key'] = vectors.test_signer.node_id)), detail: '$["issuer/key"]: must match pattern "^z[1-9A-HJ-NP-Za-km-z]+$"' },
    { label: 'valid-until that is not a date-time', artifact: operatorCredential((a) => (a['valid-until'] = 'next month')), detail: '$["valid-until"]: must match format "date-time"' },
    { label: 'an unknown field', artifact: operatorCredential((a) => (a['trust/level'] = 'high')), detail: '$["trust/level"]: is not allowed' },
    { label: 'a credential/id without the cred: prefix', artifact: operatorCredential((a) => (a['credential/id'] = '01JTESTCRED0001')), detail: '$["credential/id"]: must match pattern "^cred:[A-Za-z0-9]+$"' },
  ],
  'operator-attestation.v1': [
    { label: 'missing credential', artifact: operatorAttestation((a) => delete a['credential']), detail: '$.credential: is required' },
    { label: 'a credential as a string', artifact: operatorAttestation((a) => (a['credential'] = 'cred:01J')), detail: '$.credential: must be object' },
    { label: 'missing operator/key', artifact: operatorAttestation((a) => delete a['operator/key']), detail: '$["operator/key"]: is required' },
    { label: 'a signature value of the wrong length', artifact: operatorAttestation((a) => (field(a, 'signature')['value'] = 'AA')), detail: '$.signature.value: must match pattern "^[A-Za-z0-9_-]{86}$"' },
    { label: 'an unknown field', artifact: operatorAttestation((a) => (a['trusted'] = true)), detail: '$.trusted: is not allowed' },
  ],
  'revocation-list.v1': [
    { label: 'missing revoked', artifact: revocationList((a) => delete a['revoked']), detail: '$.revoked: is required' },
    { label: 'a negative sequence/no', artifact: revocationList((a) => (a['sequence/no'] = -1)), detail: '$["sequence/no"]: must be >= 0' },
    { label: 'an entry without a reason', artifact: revocationList((a) => delete field(a, 'revoked', 0)['reason']), detail: '$.revoked[0].reason: is required' },
    { label: 'an entry with a bad credential/id', artifact: revocationList((a) => (field(a, 'revoked', 0)['credential/id'] = 'tok:x')), detail: '$.revoked[0]["credential/id"]: must match pattern "^cred:[A-Za-z0-9]+$"' },
    { label: 'schema/v 2', artifact: revocationList((a) => (a['schema/v'] = 2)), detail: '$["schema/v"]: must be 1' },
  ],
  'credit-receipt.v1': [
    { label: 'missing sequence/no', artifact: creditReceipt((a) => delete a['sequence/no']), detail: '$["sequence/no"]: is required' },
    { label: 'a sequence/no of 0', artifact: creditReceipt((a) => (a['sequence/no'] = 0)), detail: '$["sequence/no"]: must be >= 1' },
    { label: 'fractional credit', artifact: creditReceipt((a) => (a['credit/micro'] = 1.5)), detail: '$["credit/micro"]: must be integer' },
    { label: 'an unknown outcome', artifact: creditReceipt((a) => (a['result/outcome'] = 'accepted')), detail: '$["result/outcome"]: must be one of "validated", "invalid", "late", "unverified"' },
    { label: 'a task/id with a space', artifact: creditReceipt((a) => (a['task/id'] = 'a b')), detail: '$["task/id"]: must match pattern' },
    { label: 'an extra field', artifact: creditReceipt((a) => (a['bonus'] = 1)), detail: '$.bonus: is not allowed' },
    { label: 'a benchmark above the cap', artifact: creditReceipt((a) => (a['bench/mops'] = 16_001)), detail: '$["bench/mops"]: must be <= 16000' },
  ],
};

describe('schema gate: valid examples', () => {
  it('has an upstream valid example for each of the six spec artifacts', () => {
    const upstream: SchemaName[] = ['node-identity.v1', 'node-advertisement.v1', 'peer-handshake.v1', 'capability-advertisement.v1', 'signal-marker-envelope.v1', 'signal-marker.v1'];
    const covered = new Set(vectors.valid_examples.map(schemaNameOf));
    for (const name of upstream) expect(covered.has(name), name).toBe(true);
  });

  for (const ex of vectors.valid_examples) {
    it(`${ex.file} passes ${schemaNameOf(ex)}`, () => {
      const name = schemaNameOf(ex);
      expect(isSchemaName(name)).toBe(true);
      const result = checkSchema(name as SchemaName, ex.content);
      expect(result.ok ? 'ok' : result.error.detail).toBe('ok');
    });
  }

  it('passes every vector fixture', () => {
    for (const vector of vectors.vectors) {
      const name = vector.artifact.split(' ')[0] as SchemaName;
      expect(checkSchema(name, vector.fixture).ok).toBe(true);
    }
  });

  it('accepts the keychain storage-ref form of our profile', () => {
    const identity = variant('node-identity.v1', (a) => (a['key/storage-ref'] = `keychain:pnode/${String(a['node/id'])}`));
    expect(checkSchema('node-identity.v1', identity).ok).toBe(true);
  });

  it('accepts extra fields (the schemas are open) and a raw marker without operations', () => {
    expect(checkSchema('node-advertisement.v1', variant('node-advertisement.v1', (a) => (a['x-extra'] = { any: 'thing' }))).ok).toBe(true);
    const raw = { 'schema/v': 1, marker_id: 'm:1', applies_to_ref: 'r:1', mode: 'raw', actor: 'human', visible_to_user: false };
    expect(checkSchema('signal-marker.v1', raw).ok).toBe(true);
    expect(checkSchema('signal-marker.v1', { ...raw, operations: [] }).ok).toBe(true);
  });

  it('accepts a hello with both probe fields', () => {
    const hello = variant(
      'peer-handshake.v1',
      (a) => Object.assign(a, { 'probe/challenge': 'challenge:1', 'probe/purpose': 'seed-directory-address-verification' }),
      'bootstrap.hello.peer-handshake.json',
    );
    expect(checkSchema('peer-handshake.v1', hello).ok).toBe(true);
  });
});

describe('schema gate: invalid artifacts are E_PROTO_INVALID with the failing JSON path', () => {
  it('has at least three invalid cases for every schema in SCHEMAS', () => {
    expect(Object.keys(INVALID).sort()).toEqual([...SCHEMA_NAMES].sort());
    for (const name of Object.keys(SCHEMAS) as SchemaName[]) expect(INVALID[name].length, name).toBeGreaterThanOrEqual(3);
  });

  for (const name of SCHEMA_NAMES) {
    for (const { label, artifact, detail } of INVALID[name]) {
      it(`${name}: rejects ${label}`, () => {
        const result = checkSchema(name, artifact);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.error).toBeInstanceOf(ProtocolError);
        expect(result.error.code).toBe('E_PROTO_INVALID');
        expect(result.error.errorClass).toBe('protocol/invalid-contract');
        expect(result.error.detail).toContain(`${name} ${detail}`);
      });
    }
  }

  for (const name of SCHEMA_NAMES) {
    it(`${name}: rejects a value that is not an object`, () => {
      for (const value of [null, [], 'artifact', 42, undefined]) {
        const result = checkSchema(name, value);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.detail).toBe(`${name} $: must be object`);
      }
    });
  }

  it('throws the same error from assertSchema', () => {
    expect(() => assertSchema('signal-marker.v1', {})).toThrow(ProtocolError);
    try {
      assertSchema('signal-marker-envelope.v1', INVALID['signal-marker-envelope.v1'][0]!.artifact);
    } catch (error) {
      expect((error as ProtocolError).code).toBe('E_PROTO_INVALID');
      expect((error as ProtocolError).detail).toContain('$["message/kind"]');
    }
  });
});

describe('schema gate: JSON pointers become readable paths', () => {
  const cases: Array<[string, string]> = [
    ['', '$'],
    ['/signature', '$.signature'],
    ['/endpoints/0/endpoint~1url', '$.endpoints[0]["endpoint/url"]'],
    ['/a~0b', '$["a~b"]'],
    ['/capabilities~1presented/12/passport', '$["capabilities/presented"][12].passport'],
    ['/01', '$["01"]'],
    ['/with space', '$["with space"]'],
  ];
  for (const [pointer, path] of cases) {
    it(`${JSON.stringify(pointer)} → ${path}`, () => expect(jsonPointerToPath(pointer)).toBe(path));
  }
});

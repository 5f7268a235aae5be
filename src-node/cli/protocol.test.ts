// `pnode protocol …` and `pnode id`, run in-process through the same dispatcher the binary uses,
// plus one spawn of the built binary.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_REJECTED, EXIT_USAGE } from './run.js';
import { rootCommand } from './commands/index.js';
import { runCli, type CliRun } from '../../tests/support/cli.js';
import { cloneJson, schemaNameOf, vectors } from '../../tests/fixtures/vectors.js';

function pnode(argv: readonly string[], stdin = ''): Promise<CliRun> {
  return runCli(rootCommand, argv, { stdin });
}

const json = (value: unknown) => JSON.stringify(value);
const SEED_HEX = vectors.test_signer.secret_key_hex;
const vector = vectors.vectors[0]!;
const VECTOR_SCHEMA = vector.artifact.split(' ')[0]!;

function example(schema: string): Record<string, unknown> {
  const found = vectors.valid_examples.find((e) => schemaNameOf(e) === schema);
  if (!found) throw new Error(`no example for ${schema}`);
  return cloneJson(found.content);
}

/** The seed-wss example advertisement re-issued for the test signer (unsigned). */
function ownAdvertisement(): Record<string, unknown> {
  const advertisement = example('node-advertisement.v1');
  delete advertisement['signature'];
  advertisement['node/id'] = vectors.test_signer.node_id;
  advertisement['key/public'] = vectors.test_signer.key_public;
  return advertisement;
}

/** A usage failure: exit 2, nothing on stdout, exactly one line on stderr and no stack trace. */
function expectUsageError(outcome: CliRun, mentions: string | RegExp): void {
  expect(outcome.code).toBe(EXIT_USAGE);
  expect(outcome.stdout).toBe('');
  expect(outcome.stderr.endsWith('\n')).toBe(true);
  expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
  expect(outcome.stderr).not.toMatch(/Error:/);
  if (typeof mentions === 'string') expect(outcome.stderr).toContain(mentions);
  else expect(outcome.stderr).toMatch(mentions);
}

/** A checked-and-rejected artifact: exit 1 and one stdout line that starts with the code. */
function expectRejected(outcome: CliRun, code: string, mentions?: string): void {
  expect(outcome.code).toBe(EXIT_REJECTED);
  expect(outcome.stdout.endsWith('\n')).toBe(true);
  const lines = outcome.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith(`${code} `)).toBe(true);
  if (mentions !== undefined) expect(lines[0]).toContain(mentions);
}

describe('pnode protocol signing-input', () => {
  it('prints the vector signing input as lowercase hex', async () => {
    const outcome = await pnode(['protocol', 'signing-input', VECTOR_SCHEMA], json(vector.fixture));
    expect(outcome).toEqual({ code: EXIT_OK, stdout: `${vector.expected_signing_input_hex}\n`, stderr: '' });
  });

  it('ignores the order of the input keys', async () => {
    const reversed = Object.fromEntries(Object.entries(vector.fixture).reverse());
    const outcome = await pnode(['protocol', 'signing-input', VECTOR_SCHEMA], json(reversed));
    expect(outcome.stdout).toBe(`${vector.expected_signing_input_hex}\n`);
  });

  it('rejects a float in the signed map with E_PROTO_INVALID, exit 1, one line', async () => {
    const outcome = await pnode(['protocol', 'signing-input', VECTOR_SCHEMA], json({ ...vector.fixture, weight: 0.5 }));
    expect(outcome.code).toBe(EXIT_REJECTED);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toBe('E_PROTO_INVALID a float (floats are not allowed in deterministic payloads) at $.weight\n');
  });
});

describe('pnode protocol sign', () => {
  it('reproduces the vector signature', async () => {
    const unsigned = cloneJson(vector.fixture);
    delete unsigned['signature'];
    const outcome = await pnode(['protocol', 'sign', VECTOR_SCHEMA, '--secret-key-hex', SEED_HEX], json(unsigned));
    expect(outcome.code).toBe(EXIT_OK);
    expect(outcome.stderr).toBe('');
    const signed = JSON.parse(outcome.stdout) as Record<string, unknown>;
    expect(signed['signature']).toEqual({ alg: 'ed25519', value: vector.expected_signature_base64url });
    expect({ ...signed, signature: undefined }).toEqual({ ...unsigned, signature: undefined });
  });

  it('replaces an existing signature, and accepts --secret-key-hex=… and uppercase hex', async () => {
    const stale = { ...vector.fixture, signature: { alg: 'ed25519', value: 'stale' } };
    const outcome = await pnode(['protocol', 'sign', VECTOR_SCHEMA, `--secret-key-hex=${SEED_HEX.toUpperCase()}`], json(stale));
    expect(outcome.code).toBe(EXIT_OK);
    expect((JSON.parse(outcome.stdout) as { signature: { value: string } }).signature.value).toBe(vector.expected_signature_base64url);
  });

  it('warns on stderr when the key is not the one the artifact names, and still signs', async () => {
    const outcome = await pnode(['protocol', 'sign', VECTOR_SCHEMA, '--secret-key-hex', '42'.repeat(32)], json(vector.fixture));
    expect(outcome.code).toBe(EXIT_OK);
    expect(outcome.stderr).toMatch(/^warning: this key is not the one node:did:key:z6MkwJFp\S+ names/);
    expect(JSON.parse(outcome.stdout)).toHaveProperty('signature.alg', 'ed25519');
  });

  it('warns when the artifact names no resolvable signer', async () => {
    const outcome = await pnode(['protocol', 'sign', 'signal-marker-envelope.v1', '--secret-key-hex', SEED_HEX], json({ 'message/id': 'm' }));
    expect(outcome.code).toBe(EXIT_OK);
    expect(outcome.stderr).toBe('warning: the artifact names no resolvable signer; the signature will not verify\n');
  });
});

describe('pnode protocol verify', () => {
  it('prints ok for the vector', async () => {
    expect(await pnode(['protocol', 'verify', VECTOR_SCHEMA], json(vector.fixture))).toEqual({ code: EXIT_OK, stdout: 'ok\n', stderr: '' });
  });

  it('rejects a tampered artifact: exit 1, the code first on the stdout line', async () => {
    const outcome = await pnode(['protocol', 'verify', VECTOR_SCHEMA], json({ ...vector.fixture, nonce: 'nonce:tampered' }));
    expectRejected(outcome, 'E_SIG_INVALID', 'does not verify');
    expect(outcome.stderr).toBe('');
  });

  it('rejects a schema violation with E_PROTO_INVALID and the path', async () => {
    const outcome = await pnode(['protocol', 'verify', VECTOR_SCHEMA], json({ ...vector.fixture, 'session/pub': 'short' }));
    expectRejected(outcome, 'E_PROTO_INVALID', '$["session/pub"]');
  });

  it('signs with `sign` and checks expiry with --check-expiry and --now', async () => {
    const signed = await pnode(['protocol', 'sign', 'node-advertisement.v1', '--secret-key-hex', SEED_HEX], json(ownAdvertisement()));
    expect(signed.code).toBe(EXIT_OK);
    const advertisement = signed.stdout;
    expect((await pnode(['protocol', 'verify', 'node-advertisement.v1'], advertisement)).stdout).toBe('ok\n');
    const live = await pnode(['protocol', 'verify', 'node-advertisement.v1', '--check-expiry', '--now', '2026-03-23T18:10:00Z'], advertisement);
    expect(live).toEqual({ code: EXIT_OK, stdout: 'ok\n', stderr: '' });
    const expired = await pnode(['protocol', 'verify', 'node-advertisement.v1', '--check-expiry', '--now=2026-03-23T18:18:00Z'], advertisement);
    expectRejected(expired, 'E_ADV_EXPIRED', 'expired at 2026-03-23T18:18:00Z');
    const unchecked = await pnode(['protocol', 'verify', 'node-advertisement.v1', '--now', '2030-01-01T00:00:00Z'], advertisement);
    expect(unchecked.stdout).toBe('ok\n');
    const byClock = await pnode(['protocol', 'verify', 'node-advertisement.v1', '--check-expiry'], advertisement);
    expectRejected(byClock, 'E_ADV_EXPIRED');
  });

  it('rejects a bad --now as usage', async () => {
    expectUsageError(await pnode(['protocol', 'verify', 'node-advertisement.v1', '--check-expiry', '--now', 'yesterday'], json(vector.fixture)), '--now needs an RFC 3339 time');
  });

  it('rejects an advertisement whose key/public names another key with E_SIG_UNKNOWN_SIGNER', async () => {
    const signed = await pnode(['protocol', 'sign', 'node-advertisement.v1', '--secret-key-hex', SEED_HEX], json({ ...ownAdvertisement(), 'key/public': 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' }));
    expectRejected(await pnode(['protocol', 'verify', 'node-advertisement.v1'], signed.stdout), 'E_SIG_UNKNOWN_SIGNER');
  });
});

describe('pnode protocol validate and schema', () => {
  it('accepts every valid example', async () => {
    for (const ex of vectors.valid_examples) {
      expect(await pnode(['protocol', 'validate', schemaNameOf(ex)], json(ex.content))).toEqual({ code: EXIT_OK, stdout: 'ok\n', stderr: '' });
    }
  });

  it('rejects an invalid artifact with E_PROTO_INVALID and the failing path', async () => {
    const identity = { ...example('node-identity.v1'), 'identity/status': 'revoked' };
    expectRejected(await pnode(['protocol', 'validate', 'node-identity.v1'], json(identity)), 'E_PROTO_INVALID', '$["identity/status"]: must be one of "active"');
    const marker = { ...example('signal-marker.v1'), mode: 'raw' };
    expectRejected(await pnode(['protocol', 'validate', 'signal-marker.v1'], json(marker)), 'E_PROTO_INVALID', '$.operations');
  });

  it('prints a schema as JSON', async () => {
    const outcome = await pnode(['protocol', 'schema', 'node-identity.v1']);
    expect(outcome.code).toBe(EXIT_OK);
    expect((JSON.parse(outcome.stdout) as { $id: string }).$id).toBe('urn:orbiplex:schema:node-identity.v1');
  });
});

describe('pnode id', () => {
  it('prints the vector values', async () => {
    const outcome = await pnode(['id', '--secret-key-hex', SEED_HEX]);
    expect(outcome.code).toBe(EXIT_OK);
    expect(outcome.stdout).toBe(
      [
        `node/id: ${vectors.test_signer.node_id}`,
        `participant/id: ${vectors.test_signer.derived_participant_id}`,
        `key/public: ${vectors.test_signer.key_public}`,
        `ed25519/public-hex: ${vectors.test_signer.derived_ed25519_public_key_hex}`,
        `x25519/public-hex: ${vectors.test_signer.derived_x25519_static_public_key_hex}`,
        '',
      ].join('\n'),
    );
  });

  it('prints one JSON object with --json', async () => {
    const outcome = await pnode(['id', '--json', '--secret-key-hex', SEED_HEX]);
    expect(JSON.parse(outcome.stdout)).toEqual({
      'node/id': vectors.test_signer.node_id,
      'participant/id': vectors.test_signer.derived_participant_id,
      'key/public': vectors.test_signer.key_public,
      'ed25519/public-hex': vectors.test_signer.derived_ed25519_public_key_hex,
      'x25519/public-hex': vectors.test_signer.derived_x25519_static_public_key_hex,
    });
  });
});

describe('bad usage: exit 2, one line, no stack trace', () => {
  const cases: Array<[label: string, argv: string[], stdin: string, mentions: string | RegExp]> = [
    ['empty stdin', ['protocol', 'verify', VECTOR_SCHEMA], '', 'no input'],
    ['whitespace-only stdin', ['protocol', 'validate', VECTOR_SCHEMA], ' \n\t', 'no input'],
    ['stdin that is not JSON', ['protocol', 'verify', VECTOR_SCHEMA], '{"schema/v": 1,', 'input is not JSON'],
    ['a JSON array where an object is expected', ['protocol', 'signing-input', VECTOR_SCHEMA], '[1,2]', 'input must be one JSON object'],
    ['an unknown schema', ['protocol', 'verify', 'node-advertisement.v2'], json(vector.fixture), 'unknown schema "node-advertisement.v2"'],
    ['signing-input of an unsigned schema', ['protocol', 'signing-input', 'signal-marker.v1'], json(example('signal-marker.v1')), 'signal-marker.v1 is not a signed artifact'],
    ['sign with an unsigned schema', ['protocol', 'sign', 'node-identity.v1', '--secret-key-hex', SEED_HEX], json(example('node-identity.v1')), 'node-identity.v1 is not a signed artifact'],
    ['bad hex in the key', ['id', '--secret-key-hex', 'zz'.repeat(32)], '', '--secret-key-hex must be 64 hex digits'],
    ['a key of 63 hex digits', ['protocol', 'sign', VECTOR_SCHEMA, '--secret-key-hex', SEED_HEX.slice(1)], json(vector.fixture), '--secret-key-hex must be 64 hex digits'],
    ['an unknown option', ['protocol', 'verify', VECTOR_SCHEMA, '--frobnicate'], json(vector.fixture), 'unknown option --frobnicate'],
    ['an unknown short option', ['id', '-x'], '', 'unknown option -x'],
    ['a missing required option', ['protocol', 'sign', VECTOR_SCHEMA], json(vector.fixture), '--secret-key-hex is required'],
    ['an option without its value', ['id', '--secret-key-hex'], '', '--secret-key-hex needs a value'],
    ['a value on a flag', ['protocol', 'verify', VECTOR_SCHEMA, '--check-expiry=yes'], json(vector.fixture), '--check-expiry takes no value'],
    ['an option given twice', ['id', '--secret-key-hex', SEED_HEX, '--secret-key-hex', SEED_HEX], '', '--secret-key-hex given twice'],
    ['a missing schema argument', ['protocol', 'verify'], json(vector.fixture), 'missing <schema>'],
    ['an extra argument', ['protocol', 'verify', VECTOR_SCHEMA, 'extra'], json(vector.fixture), 'unexpected argument "extra"'],
    ['an unknown command', ['protocol', 'frob'], '', 'unknown command "frob"'],
  ];
  for (const [label, argv, stdin, mentions] of cases) {
    it(label, async () => expectUsageError(await pnode(argv, stdin), mentions));
  }

  it('names the command path in the message', async () => {
    expect((await pnode(['protocol', 'verify', 'nope'], '{}')).stderr).toMatch(/^pnode protocol verify: unknown schema/);
  });
});

describe('help and version', () => {
  it('prints help for --help (exit 0) and for a bare command group (exit 2)', async () => {
    const help = await pnode(['--help']);
    expect(help.code).toBe(EXIT_OK);
    expect(help.stdout).toMatch(/^Usage: pnode <command>/);
    expect(help.stdout).toContain('protocol');
    const bare = await pnode(['protocol']);
    expect(bare.code).toBe(EXIT_USAGE);
    expect(bare.stdout).toContain('signing-input');
    const sub = await pnode(['protocol', 'verify', '--help']);
    expect(sub.code).toBe(EXIT_OK);
    expect(sub.stdout).toContain('--check-expiry');
  });

  it('prints the version', async () => {
    expect((await pnode(['--version'])).stdout).toMatch(/^pnode \d+\.\d+\.\d+\n$/);
  });
});

describe('the built binary', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const built = existsSync(`${root}dist/pnode.js`);

  it.skipIf(!built)('node bin/pnode.js --help exits 0 (needs `npm run build`; skipped when dist/pnode.js is missing)', () => {
    const result = spawnSync(process.execPath, ['bin/pnode.js', '--help'], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: pnode <command>/);
    expect(result.stderr).toBe('');
  });
});

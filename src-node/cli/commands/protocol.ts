import type { CommandSpec } from '../args.js';
import { UsageError } from '../args.js';
import { EXIT_OK, EXIT_REJECTED } from '../run.js';
import { parseJsonInput, schemaArgument, secretKeyArgument, signedSchemaArgument, timestampArgument } from '../input.js';
import { SCHEMAS } from '../../../src-shared/protocol/schemas/registry.js';
import { checkSchema } from '../../../src-shared/protocol/schema-gate.js';
import { verifyArtifact } from '../../../src-shared/protocol/verify.js';
import { signArtifact, signingInput } from '../../../src-shared/protocol/signing.js';
import { SIGNED_ARTIFACTS, type JsonObject, publicKeyOfId } from '../../../src-shared/protocol/artifacts.js';
import { toHex } from '../../../src-shared/protocol/encoding/hex.js';
import { bytesEqual } from '../../../src-shared/protocol/encoding/bytes.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import type { ProtocolError } from '../../../src-shared/protocol/errors.js';

const SCHEMA_POSITIONAL = { name: 'schema', description: 'artifact schema, e.g. node-advertisement.v1', required: true } as const;

function asObject(value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('input must be one JSON object');
  return value as JsonObject;
}

function rejection(error: ProtocolError): string {
  return `${error.code} ${error.detail.replace(/\s*\n\s*/g, ' ')}\n`;
}

const signingInputCommand: CommandSpec = {
  name: 'signing-input',
  summary: 'Print the signing input of the artifact on stdin, as lowercase hex',
  positionals: [SCHEMA_POSITIONAL],
  async run({ args, readStdin, stdout }) {
    const schema = signedSchemaArgument(args.positionals[0]);
    const artifact = asObject(parseJsonInput(await readStdin()));
    stdout(`${toHex(signingInput(schema, artifact))}\n`);
    return EXIT_OK;
  },
};

const signCommand: CommandSpec = {
  name: 'sign',
  summary: 'Sign the artifact on stdin and print it with "signature" set',
  positionals: [SCHEMA_POSITIONAL],
  options: [{ name: 'secret-key-hex', type: 'string', valueName: 'hex', description: '32-byte Ed25519 seed as 64 hex digits', required: true }],
  async run({ args, readStdin, stdout, stderr }) {
    const schema = signedSchemaArgument(args.positionals[0]);
    const seed = secretKeyArgument(args.options['secret-key-hex']);
    const artifact = asObject(parseJsonInput(await readStdin()));
    const signer = nativeCrypto.ed25519Signer(seed);
    try {
      const claimed = SIGNED_ARTIFACTS[schema].signer(artifact).id;
      if (!bytesEqual(publicKeyOfId(claimed), signer.publicKey)) stderr(`warning: this key is not the one ${claimed} names; the signature will not verify\n`);
    } catch {
      stderr('warning: the artifact names no resolvable signer; the signature will not verify\n');
    }
    stdout(`${JSON.stringify(signArtifact(schema, artifact, signer), null, 2)}\n`);
    return EXIT_OK;
  },
};

const verifyCommand: CommandSpec = {
  name: 'verify',
  summary: 'Schema gate, id/key binding and signature of the artifact on stdin (expiry with --check-expiry)',
  positionals: [SCHEMA_POSITIONAL],
  options: [
    { name: 'check-expiry', type: 'boolean', description: 'Also reject an artifact whose expiry has passed (E_ADV_EXPIRED)' },
    { name: 'now', type: 'string', valueName: 'rfc3339', description: 'The time to check expiry against (default: the clock)' },
  ],
  async run({ args, readStdin, stdout }) {
    const schema = schemaArgument(args.positionals[0]);
    const now = args.options['now'] === undefined ? undefined : timestampArgument(args.options['now'], 'now');
    const artifact = parseJsonInput(await readStdin());
    const result = verifyArtifact(schema, artifact, {
      crypto: nativeCrypto,
      checkExpiry: args.options['check-expiry'] === true,
      ...(now !== undefined ? { now } : {}),
    });
    if (!result.ok) {
      stdout(rejection(result.error));
      return EXIT_REJECTED;
    }
    stdout('ok\n');
    return EXIT_OK;
  },
};

const validateCommand: CommandSpec = {
  name: 'validate',
  summary: 'Run only the schema gate on the artifact on stdin',
  positionals: [SCHEMA_POSITIONAL],
  async run({ args, readStdin, stdout }) {
    const schema = schemaArgument(args.positionals[0]);
    const result = checkSchema(schema, parseJsonInput(await readStdin()));
    if (!result.ok) {
      stdout(rejection(result.error));
      return EXIT_REJECTED;
    }
    stdout('ok\n');
    return EXIT_OK;
  },
};

const schemaCommand: CommandSpec = {
  name: 'schema',
  summary: 'Print the JSON Schema of an artifact',
  positionals: [SCHEMA_POSITIONAL],
  async run({ args, stdout }) {
    stdout(`${JSON.stringify(SCHEMAS[schemaArgument(args.positionals[0])], null, 2)}\n`);
    return EXIT_OK;
  },
};

export const protocolCommand: CommandSpec = {
  name: 'protocol',
  summary: 'Sign, verify and inspect protocol artifacts (reads one JSON artifact on stdin)',
  description:
    'Sign, verify and inspect protocol artifacts. Each command reads one JSON artifact on stdin.\n' +
    'Exit status: 0 ok; 1 rejected (the line starts with the E_… code); 2 bad usage or unreadable input.',
  subcommands: [signingInputCommand, signCommand, verifyCommand, validateCommand, schemaCommand],
};

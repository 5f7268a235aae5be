import type { CommandSpec } from '../args.js';
import { EXIT_OK } from '../run.js';
import { secretKeyArgument } from '../input.js';
import { nodeIdFromPublicKey, participantIdFromPublicKey, fingerprintFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { toHex } from '../../../src-shared/protocol/encoding/hex.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';

export const idCommand: CommandSpec = {
  name: 'id',
  summary: 'Derive node-id, participant-id, key/public and the X25519 public key from a secret key',
  options: [
    { name: 'secret-key-hex', type: 'string', valueName: 'hex', description: '32-byte Ed25519 seed as 64 hex digits', required: true },
    { name: 'json', type: 'boolean', description: 'Print one JSON object' },
  ],
  async run({ args, stdout }) {
    const seed = secretKeyArgument(args.options['secret-key-hex']);
    const publicKey = nativeCrypto.ed25519Signer(seed).publicKey;
    const fields = {
      'node/id': nodeIdFromPublicKey(publicKey),
      'participant/id': participantIdFromPublicKey(publicKey),
      'key/public': fingerprintFromPublicKey(publicKey),
      'ed25519/public-hex': toHex(publicKey),
      'x25519/public-hex': toHex(nativeCrypto.ed25519PublicToX25519(publicKey)),
    };
    if (args.options['json'] === true) stdout(`${JSON.stringify(fields, null, 2)}\n`);
    else for (const [key, value] of Object.entries(fields)) stdout(`${key}: ${value}\n`);
    return EXIT_OK;
  },
};

import { describe, expect, it } from 'vitest';
import { nativeCrypto } from '../crypto/native-provider.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { ManualClock } from '../util/clock.js';
import {
  BACKUP_KIND,
  BACKUP_SCRYPT_N,
  BACKUP_SCRYPT_P,
  BACKUP_SCRYPT_R,
  type IdentityBackup,
  exportIdentity,
  importIdentity,
  parseBackup,
  sealBackup,
} from './backup.js';
import { IdentityError } from './identity-error.js';
import { identityFromSeed } from './node-identity.js';

const seed = new Uint8Array(32).fill(0x29);
const nodeId = 'node:did:key:z6MkwJFpvJVFe15ygGgYLTYuiPwfhkkDRkMG4eKQFT8g65yE';
const record = identityFromSeed(seed, nativeCrypto, { createdAt: '2026-03-01T10:00:00Z' }).record;
const passphrase = 'correct horse battery staple';
const clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));

const backupText = await exportIdentity({ record, seed, passphrase, crypto: nativeCrypto, clock });
const backup = JSON.parse(backupText) as IdentityBackup;

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected a refusal');
  return error;
}

function mutate(change: (b: Record<string, unknown>) => void): string {
  const copy = JSON.parse(backupText) as Record<string, unknown>;
  change(copy);
  return JSON.stringify(copy);
}

describe('exportIdentity', () => {
  it('writes the node-id and the parameters in clear, and the seed only encrypted', () => {
    expect(backup['schema/v']).toBe(1);
    expect(backup.kind).toBe(BACKUP_KIND);
    expect(backup['node/id']).toBe(nodeId);
    expect(backup['created-at']).toBe('2026-03-01T10:00:00Z');
    expect(backup['exported-at']).toBe('2026-11-21T12:00:00Z');
    expect(backup.kdf).toMatchObject({ alg: 'scrypt', n: BACKUP_SCRYPT_N, r: BACKUP_SCRYPT_R, p: BACKUP_SCRYPT_P });
    expect(BACKUP_SCRYPT_N).toBeGreaterThanOrEqual(2 ** 15);
    expect(Buffer.from(backup.kdf.salt, 'base64url')).toHaveLength(16);
    expect(backup.cipher).toMatchObject({ alg: 'chacha20-poly1305' });
    expect(Buffer.from(backup.ciphertext, 'base64url')).toHaveLength(48);
    for (const encoding of ['hex', 'base64url', 'base64'] as const) expect(backupText).not.toContain(Buffer.from(seed).toString(encoding));
  });

  it('uses a fresh salt and nonce every time', async () => {
    const again = JSON.parse(await exportIdentity({ record, seed, passphrase, crypto: nativeCrypto, clock })) as IdentityBackup;
    expect(again.kdf.salt).not.toBe(backup.kdf.salt);
    expect(again.cipher.nonce).not.toBe(backup.cipher.nonce);
  });

  it('refuses a seed that is not the key of the record, and a short passphrase', async () => {
    const error = await refusal(exportIdentity({ record, seed: new Uint8Array(32).fill(1), passphrase, crypto: nativeCrypto }));
    expect((error as IdentityError).code).toBe('identity-mismatch');
    await expect(exportIdentity({ record, seed, passphrase: 'short', crypto: nativeCrypto })).rejects.toThrow(/at least 8 characters/);
  });
});

describe('importIdentity', () => {
  it('gives back the seed, node-id and created-at with the right passphrase', async () => {
    const imported = await importIdentity(backupText, passphrase, { crypto: nativeCrypto });
    expect(imported).toEqual({ nodeId, createdAt: '2026-03-01T10:00:00Z', seed });
  });

  it('treats the passphrase as Unicode text, whatever its composition', async () => {
    const composed = 'pass\u00e9phrase';
    const text = await exportIdentity({ record, seed, passphrase: composed, crypto: nativeCrypto });
    expect((await importIdentity(text, 'passe\u0301phrase', { crypto: nativeCrypto })).nodeId).toBe(nodeId);
  });

  it('refuses a wrong passphrase', async () => {
    const error = await refusal(importIdentity(backupText, 'wrong horse battery staple', { crypto: nativeCrypto }));
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as IdentityError).code).toBe('backup-wrong-passphrase');
    expect(error.message).toBe('wrong passphrase or corrupted backup');
  });

  it.each([
    ['the ciphertext', (b: Record<string, unknown>) => {
      const bytes = Buffer.from(b['ciphertext'] as string, 'base64url');
      bytes[0]! ^= 1;
      b['ciphertext'] = bytes.toString('base64url');
    }],
    ['the stated created-at', (b: Record<string, unknown>) => (b['created-at'] = '2020-01-01T00:00:00Z')],
    ['the stated node-id', (b: Record<string, unknown>) => (b['node/id'] = 'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK')],
    ['the salt', (b: Record<string, unknown>) => ((b['kdf'] as Record<string, unknown>)['salt'] = Buffer.alloc(16, 7).toString('base64url'))],
  ])('refuses a backup whose %s was changed, like a wrong passphrase', async (_what, change) => {
    const error = await refusal(importIdentity(mutate(change), passphrase, { crypto: nativeCrypto }));
    expect((error as IdentityError).code).toBe('backup-wrong-passphrase');
  });

  it('refuses a backup whose key is not the node-id it states', async () => {
    const forged = await sealBackup({ nodeId, createdAt: '2026-03-01T10:00:00Z', seed: new Uint8Array(32).fill(3), passphrase, crypto: nativeCrypto });
    const error = await refusal(importIdentity(forged, passphrase, { crypto: nativeCrypto }));
    expect((error as IdentityError).code).toBe('backup-mismatch');
    expect(error.message).toContain(nodeId);
  });

  it.each([
    ['not JSON', 'not json', 'is not JSON'],
    ['too large', ' '.repeat(70_000), 'larger than'],
    ['an unknown kind', mutate((b) => (b['kind'] = 'other')), '$.kind'],
    ['a missing field', mutate((b) => delete b['ciphertext']), 'ciphertext'],
    ['an extra field', mutate((b) => (b['seed'] = 'x')), 'is not allowed'],
    ['a bad node-id', mutate((b) => (b['node/id'] = 'node:did:key:zNotAKey')), 'node/id'],
    ['a short nonce', mutate((b) => ((b['cipher'] as Record<string, unknown>)['nonce'] = 'AAAA')), '$.cipher.nonce'],
    ['another cipher', mutate((b) => ((b['cipher'] as Record<string, unknown>)['alg'] = 'aes-256-gcm')), '$.cipher.alg'],
    ['a weak scrypt N', mutate((b) => ((b['kdf'] as Record<string, unknown>)['n'] = 1024)), '$.kdf.n'],
    ['an absurd scrypt N', mutate((b) => ((b['kdf'] as Record<string, unknown>)['n'] = 2 ** 30)), '$.kdf.n'],
    ['an N that is not a power of two', mutate((b) => ((b['kdf'] as Record<string, unknown>)['n'] = 40_000)), '$.kdf.n'],
    ['a huge r', mutate((b) => ((b['kdf'] as Record<string, unknown>)['r'] = 1_000_000)), '$.kdf.r'],
    ['N and r that need too much memory', mutate((b) => Object.assign(b['kdf'] as object, { n: 2 ** 20, r: 8 })), 'MiB'],
    ['a huge p', mutate((b) => ((b['kdf'] as Record<string, unknown>)['p'] = 64)), '$.kdf.p'],
    ['a bad exported-at', mutate((b) => (b['exported-at'] = 'yesterday')), 'exported-at'],
  ])('refuses %s with E_PROTO_INVALID before any key derivation', async (_what, text, fragment) => {
    const error = await refusal(importIdentity(text, passphrase, { crypto: nativeCrypto }));
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('E_PROTO_INVALID');
    expect((error as ProtocolError).detail).toContain(fragment);
    // The format check alone refuses it, before any key derivation.
    expect(() => parseBackup(text)).toThrow(ProtocolError);
  });
});

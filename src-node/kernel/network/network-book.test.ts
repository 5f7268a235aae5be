import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAY_MS, type NetworkDescriptorInput, buildNetworkDescriptor } from '../../../src-shared/network/network-descriptor.js';
import { nodeIdFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { nativeCrypto } from '../crypto/native-provider.js';
import { ManualClock } from '../util/clock.js';
import { MAX_KNOWN_NETWORKS, NETWORKS_DIR, NETWORK_BOOK_FILE, NetworkBook, networkFolderName } from './network-book.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';

const crypto = nativeCrypto;
const owner = crypto.ed25519Signer(new Uint8Array(32).fill(0x21));
const other = crypto.ed25519Signer(new Uint8Array(32).fill(0x22));
const T0 = Date.parse('2026-12-01T00:00:00Z');
const CA = `-----BEGIN CERTIFICATE-----\n${'QUJD'.repeat(16)}\n-----END CERTIFICATE-----\n`;
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function descriptor(change: Partial<NetworkDescriptorInput> = {}, signer = owner) {
  const built = buildNetworkDescriptor(
    {
      id: 'net:lab',
      name: 'Lab',
      orchestrators: [{ nodeId: nodeIdFromPublicKey(other.publicKey), url: 'wss://o.example.org/peer' }],
      joinPolicy: 'open',
      createdAt: T0,
      validForMs: 30 * DAY_MS,
      ...change,
    },
    signer,
    crypto,
  );
  if (!built.ok) throw built.error;
  return built.value;
}

async function open(dir?: string) {
  let path = dir;
  if (!path) {
    const temp = makeTempDir();
    cleanups.push(temp.cleanup);
    path = temp.path;
  }
  const clock = new ManualClock(T0 + DAY_MS);
  const warnings: string[] = [];
  const book = await NetworkBook.open(path, { crypto, clock, warn: (line) => warnings.push(line) });
  return { book, dir: path, clock, warnings };
}

describe('the network book', () => {
  it('remembers a network, its trust roots as a PEM file and a private network’s key (0600), across restarts', async () => {
    const { book, dir } = await open();
    const psk = crypto.randomBytes(32);
    const lab = descriptor({ trustRoots: [{ pem: CA, label: 'lab CA' }], joinPolicy: 'psk' });
    await book.remember(lab, { source: 'invite', psk });
    await book.setCurrent('net:lab');
    const folder = join(dir, NETWORKS_DIR, networkFolderName('net:lab'));
    expect(readFileSync(join(folder, 'trust-roots.pem'), 'utf8')).toBe(CA);
    expect(statSync(join(folder, 'psk')).mode & 0o077).toBe(0);
    expect(book.trustRootFiles('net:lab')).toEqual([join(folder, 'trust-roots.pem')]);

    const { book: again } = await open(dir);
    expect(again.current()?.descriptor).toEqual(lab);
    expect(await again.psk('net:lab')).toEqual(psk);
    expect(again.current()?.entry.lastJoinedAt).toBe(T0 + DAY_MS);
  });

  it('keeps the newest descriptor of a network and refuses another owner for a known id (E_SIG_UNKNOWN_SIGNER), writing nothing', async () => {
    const { book, dir } = await open();
    await book.remember(descriptor(), { source: 'invite' });
    await book.remember(descriptor({ name: 'Older', createdAt: T0 - DAY_MS }), { source: 'invite' });
    expect(book.get('net:lab')?.descriptor['network/name']).toBe('Lab');
    expect(await book.renew(descriptor({ name: 'Newer', createdAt: T0 + 1_000 }))).toBe(true);
    expect(book.get('net:lab')?.descriptor['network/name']).toBe('Newer');
    const before = readFileSync(join(dir, NETWORKS_DIR, NETWORK_BOOK_FILE), 'utf8');
    const takeover = descriptor({ name: 'Mine now', createdAt: T0 + 2_000 }, other);
    expect(book.admit(takeover)).toMatchObject({ ok: false, error: { code: 'E_SIG_UNKNOWN_SIGNER' } });
    await expect(book.remember(takeover, { source: 'invite' })).rejects.toMatchObject({ code: 'E_SIG_UNKNOWN_SIGNER' });
    expect(await book.renew(takeover)).toBe(false);
    expect(readFileSync(join(dir, NETWORKS_DIR, NETWORK_BOOK_FILE), 'utf8')).toBe(before);
  });

  it('drops a stored descriptor that no longer verifies, and sets a damaged book aside', async () => {
    const { book, dir } = await open();
    await book.remember(descriptor(), { source: 'invite' });
    await book.setCurrent('net:lab');
    const file = join(dir, NETWORKS_DIR, networkFolderName('net:lab'), 'descriptor.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"Lab"', '"Evil"'));
    const reopened = await open(dir);
    expect(reopened.book.current()).toBeNull();
    expect(reopened.warnings.join('\n')).toMatch(/E_SIG_INVALID/);

    writeFileSync(join(dir, NETWORKS_DIR, NETWORK_BOOK_FILE), '{ not json');
    const damaged = await open(dir);
    expect(damaged.book.list()).toEqual([]);
    expect(damaged.warnings.join('\n')).toMatch(/set aside/);
  });

  it('never forgets the current network, and remembers at most MAX_KNOWN_NETWORKS (the least recently joined go first)', async () => {
    const { book, clock } = await open();
    await book.remember(descriptor(), { source: 'invite' });
    await book.setCurrent('net:lab');
    await expect(book.forget('net:lab')).rejects.toMatchObject({ code: 'E_PROTO_INVALID' });
    for (let i = 0; i < MAX_KNOWN_NETWORKS + 3; i++) {
      clock.advance(1_000);
      await book.remember(descriptor({ id: `net:n${i}` }), { source: 'invite' });
    }
    expect(book.list()).toHaveLength(MAX_KNOWN_NETWORKS);
    expect(book.get('net:lab')).not.toBeNull();
    expect(await book.forget('net:n40')).toBe(false);
  });
});

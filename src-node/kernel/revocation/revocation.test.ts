// Revocation lists held and moved by a node (issue 15 §5): the book (only newer lists, only
// authorities followed, bounded, on disk) and the sync over real sessions on 127.0.0.1 (asked on
// every session, answered with what is newer, pushed to the peers that asked, a forged list held
// against its sender, a list too large for a session told as a notice).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeCrypto } from '../crypto/native-provider.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { keyOf, randomSigner, rawSession, type RawSession } from '../../../tests/support/trust.js';
import { startTestNode, type TestNode } from '../../../tests/support/nodes.js';
import { testIdentity } from '../../../tests/support/identities.js';
import { buildRevocationList, type RevocationList } from '../../../src-shared/trust/revocation-list.js';
import type { Ed25519Signer } from '../../../src-shared/protocol/crypto/provider.js';
import { MAX_REVOCATION_AUTHORITIES, REVOCATIONS_DIR, RevocationBook } from './revocation-book.js';
import { MAX_SESSION_REVOCATION_LIST_CHARS, REVOCATION_MESSAGES_BURST, RevocationSync } from './revocation-sync.js';

const authority = randomSigner();
const KEY = keyOf(authority);
const REVOKED = { 'credential/id': 'cred:01A', 'revoked-at': '2026-11-21T12:00:00Z', reason: 'stolen', 'valid-until': '2099-11-21T12:00:00Z' };

function list(sequence: number, signer: Ed25519Signer = authority, revoked = [REVOKED]): RevocationList {
  return buildRevocationList({ sequence, now: Date.now(), revoked }, signer);
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function book(dataDir = makeTempDir('pnode-revocations-').path, warnings: string[] = []): RevocationBook {
  return new RevocationBook({ dataDir, crypto: nativeCrypto, warn: (line) => warnings.push(line) });
}

describe('the revocation book', () => {
  it('takes only a newer list of an authority it follows, and answers who revoked what', () => {
    const held = book();
    const follows = (key: string) => key === KEY;
    expect(held.offer(list(2), follows)).toMatchObject({ ok: true });
    expect(held.revoked('cred:01A', KEY)).toEqual({ reason: 'stolen', revokedAt: REVOKED['revoked-at'] });
    expect(held.revoked('cred:01A', keyOf(randomSigner()))).toBeUndefined();
    expect(held.offer(list(2), follows)).toMatchObject({ ok: false, error: { code: 'E_ADV_STALE_SEQ' } });
    expect(held.offer(list(1, authority, []), follows)).toMatchObject({ ok: false, error: { code: 'E_ADV_STALE_SEQ' } });
    expect(held.revoked('cred:01A', KEY)).toBeDefined();
    const other = randomSigner();
    expect(held.offer(list(5, other), follows)).toMatchObject({ ok: false, error: { code: 'E_SIG_UNKNOWN_SIGNER' } });
    expect(held.offer({ ...list(3), revoked: [] }, follows)).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
    expect(held.offer({ ...list(3, other), 'issuer/key': KEY }, follows)).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
    expect(held.offer('nonsense', follows)).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    expect(held.sequence(KEY)).toBe(2);
  });

  it(`holds lists of at most MAX_REVOCATION_AUTHORITIES (${MAX_REVOCATION_AUTHORITIES}) authorities`, () => {
    const held = book();
    for (let i = 0; i < MAX_REVOCATION_AUTHORITIES; i++) expect(held.offer(list(1, randomSigner()), () => true).ok).toBe(true);
    expect(held.offer(list(1, randomSigner()), () => true)).toMatchObject({ ok: false, error: { code: 'E_TRANSPORT_UNAVAILABLE' } });
    expect(held.keys()).toHaveLength(MAX_REVOCATION_AUTHORITIES);
  });

  it('keeps its lists on disk, and leaves out a stored one that no longer verifies', async () => {
    const dataDir = makeTempDir('pnode-revocations-').path;
    const first = book(dataDir);
    expect(first.offer(list(3), () => true).ok).toBe(true);
    await first.flush();
    const again = book(dataDir);
    expect(await again.load()).toEqual({ loaded: 1, refused: 0 });
    expect(again.sequence(KEY)).toBe(3);
    const other = randomSigner();
    mkdirSync(join(dataDir, REVOCATIONS_DIR), { recursive: true });
    writeFileSync(join(dataDir, REVOCATIONS_DIR, `${keyOf(other)}.json`), JSON.stringify({ ...list(1, other), revoked: [] }));
    const warnings: string[] = [];
    const third = book(dataDir, warnings);
    expect(await third.load()).toEqual({ loaded: 1, refused: 1 });
    expect(third.get(keyOf(other))).toBeUndefined();
    expect(warnings.join('\n')).toContain('is not used');
  });
});

describe('the revocation sync over sessions', () => {
  async function node(keys: readonly string[] = [KEY]): Promise<{ runtime: TestNode; sync: RevocationSync }> {
    let sync: RevocationSync | undefined;
    const runtime = await startTestNode({ modules: (r) => [(sync = new RevocationSync(r.components, { keys: () => keys, directories: () => [] }))] });
    cleanups.push(() => runtime.cleanup());
    return { runtime, sync: sync! };
  }

  async function peer(runtime: TestNode, byte: number): Promise<RawSession> {
    const raw = await rawSession(testIdentity(byte), runtime.listenUrls()[0]!);
    cleanups.push(() => raw.connection.terminate());
    return raw;
  }

  const bodies = (raw: RawSession) => raw.messages.filter((m) => m.kind === 'revocation-list').map((m) => m.body as Record<string, unknown>);

  it('asks every new session about each authority it follows, answers what is newer, and pushes news to those who asked', async () => {
    const { runtime, sync } = await node();
    expect(sync.publish(list(2)).ok).toBe(true);
    const raw = await peer(runtime, 0x61);
    // It asks us (we are a session too).
    await expect.poll(() => bodies(raw).find((b) => b['req/id'] !== undefined)).toMatchObject({ 'issuer/key': KEY, 'sequence/no': 2 });
    raw.connection.send('revocation-list', { 'req/id': 'rl:a', 'issuer/key': KEY, 'sequence/no': -1 });
    expect((await raw.answer('rl:a')).body['list']).toMatchObject({ 'issuer/key': KEY, 'sequence/no': 2, revoked: [REVOKED] });
    raw.connection.send('revocation-list', { 'req/id': 'rl:b', 'issuer/key': KEY, 'sequence/no': 2 });
    expect((await raw.answer('rl:b')).body).toEqual({ 're/id': 'rl:b' });
    // A newer list: pushed to the session that asked.
    sync.publish(list(3));
    await expect.poll(() => bodies(raw).some((b) => b['re/id'] === undefined && b['req/id'] === undefined && (b['list'] as RevocationList | undefined)?.['sequence/no'] === 3)).toBe(true);
    expect(sync.stats()).toMatchObject({ requestsAnswered: 2, pushesSent: 1 });
  });

  it('takes a newer list a peer answers; holds a forged one against its sender; ignores an answer to nothing it asked', async () => {
    const { runtime, sync } = await node();
    const raw = await peer(runtime, 0x62);
    await expect.poll(() => bodies(raw).find((b) => b['req/id'] !== undefined)).toBeDefined();
    const asked = bodies(raw).find((b) => b['req/id'] !== undefined)!['req/id'] as string;
    raw.connection.send('revocation-list', { 're/id': 'rl:never-asked', list: list(9) as never });
    raw.connection.send('revocation-list', { 're/id': asked, list: list(4) as never });
    await expect.poll(() => sync.latest(KEY)?.['sequence/no']).toBe(4);
    expect(sync.revoked('cred:01A', KEY)?.reason).toBe('stolen');
    raw.connection.send('revocation-list', { list: { ...list(5), revoked: [] } as never });
    await expect.poll(() => runtime.peers.get(testIdentity(0x62).nodeId)?.protocolViolations).toBe(1);
    expect(sync.latest(KEY)?.['sequence/no']).toBe(4);
    // A list of an authority it does not follow is no fault, and not kept.
    raw.connection.send('revocation-list', { list: list(1, randomSigner()) as never });
    await new Promise((r) => setTimeout(r, 200));
    expect(runtime.peers.get(testIdentity(0x62).nodeId)?.protocolViolations).toBe(1);
    expect(sync.book.keys()).toEqual([KEY]);
  });

  it(`answers at most REVOCATION_MESSAGES_BURST (${REVOCATION_MESSAGES_BURST}) messages of a peer at once`, async () => {
    const { runtime, sync } = await node();
    const raw = await peer(runtime, 0x63);
    for (let i = 0; i < REVOCATION_MESSAGES_BURST + 5; i++) raw.connection.send('revocation-list', { 'req/id': `rl:${i}`, 'issuer/key': KEY, 'sequence/no': -1 });
    await expect.poll(() => sync.stats().requestsAnswered + sync.stats().throttled).toBe(REVOCATION_MESSAGES_BURST + 5);
    expect(sync.stats().requestsAnswered).toBe(REVOCATION_MESSAGES_BURST);
  });

  it('tells a list too large for a session as a notice (the asker fetches it from a directory)', async () => {
    const { runtime, sync } = await node();
    const many = Array.from({ length: 600 }, (_, i) => ({ ...REVOKED, 'credential/id': `cred:${String(i).padStart(20, '0')}`, reason: 'r'.repeat(80) }));
    const big = list(7, authority, many);
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_SESSION_REVOCATION_LIST_CHARS);
    sync.publish(big);
    const raw = await peer(runtime, 0x64);
    raw.connection.send('revocation-list', { 'req/id': 'rl:big', 'issuer/key': KEY, 'sequence/no': 1 });
    expect((await raw.answer('rl:big')).body).toEqual({ 're/id': 'rl:big', 'issuer/key': KEY, 'sequence/no': 7 });
  });
});

// The registration authority's state on disk: single-use marks survive a restart, the lock keeps
// one writer, and what nobody can use any more is pruned.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { ManualClock } from '../../kernel/util/clock.js';
import { testIdentity } from '../../../tests/support/identities.js';
import { enrollBody, randomSigner, renewBody } from '../../../tests/support/trust.js';
import { openAuthority } from './open-authority.js';
import { AUTHORITY_RETENTION_MS } from './authority.js';
import { AuthorityBusyError, AuthorityStateError, acquireAuthorityLock, authorityStatePath, readAuthorityState, revocationListPath } from './authority-store.js';
import { FullDisk } from '../../../tests/support/full-disk.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pnode-authority-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (clock: ManualClock, credentialValidityMs?: number) =>
  openAuthority({ dataDir: dir, crypto: nativeCrypto, clock, warn: () => undefined, create: { kind: 'file' }, ...(credentialValidityMs !== undefined ? { credentialValidityMs } : {}) });

describe('the registration authority on disk', () => {
  it('keeps a used token used across a restart: the same token never enrolls twice', async () => {
    const clock = new ManualClock(Date.now());
    const first = await open(clock);
    const { token } = await first.authority.issueToken();
    const node = testIdentity(0x21);
    const operator = randomSigner();
    expect((await first.authority.enroll(node.nodeId, enrollBody(node, operator, token))).ok).toBe(true);
    await first.close();
    const second = await open(clock);
    const again = await second.authority.enroll(node.nodeId, enrollBody(node, randomSigner(), token));
    expect(again.ok ? 'ok' : again.error.code).toBe('E_HS_REPLAY');
    expect(second.authority.credentialViews()).toHaveLength(1);
    await second.close();
  });

  it('lets one process write at a time, and takes over a lock whose process is gone', async () => {
    const clock = new ManualClock(Date.now());
    const held = await open(clock);
    await expect(acquireAuthorityLock(dir, 100)).rejects.toBeInstanceOf(AuthorityBusyError);
    await held.close();
    const lock = await acquireAuthorityLock(dir, 100);
    await lock.release();
    await writeFile(join(dir, 'authority', 'authority.lock'), JSON.stringify({ pid: 2 ** 22 + 12_345, since: 'long ago' }));
    const taken = await acquireAuthorityLock(dir, 100);
    expect(JSON.parse(await readFile(join(dir, 'authority', 'authority.lock'), 'utf8')).pid).toBe(process.pid);
    await taken.release();
  });

  it('refuses a state file that is not one, rather than starting over on it', async () => {
    const clock = new ManualClock(Date.now());
    await (await open(clock)).close();
    await writeFile(authorityStatePath(dir), '{"tokens": "lots"}');
    await expect(readAuthorityState(dir)).rejects.toBeInstanceOf(AuthorityStateError);
    await expect(open(clock)).rejects.toBeInstanceOf(AuthorityStateError);
  });

  it('prunes tokens and credentials past their retention, and revocations of ended credentials', async () => {
    const clock = new ManualClock(Date.now());
    const opened = await open(clock, 60_000);
    const authority = opened.authority;
    const { token } = await authority.issueToken({ validForMs: 60_000 });
    const node = testIdentity(0x22);
    const operator = randomSigner();
    const enrolled = await authority.enroll(node.nodeId, enrollBody(node, operator, token));
    expect(enrolled.ok).toBe(true);
    const id = enrolled.ok ? enrolled.value['credential/id'] : '';
    expect(await authority.revoke(id, 'test')).toBe(true);
    expect(authority.revocationList().revoked).toHaveLength(1);
    // The credential ended: its revocation leaves the list at the next change.
    clock.advance(61_000);
    await authority.issueToken();
    expect(authority.revocationList().revoked).toHaveLength(0);
    expect(authority.isRevoked(id)).toBeUndefined();
    // After the retention, the used token and the ended credential go too.
    clock.advance(AUTHORITY_RETENTION_MS);
    await authority.issueToken();
    expect(authority.credentialViews()).toHaveLength(0);
    // The used token went; the one issued a minute later has expired but is still within its retention.
    expect(authority.tokenViews().map((t) => t.status)).toEqual(['expired', 'unused']);
    await opened.close();
    const stored = await readAuthorityState(dir);
    expect(stored.credentials).toHaveLength(0);
    expect(stored.tokens).toHaveLength(2);
  });

  it('renews with a fresh window for the same operator and node', async () => {
    const clock = new ManualClock(Date.now());
    const opened = await open(clock, 3_600_000);
    const { token } = await opened.authority.issueToken();
    const node = testIdentity(0x23);
    const operator = randomSigner();
    const enrolled = await opened.authority.enroll(node.nodeId, enrollBody(node, operator, token));
    if (!enrolled.ok) throw enrolled.error;
    clock.advance(60_000);
    const renewed = await opened.authority.renew(node.nodeId, renewBody(node, operator, enrolled.value['credential/id'], { ts: clock.now() }));
    if (!renewed.ok) throw renewed.error;
    expect(renewed.value['operator/id']).toBe(enrolled.value['operator/id']);
    expect(renewed.value['credential/id']).not.toBe(enrolled.value['credential/id']);
    expect(Date.parse(renewed.value['valid-until']) - Date.parse(enrolled.value['valid-until'])).toBe(60_000);
    await opened.close();
  });

  it('undoes a change it could not store (a full disk): the answer, memory and disk agree, across a restart', async () => {
    const clock = new ManualClock(Date.now());
    const disk = new FullDisk();
    const opened = await openAuthority({ dataDir: dir, crypto: nativeCrypto, clock, warn: () => undefined, create: { kind: 'file' }, write: disk.write });
    const authority = opened.authority;
    const { token } = await authority.issueToken();
    const node = testIdentity(0x24);
    const operator = randomSigner();
    disk.fill();

    // Enrollment: refused, and the token is not burned, no credential exists.
    const refused = await authority.enroll(node.nodeId, enrollBody(node, operator, token));
    expect(refused.ok ? 'ok' : refused.error.code).toBe('E_TRANSPORT_UNAVAILABLE');
    expect(authority.tokenViews().map((t) => t.status)).toEqual(['unused']);
    expect(authority.credentialViews()).toEqual([]);
    // A new token: refused, and not there.
    await expect(authority.issueToken()).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(authority.tokenViews()).toHaveLength(1);

    // Room again: the same token enrolls (it was never used), once.
    disk.free();
    const enrolled = await authority.enroll(node.nodeId, enrollBody(node, operator, token));
    if (!enrolled.ok) throw enrolled.error;
    const id = enrolled.value['credential/id'];
    const listBefore = await readFile(revocationListPath(dir), 'utf8');

    // A revocation that cannot be stored did not happen: not in memory, not in the list, not on disk.
    disk.fill();
    await expect(authority.revoke(id, 'lost laptop')).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(authority.isRevoked(id)).toBeUndefined();
    expect(authority.revocationList().revoked).toEqual([]);
    expect(await readFile(revocationListPath(dir), 'utf8')).toBe(listBefore);
    disk.free();
    await opened.close();

    const again = await open(clock);
    expect(again.authority.tokenViews().map((t) => t.status)).toEqual(['used']);
    expect(again.authority.credentialViews().map((c) => c['credential/id'])).toEqual([id]);
    expect(again.authority.isRevoked(id)).toBeUndefined();
    await again.close();
  });
});

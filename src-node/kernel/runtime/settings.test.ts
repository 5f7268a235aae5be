import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, MAX_SETTINGS_ALLOWLIST, MAX_SETTINGS_TEXT_CHARS, SETTINGS_FILE, SettingsStore, decodeSettings } from './settings.js';
import { FullDisk } from '../../../tests/support/full-disk.js';
import { FSIZE_BLOCK_BYTES, canLimitFileSize, spawnWithFileSizeLimit } from '../../../tests/support/file-size-limit.js';
import { quotaChild, type QuotaLine } from '../../../tests/support/quota-child-bundle.js';
import { childGone } from '../process/child-gone.js';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pnode-settings-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const NODE_ID = 'node:did:key:z6MkpjwK5F44NYhtLGnCN3uCiCKSQ1KALRKan5AcGuC4mSGU';

describe('decodeSettings', () => {
  it('reads anything that is not an object as the defaults', () => {
    for (const raw of [null, 7, 'x', [], undefined]) expect(decodeSettings(raw)).toEqual(DEFAULT_SETTINGS);
  });

  it('keeps each field that fits and falls back to the default for each that does not', () => {
    const settings = decodeSettings({ joined: true, contributionEnabled: 'yes', snoozedUntil: Number.NaN, limits: { cpuPercent: 500 }, directories: ['https://d.example', 3], allowlistMode: true });
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, joined: true, directories: ['https://d.example'], allowlistMode: true });
  });

  it('drops text too long to be a node-id, URL or label, and keeps the rest', () => {
    const long = 'x'.repeat(MAX_SETTINGS_TEXT_CHARS + 1);
    const settings = decodeSettings({
      allowlist: [long, NODE_ID],
      directories: [long],
      seeds: [{ nodeId: NODE_ID, url: long }, { nodeId: NODE_ID, url: 'wss://seed.example/peer', label: long }],
    });
    expect(settings.allowlist).toEqual([NODE_ID]);
    expect(settings.directories).toEqual([]);
    expect(settings.seeds).toEqual([{ nodeId: NODE_ID, url: 'wss://seed.example/peer' }]);
  });

  it('keeps at most the allowed number of entries', () => {
    expect(decodeSettings({ allowlist: Array.from({ length: MAX_SETTINGS_ALLOWLIST + 5 }, () => NODE_ID) }).allowlist).toHaveLength(MAX_SETTINGS_ALLOWLIST);
  });
});

describe('SettingsStore', () => {
  it('starts from the given defaults, and a change survives a restart', async () => {
    const dir = dataDir();
    const store = new SettingsStore(dir);
    expect((await store.load({ joined: true })).joined).toBe(true);
    await store.update((s) => ({ ...s, contributionEnabled: false }));
    expect(await new SettingsStore(dir).load()).toMatchObject({ joined: true, contributionEnabled: false });
  });

  it('sets a corrupt file aside, says so, and uses the defaults', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, SETTINGS_FILE), '{"joined": tru');
    const reported: string[] = [];
    expect(await new SettingsStore(dir).load({}, (_error, aside) => reported.push(aside))).toEqual(DEFAULT_SETTINGS);
    expect(reported).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => f.startsWith(`${SETTINGS_FILE}.corrupt-`))).toHaveLength(1);
  });
});

describe('SettingsStore on a full disk', () => {
  it('applies nothing of a change it could not write: the answer, memory and disk agree, across a restart', async () => {
    const dir = dataDir();
    const disk = new FullDisk();
    const store = new SettingsStore(dir, { write: disk.write });
    await store.load();
    await store.update((s) => ({ ...s, limits: { ...s.limits, cpuPercent: 40 } }));
    disk.fill();
    await expect(store.update((s) => ({ ...s, limits: { ...s.limits, cpuPercent: 90 } }))).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(store.get().limits.cpuPercent).toBe(40);
    expect((await new SettingsStore(dir).load()).limits.cpuPercent).toBe(40);
    expect(readdirSync(dir)).toEqual([SETTINGS_FILE]);
  });

  it('does not carry a failed change into the next one', async () => {
    const dir = dataDir();
    const disk = new FullDisk();
    const store = new SettingsStore(dir, { write: disk.write });
    await store.load();
    disk.fill();
    // Queued together: the first fails, the second is applied to what the first left (nothing).
    const first = store.update((s) => ({ ...s, contributionEnabled: false }));
    const freed = first.catch(() => disk.free());
    const second = store.update((s) => ({ ...s, joined: true }));
    await expect(first).rejects.toMatchObject({ code: 'ENOSPC' });
    await freed;
    await expect(second).resolves.toMatchObject({ joined: true, contributionEnabled: true });
    expect(await new SettingsStore(dir).load()).toMatchObject({ joined: true, contributionEnabled: true });
  });

  it.skipIf(!canLimitFileSize())('under a real file-size quota (EFBIG), refuses the change that does not fit and keeps the ones that do', async () => {
    const dir = dataDir();
    const child = spawnWithFileSizeLimit(FSIZE_BLOCK_BYTES, [await quotaChild(), 'settings', dir]);
    const exited = childGone(child).then(() => child.exitCode);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await exited;
    expect(code, err).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as QuotaLine);
    expect(lines.map((l) => [l.op, l.answer])).toEqual([
      ['limits 40', 'ok'],
      ['30 seeds', 'EFBIG'],
      ['limits 60', 'ok'],
    ]);
    const onDisk = await new SettingsStore(dir).load();
    expect(onDisk).toEqual(lines[2]!.memory);
    expect(onDisk.seeds).toEqual([]);
    expect(onDisk.limits.cpuPercent).toBe(60);
    expect(readdirSync(dir)).toEqual([SETTINGS_FILE]);
  });
});

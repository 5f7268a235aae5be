import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALLOWLIST_MAX_BYTES, ALLOWLIST_MAX_PROBLEMS_REPORTED, OPEN_POLICY, allowlistPolicy, loadAllowlistFile, parseAllowlist } from './allowlist.js';
import { nodeIdFor } from '../../../tests/support/peers.js';

const a = nodeIdFor(1);
const b = nodeIdFor(2);
const c = nodeIdFor(3);

describe('parsing an allowlist', () => {
  it('reads one node-id per line, skipping comments and blank lines', () => {
    const text = `# our lab machines\n${a}\n\n   ${b}   # the one by the window\n\t\n# ${c}\n`;
    expect(parseAllowlist(text)).toEqual({ ok: true, value: [a, b] });
  });

  it('accepts CRLF line ends, a byte-order mark and repeated ids', () => {
    expect(parseAllowlist(`\uFEFF${a}\r\n${b}\r\n${a}\r\n`)).toEqual({ ok: true, value: [a, b] });
  });

  it('accepts an empty file as an empty list', () => {
    expect(parseAllowlist('')).toEqual({ ok: true, value: [] });
    expect(parseAllowlist('# nobody yet\n')).toEqual({ ok: true, value: [] });
  });

  it('names the line of a bad id', () => {
    const result = parseAllowlist(`${a}\n# fine\nnode:did:key:z6MkNOTAKEY\n${b}\n`, 'allow.txt');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.problems.map((p) => p.line)).toEqual([3]);
    expect(result.error.message).toMatch(/^allow\.txt: line 3: not a node-id/);
  });

  it('lists every bad line', () => {
    const participant = a.replace('node:', 'participant:');
    const result = parseAllowlist(`${participant}\n${a}\n${a.slice(0, -1)}\nhello\n`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.problems.map((p) => p.line)).toEqual([1, 3, 4]);
  });

  it(`reports at most ALLOWLIST_MAX_PROBLEMS_REPORTED (${ALLOWLIST_MAX_PROBLEMS_REPORTED}) bad lines`, () => {
    const exactly = parseAllowlist('bad\n'.repeat(ALLOWLIST_MAX_PROBLEMS_REPORTED));
    const more = parseAllowlist('bad\n'.repeat(ALLOWLIST_MAX_PROBLEMS_REPORTED + 1));
    expect(exactly.ok || exactly.error.problems.length).toBe(ALLOWLIST_MAX_PROBLEMS_REPORTED);
    expect(more.ok || more.error.problems.length).toBe(ALLOWLIST_MAX_PROBLEMS_REPORTED);
  });

  it('refuses two ids on one line', () => {
    const result = parseAllowlist(`${a} ${b}\n`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.problems).toEqual([{ line: 1, reason: 'one node-id per line' }]);
  });

  it(`refuses text over ALLOWLIST_MAX_BYTES (${ALLOWLIST_MAX_BYTES})`, () => {
    expect(parseAllowlist('#'.repeat(ALLOWLIST_MAX_BYTES)).ok).toBe(true);
    expect(parseAllowlist('#'.repeat(ALLOWLIST_MAX_BYTES + 1)).ok).toBe(false);
  });
});

describe('peer policies', () => {
  it('lets everyone in when open', () => {
    expect(OPEN_POLICY.mode).toBe('open');
    expect(OPEN_POLICY.isAllowed(a)).toBe(true);
    expect(OPEN_POLICY.isAllowed('anything')).toBe(true);
  });

  it('lets only listed ids in when allowlist-only', () => {
    const policy = allowlistPolicy([a, b]);
    expect(policy.mode).toBe('allowlist');
    expect(policy.size).toBe(2);
    expect(policy.isAllowed(a)).toBe(true);
    expect(policy.isAllowed(c)).toBe(false);
  });

  it('fails closed with an empty allowlist', () => {
    expect(allowlistPolicy([]).isAllowed(a)).toBe(false);
  });
});

describe('loading an allowlist file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pnode-allowlist-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives a policy for a good file', async () => {
    const path = join(dir, 'allowlist.txt');
    await writeFile(path, `${a}\n`);
    const result = await loadAllowlistFile(path);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.isAllowed(a)).toBe(true);
      expect(result.value.isAllowed(b)).toBe(false);
    }
  });

  it('names the file and line of a bad id', async () => {
    const path = join(dir, 'allowlist.txt');
    await writeFile(path, `${a}\n\nnot-an-id\n`);
    const result = await loadAllowlistFile(path);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain(`${path}: line 3:`);
  });

  it('is an error, never open mode, when the file is missing', async () => {
    const path = join(dir, 'missing.txt');
    const result = await loadAllowlistFile(path);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toBe(`${path}: file not found`);
  });

  it(`refuses a file over ALLOWLIST_MAX_BYTES`, async () => {
    const path = join(dir, 'huge.txt');
    await writeFile(path, Buffer.alloc(ALLOWLIST_MAX_BYTES + 1, 0x23));
    const result = await loadAllowlistFile(path);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain('larger than');
  });
});

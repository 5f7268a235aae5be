// Issue 8 §5 (secrets): the signing and operator keys never reach disk in the clear outside the
// explicit file keystore (the passphrase-encrypted export holds them only encrypted), and never
// appear in traces, logs, the control contract or crash output. A real devnet on loopback
// (harden/secrets/scenario.ts) exports, imports, enrolls, renews, rotates, works, crashes and
// stops; then every file it left and every message it sent is scanned for every key in every
// encoding (harden/secrets/encodings.ts). The only files allowed to hold a key are the file
// keystore's own, each holding its own key, listed exactly. Where an OS keychain answers (CI: an
// unlocked gnome-keyring), one node keeps its node and operator keys there and none of its files
// may hold them; where none answers, that node falls back to the file keystore, and the test says
// so. A second test proves the scanner sees a key written into a trace-like file.
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PNODE_BIN } from '../support/nodes.js';
import { runSecretsScenario } from '../../harden/secrets/scenario.js';
import { needlesFor } from '../../harden/secrets/encodings.js';
import { SecretIndex, describeHit, emptyTotals, judge, scanMessages, scanTree } from '../../harden/secrets/scanner.js';
import { toBase58 } from '../../src-shared/protocol/encoding/base58.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

describe('secrets (issue 8 §5)', () => {
  it('a devnet leaves no key in any file, log, trace, control message or crash output', async () => {
    const dir = tempDir('pnode-harden-secrets-');
    const result = await runSecretsScenario({ pnodeBin: PNODE_BIN, dir, nodes: 3, controlled: 1, rounds: 1, workMs: 2_000, heartbeatIntervalMs: 300 });
    const { totals, verdict } = result;
    const keychainNode = result.keys.filter((k) => k.label.startsWith('keychain-node') && !k.retired);
    console.info(
      [
        ...result.steps.map((s) => `[secrets] ${s}`),
        `[secrets] ${result.keys.length} keys (${result.keys.filter((k) => k.retired).length} rotated away), ${result.needlesPerKey.min}–${result.needlesPerKey.max} needles each; ${totals.files} files (${totals.fileBytes} bytes), ${totals.messages} messages (${totals.messageBytes} bytes, ${result.controlMessages} control messages) from ${result.processes} processes; ${totals.hitCount} hits: ${verdict.allowedHits.length} in the ${result.allowed.length} allowed key files, ${verdict.leaks.length} leaks`,
        ...result.allowed.map((a) => `[secrets]   allowed: ${a.path.slice(dir.length + 1)} (${a.key})`),
      ].join('\n'),
    );

    expect(verdict.leaks.map(describeHit), 'a secret key was found outside its keystore').toEqual([]);
    expect(totals.skipped, 'every file must be scanned').toEqual([]);
    // The scanner saw each key in its own keystore file: it is not blind to the real files.
    expect(verdict.unseen).toEqual([]);
    // The allowed files are exactly the file-keystore files on disk, each named by a record.
    expect([...result.keyFilesOnDisk].sort()).toEqual(result.allowed.map((a) => a.path).sort());
    expect(result.retiredKeysLeft, 'a rotated-away operator key is still in its store').toEqual([]);
    // Node, authority and operator keys, and rotated ones, were all looked for.
    const labels = result.keys.map((k) => k.label);
    for (const wanted of ['directory node key', 'orchestrator node key', 'orchestrator authority key', 'node-1 node key', 'node-1 operator key', 'node-3 node key', 'keychain-node node key', 'keychain-node operator key']) expect(labels).toContain(wanted);
    expect(result.keys.filter((k) => k.retired).length).toBe(2);
    expect(keychainNode.map((k) => k.store.kind)).toEqual(result.keychain.available ? ['keychain', 'keychain'] : ['file', 'file']);
    if (result.keychain.available) expect(result.allowed.some((a) => a.path.includes('keychain-node'))).toBe(false);
    // The exports were written, and scanned with everything else: they hold the keys only encrypted.
    expect(result.backupFiles).toHaveLength(3);
    for (const file of result.backupFiles) expect(existsSync(file)).toBe(true);
    // The crash output scanned includes a real stack trace.
    expect(result.crashStackPrinted).toBe(true);
    expect(totals.files).toBeGreaterThan(20);
    expect(result.controlMessages).toBeGreaterThan(10);
  });

  it('the scanner is not blind: a key written into a trace-like file or a message is found, in every encoding', async () => {
    const dir = tempDir('pnode-secrets-blind-');
    const seed = Uint8Array.from(randomBytes(32));
    const key = Buffer.from(seed);
    const index = new SecretIndex([...needlesFor('planted', seed), ...needlesFor('absent', Uint8Array.from(randomBytes(32)))]);
    const line = (detail: string): string => `${JSON.stringify({ 'event/type': 'session/established', ts: '2026-11-21T12:00:00Z', peer: 'node:did:key:z6Mk…', detail })}\n`;
    const planted: Record<string, string> = {
      hex: line(`dh ${key.toString('hex')} done`),
      HEX: line(`KEY=${key.toString('hex').toUpperCase()};`),
      base64: line(`blob ${Buffer.concat([randomBytes(1), key, randomBytes(5)]).toString('base64')}`),
      base64url: line(`blob ${Buffer.concat([randomBytes(2), key, randomBytes(4)]).toString('base64url')}`),
      base58: line(`secret z${toBase58(seed)}`),
      inspect: `Error: boom\n    at x (y.js:1:1) ${inspect(key)}\n`,
    };
    mkdirSync(join(dir, 'node', 'traces'), { recursive: true });
    const trace = join(dir, 'node', 'traces', 'network.jsonl');
    writeFileSync(trace, Object.values(planted).join(line('nothing here')));
    for (const [name, text] of Object.entries(planted)) writeFileSync(join(dir, 'node', `${name}.log`), `${randomBytes(64).toString('hex')}\n${text}${randomBytes(64).toString('base64')}\n`);

    const totals = await scanTree(index, dir, emptyTotals());
    scanMessages(index, Object.entries(planted).map(([name, text]) => ({ name: `control message ${name}`, data: text })), totals);
    const verdict = judge(totals, []);
    const encodingsIn = (source: string): string[] => verdict.leaks.filter((h) => h.source === source && h.form === 'seed').map((h) => h.encoding);
    for (const [name] of Object.entries(planted)) {
      const expected = name === 'base64' || name === 'base64url' ? /^base64/ : name === 'inspect' ? /^hex$/ : new RegExp(`^${name}$`);
      expect(encodingsIn(join(dir, 'node', `${name}.log`)).some((e) => expected.test(e)), `${name} in a file`).toBe(true);
      expect(encodingsIn(`control message ${name}`).some((e) => expected.test(e)), `${name} in a message`).toBe(true);
    }
    expect(new Set(encodingsIn(trace)).size).toBeGreaterThanOrEqual(5);
    expect(verdict.leaks.every((h) => h.key === 'planted')).toBe(true);
    expect(totals.skipped).toEqual([]);
  });
});

// The hardening harness itself (harden/, scripts/harden.mjs): the registry covers every session
// kind and every artifact schema, inputs depend only on the seed, the runner counts crashes, hangs
// and violations as such, and the runner script's contract (named selection, one printed seed for
// the whole run, non-zero exit on failure). No figure is asserted: `npm run harden` prints them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SESSION_KINDS } from '../../src-shared/protocol/messages/kinds.js';
import { SCHEMA_NAMES } from '../../src-shared/protocol/schemas/registry.js';
import { FUZZ_TARGETS, selectTargets } from '../../harden/targets/index.js';
import { VERIFIERS } from '../../harden/targets/protocol.js';
import { buildCaptures, captures } from '../../harden/lib/captures.js';
import { Rng, deriveSeed } from '../../harden/lib/random.js';
import { mutateBytes } from '../../harden/lib/mutate-bytes.js';
import { cloneJson, depthOf, mutateJson, toJsonText, vocabulary, type JsonLike } from '../../harden/lib/mutate-json.js';
import { isClean, runFuzzTarget, type FuzzTarget } from '../../harden/lib/fuzz.js';
import { SMOKE_GROUPS } from './smoke.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the fuzz registry', () => {
  it('has a target, fed by real captures, for every session message kind', async () => {
    const c = await captures(1);
    for (const kind of SESSION_KINDS) {
      expect(FUZZ_TARGETS.some((t) => t.name === `msg:${kind}`), `no fuzz target for ${kind}`).toBe(true);
      expect(c.sessionBodies[kind]?.length ?? 0, `no captured ${kind} body: add one to harden/lib/captures.ts`).toBeGreaterThan(0);
    }
  });

  it('has a gate target for every artifact schema, fed by real captures', async () => {
    const c = await captures(1);
    for (const schema of SCHEMA_NAMES) {
      expect(VERIFIERS[schema], `no fuzz target for the ${schema} gate: add it to harden/targets/protocol.ts`).toBeDefined();
      expect(c.artifacts[schema]?.length ?? 0, `no captured ${schema}: add one to harden/lib/captures.ts`).toBeGreaterThan(0);
    }
  });

  it('builds the same captures from the same seed (so a seed replays the same inputs anywhere)', async () => {
    const [x, y] = [await buildCaptures(77), await buildCaptures(77)];
    const hex = (list: readonly Uint8Array[]) => list.map((b) => Buffer.from(b).toString('hex'));
    expect(hex(x.sessionMessages)).toEqual(hex(y.sessionMessages));
    expect(hex(x.session.frames)).toEqual(hex(y.session.frames));
    expect(x.hellos.map((h) => h.text)).toEqual(y.hellos.map((h) => h.text));
    expect(x.backups).toEqual(y.backups);
    expect(JSON.stringify(x.artifacts)).toEqual(JSON.stringify(y.artifacts));
    expect(JSON.stringify(x.peersFiles)).toEqual(JSON.stringify(y.peersFiles));
    expect(JSON.stringify(x.artifacts)).not.toEqual(JSON.stringify((await buildCaptures(78)).artifacts));
  });

  it('runs every target in exactly one smoke file', () => {
    for (const target of FUZZ_TARGETS) {
      const groups = Object.entries(SMOKE_GROUPS).filter(([, pattern]) => pattern.test(target.name)).map(([name]) => name);
      expect(groups, `${target.name}: add it to one of SMOKE_GROUPS in tests/harden/smoke.ts`).toHaveLength(1);
    }
  });

  it('selects targets by name and by prefix, and refuses an unknown one', () => {
    expect(selectTargets(FUZZ_TARGETS, 'msg:ping').map((t) => t.name)).toEqual(['msg:ping']);
    expect(selectTargets(FUZZ_TARGETS, 'artifact:*').length).toBe(SCHEMA_NAMES.length);
    expect(() => selectTargets(FUZZ_TARGETS, 'no-such-target')).toThrow(/no fuzz target matches no-such-target/);
    expect(new Set(FUZZ_TARGETS.map((t) => t.name)).size).toBe(FUZZ_TARGETS.length);
  });
});

describe('mutations', () => {
  const value: JsonLike = { 'node/id': 'node:did:key:z6Mk', list: [1, 2, { deep: 'x' }], n: 7, ok: true };
  const pool = { ...vocabulary([value]), bytes: false };

  it('depend on the seed only', () => {
    const run = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 200 }, () => [toJsonText(mutateJson(rng, value, pool)), Buffer.from(mutateBytes(rng, Buffer.from('{"a":[1,2,3]}'))).toString('hex')]);
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(1, 'b'));
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(2, 'a'));
  });

  it('never change the capture they start from, and stay within the depth bound', () => {
    const before = toJsonText(value);
    const rng = new Rng(7);
    for (let i = 0; i < 2_000; i++) expect(depthOf(mutateJson(rng, value, pool))).toBeLessThanOrEqual(2_001);
    expect(toJsonText(value)).toBe(before);
  });

  it('copy and write values of any depth (JSON.stringify gives up on them)', () => {
    let deep: JsonLike = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(depthOf(cloneJson(deep), 100_000)).toBe(49_999);
    expect(toJsonText(deep)).toBe(`${'['.repeat(50_000)}1${']'.repeat(50_000)}`);
    const proto = JSON.parse('{"__proto__": {"x": 1}}') as JsonLike;
    expect(toJsonText(cloneJson(proto))).toBe('{"__proto__":{"x":1}}');
  });
});

describe('runFuzzTarget', () => {
  const fake = (run: (input: number) => string | { outcome: string; violation?: string } | Promise<string>, extra: Partial<FuzzTarget> = {}): FuzzTarget => ({
    name: 'fake',
    drives: 'a fake',
    sources: 'numbers',
    inputs: 100,
    timeLimitMs: 50,
    open: async () => ({ next: (rng) => ({ value: rng.int(10), source: rng.chance(0.5) ? 'generated' : 'mutated' }), run: run as (input: unknown) => string }),
    ...extra,
  });
  const options = { seed: 5, scale: 1, workDir: tmpdir() };

  it('counts what escapes the expected error type as a crash, keeping the input', async () => {
    const report = await runFuzzTarget(fake((n) => {
      if (n === 3) throw new TypeError('boom');
      return n % 2 === 0 ? 'ok' : 'E_PROTO_INVALID';
    }), options);
    expect(report.inputs).toBe(100);
    expect(report.crashes).toBeGreaterThan(0);
    expect(report.findings.find((f) => f.kind === 'crash')).toMatchObject({ input: 3, message: expect.stringContaining('TypeError: boom') as string });
    expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(100);
    expect((report.bySource['generated'] ?? 0) + (report.bySource['mutated'] ?? 0)).toBe(100);
  });

  it('counts answers over the time limit as slow (not clean) and broken invariants as violations', async () => {
    const report = await runFuzzTarget(fake((n) => {
      if (n === 1) {
        const until = Date.now() + 60;
        while (Date.now() < until);
      }
      return n === 2 ? { outcome: 'ok', violation: 'forged' } : 'ok';
    }), options);
    expect(report.slow).toBeGreaterThan(0);
    expect(report.findings.some((f) => f.kind === 'slow' && /limit 50 ms/.test(f.message))).toBe(true);
    expect(report.hangs).toBe(0);
    expect(report.violations).toBeGreaterThan(0);
    expect(report.crashes).toBe(0);
    expect(isClean({ ...report, violations: 0 })).toBe(false);
  });

  it('gives up on an async input that never answers, as a hang, after the give-up time it is given', async () => {
    const never = fake((n) => (n === 0 ? new Promise<string>(() => undefined) : Promise.resolve('ok')), { concurrency: 2 });
    const report = await runFuzzTarget(never, { ...options, count: 20 });
    expect(report.hangs).toBeGreaterThan(0);
    expect(report.outcomes['(hang)']).toBe(report.hangs);
    const patient = await runFuzzTarget(never, { ...options, count: 20, giveUpMs: 300 });
    expect(patient.findings.find((f) => f.kind === 'hang')?.message).toBe('no answer within 300 ms');
    expect(patient.outcomes['(hang)']).toBe(patient.hangs);
  });

  it('replays the same inputs and outcomes from the same seed', async () => {
    const target = fake((n) => (n > 4 ? 'ok' : 'E_PROTO_INVALID'));
    const a = await runFuzzTarget(target, options);
    const b = await runFuzzTarget(target, options);
    expect(a.outcomes).toEqual(b.outcomes);
    expect(a.bySource).toEqual(b.bySource);
  });
});

describe('scripts/harden.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pnode-harden-runner-'));
  writeFileSync(join(dir, 'ok.harden.ts'), "const seed: string = process.env['PNODE_HARDEN_SEED'] ?? 'none';\nconsole.log(`seen seed ${seed}, gc ${typeof (globalThis as { gc?: unknown }).gc}`);\n");
  writeFileSync(join(dir, 'fail.harden.ts'), "throw new Error('this harness fails on purpose');\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['scripts/harden.mjs', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, PNODE_HARDEN_DIR: dir, ...env } });

  it('runs the named harness, bundled, with --expose-gc and the printed seed', () => {
    const result = run(['ok'], { PNODE_HARDEN_SEED: '1234' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('harden: seed 1234');
    expect(result.stdout).toContain('seen seed 1234, gc function');
    expect(result.stdout).not.toContain('=== harden fail');
  });

  it('picks and prints a seed when none is given, and exits non-zero when a harness fails', () => {
    const result = run([]);
    expect(result.status).toBe(1);
    const seed = /harden: seed (\d+)/.exec(result.stdout)?.[1];
    expect(seed).toBeDefined();
    expect(result.stdout).toContain(`seen seed ${seed}`);
    expect(result.stdout).toContain('fail: FAILED');
    expect(result.stdout).toContain('1 of 2 harnesses failed (fail)');
  });

  it('refuses unknown names and a bad seed', () => {
    expect(run(['nope']).status).toBe(2);
    expect(run(['ok'], { PNODE_HARDEN_SEED: 'x' }).status).toBe(2);
  });
});

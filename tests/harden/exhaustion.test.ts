// Smoke run of `npm run harden -- exhaustion` (issue 15 §2): every attack class, small and short,
// against real `pnode` children (directory, contributor with control server, orchestrator with
// admin API). Asserts what must hold and never how fast: the honest client of each listener is
// served during the attack and after it, the flooding sockets are dropped, and an unauthenticated
// body is not read. The success rates and recovery times are the harness's printed figures.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exhaustionClasses, runExhaustion, type ClassResult } from '../../harden/hostile/exhaustion.js';
import { formatExhaustion } from '../../harden/hostile/report.js';
import { loopbackRangeUsable } from '../../harden/hostile/loopback.js';
import { startTargets, type Targets } from '../../harden/hostile/targets.js';
import { UNAUTH_BODY_BYTES } from '../../harden/hostile/socket-flood.js';

const SCALE = 0.02;
const workDir = mkdtempSync(join(tmpdir(), 'pnode-harden-exhaustion-'));
let targets: Targets;
let results: ClassResult[];
let table: string;

beforeAll(async () => {
  targets = await startTargets(workDir);
  results = await runExhaustion({ targets, classes: exhaustionClasses(SCALE), attackMs: 2_000, quietMs: 600, honestEveryMs: 150, loopbackRange: await loopbackRangeUsable() });
  table = formatExhaustion(results);
}, 300_000);

afterAll(async () => {
  await targets?.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe('connection and slot exhaustion (smoke)', () => {
  it('runs every class on every listener', () => {
    expect(new Set(results.map((r) => r.listener))).toEqual(new Set(['directory', 'contributor peer listener', 'orchestrator peer listener', 'control server', 'admin API']));
  });

  it('serves the honest client of each listener during the attack and after it', () => {
    for (const r of results) {
      expect(r.during.succeeded, `${r.listener}: ${r.name}\n${table}`).toBeGreaterThan(0);
      expect(r.recoveryMs, `${r.listener}: ${r.name}\n${table}`).not.toBeNull();
    }
  });

  it('drops flooding sockets instead of holding them all', () => {
    const oneAddress = results.find((r) => r.listener === 'directory' && r.name.startsWith('idle sockets, one address'))!;
    expect(oneAddress.floods[0]!.dropped, table).toBeGreaterThan(0);
    expect(oneAddress.heldByTarget, table).not.toBeNull();
    const upgrades = results.find((r) => r.listener === 'control server')!.floods.find((f) => f.kind === 'unauth-upgrade')!;
    expect(upgrades.dropped, table).toBeGreaterThan(0);
  });

  it('never reads an unauthenticated body', () => {
    const admin = results.find((r) => r.listener === 'admin API')!;
    const body = admin.floods.find((f) => f.kind === 'unauth-body')!;
    expect(body.opened, table).toBeGreaterThan(0);
    expect(body.bodyBytesSent / body.opened, table).toBeLessThan(UNAUTH_BODY_BYTES / 8);
  });
});

// The smoke version of `npm run harden -- fuzz` for `npm test`: every target of the registry, with
// a small number of inputs (SMOKE_SCALE of its full count, so 2,000 for a decoder), under a fixed
// seed unless PNODE_HARDEN_SEED says otherwise. Each must come out clean: no crash, no hang, no
// violation, every health check served. A failure prints the findings with their inputs. Speed is
// not asserted here: an input answered after its target's time limit is printed as slow (it fails
// `npm run harden`), and an input is called hung only after the test's patience.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUZZ_TARGETS } from '../../harden/targets/index.js';
import { runFuzzTarget, type FuzzTarget, type TargetReport } from '../../harden/lib/fuzz.js';
import { formatOutcomes } from '../../harden/lib/report.js';
import { PATIENCE_MS } from '../support/wait.js';

/** Share of each target's full count the smoke run feeds it. */
export const SMOKE_SCALE = 0.02;
export const SMOKE_SEED = Number(process.env['PNODE_HARDEN_SEED'] ?? 20261121);

function explain(report: TargetReport): string {
  const findings = report.findings.slice(0, 3).map((f) => `#${f.index} (${f.source}) ${f.kind}: ${f.message}\n    input: ${JSON.stringify(f.input)?.slice(0, 2_000)}`);
  return `${report.name}, seed ${report.seed}: ${report.crashes} crashes, ${report.hangs} hangs, ${report.slow} slow, ${report.violations} violations, ${report.healthFailures} failed health checks\n${findings.join('\n')}\noutcomes: ${formatOutcomes(report)}`;
}

/** Which smoke file runs which targets (each file stays within a minute); every target is in one. */
export const SMOKE_GROUPS = {
  core: /^(dcbor|artifact:|gate:|handshake:|session-)/,
  messages: /^msg:(?!vnode-(task|result|module-)|operator-)/,
  workMessages: /^msg:(vnode-(task|result|module-)|operator-)/,
  decoders: /^(vnode:|control:|identity:|network:|files:)/,
  surfaces: /^(http:(?!jobs$)|ws:)/,
  jobs: /^http:jobs$/,
} as const;

/** One test per target whose name matches: `npm run harden` at SMOKE_SCALE. */
export function smokeTargets(title: string, group: RegExp): void {
  const targets = FUZZ_TARGETS.filter((t: FuzzTarget) => group.test(t.name));
  describe(title, () => {
    const workDir = mkdtempSync(join(tmpdir(), 'pnode-harden-smoke-'));
    afterAll(() => rmSync(workDir, { recursive: true, force: true }));
    it('has targets', () => expect(targets.length).toBeGreaterThan(0));
    for (const target of targets) {
      it(`${target.name} survives ${Math.round(target.inputs * SMOKE_SCALE)} seeded inputs`, async () => {
        const report = await runFuzzTarget(target, { seed: SMOKE_SEED, scale: SMOKE_SCALE, workDir, count: Math.round(target.inputs * SMOKE_SCALE), giveUpMs: PATIENCE_MS });
        if (report.slow > 0) console.info(`${target.name}: ${report.slow} answers over the ${target.timeLimitMs} ms limit (slowest ${report.maxMs.toFixed(0)} ms), a figure for \`npm run harden\``);
        expect(report.crashes + report.hangs + report.violations + report.healthFailures, explain(report)).toBe(0);
        expect(report.inputs).toBe(Math.round(target.inputs * SMOKE_SCALE));
      });
    }
  });
}

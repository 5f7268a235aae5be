import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandSpec } from '../args.js';
import { EXIT_OK, EXIT_REJECTED, EXIT_USAGE } from '../run.js';
import { type HardwareSummary, unknownHardwareSummary } from '../../../src-shared/hardware/hardware-summary.js';
import { checkHardwareSummary } from '../../../src-shared/hardware/hardware-summary-gate.js';
import type { DetectHardwareOptions } from '../../contributor/hardware/detect.js';
import { pnodeRoot, runCli, type CliRun } from '../../../tests/support/cli.js';
import { type Detector, createHwCommand, formatHardwareSummary, hwCommand } from './hw.js';

function run(argv: string[], hw: CommandSpec = hwCommand, cwd = process.cwd()): Promise<CliRun> {
  return runCli(pnodeRoot(hw), argv, { cwd });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pnode-hw-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const described: HardwareSummary = {
  ...unknownHardwareSummary('2026-11-21T12:00:00Z'),
  'cpu/brand': 'Ryzen 7 5800X',
  'cpu/manufacturer': 'AMD',
  'cpu/physical-cores': 8,
  'cpu/logical-cores': 16,
  'cpu/speed-max-mhz': 4850,
  'memory/total-mb': 32768,
  'memory/available-mb': 20480,
  gpus: [{ 'gpu/vendor': 'NVIDIA Corporation', 'gpu/model': 'GeForce RTX 3080', 'gpu/vram-mb': null }],
  'disk/free-mb': 0,
  'disk/total-mb': 65536,
  warnings: [{ probe: 'os', reason: 'timeout' }],
};

describe('pnode hw, on this machine', () => {
  it('prints the summary as JSON that passes the schema gate', async () => {
    const { code, stdout, stderr } = await run(['hw', '--json', '--data-dir', dir]);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT_OK);
    const checked = checkHardwareSummary(JSON.parse(stdout));
    expect(checked.ok ? 'valid' : checked.error.detail).toBe('valid');
  });

  it('prints a readable summary, one labelled line per field', async () => {
    const { code, stdout } = await run(['hw']);
    expect(code).toBe(EXIT_OK);
    for (const label of ['detected at', 'cpu brand', 'cpu cores', 'cpu speed', 'memory total', 'os platform', 'disk free', 'warnings']) {
      expect(stdout).toMatch(new RegExp(`^${label} +\\S`, 'm'));
    }
    expect(stdout).toMatch(/^disk free +unknown \(give --data-dir\)$/m);
  });

  it('resolves --data-dir against the working directory', async () => {
    const seen: DetectHardwareOptions[] = [];
    const detect: Detector = async (options) => {
      seen.push(options);
      return unknownHardwareSummary('2026-11-21T12:00:00Z');
    };
    const { code } = await run(['hw', '--data-dir', '.'], createHwCommand(detect), dir);
    expect(code).toBe(EXIT_OK);
    expect(seen[0]?.dataDir).toBe(dir);
  });

  it('refuses a --data-dir that is not a directory, as bad usage', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    for (const target of [join(dir, 'missing'), file]) {
      const { code, stdout, stderr } = await run(['hw', '--data-dir', target]);
      expect(code).toBe(EXIT_USAGE);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^pnode hw: --data-dir ".*" is not a directory\n$/);
    }
  });
});

describe('pnode hw, on a described machine', () => {
  const fake = createHwCommand(async () => described);

  it('shows every unknown value as "unknown" and 0 as a reading', async () => {
    const { code, stdout } = await run(['hw', '--data-dir', dir], fake);
    expect(code).toBe(EXIT_OK);
    expect(stdout).toBe(
      [
        'detected at       2026-11-21T12:00:00Z',
        'cpu brand         Ryzen 7 5800X',
        'cpu manufacturer  AMD',
        'cpu cores         8 physical, 16 logical',
        'cpu speed         base unknown, max 4850 MHz',
        'memory total      32768 MB',
        'memory available  20480 MB',
        'os platform       unknown',
        'os arch           unknown',
        'os distro         unknown',
        'os release        unknown',
        'os kernel         unknown',
        'gpu 1             NVIDIA Corporation GeForce RTX 3080, VRAM unknown',
        'disk free         0 MB',
        'disk total        65536 MB',
        'warnings          os timeout',
        '',
      ].join('\n'),
    );
  });

  it('prints the same summary as JSON with null for unknown', async () => {
    const { stdout } = await run(['hw', '--json'], fake);
    expect(JSON.parse(stdout)).toEqual(described);
    expect(JSON.parse(stdout)['os/platform']).toBeNull();
  });

  it('tells "none detected" (an empty GPU list) from "unknown" (null)', () => {
    expect(formatHardwareSummary({ ...described, gpus: [] })).toMatch(/^gpus +none detected$/m);
    expect(formatHardwareSummary({ ...described, gpus: null })).toMatch(/^gpus +unknown$/m);
  });

  it('refuses to print a summary an orchestrator would reject', async () => {
    const broken = createHwCommand(async () => ({ ...described, 'cpu/speed-mhz': 0 }));
    const { code, stdout, stderr } = await run(['hw', '--json'], broken);
    expect(code).toBe(EXIT_REJECTED);
    expect(stdout).toBe('');
    expect(stderr).toBe('E_PROTO_INVALID hardware-summary.v1 $["cpu/speed-mhz"]: must be >= 1\n');
  });
});

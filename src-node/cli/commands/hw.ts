// `pnode hw`: what this machine would tell an orchestrator about itself.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type CommandSpec, UsageError } from '../args.js';
import { EXIT_OK } from '../run.js';
import type { GpuSummary, HardwareSummary, Unknown } from '../../../src-shared/hardware/hardware-summary.js';
import { assertHardwareSummary } from '../../../src-shared/hardware/hardware-summary-gate.js';
import { type DetectHardwareOptions, detectHardware } from '../../contributor/hardware/detect.js';

const UNKNOWN = 'unknown';

function show(value: Unknown<string | number>, unit = ''): string {
  return value === null ? UNKNOWN : `${value}${unit}`;
}

function showGpu(gpu: GpuSummary): string {
  const name = [gpu['gpu/vendor'], gpu['gpu/model']].filter((part) => part !== null).join(' ');
  return `${name || UNKNOWN}, VRAM ${show(gpu['gpu/vram-mb'], ' MB')}`;
}

export interface FormatOptions {
  /** Whether disk fields were asked for; when not, the disk lines say how to ask. */
  readonly dataDirGiven?: boolean;
}

/** The summary as aligned `label  value` lines; every unknown value reads "unknown". */
export function formatHardwareSummary(summary: HardwareSummary, options: FormatOptions = {}): string {
  const diskNote = options.dataDirGiven === false ? ' (give --data-dir)' : '';
  const rows: Array<[string, string]> = [
    ['detected at', summary['detected-at']],
    ['cpu brand', show(summary['cpu/brand'])],
    ['cpu manufacturer', show(summary['cpu/manufacturer'])],
    ['cpu cores', `${show(summary['cpu/physical-cores'])} physical, ${show(summary['cpu/logical-cores'])} logical`],
    ['cpu speed', `base ${show(summary['cpu/speed-mhz'], ' MHz')}, max ${show(summary['cpu/speed-max-mhz'], ' MHz')}`],
    ['memory total', show(summary['memory/total-mb'], ' MB')],
    ['memory available', show(summary['memory/available-mb'], ' MB')],
    ['os platform', show(summary['os/platform'])],
    ['os arch', show(summary['os/arch'])],
    ['os distro', show(summary['os/distro'])],
    ['os release', show(summary['os/release'])],
    ['os kernel', show(summary['os/kernel'])],
  ];
  const gpus = summary.gpus;
  if (gpus === null) rows.push(['gpus', UNKNOWN]);
  else if (gpus.length === 0) rows.push(['gpus', 'none detected']);
  else gpus.forEach((gpu, i) => rows.push([`gpu ${i + 1}`, showGpu(gpu)]));
  rows.push(
    ['disk free', `${show(summary['disk/free-mb'], ' MB')}${summary['disk/free-mb'] === null ? diskNote : ''}`],
    ['disk total', `${show(summary['disk/total-mb'], ' MB')}${summary['disk/total-mb'] === null ? diskNote : ''}`],
    ['warnings', summary.warnings.length === 0 ? 'none' : summary.warnings.map((w) => `${w.probe} ${w.reason}`).join(', ')],
  );
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('');
}

async function dataDirArgument(value: unknown, cwd: string): Promise<string | undefined> {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError('--data-dir needs a directory');
  const path = resolve(cwd, value);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--data-dir ${JSON.stringify(value)} is not a directory`);
  return path;
}

export type Detector = (options: DetectHardwareOptions) => Promise<HardwareSummary>;

/** The command, on a given detector (tests pass a fake one). */
export function createHwCommand(detect: Detector = detectHardware): CommandSpec {
  return {
    name: 'hw',
    summary: 'Detect this machine\'s hardware, as a PNode reports it',
    description:
      'Detect this machine\'s CPU, memory, OS, GPUs and the free space of the data dir\'s filesystem, as a PNode ' +
      'reports them to an orchestrator. Values the machine does not report read "unknown" (null in JSON).',
    options: [
      { name: 'json', type: 'boolean', description: 'Print the summary as JSON (hardware-summary.v1)' },
      { name: 'data-dir', type: 'string', valueName: 'dir', description: 'Report free disk space for this directory\'s filesystem' },
    ],
    async run({ args, stdout, stderr, env, cwd }) {
      const dataDir = await dataDirArgument(args.options['data-dir'], cwd);
      const debug = env['PNODE_DEBUG'] === '1';
      const summary = await detect({
        ...(dataDir === undefined ? {} : { dataDir }),
        onProbeFailure: (probe, reason, error) => {
          if (debug) stderr(`debug: ${probe} probe ${reason}: ${error instanceof Error ? error.message : String(error)}\n`);
        },
      });
      // The command prints only what an orchestrator would accept.
      assertHardwareSummary(summary);
      if (args.options['json'] === true) stdout(`${JSON.stringify(summary, null, 2)}\n`);
      else stdout(formatHardwareSummary(summary, { dataDirGiven: dataDir !== undefined }));
      return EXIT_OK;
    },
  };
}

export const hwCommand: CommandSpec = createHwCommand();

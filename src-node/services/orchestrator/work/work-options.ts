// The orchestrator's work options on the command line (issue 7 §3): `--demo <spec>` runs the demo
// project (demo.ts) from the start. The scheduler itself always runs beside the orchestrator, so
// the admin API's /jobs is there (POST /jobs starts a demo job on a running orchestrator).
import type { OptionSpec, ParsedArgs } from '../../../cli/args.js';
import { UsageError } from '../../../cli/args.js';
import { DEMO_KINDS, parseDemoSpec } from './demo.js';
import { WorkSchedulerModule } from './work-scheduler-module.js';

export const WORK_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'demo',
    type: 'string',
    valueName: 'spec',
    description: `Keep the PNodes busy with demo jobs, one after another: ${DEMO_KINDS.join(' | ')}, with settings after a colon: mandelbrot:size=64,tiles=8,iterations=2000 or primes:span=2000000,tasks=32 (pictures go to <data-dir>/demo/)`,
  },
];

/** The work scheduler module for parsed arguments; UsageError for a bad --demo. */
export function workSchedulerModuleFrom(args: ParsedArgs): WorkSchedulerModule {
  const text = args.options['demo'];
  if (text === undefined) return new WorkSchedulerModule();
  try {
    return new WorkSchedulerModule({ demo: parseDemoSpec(String(text)) });
  } catch (error) {
    throw new UsageError(`--demo: ${(error as Error).message}`);
  }
}

/** The banner line for the work scheduler. */
export function workBannerLine(module: WorkSchedulerModule): string {
  return module.demoText ? `work       demo ${module.demoText}` : 'work       no demo (start one with --demo mandelbrot, or POST /jobs {"demo": "mandelbrot"})';
}

// The order test files start in. Most of the suite's time is spent in files that start processes,
// run simulations or crash trials, and mostly wait on them; with several workers the longest must
// start first, so that the many short files fill the gaps instead of one long file running alone at
// the end. Vitest orders by the previous run's timings, which a fresh clone (CI) has not got: there
// it orders by file size, and the simulations are short files. So the order comes from
// file-durations.json (a past run's timings, written by durations-reporter.ts), longest first;
// files it does not list count as LONG_RUNNING_DEFAULT_S if they are of a long-running kind, else 0;
// ties keep vitest's order.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Where the long-running files are: integration and hardening tests, crash trials. */
export const LONG_RUNNING_FILES: readonly RegExp[] = [/(^|\/)tests\/(integration|harden)\//, /\.crash\.test\.ts$/];
/** What a long-running file not yet in file-durations.json is taken to last, in seconds. */
export const LONG_RUNNING_DEFAULT_S = 5;

export type FileDurations = Readonly<Record<string, number>>;

export function isLongRunning(file: string): boolean {
  return LONG_RUNNING_FILES.some((pattern) => pattern.test(file.replaceAll('\\', '/')));
}

/** Files (paths relative to the repo) longest first by `durations`; a stable sort, so ties keep the given order. */
export function longestFirst<T>(files: readonly T[], pathOf: (file: T) => string, durations: FileDurations): T[] {
  const weight = (file: T): number => {
    const path = pathOf(file).replaceAll('\\', '/');
    return durations[path] ?? (isLongRunning(path) ? LONG_RUNNING_DEFAULT_S : 0);
  };
  return files
    .map((file) => ({ file, weight: weight(file) }))
    .sort((a, b) => b.weight - a.weight)
    .map(({ file }) => file);
}

/** The timings file, or none when it is missing or unreadable (the order is then by kind only). */
export function readFileDurations(path: string | URL): FileDurations {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1])));
  } catch {
    return {};
  }
}

const DURATIONS = readFileDurations(new URL('./file-durations.json', import.meta.url));

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    return longestFirst(await super.sort(files), (spec) => relative(root, spec.moduleId), DURATIONS);
  }
}

// The order test files start in. Most of the suite's time is spent in files that start processes,
// run simulations or crash trials, and mostly wait on them; with several workers those must start
// first, so that the many short unit files fill the gaps instead of leaving one long file alone at
// the end. Vitest does this from the timings of the previous run, which a fresh clone (CI) has not
// got: there it orders by file size, and the simulations are short files. So: long-running kinds of
// file first, each group in vitest's own order (previous timings, else size).
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Where the long-running files are: integration and hardening tests, crash trials. */
export const LONG_RUNNING_FILES: readonly RegExp[] = [/\/tests\/(integration|harden)\//, /\.crash\.test\.ts$/];

export function isLongRunning(moduleId: string): boolean {
  return LONG_RUNNING_FILES.some((pattern) => pattern.test(moduleId.replaceAll('\\', '/')));
}

/** Long-running files first, keeping vitest's order within each group. */
export function longRunningFirst<T extends { readonly moduleId: string }>(files: readonly T[]): T[] {
  return [...files.filter((f) => isLongRunning(f.moduleId)), ...files.filter((f) => !isLongRunning(f.moduleId))];
}

export default class LongRunningFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return longRunningFirst(await super.sort(files));
  }
}

// A vitest reporter that writes tests/support/file-durations.json: how long each test file took,
// whole, from its import to its last hook (whole seconds; files under MIN_RECORDED_SECONDS left
// out). The sequencer (sequencer.ts) starts the longest files first from it, where vitest has no
// timings of its own (a fresh clone, CI). Refresh it after adding long files:
//   npx vitest run --reporter=default --reporter=./tests/support/durations-reporter.ts
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';

/** Files quicker than this are left out: their order does not matter. */
export const MIN_RECORDED_SECONDS = 1;

/** The file's text: files at or above MIN_RECORDED_SECONDS, longest first, then by name. */
export function fileDurationsText(seconds: ReadonlyMap<string, number>): string {
  const kept = [...seconds]
    .map(([file, s]) => [file, Math.round(s)] as const)
    .filter(([, s]) => s >= MIN_RECORDED_SECONDS)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  return `${JSON.stringify(Object.fromEntries(kept), null, 2)}\n`;
}

export default class FileDurationsReporter implements Reporter {
  private root = process.cwd();
  private readonly seconds = new Map<string, number>();

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
  }

  onTestModuleEnd(module: TestModule): void {
    const d = module.diagnostic();
    const ms = d.prepareDuration + d.setupDuration + d.collectDuration + d.duration;
    this.seconds.set(relative(this.root, module.moduleId).replaceAll('\\', '/'), ms / 1000);
  }

  onTestRunEnd(): void {
    const out = new URL('./file-durations.json', import.meta.url);
    writeFileSync(out, fileDurationsText(this.seconds));
    process.stdout.write(`file durations of ${this.seconds.size} files: tests/support/file-durations.json\n`);
  }
}

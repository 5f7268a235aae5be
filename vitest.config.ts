import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { PATIENCE_MS, TEST_PATIENCE_MS } from './tests/support/wait.js';
import LongestFirstSequencer from './tests/support/sequencer.js';

/**
 * Test files at once. Most files spend their time waiting on processes and sockets (devnets,
 * simulations, crash trials), so on 2 cores six keep the CPU busy: the suite ran in a third of the
 * time it took in vitest's default of one worker (docs/CONTRIBUTING.md has the figures).
 */
const TEST_WORKERS = Math.max(6, availableParallelism());

export default defineConfig({
  test: {
    include: ['src-*/**/*.test.{ts,tsx}', 'tests/**/*.test.ts'],
    // Patience, not speed: a passing test never waits these out, and a starved CPU (the suite
    // shares 2 cores with other suites and CPU hogs) must not fail a correct one (tests/support/wait.ts).
    testTimeout: TEST_PATIENCE_MS,
    hookTimeout: TEST_PATIENCE_MS,
    expect: { poll: { timeout: PATIENCE_MS } },
    pool: 'forks',
    maxWorkers: TEST_WORKERS,
    // Files share a worker process, one after another: a fresh process per file cost about a fifth
    // of the suite's CPU in start-up and imports. What a file changes in the process (environment,
    // working directory) is put back after it, and what it leaves running fails it
    // (tests/support/leak-check.ts).
    isolate: false,
    sequence: { sequencer: LongestFirstSequencer },
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/support/leak-check.ts'],
  },
});

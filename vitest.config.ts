import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { PATIENCE_MS, TEST_PATIENCE_MS } from './tests/support/wait.js';
import LongestFirstSequencer from './tests/support/sequencer.js';

/**
 * Test files run at once, at least. Most of the suite's time goes to files that wait on processes,
 * sockets and simulations, not to computing: vitest's default (one fewer worker than cores: a single
 * worker on a 2-core machine) leaves the cores idle meanwhile. Four workers on 2 cores ran the suite
 * in about a third of the time; tests hold to it because they wait on events with patience
 * (tests/support/wait.ts), never on speed.
 */
const MIN_TEST_WORKERS = 4;

export default defineConfig({
  test: {
    include: ['src-*/**/*.test.{ts,tsx}', 'tests/**/*.test.ts'],
    // Patience, not speed: a passing test never waits these out, and a starved CPU (the suite
    // shares 2 cores with other suites and CPU hogs) must not fail a correct one (tests/support/wait.ts).
    testTimeout: TEST_PATIENCE_MS,
    hookTimeout: TEST_PATIENCE_MS,
    expect: { poll: { timeout: PATIENCE_MS } },
    pool: 'forks',
    maxWorkers: Math.max(MIN_TEST_WORKERS, availableParallelism()),
    sequence: { sequencer: LongestFirstSequencer },
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/support/leak-check.ts'],
  },
});

import { defineConfig } from 'vitest/config';
import { PATIENCE_MS, TEST_PATIENCE_MS } from './tests/support/wait.js';

export default defineConfig({
  test: {
    include: ['src-*/**/*.test.{ts,tsx}', 'tests/**/*.test.ts'],
    // Patience, not speed: a passing test never waits these out, and a starved CPU (the suite
    // shares 2 cores with other suites and CPU hogs) must not fail a correct one (tests/support/wait.ts).
    testTimeout: TEST_PATIENCE_MS,
    hookTimeout: TEST_PATIENCE_MS,
    expect: { poll: { timeout: PATIENCE_MS } },
    pool: 'forks',
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/support/leak-check.ts'],
  },
});

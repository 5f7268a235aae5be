// End-to-end tests: Playwright drives the real UI in browser mode (`pnode node --ui`, served by the
// node's control server) against real nodes. Here (and in CI) the browser is Debian's Chromium,
// because Playwright cannot download its own; on a developer's machine with Playwright's browsers
// installed, they are used instead.
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const useDebianChromium = existsSync(DEBIAN_CHROMIUM) && process.env['PNODE_E2E_PLAYWRIGHT_BROWSER'] !== '1';

export default defineConfig({
  testDir: './e2e',
  testMatch: /.*\.spec\.ts$/,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  retries: 0,
  workers: 1,
  reporter: process.env['CI'] ? [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]] : 'list',
  outputDir: 'test-results',
  use: {
    headless: true,
    viewport: { width: 1280, height: 800 },
    screenshot: 'on',
    trace: 'retain-on-failure',
    launchOptions: useDebianChromium
      ? {
          executablePath: DEBIAN_CHROMIUM,
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        }
      : {},
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});

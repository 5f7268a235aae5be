// The desktop app itself, driven through Playwright's Electron support. It needs Electron's
// binary, which is downloaded on first use; on machines that cannot download it (like the
// project's CI), the spec skips and says why. Browser mode (devnet-flow.spec.ts) covers the same UI.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { ROOT } from './support/pnode.js';

function electronBinary(): { path: string } | { missing: string } {
  const pathFile = join(ROOT, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return { missing: `the Electron binary is not installed (${pathFile} is missing; Electron downloads it on first use)` };
  const binary = join(ROOT, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { path: binary } : { missing: `${binary} is missing` };
}

const binary = electronBinary();

test('the desktop app opens its window on the dashboard, locked down, with a real node behind it', async () => {
  test.skip('missing' in binary, 'missing' in binary ? binary.missing : '');
  if (!('path' in binary)) return;
  const app = await electron.launch({
    executablePath: binary.path,
    args: [ROOT],
    env: { ...process.env, PNODE_KEYSTORE: 'file', ELECTRON_ENABLE_LOGGING: '1' },
    cwd: ROOT,
  });
  try {
    const window = await app.firstWindow();
    // First run: a build with no default network offers an invite and "Try it on this computer".
    await expect(window.getByRole('heading', { level: 1, name: /spare power/ })).toBeVisible({ timeout: 60_000 });
    // The preload exposes exactly the bridge; Node stays out of the page.
    expect(await window.evaluate(() => typeof (window as unknown as { pnode?: unknown }).pnode)).toBe('object');
    expect(await window.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require)).toBe('undefined');
    await window.screenshot({ path: test.info().outputPath('electron-first-run.png') });
  } finally {
    await app.close();
  }
});

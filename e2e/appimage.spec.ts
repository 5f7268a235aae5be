// Issue 12 §4: the packaged Linux app (AppImage), started as the OS starts it for a pnode:// link
// (the link in its command line), against real services started by the test: it shows
// "Join <network>?", joins on one click, and reports "Contributing". It needs the AppImage, which
// only the release workflow builds (its "appimage-e2e" job sets PNODE_APPIMAGE); elsewhere it skips
// and says why.
//
// Driven over the Chrome DevTools protocol (Playwright's connectOverCDP) rather than Playwright's
// `_electron.launch`: the packaged app turns Electron's Node inspector fuse off
// (electron-builder.yml, enableNodeCliInspectArguments), which `_electron` needs; the window's
// DevTools endpoint is what the packaged app still offers.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, expect, test } from '@playwright/test';
import { tempDir } from './support/pnode.js';
import { networkInvite, registeredAt, startDevnetServices, type DevnetServices } from './support/network.js';
import { freeLoopbackPort } from '../src-node/kernel/transport/free-port.js';

const APPIMAGE = process.env['PNODE_APPIMAGE'];

let services: DevnetServices | undefined;
let app: ChildProcess | undefined;

test.afterAll(async () => {
  if (app && app.exitCode === null) {
    app.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    if (app.exitCode === null) app.kill('SIGKILL');
  }
  await services?.devnet.stop();
});

test('the packaged app opens a pnode:// invite, joins on one click and contributes', async () => {
  test.skip(!APPIMAGE, 'needs the packaged AppImage (PNODE_APPIMAGE): the release workflow builds it on a real runner; this machine cannot download Electron');
  test.skip(!!APPIMAGE && !existsSync(APPIMAGE), `PNODE_APPIMAGE=${APPIMAGE} does not exist`);
  test.setTimeout(300_000);
  const dir = tempDir('pnode-appimage-');
  services = await startDevnetServices(dir);
  const invite = networkInvite(services, { id: 'net:release-check', name: 'Release Check' });
  const port = await freeLoopbackPort();
  // As the desktop starts the handler of a link: the app, the link. Its own user data dir; no PNODE_* variable.
  app = spawn(APPIMAGE!, [`--remote-debugging-port=${port}`, `--user-data-dir=${join(dir, 'userData')}`, '--no-sandbox', invite], {
    env: { ...process.env, APPIMAGE_EXTRACT_AND_RUN: '1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let browser;
  for (let i = 0; i < 60 && !browser; i++) {
    try {
      browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
  expect(browser, 'the app opened its DevTools endpoint').toBeDefined();
  const context = browser!.contexts()[0]!;
  await expect.poll(() => context.pages().some((p) => p.url().startsWith('app://pnode/')), { timeout: 60_000 }).toBe(true);
  const page = context.pages().find((p) => p.url().startsWith('app://pnode/'))!;
  const dialog = page.getByRole('dialog', { name: 'Join Release Check?' });
  await expect(dialog).toBeVisible({ timeout: 60_000 });
  await page.screenshot({ path: test.info().outputPath('appimage-join.png') });
  await dialog.getByRole('button', { name: 'Join Release Check' }).click();
  await expect(page.getByRole('banner').getByText('Contributing')).toBeVisible({ timeout: 120_000 });
  await page.screenshot({ path: test.info().outputPath('appimage-contributing.png') });
  const nodeId = await page.evaluate(async () => ((await (window as unknown as { pnode: { getState(): Promise<{ identity: { nodeId: string } }> } }).pnode.getState()).identity.nodeId));
  await expect.poll(() => registeredAt(services!, nodeId), { timeout: 30_000 }).toBe('registered');
  await browser!.close();
});

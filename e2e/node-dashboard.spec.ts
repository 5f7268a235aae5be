// Browser mode on one real node: the dashboard served by `pnode node --ui` connects with the
// token from the printed URL and shows the node's identity. (Joining a network: join-network.spec.ts.)
import { expect, test } from '@playwright/test';
import { startPnode, tempDir, type Running } from './support/pnode.js';

let node: (Running & { match: RegExpExecArray }) | undefined;

test.afterEach(async () => {
  await node?.stop();
});

test('a headless node serves its dashboard, which shows its first run and its identity', async ({ page }) => {
  node = await startPnode(['node', '--data-dir', tempDir('pnode-e2e-'), '--keystore', 'file', '--no-join', '--ui'], /dashboard\s+(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/);
  const url = node.match[1]!;
  const nodeId = /node\/id\s+(node:did:key:\S+)/.exec(node.output())![1]!;
  await page.goto(url);
  // The token leaves the address bar once read.
  await expect(page).not.toHaveURL(/token=/);
  await expect(page.getByRole('form', { name: 'Join with an invite' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('first-run.png') });
  await page.getByRole('button', { name: 'Look around first' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByText(nodeId.slice('node:did:key:'.length, 'node:did:key:'.length + 12)).first()).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('settings.png') });
});

test('the control server refuses a page without the token', async ({ page }) => {
  node = await startPnode(['node', '--data-dir', tempDir('pnode-e2e-'), '--keystore', 'file', '--no-join', '--ui'], /dashboard\s+(http:\/\/127\.0\.0\.1:(\d+)\/#token=\S+)/);
  await page.goto(`http://127.0.0.1:${node.match[2]}/`);
  await expect(page.getByText(/token/i).first()).toBeVisible();
  await expect(page.getByRole('form', { name: 'Join with an invite' })).toHaveCount(0);
});

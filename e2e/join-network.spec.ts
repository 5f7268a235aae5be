// Issue 12 §4: a node started with no network flags and no environment, in browser mode, against
// real services on loopback: first run → paste an invite → "Join <network>?" → joined, registered,
// peers appear. A tampered invite and an expired one are refused with their codes, and nothing
// changes. Screenshots are kept as test artifacts.
import { expect, test, type Page } from '@playwright/test';
import { join } from 'node:path';
import { startPnode, tempDir, type Running } from './support/pnode.js';
import { networkInvite, registeredAt, startDevnetServices, tamperedInvite, type DevnetServices } from './support/network.js';

let services: DevnetServices | undefined;
let node: (Running & { match: RegExpExecArray }) | undefined;

test.afterAll(async () => {
  await node?.stop();
  await services?.devnet.stop();
});

async function paste(page: Page, invite: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Join with an invite' });
  await form.getByLabel('Invite link').fill(invite);
  await form.getByRole('button', { name: 'Continue' }).click();
}

test('first run: refused invites change nothing; a valid one joins, registers and finds peers', async ({ page }) => {
  test.setTimeout(240_000);
  const dir = tempDir('pnode-e2e-join-');
  services = await startDevnetServices(dir);
  const invite = networkInvite(services, { id: 'net:e2e-lab', name: 'E2E Lab' });
  const expired = networkInvite(services, { id: 'net:e2e-lab', name: 'E2E Lab', createdAt: new Date(Date.now() - 10 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'), validDays: 1 });
  const shot = (name: string) => page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });

  // No --network, no --seed, no --orchestrator, no PNODE_* variable: the node knows no network.
  node = await startPnode(['node', '--data-dir', join(dir, 'me'), '--keystore', 'file', '--ui'], /dashboard\s+(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/);
  const nodeId = /node\/id\s+(node:did:key:\S+)/.exec(node.output())![1]!;
  await page.goto(node.match[1]!);
  await expect(page.getByRole('heading', { level: 1, name: /spare power/ })).toBeVisible();
  await expect(page.getByText('Off', { exact: true })).toBeVisible();
  await shot('1-first-run');

  // Tampered: its signature no longer matches.
  await paste(page, tamperedInvite(invite));
  const form = page.getByRole('form', { name: 'Join with an invite' });
  await expect(form.getByRole('alert')).toContainText('altered or damaged');
  await expect(form.getByRole('alert')).toContainText('E_SIG_INVALID');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await shot('2-tampered-refused');

  // Expired.
  await paste(page, expired);
  await expect(form.getByRole('alert')).toContainText('expired');
  await expect(form.getByRole('alert')).toContainText('E_ADV_EXPIRED');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await shot('3-expired-refused');
  // Nothing changed: still first run, not in any network, unknown to the orchestrator.
  await expect(page.getByRole('heading', { level: 1, name: /spare power/ })).toBeVisible();
  expect(await registeredAt(services, nodeId)).toBeUndefined();

  // The real invite: "Join E2E Lab?", who signed it, what joining means; then one click.
  await paste(page, invite);
  const dialog = page.getByRole('dialog', { name: 'Join E2E Lab?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByText('Signed by')).toBeVisible();
  await expect(dialog.getByText(/Within your limits/)).toBeVisible();
  await shot('4-confirm');
  await dialog.getByRole('button', { name: 'Join E2E Lab' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText('Connected: a coordinator hands out work to this computer.')).toBeVisible({ timeout: 60_000 });
  await expect.poll(() => registeredAt(services!, nodeId), { timeout: 30_000 }).toBe('registered');
  await shot('5-joined');
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Peers' }).click();
  // A peer appears, named for people, with the quality of its connection.
  await expect(page.getByRole('row').filter({ has: page.getByRole('button', { name: /^Rename / }) }).first()).toBeVisible({ timeout: 60_000 });
  await shot('6-peers');
});

// Issue 12 §4: switch networks and leave, in browser mode, against real services on loopback:
// joined to one network, an invite to another switches (same identity), the first is listed among
// the networks joined before, and leaving asks first.
import { expect, test, type Page } from '@playwright/test';
import { join } from 'node:path';
import { startPnode, tempDir, type Running } from './support/pnode.js';
import { networkInvite, registeredAt, startDevnetServices, type DevnetServices } from './support/network.js';
import { friendlyName } from '../src-shared/control/friendly-name.js';

let services: DevnetServices | undefined;
let node: (Running & { match: RegExpExecArray }) | undefined;

test.afterAll(async () => {
  await node?.stop();
  await services?.devnet.stop();
});

async function settings(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
}

test('switch to another network from Settings, then leave after confirming', async ({ page }) => {
  test.setTimeout(240_000);
  const dir = tempDir('pnode-e2e-switch-');
  services = await startDevnetServices(dir);
  const first = networkInvite(services, { id: 'net:first-lab', name: 'First Lab' });
  const second = networkInvite(services, { id: 'net:second-lab', name: 'Second Lab' });
  const shot = (name: string) => page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });

  node = await startPnode(['node', '--data-dir', join(dir, 'me'), '--keystore', 'file', '--ui'], /dashboard\s+(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/);
  const nodeId = /node\/id\s+(node:did:key:\S+)/.exec(node.output())![1]!;
  await page.goto(node.match[1]!);
  await page.getByRole('form', { name: 'Join with an invite' }).getByLabel('Invite link').fill(first);
  await page.getByRole('form', { name: 'Join with an invite' }).getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('dialog', { name: 'Join First Lab?' }).getByRole('button', { name: 'Join First Lab' }).click();
  await expect(page.getByText('Connected: a coordinator hands out work to this computer.')).toBeVisible({ timeout: 60_000 });

  // Switch: Settings › Network, paste the other invite, confirm.
  await settings(page);
  const card = page.getByRole('region', { name: 'Network' });
  await expect(card.getByRole('heading', { name: 'First Lab' })).toBeVisible();
  await card.getByRole('form', { name: 'Join with an invite' }).getByLabel('Invite link').fill(second);
  await card.getByRole('form', { name: 'Join with an invite' }).getByRole('button', { name: 'Continue' }).click();
  const dialog = page.getByRole('dialog', { name: 'Join Second Lab?' });
  await expect(dialog.getByText(/leaves First Lab and joins Second Lab/)).toBeVisible();
  await shot('1-switch-confirm');
  await dialog.getByRole('button', { name: 'Join Second Lab' }).click();
  await expect(card.getByRole('heading', { name: 'Second Lab' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('banner').getByText('Second Lab')).toBeVisible();
  await expect(card.getByRole('list', { name: 'Networks joined before' }).getByText('First Lab')).toBeVisible();
  // Same identity in the new network: the footer names this computer as before.
  await expect(page.getByRole('contentinfo').getByText(friendlyName(nodeId), { exact: true })).toBeVisible();
  await expect.poll(() => registeredAt(services!, nodeId), { timeout: 30_000 }).toBe('registered');
  await shot('2-switched');

  // Leave: nothing happens until confirmed.
  await card.getByRole('button', { name: 'Leave network…' }).click();
  await expect(card.getByText(/Leave Second Lab\?/)).toBeVisible();
  await shot('3-leave-confirm');
  await card.getByRole('button', { name: 'Cancel' }).click();
  await expect(card.getByRole('heading', { name: 'Second Lab' })).toBeVisible();
  await card.getByRole('button', { name: 'Leave network…' }).click();
  await card.getByRole('button', { name: 'Leave the network' }).click();
  await expect(card.getByText('This computer is in no network yet.')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText('Off', { exact: true }).first()).toBeVisible();
  await shot('4-left');
});

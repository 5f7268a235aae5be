// Issue 6 §6: the volunteer's path in browser mode against a real devnet (`npm run start:web`):
// onboarding → join → peers appear → contribution off and on (the orchestrator's admin API sees
// it) → snooze → enroll with a token → trusted shown → activity lists the traces. Screenshots are
// kept as test artifacts.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { ROOT, startScript, tempDir, type Running } from './support/pnode.js';

let app: (Running & { match: RegExpExecArray }) | undefined;
let devDir = '';

test.afterAll(async () => {
  await app?.stop();
});

interface AdminPnode {
  readonly 'node-id': string;
  readonly state: string;
  readonly contributing: boolean;
  readonly trust: string;
}

async function adminPnode(nodeId: string): Promise<AdminPnode | undefined> {
  const devnet = JSON.parse(readFileSync(join(devDir, 'devnet', 'devnet.json'), 'utf8')) as { orchestrator: { 'admin-url': string; 'admin-token': string } };
  const response = await fetch(`${devnet.orchestrator['admin-url']}/pnodes`, { headers: { Authorization: `Bearer ${devnet.orchestrator['admin-token']}` } });
  const body = (await response.json()) as { pnodes?: AdminPnode[] } | AdminPnode[];
  const list = Array.isArray(body) ? body : (body.pnodes ?? []);
  return list.find((p) => p['node-id'] === nodeId);
}

function ourNodeId(): string {
  return (JSON.parse(readFileSync(join(devDir, 'my-node', 'control.json'), 'utf8')) as { nodeId: string }).nodeId;
}

async function go(page: Page, screen: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: screen }).click();
  await expect(page.getByRole('heading', { level: 1, name: screen })).toBeVisible();
}

test('a volunteer joins a devnet from the dashboard and controls their contribution', async ({ page }) => {
  test.setTimeout(240_000);
  devDir = tempDir('pnode-e2e-devnet-');
  // Plain `npm start` where Electron cannot run here (it falls back to browser mode and says so);
  // `npm run start:web` where it could.
  const electronMissing = !existsSync(join(ROOT, 'node_modules', 'electron', 'path.txt'));
  app = await startScript(electronMissing ? [] : ['--web'], /PNode dashboard: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/, { PNODE_DEV_DIR: devDir, PNODE_DEVNET_NODES: '2', PNODE_DEVNET_HEARTBEAT_MS: '1000' });
  if (electronMissing) expect(app.output()).toMatch(/The Electron binary is not available: .*\nOpening browser mode instead/);
  const shot = (name: string) => page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });

  // Onboarding.
  await page.goto(app.match[1]!);
  // npm start offers its devnet as the build's default network (dist/networks/default.json).
  await expect(page.getByRole('button', { name: 'Join Local devnet' })).toBeVisible();
  await shot('1-first-run');

  // Join: registered with the orchestrator, peers appear.
  await page.getByRole('button', { name: 'Join Local devnet' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Network' }).getByText(/^Connected:/)).toBeVisible({ timeout: 60_000 });
  await shot('2-joined');
  const nodeId = ourNodeId();
  await expect.poll(async () => (await adminPnode(nodeId))?.state, { timeout: 30_000 }).toBe('registered');
  await go(page, 'Peers');
  await expect(page.getByRole('row').filter({ hasText: /Excellent|Good|Fair|Poor/ }).first()).toBeVisible({ timeout: 60_000 });
  await shot('3-peers');

  // Contribution off and on: the orchestrator sees each.
  await go(page, 'Dashboard');
  const toggle = page.getByRole('switch', { name: /share spare compute/i });
  await toggle.click();
  await expect.poll(async () => (await adminPnode(nodeId))?.contributing, { timeout: 30_000 }).toBe(false);
  await shot('4-contribution-off');
  await toggle.click();
  await expect.poll(async () => (await adminPnode(nodeId))?.contributing, { timeout: 30_000 }).toBe(true);

  // Snooze, then resume.
  await page.getByRole('button', { name: 'Snooze 1 hour' }).click();
  await expect(page.getByText(/snoozed/i).first()).toBeVisible();
  await expect.poll(async () => (await adminPnode(nodeId))?.contributing, { timeout: 30_000 }).toBe(false);
  await shot('5-snoozed');
  await page.getByRole('button', { name: /resume/i }).first().click();
  await expect.poll(async () => (await adminPnode(nodeId))?.contributing, { timeout: 30_000 }).toBe(true);

  // Trusted registration: a token from the devnet's registration authority, entered in the UI.
  const token = execFileSync(process.execPath, [join(ROOT, 'bin', 'pnode.js'), 'authority', 'issue-token', '--data-dir', join(devDir, 'devnet', 'orchestrator'), '--label', 'e2e'], { encoding: 'utf8' })
    .match(/pnode-enroll-[A-Za-z0-9_-]+/)?.[0];
  expect(token).toBeDefined();
  await go(page, 'Trusted');
  await page.getByLabel('Enrollment token').fill(token!);
  await page.getByRole('button', { name: 'Enroll', exact: true }).click();
  await expect(page.getByRole('main').getByText(/^Trusted$/).first()).toBeVisible({ timeout: 30_000 });
  await expect.poll(async () => (await adminPnode(nodeId))?.trust, { timeout: 30_000 }).toBe('trusted');
  await shot('6-trusted');

  // Activity lists the network traces.
  await go(page, 'Activity');
  await page.getByRole('button', { name: 'Technical details' }).click();
  const events = page.getByRole('region', { name: 'Events table' });
  await expect(events.getByRole('row').filter({ hasText: 'session/established' }).first()).toBeVisible();
  await expect(events.getByRole('row').filter({ hasText: 'peer/connected' }).first()).toBeVisible();
  await shot('7-activity');
});

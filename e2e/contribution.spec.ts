// Issue 14 §5: a volunteer sees what their computer gives, on a real devnet with real work
// (`npm start` in browser mode, a Mandelbrot demo job posted to the devnet's orchestrator):
// the totals, the chart and the volunteer's log move, the tiles this computer computed show as
// pictures, and credit receipts show with their counts. Then every screen, at 1280×800 and
// 800×600: axe-core finds nothing (WCAG 2.1 A/AA and best practices), the page never scrolls
// sideways, and a screenshot is kept as an artifact. The wrong-link and no-link pages too.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { SCREENS } from '../src-renderer/screens/screen-list.js';
import { axeViolations, horizontalOverflow } from './support/axe.js';
import { startPnode, startScript, tempDir, type Running } from './support/pnode.js';

const SIZES = [
  { name: '1280x800', width: 1280, height: 800 },
  { name: '800x600', width: 800, height: 600 },
] as const;

let app: (Running & { match: RegExpExecArray }) | undefined;
let devDir = '';
let url = '';

interface Devnet {
  readonly orchestrator: { readonly 'admin-url': string; readonly 'admin-token': string };
}

function devnet(): Devnet {
  return JSON.parse(readFileSync(join(devDir, 'devnet', 'devnet.json'), 'utf8')) as Devnet;
}

async function admin(path: string, init: RequestInit = {}): Promise<unknown> {
  const d = devnet();
  const response = await fetch(`${d.orchestrator['admin-url']}${path}`, { ...init, headers: { Authorization: `Bearer ${d.orchestrator['admin-token']}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) } });
  return response.json();
}

async function go(page: Page, label: string, title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: label, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

/** Everything a screen must pass: no axe violation, no sideways scroll; and its screenshot. */
async function check(page: Page, name: string): Promise<void> {
  // Let pictures settle before judging the page (not "network idle": the wrong-link page keeps
  // trying its node, as it should).
  await page.waitForLoadState('load');
  await page.waitForFunction(() => [...document.images].every((image) => image.complete));
  const violations = await axeViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  expect(await horizontalOverflow(page), `${name} scrolls sideways`).toBe(0);
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

test.describe.serial('what a volunteer gives, on a devnet with real work', () => {
  test.beforeAll(async () => {
    test.setTimeout(240_000);
    devDir = tempDir('pnode-e2e-give-');
    app = await startScript(['--web'], /PNode dashboard: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/, { PNODE_DEV_DIR: devDir, PNODE_DEVNET_NODES: '1', PNODE_DEVNET_HEARTBEAT_MS: '1000' });
    url = app.match[1]!;
  });

  test.afterAll(async () => {
    await app?.stop();
  });

  test('real work moves the totals, the chart and the log, and its pictures show', async ({ page }) => {
    test.setTimeout(300_000);
    const violations: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/.test(message.text())) violations.push(message.text());
    });
    await page.goto(url);
    await page.setViewportSize(SIZES[0]);
    // The first run, before joining: `npm start` offers its devnet as this build's network.
    await expect(page.getByRole('button', { name: 'Join Local devnet' })).toBeVisible();
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await check(page, `first-run-${size.name}`);
    }
    await page.setViewportSize(SIZES[0]);
    await page.getByRole('button', { name: 'Join Local devnet' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Network' }).getByText(/^Connected:/)).toBeVisible({ timeout: 60_000 });

    // Work: a Mandelbrot job of 16 tiles for the devnet's PNodes (this one among them).
    await admin('/jobs', { method: 'POST', body: JSON.stringify({ demo: 'mandelbrot', size: 32, tiles: 4 }) });
    const gives = page.getByRole('region', { name: 'What this computer gives' });
    const today = gives.getByRole('row').filter({ hasText: /^Today/ });
    // Tasks done today (the third cell) moves from 0.
    await expect.poll(async () => Number((await today.getByRole('cell').nth(1).textContent()) ?? '0'), { timeout: 180_000 }).toBeGreaterThan(0);
    await expect(today.getByRole('cell').first()).not.toHaveText('0 s');

    // The chart, by keyboard: the current hour has the work in it.
    const chart = gives.getByRole('img', { name: /CPU time given, last 24 hours/ });
    await chart.focus();
    await page.keyboard.press('End');
    await expect(gives.locator('.chart-readout')).toHaveText(/: .* of CPU time, [1-9]\d* tasks? done/);
    await gives.getByText('Show as a table').click();
    await expect(gives.getByRole('region', { name: 'Last 24 hours, as a table' }).getByRole('row').nth(1)).toBeVisible();

    // The tiles this computer computed, as pictures (served through the control surface).
    await go(page, 'Work', 'Work');
    // The devnet's demo zooms round by round, so the grid may be finer than this job's 4 × 4.
    const picture = page.getByRole('img', { name: /^Tile \d+, \d+ of a \d+ × \d+ picture of the Mandelbrot set$/ }).first();
    await expect(picture).toBeVisible({ timeout: 60_000 });
    expect(await picture.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(await picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

    // The volunteer's log tells the story; the protocol trace is behind "Technical details".
    await go(page, 'Activity', 'Activity');
    const log = page.getByRole('list', { name: 'Your log, newest first' });
    await expect(log.getByText('You joined the network.')).toBeVisible();
    await expect(log.getByText(/^Finished \d+ tasks? of Mandelbrot demo/)).toBeVisible({ timeout: 60_000 });
    await expect(log.getByText(/^Connected to the network’s coordinator/)).toBeVisible();
    await page.getByRole('button', { name: 'Technical details' }).click();
    await expect(page.getByRole('region', { name: 'Events table' }).getByRole('row').filter({ hasText: 'session/established' }).first()).toBeVisible();
    expect(violations).toEqual([]);
  });

  test('credit: the receipts of validated results show, with their counts', async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto(url);
    await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
    // Wait until the orchestrator has decided about results (the job's tasks accepted).
    await expect.poll(async () => ((await admin('/jobs')) as { counters: { 'tasks-accepted': number } }).counters['tasks-accepted'], { timeout: 120_000 }).toBeGreaterThan(0);
    const outbox = join(devDir, 'devnet', 'orchestrator', 'credit', 'outbox.log');
    // The outbox is a record file: a head line, then one record per receipt issued (the scheduler
    // hands every validated result to it).
    const issued = (): boolean => existsSync(outbox) && readFileSync(outbox, 'utf8').trim().split('\n').length > 1;
    await expect.poll(issued, { timeout: 60_000, message: 'the orchestrator issued a credit receipt' }).toBe(true);
    await go(page, 'Credit', 'Credit');
    const receipts = page.getByRole('region', { name: 'Receipts, as a table' });
    await expect(receipts.getByRole('row').nth(1)).toBeVisible({ timeout: 60_000 });
    await receipts.getByRole('button', { name: /^Inspect/ }).first().click();
    await expect(page.getByText('Signature checked')).toBeVisible();
    await expect(page.getByRole('region', { name: 'In all' }).getByText(/results validated/)).toBeVisible();
    await go(page, 'Activity', 'Activity');
    await expect(page.getByRole('list', { name: 'Your log, newest first' }).getByText(/validated for .*: you received/)).toBeVisible();
  });

  test('every screen at 1280×800 and 800×600: no axe violations, no sideways scroll, a screenshot', async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto(url);
    await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
    for (const size of SIZES) {
      await page.setViewportSize(size);
      for (const screen of SCREENS) {
        await go(page, screen.label, screen.title);
        await check(page, `${screen.id}-${size.name}`);
      }
      // The pages of browser mode without a link, and with a wrong one (the node is running).
      const origin = new URL(url).origin;
      const other = await page.context().newPage();
      await other.setViewportSize(size);
      await other.goto(`${origin}/`);
      await expect(other.getByRole('heading', { level: 1, name: 'Open your dashboard link' })).toBeVisible();
      await check(other, `no-link-${size.name}`);
      await other.goto(`${origin}/#token=${'x'.repeat(43)}`);
      await other.reload();
      await expect(other.getByRole('heading', { level: 1, name: 'This link is wrong or has expired' })).toBeVisible({ timeout: 30_000 });
      await check(other, `wrong-link-${size.name}`);
      await other.close();
    }
  });
});

test('the dashboard keeps its address across a restart', async ({ page }) => {
  test.setTimeout(120_000);
  const dataDir = tempDir('pnode-e2e-stable-');
  const args = ['node', '--data-dir', dataDir, '--keystore', 'file', '--no-join', '--ui'];
  const first = await startPnode(args, /dashboard\s+(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/);
  const address = first.match[1]!;
  await first.stop();
  const second = await startPnode(args, /dashboard\s+(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/);
  try {
    expect(second.match[1]).toBe(address);
    expect(statSync(join(dataDir, 'dashboard.json')).mode & 0o777).toBe(0o600);
    await page.goto(address);
    await expect(page.getByRole('heading', { level: 1, name: /spare power/ })).toBeVisible();
  } finally {
    await second.stop();
  }
});

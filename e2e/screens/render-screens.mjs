/* global window, document, HTMLElement -- installFakeNode and the evaluate callbacks run in the page, not in Node */
// Dev aid (not a test): renders every main screen of the built UI at 1280×800 and 800×600 so a
// person can look at the layout. Serves dist/renderer on 127.0.0.1 with the control server's CSP,
// injects a stand-in `window.pnode` holding a realistic node state, and drives Debian's Chromium.
//
//   npx vite build --config vite.renderer.config.ts && node e2e/screens/render-screens.mjs [outDir]
//
// PNGs go to dist/screens/ by default. CSP violations and page errors are printed.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { WebSocketServer } from 'ws';

const ROOT = resolve(fileURLToPath(new URL('../../dist/renderer/', import.meta.url)));
const OUT = resolve(process.argv[2] ?? fileURLToPath(new URL('../../dist/screens/', import.meta.url)));
const SIZES = [
  { name: '1280x800', width: 1280, height: 800 },
  { name: '800x600', width: 800, height: 600 },
];
const CONTROL_TOKEN = 'screens-token';
const SCREENS = ['Dashboard', 'Peers', 'Limits', 'VNodes', 'Trusted', 'Activity', 'Settings'];
const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.svg': 'image/svg+xml' };

function csp(port) {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

async function serve() {
  let port = 0;
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(/^[/\\]+/, '');
    const file = join(ROOT, path === '' ? 'index.html' : path);
    if (!file.startsWith(ROOT)) {
      response.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': csp(port), 'Cache-Control': 'no-store' });
      response.end(body);
    } catch {
      response.writeHead(404, { 'Content-Security-Policy': csp(port) }).end();
    }
  });
  // A control endpoint as `pnode node --ui` has one: the token as a subprotocol, the state first, then answers.
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('pnode-control.v1') ? 'pnode-control.v1' : false) });
  server.on('upgrade', (request, socket, head) => {
    const offered = String(request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (new URL(request.url ?? '/', 'http://x').pathname !== '/control' || !offered.includes(`pnode-token.${CONTROL_TOKEN}`)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.send(JSON.stringify({ type: 'state', state: buildState('joined') }));
      ws.on('message', (data) => {
        const { id } = JSON.parse(String(data));
        ws.send(JSON.stringify({ type: 'response', id, result: { ok: true, value: null } }));
      });
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  port = server.address().port;
  return { server, port, wss };
}

/** A realistic node state for a scenario, its times relative to now. */
function buildState(scenario) {
  const now = Date.now();
  const id = (tail) => `node:did:key:z6Mk${tail}`;
  const SELF = id('haXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK');
  const ORCH1 = id('rJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2');
  const ORCH2 = id('tBLPWzNtUTVvFcQoRXqkf9hX5Z3fJQm1rNq8kyGZb7Tn');
  const peers = [
    ['pTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH', 'alpha-lab', 'wss://203.0.113.10:7443', 'hot', 'connected', 18, 0.94, ['vnode', 'relay'], 2_000],
    ['jchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG', 'bravo', 'wss://198.51.100.7:7443', 'hot', 'connected', 42, 0.88, ['vnode'], 5_000],
    ['nGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf', null, 'wss://[2001:db8::42]:7443', 'warm', 'idle', 77, 0.61, ['vnode'], 95_000],
    ['wqY8DSpKkM4uWn2vTfLqR7kE1xHcJbZ9aNgPmVtS3dEq', 'charlie-home', null, 'cold', 'idle', null, 0.35, [], 1_800_000],
    ['vD2mPq7sKxN4tRbWy9LcHzE3aF6jGuS1oQiT8eYkVnMw', null, 'wss://192.0.2.33:9443', 'cold', 'cooldown', 310, 0.12, ['vnode'], 600_000],
    ['sL9kQw3eRtY7uIoP2aSdFgH5jKzXcVbN4mQwErTyUiOp'.replace(/[IlO0]/g, 'x'), 'spammy', 'wss://192.0.2.99:7443', 'blocked', 'blocked', 120, 0.01, [], 3_600_000],
  ].map(([tail, label, address, temperature, lifecycle, rttMs, score, capabilities, ago]) => ({
    nodeId: id(tail), label, address, temperature, lifecycle, direction: address ? 'outbound' : 'inbound', rttMs, score, capabilities,
    lastSeen: now - ago, blockedUntil: temperature === 'blocked' ? now + 20 * 3_600_000 : null, blockReason: temperature === 'blocked' ? 'by you' : null,
  }));
  const types = ['identity/loaded', 'advertisement/published', 'peer/discovered', 'handshake/started', 'handshake/accepted', 'session/established', 'capability/exchanged', 'peer/connected', 'keepalive/lost', 'keepalive/restored', 'advertisement/fetched', 'peer/disconnected'];
  const traces = [];
  for (let i = 0; i < 40; i++) {
    const type = i % 13 === 12 ? 'error/occurred' : i % 17 === 16 ? 'handshake/rejected' : types[i % types.length];
    const p = peers[i % peers.length];
    const detail = type === 'error/occurred'
      ? { code: 'E_TRANSPORT_UNAVAILABLE', class: 'transport/unavailable', message: 'dial timed out after 10 s', url: p.address ?? 'inbound' }
      : type === 'handshake/rejected'
        ? { code: 'E_HS_REPLAY', class: 'handshake/replay-suspected', message: 'nonce seen before' }
        : type === 'session/established' ? { 'session/role': 'initiator', 'rtt-ms': 21 } : undefined;
    traces.push({
      'trace/id': `tr:01JQ${String(i).padStart(4, '0')}`, 'event/type': type, ts: new Date(now - (40 - i) * 47_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      'node/self': SELF, ...(type === 'identity/loaded' || type === 'advertisement/published' ? {} : { peer: p.nodeId }), ...(detail ? { detail } : {}),
    });
  }
  const joined = scenario !== 'first-run';
  let state = {
    protocol: 'pnode-control.v1', version: '0.1.0', startedAt: now - (3 * 3_600_000 + 25 * 60_000 + 7_000),
    identity: { nodeId: SELF, participantId: SELF.replace('node:', 'participant:'), keyPublic: SELF.slice(13), createdAt: '2026-03-01T10:00:00Z', keystore: scenario === 'file-key' ? 'file' : 'keychain' },
    network: {
      networkId: 'net:z6MkoTeH4aGx9ZqPVkWcN1uJdYBrS3Lm7fEyQ2hKpXtA8vRn', name: 'Orbiplex Community', joinPolicy: 'open', joined,
      listenUrls: joined ? ['wss://192.168.1.20:7443'] : [],
      seeds: [{ nodeId: ORCH1, url: 'wss://seed1.orbiplex.example:7443', label: 'seed 1' }],
      directories: ['https://directory.orbiplex.example'], allowlistMode: false, allowlist: [],
    },
    contribution: joined
      ? { enabled: true, status: 'contributing', snoozedUntil: null, limits: { cpuPercent: 60, memoryPercent: 25, maxCores: 4, onlyWhenIdle: false, pauseOnBattery: true }, suspendReasons: [] }
      : { enabled: false, status: 'off', snoozedUntil: null, limits: { cpuPercent: 50, memoryPercent: 25, maxCores: 1, onlyWhenIdle: false, pauseOnBattery: true }, suspendReasons: ['not-joined'] },
    orchestrators: joined ? [
      { nodeId: ORCH1, url: 'wss://orch-eu1.orbiplex.example:7443', status: 'registered', primary: true, registeredAt: now - 3 * 3_600_000, lastHeartbeatAt: now - 3_000, leaseExpiresAt: now + 27_000, heartbeatIntervalMs: 10_000, heartbeatsAcked: 1_231 },
      { nodeId: ORCH2, url: 'wss://orch-us1.orbiplex.example:7443', status: 'lost', primary: false, registeredAt: now - 2 * 3_600_000, lastHeartbeatAt: now - 125_000, leaseExpiresAt: now - 95_000, heartbeatIntervalMs: 10_000, heartbeatsAcked: 402 },
    ] : [],
    peers: joined ? peers : [],
    vnodes: joined ? [
      { vnodeId: 'vn:01JQ8Z4K2M7T', orchestrator: ORCH1, cores: 2, memoryMb: 2_048, state: 'running', pausedReason: null, tasksDone: 148, cpuMsToday: 2 * 3_600_000 + 14 * 60_000, cpuMsTotal: 41 * 3_600_000, since: now - 3 * 3_600_000 },
      { vnodeId: 'vn:01JQ8Z9P1QXR', orchestrator: ORCH1, cores: 1, memoryMb: 1_024, state: 'paused', pausedReason: 'you are using the computer', tasksDone: 37, cpuMsToday: 48 * 60_000, cpuMsTotal: 9 * 3_600_000, since: now - 2 * 3_600_000 },
      { vnodeId: 'vn:01JQ7A2B3C4D', orchestrator: ORCH2, cores: 1, memoryMb: 512, state: 'released', pausedReason: null, tasksDone: 12, cpuMsToday: 0, cpuMsTotal: 3 * 3_600_000, since: now - 26 * 3_600_000 },
    ] : [],
    trusted: scenario === 'trusted'
      ? { state: 'expiring', operatorId: ORCH2, credentialId: 'cred:01JQ5V6W7X8Y', validFrom: '2026-01-01T00:00:00Z', validUntil: new Date(now + 6 * 86_400_000).toISOString(), lastError: null, revoked: null }
      : scenario === 'trusted-revoked'
        ? {
            state: 'revoked', operatorId: ORCH2, credentialId: 'cred:01JQ5V6W7X8Y', validFrom: '2026-01-01T00:00:00Z', validUntil: new Date(now + 20 * 86_400_000).toISOString(),
            lastError: 'E_TRANSPORT_REJECTED operator-credential.v1 cred:01JQ5V6W7X8Y was revoked by its registration authority (laptop reported stolen); enroll again with a new token',
            revoked: { at: new Date(now - 40 * 60_000).toISOString(), reason: 'laptop reported stolen' },
          }
        : { state: 'not-enrolled', operatorId: null, credentialId: null, validFrom: null, validUntil: null, lastError: null, revoked: null },
    hardware: {
      'schema/v': 1, 'detected-at': new Date(now - 3 * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      'cpu/brand': 'Ryzen 7 5800X', 'cpu/manufacturer': 'AMD', 'cpu/physical-cores': 8, 'cpu/logical-cores': 16, 'cpu/speed-mhz': 3800, 'cpu/speed-max-mhz': null,
      'memory/total-mb': 32_011, 'memory/available-mb': 19_422, 'os/platform': 'linux', 'os/distro': 'Debian GNU/Linux', 'os/release': '12', 'os/kernel': '6.1.0-18-amd64', 'os/arch': 'x64',
      gpus: null, 'disk/free-mb': 412_330, 'disk/total-mb': 953_868, warnings: [{ probe: 'gpu', reason: 'timeout' }],
    },
    traces, launchAtLogin: false,
  };
  if (scenario === 'stopped') {
    state = { ...state, contribution: { ...state.contribution, status: 'snoozed', snoozedUntil: now + 50 * 60_000, suspendReasons: ['snoozed', 'on-battery', 'no-orchestrator'] } };
  }
  return state;
}

/** Runs in the page before the app: records CSP violations and, unless in browser mode, puts a stand-in node behind `window.pnode`. */
function installFakeNode({ state, browserMode, events }) {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  if (browserMode) return;
  const listeners = new Set();
  window.pnode = {
    getState: () => Promise.resolve(state),
    command: (command) => Promise.resolve(command.command === 'export-identity' ? { ok: true, value: '{"kind":"pnode-identity-backup.v1"}' } : { ok: true, value: null }),
    onEvent: (listener) => {
      listeners.add(listener);
      // Events the node pushed (notifications), once the app listens.
      for (const event of events) setTimeout(() => listener(event), 0);
      return () => listeners.delete(listener);
    },
  };
}

/** Events the stand-in node pushes in a scenario (the notification text is the node's, notifications-module.ts). */
const EVENTS = {
  'trusted-revoked': [
    {
      type: 'notification',
      kind: 'trusted-revoked',
      title: 'Trusted registration revoked',
      body: "The registration authority revoked this PNode's operator credential. It goes on as an untrusted node; enroll again with a new token to be trusted.",
    },
  ],
};

const shots = [];
const problems = [];

async function shoot(browser, port, size, scenario, screenName, file, { hash = '', colorScheme = 'light', fullPage = false } = {}) {
  const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, colorScheme });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`${file}: page error ${error.message}`));
  page.on('console', (message) => {
    // The browser scenario's WebSocket is refused on purpose; a failed load is reported by URL below.
    if (message.type() === 'error' && !/WebSocket connection|Failed to load resource/.test(message.text())) problems.push(`${file}: console ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${file}: HTTP ${response.status()} for ${response.url()}`);
  });
  const browserMode = scenario.startsWith('browser');
  await page.addInitScript(installFakeNode, { state: buildState(scenario), browserMode, events: EVENTS[scenario] ?? [] });
  await page.goto(`http://127.0.0.1:${port}/${hash}`);
  if (screenName !== null) await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: screenName, exact: true }).click();
  await page.locator('main h1').first().waitFor();
  if (scenario === 'browser') await page.getByText('Not connected to the node').waitFor();
  if (scenario === 'browser-connected') await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
  const path = join(OUT, `${file}-${size.name}.png`);
  await page.screenshot({ path, fullPage });
  shots.push(path);
  const violations = await page.evaluate(() => window.__cspViolations);
  for (const v of violations) problems.push(`${file}: CSP violation ${v}`);
  if (browserMode && page.url().includes('token=')) problems.push(`${file}: the token stayed in the address bar`);
  await context.close();
}

const { server, port, wss } = await serve();
await mkdir(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  for (const size of SIZES) {
    await shoot(browser, port, size, 'first-run', null, 'first-run');
    for (const name of SCREENS) await shoot(browser, port, size, name === 'Trusted' ? 'trusted' : 'joined', name, name.toLowerCase());
    await shoot(browser, port, size, 'trusted-revoked', 'Trusted', 'trusted-revoked');
    await shoot(browser, port, size, 'stopped', null, 'dashboard-stopped');
    await shoot(browser, port, size, 'file-key', 'Settings', 'settings-file-key');
    await shoot(browser, port, size, 'browser', null, 'browser-disconnected', { hash: '#token=not-a-real-token' });
    await shoot(browser, port, size, 'browser-connected', null, 'browser-connected', { hash: `#token=${CONTROL_TOKEN}` });
  }
  await shoot(browser, port, SIZES[0], 'joined', 'Dashboard', 'dashboard-dark', { colorScheme: 'dark' });
  await shoot(browser, port, SIZES[0], 'joined', 'Settings', 'settings-full', { fullPage: true });
  await shoot(browser, port, SIZES[1], 'joined', 'Settings', 'settings-full', { fullPage: true });
} finally {
  await browser.close();
  for (const client of wss.clients) client.terminate();
  wss.close();
  server.close();
}
for (const path of shots) console.log(path);
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exitCode = 1;
}

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
const SCREENS = ['Dashboard', 'Work', 'Credit', 'Activity', 'Peers', 'Limits', 'Trusted', 'Settings'];
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
    if (new URL(request.url ?? '/', 'http://x').pathname === '/control/check') {
      response.writeHead(request.headers.authorization === `Bearer ${CONTROL_TOKEN}` ? 204 : 401).end();
      return;
    }
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
        const { id, command } = JSON.parse(String(data));
        ws.send(JSON.stringify({ type: 'response', id, result: answerFor(command, Date.now()) }));
      });
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  port = server.address().port;
  return { server, port, wss };
}

const ZERO = { cpuMs: 0, tasksDone: 0, tasksValidated: 0, tasksRejected: 0, credit: 0 };
const HOUR = 3_600_000;
const MANDELBROT = { kind: 'mandelbrot-demo', name: 'Mandelbrot demo', description: 'Draws a picture of the Mandelbrot set, one small tile per task. A demonstration the network runs to keep its volunteers busy.', url: null, moduleHash: 'sha256:9f2c4e0b7a1d3c5e8f6a2b4d1c3e5f7a9b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e' };
const RECEIPTS = Array.from({ length: 8 }, (_, i) => (now, orch) => ({
  index: 183 - i, receiptId: `rcpt:01JQ8Z4K2M7T${String(i).padStart(2, '0')}ABCDEFGHJK`, orchestrator: orch, projectKey: 'z6MkprojectKeyFingerprint', projectName: 'Mandelbrot demo',
  taskId: `wt:01JQ${i}`, outcome: i === 3 ? 'late' : 'validated', credit: i === 3 ? 0 : 260_000 + i * 1_000, cpuMs: 31_000 + i * 500, validatedAt: now - (i + 1) * 95_000, receivedAt: now - (i + 1) * 90_000,
}));
function historyView(now) {
  const hour = Math.floor(now / HOUR) * HOUR;
  return {
    today: { cpuMs: 2 * HOUR + 41 * 60_000, tasksDone: 212, tasksValidated: 181, tasksRejected: 2, credit: 14_200_000 },
    last7Days: { cpuMs: 19 * HOUR, tasksDone: 1_480, tasksValidated: 1_402, tasksRejected: 9, credit: 39_800_000 },
    allTime: { cpuMs: 53 * HOUR, tasksDone: 4_021, tasksValidated: 3_870, tasksRejected: 21, credit: 48_250_000 },
    since: now - 30 * 24 * HOUR, revision: 40, hour,
  };
}
function historyDetail(now) {
  const view = historyView(now);
  const hours = Array.from({ length: 24 }, (_, i) => {
    const busy = i >= 14 ? Math.round(20 + 30 * Math.abs(Math.sin(i))) : i % 5 === 0 ? 5 : 0;
    return { start: view.hour - (23 - i) * HOUR, cpuMs: busy * 60_000, tasksDone: busy * 2, tasksValidated: Math.floor(busy * 1.7), tasksRejected: 0, credit: busy * 90_000 };
  });
  const days = Array.from({ length: 30 }, (_, i) => {
    const d = new Date(now - (29 - i) * 24 * HOUR);
    const busy = i < 8 ? 0 : Math.round(60 + 80 * Math.abs(Math.sin(i * 1.3)));
    return { day: `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`, cpuMs: busy * 60_000, tasksDone: busy * 2, tasksValidated: busy * 2 - 3, tasksRejected: 0, credit: busy * 70_000 };
  });
  return { ...view, hours, days };
}
function activityEntries(now, orch) {
  const e = (id, kind, ago, detail = {}, count = 1) => ({ id, kind, at: now - ago - 600_000, lastAt: now - ago, count, detail });
  return [
    e(9, 'result-validated', 60_000, { project: 'Mandelbrot demo', credit: 5_400_000, cpuMs: 640_000 }, 21),
    e(8, 'task-finished', 90_000, { workload: 'Mandelbrot demo', cpuMs: 700_000 }, 24),
    e(7, 'task-started', 30_000, { workload: 'Mandelbrot demo', orchestrator: orch }, 25),
    e(6, 'limits-changed', 2 * HOUR, { cpuPercent: 60, 'cpuPercent.was': 50, maxCores: 4, 'maxCores.was': 2 }),
    e(5, 'contribution-resumed', 3 * HOUR),
    e(4, 'snoozed', 4 * HOUR, { until: now - 3 * HOUR }),
    e(3, 'orchestrator-connected', 5 * HOUR, { orchestrator: orch }),
    e(2, 'result-rejected', 5.5 * HOUR, { project: 'Mandelbrot demo', outcome: 'late' }),
    e(1, 'joined', 6 * HOUR),
  ];
}
function workView(now, orch) {
  return {
    cpu: { usedPermille: 121, limitPermille: 150, sampledAt: now - 2_000 },
    running: [{ taskId: 'wt:01JQ8ZA', vnodeId: 'vn:01JQ8Z4K2M7T', orchestrator: orch, workload: MANDELBROT, startedAt: now - 14_000, budgetMs: 60_000, activeMs: 12_400, cpuMs: 11_900, suspended: false, progress: null }],
    queued: 1,
    recent: Array.from({ length: 6 }, (_, i) => ({ taskId: `wt:01JQ8Y${i}`, vnodeId: 'vn:01JQ8Z4K2M7T', orchestrator: orch, workload: MANDELBROT, status: 'ok', finishedAt: now - (i + 1) * 20_000, cpuMs: 18_000, picture: { width: 64, height: 64, caption: `Tile ${i + 2}, 3 of a 8 × 8 picture of the Mandelbrot set` } })),
  };
}
/** A small PNG (solid colour), base64, for the fake result pictures: made with node:zlib. */
async function tilePng(seed) {
  const { deflateSync } = await import('node:zlib');
  const size = 64;
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const o = y * (size * 3 + 1) + 1 + x * 3;
    const v = Math.floor(128 + 127 * Math.sin((x + seed * 9) / 7) * Math.cos(y / 9));
    raw[o] = v; raw[o + 1] = 80 + (v >> 2); raw[o + 2] = 255 - v;
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => { const out = Buffer.alloc(12 + data.length); out.writeUInt32BE(data.length, 0); out.write(type, 4, 'ascii'); data.copy(out, 8); out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length); return out; };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]).toString('base64');
}
const PICTURES = await Promise.all(Array.from({ length: 6 }, (_, i) => tilePng(i)));

/** What the stand-in node answers to each command. */
function answerFor(command, now) {
  const orch = 'node:did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2';
  switch (command.command) {
    case 'get-history': return { ok: true, value: historyDetail(now) };
    case 'list-receipts': return { ok: true, value: { receipts: RECEIPTS.map((r) => r(now, orch)), nextBefore: 175 } };
    case 'get-receipt': {
      const summary = RECEIPTS.map((r) => r(now, orch)).find((r) => r.receiptId === command.receiptId);
      return summary ? { ok: true, value: { summary, verified: true, problem: null, receipt: { 'receipt/id': summary.receiptId, 'orchestrator/node-id': orch, 'result/outcome': summary.outcome, 'credit/micro': summary.credit, signature: 'z3vQ…' } } } : { ok: false, error: { code: 'failed', message: 'no such receipt' } };
    }
    case 'list-activity': return { ok: true, value: { entries: [], nextBefore: null } };
    case 'get-result-picture': {
      const i = Number(String(command.taskId).slice(-1));
      return { ok: true, value: { taskId: command.taskId, mime: 'image/png', width: 64, height: 64, base64: PICTURES[i % PICTURES.length] } };
    }
    case 'export-identity': return { ok: true, value: { backup: '{"kind":"pnode-identity-backup.v1"}', nodeId: 'x' } };
    default: return { ok: true, value: null };
  }
}

/** A realistic node state for a scenario, its times relative to now. */
function buildState(scenario) {
  const now = Date.now();
  const id = (tail) => `node:did:key:z6Mk${tail}`;
  const SELF = id('haXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK');
  const ORCH1 = id('rJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2');
  const ORCH2 = id('tBLPWzNtUTVvFcQoRXqkf9hX5Z3fJQm1rNq8kyGZb7Tn');
  const peers = [
    ['pTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH', 'alpha-lab', 'wss://203.0.113.10:7443', 'hot', 'connected', 18, 94, ['vnode', 'relay'], 2_000],
    ['jchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG', null, 'wss://198.51.100.7:7443', 'hot', 'connected', 42, 68, ['vnode'], 5_000],
    ['nGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf', null, 'wss://[2001:db8::42]:7443', 'warm', 'connected', 77, 41, ['vnode'], 95_000],
    ['wqY8DSpKkM4uWn2vTfLqR7kE1xHcJbZ9aNgPmVtS3dEq', 'charlie-home', null, 'cold', 'idle', null, 35, [], 1_800_000],
    ['vD2mPq7sKxN4tRbWy9LcHzE3aF6jGuS1oQiT8eYkVnMw', null, 'wss://192.0.2.33:9443', 'cold', 'cooldown', 310, 12, ['vnode'], 600_000],
    ['sL9kQw3eRtY7uIoP2aSdFgH5jKzXcVbN4mQwErTyUiOp'.replace(/[IlO0]/g, 'x'), 'spammy', 'wss://192.0.2.99:7443', 'blocked', 'blocked', 120, 1, [], 3_600_000],
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
      directories: [], configuredDirectories: ['https://directory.orbiplex.example'], allowlistMode: false, allowlist: [],
    },
    contribution: joined
      ? { enabled: true, status: 'contributing', snoozedUntil: null, limits: { cpuPercent: 60, memoryPercent: 25, maxCores: 4, onlyWhenIdle: false, pauseOnBattery: true }, suspendReasons: [], idleDetection: scenario !== 'headless' }
      : { enabled: false, status: 'off', snoozedUntil: null, limits: { cpuPercent: 50, memoryPercent: 25, maxCores: 1, onlyWhenIdle: false, pauseOnBattery: true }, suspendReasons: ['not-joined'], idleDetection: true },
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
    credit: joined ? { unit: 'micro-cobblestone', total: 48_250_000, validated: 181, rejected: 2, pending: 6, receipts: 183, gaps: 0, refused: 0, lastReceiptAt: now - 120_000, recent: RECEIPTS.slice(0, 5).map((r) => r(now, ORCH1)) }
      : { unit: 'micro-cobblestone', total: 0, validated: 0, rejected: 0, pending: 0, receipts: 0, gaps: 0, refused: 0, lastReceiptAt: null, recent: [] },
    contributionHistory: joined ? historyView(now) : { today: ZERO, last7Days: ZERO, allTime: ZERO, since: null, revision: 0, hour: 0 },
    activity: joined ? { recent: activityEntries(now, ORCH1), total: 9, revision: 40 } : { recent: [], total: 0, revision: 0 },
    work: joined ? workView(now, ORCH1) : { cpu: { usedPermille: null, limitPermille: 0, sampledAt: null }, running: [], queued: 0, recent: [] },
  };
  if (scenario === 'stopped') {
    state = { ...state, contribution: { ...state.contribution, status: 'snoozed', snoozedUntil: now + 50 * 60_000, suspendReasons: ['snoozed', 'on-battery', 'no-orchestrator'] } };
  }
  return state;
}

/** Runs in the page before the app: records CSP violations and, unless in browser mode, puts a stand-in node behind `window.pnode`. */
function installFakeNode({ state, browserMode, answers, events }) {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  if (browserMode) return;
  const listeners = new Set();
  window.pnode = {
    getState: () => Promise.resolve(state),
    command: (command) => {
      const key = command.command === 'get-result-picture' ? `picture:${command.taskId}` : command.command === 'get-receipt' ? `receipt:${command.receiptId}` : command.command;
      return Promise.resolve(answers[key] ?? answers[command.command] ?? { ok: true, value: null });
    },
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
    if (response.status() >= 400 && !response.url().endsWith('/control/check')) problems.push(`${file}: HTTP ${response.status()} for ${response.url()}`);
  });
  const browserMode = scenario.startsWith('browser');
  const now = Date.now();
  const answers = {};
  for (const name of ['get-history', 'list-receipts', 'list-activity', 'export-identity']) answers[name] = answerFor({ command: name }, now);
  const state = buildState(scenario);
  for (const result of state.work.recent) answers[`picture:${result.taskId}`] = answerFor({ command: 'get-result-picture', taskId: result.taskId }, now);
  for (const receipt of RECEIPTS) { const r = receipt(now, 'node:did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2'); answers[`receipt:${r.receiptId}`] = answerFor({ command: 'get-receipt', receiptId: r.receiptId }, now); }
  await page.addInitScript(installFakeNode, { state, browserMode, answers, events: EVENTS[scenario] ?? [] });
  await page.goto(`http://127.0.0.1:${port}/${hash}`);
  if (screenName !== null) await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: screenName, exact: true }).click();
  await page.locator('main h1').first().waitFor();
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) problems.push(`${file}-${size.name}: the page scrolls sideways by ${overflow} px`);
  if (scenario === 'browser') await page.getByText(/not running|wrong or has expired|Not connected/).first().waitFor();
  if (scenario === 'browser-no-token') await page.getByText('Open your dashboard link').waitFor();
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
    await shoot(browser, port, size, 'headless', 'Limits', 'limits-headless');
    await shoot(browser, port, size, 'browser', null, 'browser-disconnected', { hash: '#token=not-a-real-token' });
    await shoot(browser, port, size, 'browser-no-token', null, 'browser-no-token');
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

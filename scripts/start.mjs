#!/usr/bin/env node
// `npm start`: the embedded default. A devnet (seed directory, orchestrator, contributor nodes) on
// loopback, offered to PNode Desktop as this build's default network — the same mechanism a release
// uses (scripts/build-networks.mjs writes dist/networks/default.json; no environment variable):
// first run shows "Join Local devnet". Where the Electron binary is not available (it is
// downloaded on first use, which this machine may not be able to do), it says so and opens browser
// mode instead: a node of your own with the dashboard served to any browser.
// `npm run start:web` is browser mode on purpose. Everything lives under .pnode-dev/; Ctrl-C stops it all.
//
// Stopping (issue 15 §6): SIGINT or SIGTERM to this process alone stops everything politely (the
// children run in their own process groups, so a terminal's Ctrl-C reaches this process only, and
// it asks each child once). Every child holds a lifeline to this process (scripts/lib/lifeline.mjs),
// so killing it with SIGKILL leaves nothing behind either: the children see it gone and stop.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { loadLifeline } from './lib/lifeline.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PNODE = join(ROOT, 'bin', 'pnode.js');
/** Everything `npm start` makes lives here (e2e tests point it at a temp dir). */
const DEV = process.env.PNODE_DEV_DIR ?? join(ROOT, '.pnode-dev');
const DEVNET_DIR = join(DEV, 'devnet');
const NETWORK_FILE = join(DEV, 'network.json');
const OWNER_KEY = join(DEV, 'network-owner.key');
const DEVNET_NODES = Number(process.env.PNODE_DEVNET_NODES ?? 3);
/** A shorter heartbeat interval makes a demo (and the e2e test) react faster; default the design's 10 s. */
const HEARTBEAT_MS = process.env.PNODE_DEVNET_HEARTBEAT_MS;
const READY_TIMEOUT_MS = 120_000;
/** After asking the children to stop, wait this long for them (a devnet gives each of its own 10 s), then SIGKILL. */
const STOP_WAIT_MS = 30_000;
const webOnly = process.argv.includes('--web');

const children = [];
/** Each child's 'close': it has exited and all it printed has been echoed. */
const closed = new Map();
let stopping = false;
const { holdLifeline, spawnSupervised } = await loadLifeline();

function log(line) {
  process.stdout.write(`${line}\n`);
}

function pnode(args, options = {}) {
  const result = spawnSync(process.execPath, [PNODE, ...args], { cwd: ROOT, encoding: 'utf8', ...options });
  if (result.status !== 0) throw new Error(`pnode ${args.join(' ')} failed:\n${result.stderr || result.stdout}`);
  return result.stdout;
}

/** Runs a long-lived child, echoing its output with a prefix; resolves when `ready` matches. */
function startChild(name, command, args, ready, env = {}) {
  if (stopping) return Promise.reject(new Stopping());
  const child = spawnSupervised(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  // 'close' comes after 'exit' once the child's pipes have ended: its last lines ("stopped") are echoed by then.
  closed.set(child, new Promise((done) => child.once('close', done)));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${output}`)), READY_TIMEOUT_MS);
    const onData = (chunk) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) log(`[${name}] ${line}`);
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (stopping) return reject(new Stopping());
      log(`${name} exited (${code}); stopping everything`);
      void stopAll(1);
      reject(new Error(`${name} exited with ${code}:\n${output}`));
    });
  });
}

/** The start-up was cut short by stopAll: not an error. */
class Stopping extends Error {}

const running = (child) => child.exitCode === null && child.signalCode === null;

/** Puts back the build's own default network (none, unless PNODE_BUILD_DEFAULT_NETWORK names one). */
function restoreBuildNetworks() {
  if (!offeredDevnet) return;
  offeredDevnet = false;
  spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-networks.mjs')], { cwd: ROOT, stdio: 'ignore' });
}

let offeredDevnet = false;

async function stopAll(code = 0) {
  if (stopping) return;
  stopping = true;
  restoreBuildNetworks();
  // Once, politely: a second SIGINT means "now" to pnode.
  for (const child of children) if (running(child)) child.kill('SIGINT');
  await Promise.race([
    Promise.all(children.map((child) => closed.get(child))),
    new Promise((done) => setTimeout(done, STOP_WAIT_MS)),
  ]);
  // Their own children hold lifelines to them, so this leaves nothing behind.
  for (const child of children) if (running(child)) child.kill('SIGKILL');
  process.exit(code);
}

/** The first peer listen URL of a running node, read from its control state. */
function listenUrlOf(node) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(node['control-url'], ['pnode-control.v1', `pnode-token.${node['control-token']}`]);
    const timer = setTimeout(() => reject(new Error('no state from node')), 10_000);
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type !== 'state') return;
      clearTimeout(timer);
      socket.close();
      resolve(message.state.network.listenUrls[0]);
    });
    socket.on('error', reject);
  });
}

/** Where Electron's binary would be; absent until it has been downloaded. */
function electronBinary() {
  try {
    const require = createRequire(import.meta.url);
    const packageDir = dirname(require.resolve('electron/package.json'));
    const pathFile = join(packageDir, 'path.txt');
    if (!existsSync(pathFile)) return { ok: false, reason: `${join(packageDir, 'dist')} is missing (Electron downloads its binary on first use; this machine could not or has not yet)` };
    const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(binary) ? { ok: true, binary } : { ok: false, reason: `${binary} is missing` };
  } catch (error) {
    return { ok: false, reason: `the electron package is not installed (${error.message})` };
  }
}

function openInBrowser(url) {
  if (!process.env.DISPLAY && process.platform === 'linux') return false;
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const result = spawnSync(opener, [url], { stdio: 'ignore' });
  return result.status === 0;
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
// Started by a supervisor (a test): when it goes, so does everything here.
holdLifeline({ onLost: () => void stopAll(1) });

if (!existsSync(join(ROOT, 'dist', 'pnode.js')) || !existsSync(join(ROOT, 'dist', 'renderer', 'index.html'))) {
  log('building (first run)…');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

/** Each step of the start-up checks that nobody asked to stop meanwhile. */
function stillWanted() {
  if (stopping) throw new Stopping();
}

async function main() {
  mkdirSync(DEV, { recursive: true });
  rmSync(DEVNET_DIR, { recursive: true, force: true });
  log(`starting a devnet of ${DEVNET_NODES} nodes under ${DEVNET_DIR}`);
  await startChild(
    'devnet',
    process.execPath,
    [PNODE, 'devnet', '--nodes', String(DEVNET_NODES), '--data-dir', DEVNET_DIR, ...(HEARTBEAT_MS ? ['--heartbeat-interval-ms', HEARTBEAT_MS] : [])],
    /ready\s+\d+ of \d+ nodes registered/,
  );

  stillWanted();
  // A network descriptor for the devnet, so the app (or your browser-mode node) joins it like a real network.
  const devnet = JSON.parse(readFileSync(join(DEVNET_DIR, 'devnet.json'), 'utf8'));
  if (!existsSync(OWNER_KEY)) pnode(['network', 'keygen', '--out', OWNER_KEY]);
  const seeds = [];
  for (const node of devnet.nodes) seeds.push('--seed', `${node['node-id']}@${await listenUrlOf(node)}`);
  stillWanted();
  pnode([
    'network', 'create', '--out', NETWORK_FILE, '--id', 'net:devnet', '--name', 'Local devnet', '--owner-key-file', OWNER_KEY, '--valid-days', '7',
    ...seeds,
    ...(devnet.directory ? ['--directory', devnet.directory.url] : []),
    '--orchestrator', `${devnet.orchestrator['node-id']}@${devnet.orchestrator.url}`,
    ...(devnet.authority?.key ? ['--registration-authority-key', devnet.authority.key] : []),
  ]);
  log(`network descriptor: ${NETWORK_FILE}`);
  // The same way a release build chooses its network: checked (signature, every service answers), then
  // dist/networks/default.json. Put back when this stops.
  const offer = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-networks.mjs'), '--network', NETWORK_FILE], { cwd: ROOT, encoding: 'utf8' });
  if (offer.status !== 0) throw new Error(`the devnet could not be offered as the default network:\n${offer.stderr || offer.stdout}`);
  offeredDevnet = true;
  log(offer.stdout.trim());
  stillWanted();

  const electron = webOnly ? { ok: false, reason: 'browser mode was asked for (npm run start:web)' } : electronBinary();
  if (electron.ok) {
    log('starting PNode Desktop; its first run offers the devnet');
    await startChild('desktop', electron.binary, [ROOT], /./);
  } else {
    if (!webOnly) log(`The Electron binary is not available: ${electron.reason}.\nOpening browser mode instead: your own PNode, headless, with the dashboard in a browser.`);
    const me = await startChild(
      'your-node',
      process.execPath,
      [PNODE, 'node', '--data-dir', join(DEV, 'my-node'), '--ui'],
      /dashboard\s+(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/,
    );
    const url = me.match[1];
    log(`\nPNode dashboard: ${url}\n${openInBrowser(url) ? 'opened in your browser' : 'open it in a browser'}; Ctrl-C stops everything.\n`);
  }
}

main().catch((error) => {
  if (error instanceof Stopping) return; // stopAll exits when the children are gone
  log(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  void stopAll(1);
});

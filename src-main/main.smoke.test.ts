// Smoke test of the Electron shell, honest about where it can run. The bundle part always runs:
// it builds main and preload the way a release does and checks what a sandboxed preload may
// require. The launch part needs the Electron binary, which electron ≥ 42 downloads lazily on
// first use and which this project's machines cannot download; there it is skipped, saying why.
// Note: require('electron') from Node would *try to download* the binary, so we never call it here.
import { TRAY_ICON_STATES } from './tray-model.js';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ELECTRON_DIR = join(ROOT, 'node_modules', 'electron');

/** The Electron executable when it is installed, or why it is not. */
function electronBinary(): { path: string } | { missing: string } {
  const pathFile = join(ELECTRON_DIR, 'path.txt');
  if (!existsSync(join(ELECTRON_DIR, 'package.json'))) return { missing: 'the electron package is not installed' };
  if (!existsSync(pathFile)) return { missing: 'the Electron binary was never downloaded (node_modules/electron/path.txt is missing)' };
  const executable = join(ELECTRON_DIR, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(executable)) return { missing: `the Electron binary is missing (${executable})` };
  return { path: executable };
}

const binary = electronBinary();
const noDisplay = process.platform === 'linux' && !process.env['DISPLAY'] && !process.env['WAYLAND_DISPLAY'];
const launchSkip = 'missing' in binary ? binary.missing : noDisplay ? 'no display (run under xvfb-run)' : null;

let workdir = '';
let outdir = '';

beforeAll(() => {
  // The layout of dist/: main/ (the bundle) beside renderer/ (a stand-in page here).
  workdir = mkdtempSync(join(tmpdir(), 'pnode-shell-'));
  outdir = join(workdir, 'main');
  mkdirSync(join(workdir, 'renderer'));
  writeFileSync(join(workdir, 'renderer', 'index.html'), '<!doctype html><title>PNode</title><p>smoke</p>');
  const build = spawnSync(process.execPath, ['scripts/build-main.mjs', '--outdir', outdir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (build.status !== 0) throw new Error(`build-main failed: ${build.stderr || build.stdout}`);
});

afterAll(() => {
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

function requires(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((match) => match[1] as string);
}

describe('the shell bundle', () => {
  it('gives the sandboxed preload nothing to require but electron', () => {
    expect(new Set(requires(join(outdir, 'preload.cjs')))).toEqual(new Set(['electron']));
  });

  it('runs where only require("electron") exists, and exposes exactly window.pnode', async () => {
    // A stand-in for the sandboxed preload realm: no process, no Buffer, a require that knows
    // only 'electron', which offers contextBridge and ipcRenderer.
    const exposed = new Map<string, unknown>();
    const invoked: unknown[][] = [];
    const listeners = new Map<string, (event: unknown, payload: unknown) => void>();
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => {
          invoked.push(args);
          return { ok: true, value: 'answered' };
        },
        on: (channel: string, listener: (event: unknown, payload: unknown) => void) => listeners.set(channel, listener),
      },
    };
    const required: string[] = [];
    const sandbox = {
      require: (name: string) => {
        required.push(name);
        if (name !== 'electron') throw new Error(`module not found: ${name}`);
        return electron;
      },
      module: { exports: {} },
      exports: {},
    };
    runInNewContext(readFileSync(join(outdir, 'preload.cjs'), 'utf8'), sandbox, { filename: 'preload.cjs' });
    expect(required).toEqual(['electron']);
    expect([...exposed.keys()]).toEqual(['pnode']);
    const bridge = exposed.get('pnode') as Record<string, (...args: unknown[]) => unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['command', 'getState', 'onEvent']);
    expect(await bridge['command']?.({ command: 'join' })).toEqual({ ok: true, value: 'answered' });
    expect(invoked).toEqual([['pnode:command', { command: 'join' }]]);
    expect([...listeners.keys()]).toEqual(['pnode:event']);
    const events: unknown[] = [];
    bridge['onEvent']?.((event: unknown) => events.push(event));
    listeners.get('pnode:event')?.({ sender: 'ipcRenderer itself' }, { type: 'patch', patch: { launchAtLogin: true } });
    expect(events).toEqual([{ type: 'patch', patch: { launchAtLogin: true } }]);
  });

  it('builds the main process as CommonJS that loads electron and no source files', () => {
    const main = readFileSync(join(outdir, 'main.cjs'), 'utf8');
    expect(requires(join(outdir, 'main.cjs'))).toContain('electron');
    expect(requires(join(outdir, 'main.cjs')).filter((name) => name.startsWith('.'))).toEqual([]);
    expect(main).not.toMatch(/\bimport\.meta\b/);
    expect(main).toContain('"pnode:command"');
  });

  it('carries the tray icons and the window icon', () => {
    const icons = readdirSync(join(outdir, 'icons'));
    expect(icons).toContain('icon.png');
    // Six files per tray state (TRAY_ICON_STATES).
    expect(icons.filter((name) => name.startsWith('tray-')).length).toBe(6 * TRAY_ICON_STATES.length);
  });
});

describe('the Electron shell', () => {
  it.skipIf(launchSkip !== null)(`starts, shows its window and quits${launchSkip ? ` — skipped: ${launchSkip}` : ''}`, () => {
    const executable = (binary as { path: string }).path;
    const args = [join(outdir, 'main.cjs'), '--smoke-test'];
    if (process.platform === 'linux' && process.getuid?.() === 0) args.push('--no-sandbox');
    const env = { ...process.env };
    delete env['ELECTRON_RUN_AS_NODE'];
    const run = spawnSync(executable, args, { env, encoding: 'utf8', timeout: 30_000 });
    expect(run.stdout).toContain('smoke test: window ready');
    expect(run.status).toBe(0);
  });
});

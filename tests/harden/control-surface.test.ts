// Smoke version of harden/control-surface.harden.ts: the same attack classes, a few attempts each,
// against a real in-process node (NodeRuntime + NodeControl) behind its control server serving a
// UI folder with a secret file next to it. Every attack is refused; valid clients still get in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControlServer, type ControlServer } from '../../src-node/control/control-server.js';
import { NodeControl } from '../../src-node/control/node-control.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { startTestNode } from '../support/nodes.js';
import { makeTempDir } from '../support/temp-dir.js';
import { PATIENCE_MS } from '../support/wait.js';
import {
  attackControlSurface,
  failures,
  formatTable,
  nonLoopbackAddresses,
  traversalTargets,
  type AttackReport,
  type ControlTarget,
} from '../../harden/control-surface.harden.js';

const ATTEMPTS = 4;
const SECRET = 'SECRET-next-to-the-ui-folder-0123456789abcdef';

let runtime: NodeRuntime & { cleanup: () => Promise<void> };
let control: NodeControl;
let server: ControlServer;
let files: { path: string; cleanup: () => void };
let target: ControlTarget;
let report: AttackReport;

beforeAll(async () => {
  files = makeTempDir('pnode-harden-ui-');
  const ui = join(files.path, 'ui');
  mkdirSync(join(ui, 'assets'), { recursive: true });
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>PNode</title>');
  writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(files.path, 'secret.txt'), SECRET);
  runtime = await startTestNode({ listenOn: false, initialSettings: { joined: false } });
  control = new NodeControl(runtime);
  server = await startControlServer({ handler: control, staticDir: ui });
  target = { port: server.port, token: server.token, staticRoot: ui, attemptTimeoutMs: PATIENCE_MS };
  report = await attackControlSurface(target, ATTEMPTS);
});

afterAll(async () => {
  control?.stop();
  await server?.close();
  await runtime?.cleanup();
  files?.cleanup();
});

describe('the control surface under attack (smoke)', () => {
  it('refuses every attack and accepts every valid client, before and after', () => {
    expect(failures(report), formatTable(report.rows)).toEqual([]);
    for (const row of report.rows) {
      if (row.expectAccepted) expect(row.accepted, row.name).toBe(row.attempts);
      else expect([row.name, row.accepted]).toEqual([row.name, 0]);
    }
  });

  it('runs every class', () => {
    const names = report.rows.map((row) => row.name);
    for (const fragment of ['no token', 'wrong token', 'token in URL', 'foreign Origin', 'rebinding Host -> control', 'rebinding Host -> UI', 'non-loopback', 'oversized', 'command floods', 'connection flood', 'malformed', 'CSRF', 'path traversal']) {
      expect(names.some((name) => name.includes(fragment)), fragment).toBe(true);
    }
  });

  it('answers each class with the status that says why', () => {
    const statuses = (fragment: string): string[] => [...(report.rows.find((row) => row.name.includes(fragment))?.statuses.keys() ?? [])];
    expect(statuses('no token')).toEqual(['401']);
    expect(statuses('wrong token')).toEqual(['401']);
    expect(statuses('foreign Origin')).toEqual(['403']);
    expect(statuses('rebinding Host -> control')).toEqual(['421']);
    expect(statuses('oversized').every((label) => label === 'close 1009')).toBe(true);
    expect(statuses('connection flood')).toEqual(['503']);
    expect(statuses('CSRF')).toEqual(['405']);
    expect(statuses('command floods')).toContain('busy');
  });

  it('probes the secret next to the UI folder and never gets it', () => {
    expect(traversalTargets(target.staticRoot).some((t) => t.marker.startsWith('SECRET-'))).toBe(true);
    const traversal = report.rows.find((row) => row.name.includes('path traversal'))!;
    expect([...traversal.statuses.keys()].some((label) => label.includes('LEAK'))).toBe(false);
  });

  it('tries the non-loopback addresses when the machine has one', () => {
    const row = report.rows.find((r) => r.name.includes('non-loopback'))!;
    if (nonLoopbackAddresses().ipv4.length === 0) expect(row.attempts).toBe(0);
    else expect(row.attempts).toBe(ATTEMPTS);
  });

  it('leaves the node as it was', () => {
    expect(report.stateAfter).toBe(report.stateBefore);
    expect(JSON.parse(report.stateAfter).joined).toBe(false);
  });
});

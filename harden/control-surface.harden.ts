// Issue 8 §4: the local control server under attack. Starts a real node (`pnode node --ui`, a child
// process) and attacks its control server class by class: no token, wrong tokens, the token in the
// wrong place, foreign Origins, rebinding Host headers, a non-loopback interface, oversized
// messages, command and connection floods, malformed commands, CSRF-style plain HTTP and path
// traversal on the UI files. Prints one row per class; every attack must be refused (accepted 0),
// and the valid control runs before and after must all be accepted. Exit 1 otherwise.
//
// Run: `npm run build && npm run harden -- control-surface` (scripts/harden.mjs bundles and runs it).
// PNODE_HARDEN_SCALE=0.1 runs a tenth of the attempts (100 per class at scale 1). Wrong tokens are
// fresh random bytes, not drawn from the seed: no run should be able to guess the next one.
//
// The attack functions are exported: tests/harden/control-surface.test.ts runs a smoke version
// against an in-process node.
import { spawnSupervised } from '../src-node/kernel/process/lifeline.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { CONTROL_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../src-node/control/control-auth.js';
import { connectControl } from '../src-node/control/control-client.js';
import { readControlFile } from '../src-node/control/control-file.js';
import {
  CONTROL_COMMAND_BURST,
  CONTROL_COMMANDS_PER_SECOND,
  CONTROL_HOST,
  CONTROL_PATH,
  MAX_CONTROL_CLIENTS,
  MAX_CONTROL_MESSAGE_BYTES,
} from '../src-node/control/control-server.js';
import type { NodeState } from '../src-shared/control/state.js';
import { printHeader } from './lib/environment.js';
import { scaleFromEnv, scaled, seedFromEnv } from './lib/random.js';

/** Attempts per class at scale 1. */
export const DEFAULT_ATTEMPTS = 100;
/** One attempt gets this long before it counts as "no answer" (unless the target says otherwise). */
export const ATTEMPT_TIMEOUT_MS = 5_000;
/** Commands sent at once in one flood burst. */
export const FLOOD_BURST = 200;
/** The server's burst allowance. */
const SERVER_BURST = CONTROL_COMMAND_BURST;
/** Messages sent on one connection in the malformed class: inside the burst allowance. */
const MALFORMED_PER_CONNECTION = SERVER_BURST - 5;

export interface ControlTarget {
  readonly port: number;
  readonly token: string;
  /** The folder the UI files are served from (path traversal probes files outside it). */
  readonly staticRoot: string;
  /**
   * How long an attempt waits for the server's answer before it counts as "no answer"; default
   * ATTEMPT_TIMEOUT_MS. The smoke test gives its patience: on a starved CPU an answer comes late.
   */
  readonly attemptTimeoutMs?: number;
}

function patience(target: ControlTarget): number {
  return target.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
}

export interface AttackRow {
  readonly name: string;
  readonly attempts: number;
  readonly refused: number;
  readonly accepted: number;
  /** True for the valid control runs: every attempt must be accepted. */
  readonly expectAccepted: boolean;
  /** What the attempts got back (HTTP status, close code, error code, command error code), counted. */
  readonly statuses: ReadonlyMap<string, number>;
  readonly note?: string;
}

interface Outcome {
  readonly accepted: boolean;
  readonly label: string;
}

/** Runs `count` attempts, `parallel` at a time, and tallies them into a row. */
async function tally(
  name: string,
  count: number,
  attempt: (index: number) => Promise<Outcome>,
  options: { expectAccepted?: boolean; note?: string; parallel?: number } = {},
): Promise<AttackRow> {
  const statuses = new Map<string, number>();
  let accepted = 0;
  const parallel = Math.max(1, options.parallel ?? 8);
  for (let start = 0; start < count; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - start) }, (_, k) => attempt(start + k));
    for (const outcome of await Promise.all(batch)) {
      if (outcome.accepted) accepted++;
      statuses.set(outcome.label, (statuses.get(outcome.label) ?? 0) + 1);
    }
  }
  return {
    name,
    attempts: count,
    refused: count - accepted,
    accepted,
    expectAccepted: options.expectAccepted ?? false,
    statuses,
    ...(options.note !== undefined ? { note: options.note } : {}),
  };
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message.slice(0, 40) : String(error);
}

// --- the two ways in: a WebSocket upgrade and a plain HTTP request ---------------------------------

interface UpgradeSpec {
  readonly path?: string;
  readonly protocols?: readonly string[];
  readonly host?: string;
  readonly origin?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly address?: string;
  readonly timeoutMs?: number;
}

/** One WebSocket upgrade: accepted when the socket opens (101), else the status or error seen. */
export function upgrade(port: number, spec: UpgradeSpec): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    let socket: WebSocket | undefined;
    const done = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      socket?.terminate();
      done({ accepted: false, label: 'no answer' });
    }, spec.timeoutMs ?? ATTEMPT_TIMEOUT_MS);
    try {
      const address = spec.address ?? CONTROL_HOST;
      const hostPart = address.includes(':') ? `[${address}]` : address;
      socket = new WebSocket(`ws://${hostPart}:${port}${spec.path ?? CONTROL_PATH}`, [...(spec.protocols ?? [])], {
        headers: { ...(spec.headers ?? {}), ...(spec.host !== undefined ? { Host: spec.host } : {}) },
        ...(spec.origin !== undefined ? { origin: spec.origin } : {}),
        handshakeTimeout: spec.timeoutMs ?? ATTEMPT_TIMEOUT_MS,
        perMessageDeflate: false,
        followRedirects: false,
      });
    } catch (error) {
      done({ accepted: false, label: `client: ${errorCode(error)}` });
      return;
    }
    const ws = socket;
    ws.on('open', () => {
      ws.close();
      done({ accepted: true, label: '101' });
    });
    ws.on('unexpected-response', (request, response) => {
      response.resume();
      request.destroy();
      done({ accepted: false, label: String(response.statusCode) });
    });
    ws.on('error', (error) => done({ accepted: false, label: errorCode(error) }));
  });
}

interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

interface HttpSpec {
  readonly method?: string;
  readonly path: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string;
  /** false: send no Host header at all. */
  readonly setHost?: boolean;
  readonly timeoutMs?: number;
}

export function http(port: number, spec: HttpSpec): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: CONTROL_HOST,
        port,
        method: spec.method ?? 'GET',
        path: spec.path,
        headers: spec.headers ?? {},
        setHost: spec.setHost ?? true,
        agent: false,
        timeout: spec.timeoutMs ?? ATTEMPT_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(spec.body);
  });
}

/** A token-holding control connection that keeps every message it gets. */
interface RawClient {
  readonly socket: WebSocket;
  readonly messages: Array<{ type?: string; id?: number; result?: { ok: boolean; error?: { code: string } } }>;
  readonly closed: Promise<number>;
  /** Resolves once `predicate` holds for the messages so far (or after the timeout, with false). */
  until(predicate: () => boolean, timeoutMs?: number): Promise<boolean>;
}

function rawClient(target: ControlTarget): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${CONTROL_HOST}:${target.port}${CONTROL_PATH}`, [CONTROL_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${target.token}`], {
      perMessageDeflate: false,
      handshakeTimeout: patience(target),
    });
    const messages: RawClient['messages'] = [];
    const waiters = new Set<() => void>();
    const closed = new Promise<number>((settle) => socket.on('close', (code) => settle(code)));
    socket.on('message', (data) => {
      try {
        messages.push(JSON.parse(String(data)) as RawClient['messages'][number]);
      } catch {
        messages.push({ type: 'unparseable' });
      }
      for (const wake of [...waiters]) wake();
    });
    void closed.then(() => {
      for (const wake of [...waiters]) wake();
    });
    socket.on('error', (error) => reject(error));
    socket.on('unexpected-response', (_req, res) => reject(new Error(`refused: HTTP ${res.statusCode}`)));
    const client: RawClient = {
      socket,
      messages,
      closed,
      until(predicate, timeoutMs = patience(target)) {
        return new Promise((settle) => {
          if (predicate()) return settle(true);
          const timer = setTimeout(() => {
            waiters.delete(check);
            settle(false);
          }, timeoutMs);
          const check = (): void => {
            if (!predicate() && socket.readyState === socket.OPEN) return;
            clearTimeout(timer);
            waiters.delete(check);
            settle(predicate());
          };
          waiters.add(check);
        });
      },
    };
    socket.on('open', () => resolve(client));
  });
}

function responses(client: RawClient): Array<NonNullable<RawClient['messages'][number]['result']>> {
  return client.messages.filter((m) => m.type === 'response' && m.result).map((m) => m.result!);
}

// --- the classes -------------------------------------------------------------------------------------

/** The fields a command could change: compared before and after the attacks. */
export function commandableState(state: NodeState): string {
  return JSON.stringify({
    nodeId: state.identity?.nodeId ?? null,
    joined: state.network.joined,
    seeds: state.network.seeds,
    directories: state.network.directories,
    allowlistMode: state.network.allowlistMode,
    allowlist: state.network.allowlist,
    enabled: state.contribution.enabled,
    snoozedUntil: state.contribution.snoozedUntil,
    limits: state.contribution.limits,
    trusted: state.trusted.state,
    blocked: state.peers.filter((p) => p.blockedUntil !== null).map((p) => p.nodeId),
    launchAtLogin: state.launchAtLogin,
  });
}

export async function validControl(target: ControlTarget, count: number, name: string): Promise<AttackRow> {
  const origins = [undefined, `http://127.0.0.1:${target.port}`, `http://localhost:${target.port}`];
  return tally(
    name,
    count,
    async (index) => {
      const origin = origins[index % origins.length];
      try {
        const client = await connectControl(`ws://${CONTROL_HOST}:${target.port}${CONTROL_PATH}`, target.token, {
          timeoutMs: patience(target),
          ...(origin !== undefined ? { origin } : {}),
        });
        const result = await client.command({ command: 'get-state' });
        client.close();
        return result.ok ? { accepted: true, label: '101+state' } : { accepted: false, label: result.error.code };
      } catch (error) {
        return { accepted: false, label: /HTTP (\d+)/.exec(String(error))?.[1] ?? errorCode(error) };
      }
    },
    { expectAccepted: true, parallel: 4, note: 'token as subprotocol; no Origin, or our own' },
  );
}

export function noToken(target: ControlTarget, count: number): Promise<AttackRow> {
  const variants: UpgradeSpec[] = [
    { protocols: [CONTROL_SUBPROTOCOL] },
    { protocols: [] },
    { protocols: [CONTROL_SUBPROTOCOL], origin: `http://127.0.0.1:${target.port}` },
    { protocols: [CONTROL_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX] },
  ];
  return tally('no token', Math.max(count, variants.length), (i) => upgrade(target.port, { ...variants[i % variants.length]!, timeoutMs: patience(target) }));
}

export function wrongToken(target: ControlTarget, count: number): Promise<AttackRow> {
  const token = target.token;
  const flipped = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
  const fixed = [
    token.slice(0, -1), // truncated by one
    token.slice(0, Math.floor(token.length / 2)), // half
    token.slice(0, 8), // a short prefix
    token.slice(0, 1),
    `${token}A`, // the real one, extended
    flipped, // one character off
    token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(), // case changed
  ];
  return tally('wrong token (random, truncated, prefix, extended)', Math.max(count, 2 * fixed.length), (i) => {
    // Half of the attempts are fresh random tokens of the right length; the rest cycle the near misses.
    const guess = i % 2 === 0 ? randomBytes(32).toString('base64url') : fixed[(i >> 1) % fixed.length]!;
    const protocols = i % 7 === 3 ? [CONTROL_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${guess}`, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`] : [CONTROL_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${guess}`];
    return upgrade(target.port, { protocols, timeoutMs: patience(target) });
  });
}

export function tokenElsewhere(target: ControlTarget, count: number): Promise<AttackRow> {
  const token = target.token;
  const variants: UpgradeSpec[] = [
    { path: `${CONTROL_PATH}?token=${token}`, protocols: [CONTROL_SUBPROTOCOL] },
    { path: `${CONTROL_PATH}?access_token=${token}`, protocols: [CONTROL_SUBPROTOCOL] },
    { path: `${CONTROL_PATH}/${token}`, protocols: [CONTROL_SUBPROTOCOL] },
    { protocols: [CONTROL_SUBPROTOCOL], headers: { Authorization: `Bearer ${token}` } },
    { protocols: [CONTROL_SUBPROTOCOL], headers: { Cookie: `token=${token}` } },
    { protocols: [CONTROL_SUBPROTOCOL, `token.${token}`] },
    { protocols: [CONTROL_SUBPROTOCOL, token] },
    { protocols: [CONTROL_SUBPROTOCOL, `PNODE-TOKEN.${token}`] },
  ];
  return tally('token in URL/header instead of subprotocol', Math.max(count, variants.length), (i) => upgrade(target.port, { ...variants[i % variants.length]!, timeoutMs: patience(target) }));
}

export function foreignOrigin(target: ControlTarget, count: number): Promise<AttackRow> {
  const port = target.port;
  const origins = [
    'http://evil.example',
    'null',
    `http://127.0.0.1.evil.example:${port}`,
    `http://localhost.evil:${port}`,
    `http://127.0.0.1:${port + 1}`, // another local web app
    `https://127.0.0.1:${port}`,
    `http://0x7f000001:${port}`,
    `http://[::ffff:127.0.0.1]:${port}`,
    `http://127.0.0.1:${port}/`,
    'app://pnode', // the Electron window talks over IPC, never this socket
    'file://',
    'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
  ];
  return tally('foreign Origin with the right token', Math.max(count, origins.length), (i) =>
    upgrade(port, { protocols: [CONTROL_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${target.token}`], origin: origins[i % origins.length]!, timeoutMs: patience(target) }),
  );
}

export function rebindingHosts(port: number): string[] {
  return [
    `evil.example:${port}`,
    `127.0.0.1.evil.example:${port}`,
    `localhost.evil:${port}`,
    `0x7f000001:${port}`,
    `0x7f.0.0.1:${port}`,
    `2130706433:${port}`,
    `0177.0.0.1:${port}`,
    `127.1:${port}`,
    `[::ffff:127.0.0.1]:${port}`,
    `[::ffff:7f00:1]:${port}`,
    `localhost.:${port}`,
    `127.0.0.1.:${port}`,
    `127.0.0.1:${port + 1}`,
    '127.0.0.1',
    'evil.example',
  ];
}

export function rebindingSocket(target: ControlTarget, count: number): Promise<AttackRow> {
  const hosts = rebindingHosts(target.port);
  return tally('rebinding Host -> control socket', Math.max(count, hosts.length), (i) =>
    upgrade(target.port, { protocols: [CONTROL_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${target.token}`], host: hosts[i % hosts.length]!, timeoutMs: patience(target) }),
  );
}

export function rebindingFiles(target: ControlTarget, count: number): Promise<AttackRow> {
  const hosts = rebindingHosts(target.port);
  return tally('rebinding Host -> UI files', Math.max(count, hosts.length + 1), async (i) => {
    const variant = i % (hosts.length + 1);
    try {
      // The extra variant sends no Host header at all.
      const result =
        variant === hosts.length
          ? await http(target.port, { path: '/', setHost: false, timeoutMs: patience(target) })
          : await http(target.port, { path: '/', headers: { Host: hosts[variant]! }, timeoutMs: patience(target) });
      return { accepted: result.status < 300, label: String(result.status) };
    } catch (error) {
      return { accepted: false, label: errorCode(error) };
    }
  });
}

/** The machine's own addresses that are not loopback (link-local IPv6 left out: it needs a scope). */
export function nonLoopbackAddresses(): { ipv4: string[]; ipv6: string[] } {
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      if (entry.family === 'IPv4') ipv4.push(entry.address);
      else if (!entry.address.toLowerCase().startsWith('fe80:')) ipv6.push(entry.address);
    }
  }
  return { ipv4, ipv6 };
}

function tcpAttempt(address: string, port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: address, port, timeout: ATTEMPT_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ accepted: true, label: 'connected' });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ accepted: false, label: 'no answer' });
    });
    socket.once('error', (error) => resolve({ accepted: false, label: errorCode(error) }));
  });
}

export async function nonLoopback(target: ControlTarget, count: number): Promise<AttackRow> {
  const { ipv4, ipv6 } = nonLoopbackAddresses();
  if (ipv4.length === 0) {
    return { name: 'non-loopback interface', attempts: 0, refused: 0, accepted: 0, expectAccepted: false, statuses: new Map(), note: 'this machine has no non-loopback IPv4 address' };
  }
  const addresses = [...ipv4, ...ipv6];
  return tally('non-loopback interface', count, (i) => tcpAttempt(addresses[i % addresses.length]!, target.port), {
    note: `TCP to ${addresses.join(', ')}`,
  });
}

export function oversized(target: ControlTarget, count: number): Promise<AttackRow> {
  const sizes = [MAX_CONTROL_MESSAGE_BYTES + 1, 2 * MAX_CONTROL_MESSAGE_BYTES, 8 * 1024 * 1024];
  return tally(
    'oversized messages',
    count,
    async (i) => {
      let client: RawClient;
      try {
        client = await rawClient(target);
      } catch (error) {
        return { accepted: false, label: `connect: ${errorCode(error)}` };
      }
      client.socket.on('error', () => undefined);
      const variant = i % (sizes.length + 1);
      // A valid request padded past the limit: answered only if the server read it.
      const padding = (size: number): string => {
        const head = '{"id":7,"command":{"command":"get-state"},"pad":"';
        return `${head}${'x'.repeat(Math.max(0, size - head.length - 2))}"}`;
      };
      if (variant < sizes.length) {
        client.socket.send(padding(sizes[variant]!));
      } else {
        // The same, in 64 KiB fragments: the limit holds for the whole message.
        const text = Buffer.from(padding(MAX_CONTROL_MESSAGE_BYTES + 64 * 1024));
        const chunk = 64 * 1024;
        for (let offset = 0; offset < text.length; offset += chunk) {
          client.socket.send(text.subarray(offset, offset + chunk), { binary: false, fin: offset + chunk >= text.length });
        }
      }
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([client.closed, new Promise<number>((r) => (timer = setTimeout(() => r(-1), patience(target))))]);
      clearTimeout(timer);
      const answered = responses(client).some((r) => r.ok);
      client.socket.terminate();
      await client.closed;
      return { accepted: answered, label: code === -1 ? 'still open' : `close ${code}` };
    },
    { parallel: 2, note: `limit ${MAX_CONTROL_MESSAGE_BYTES / 1024} KiB; up to 8 MiB, whole or fragmented` },
  );
}

export async function commandFlood(target: ControlTarget, count: number): Promise<AttackRow> {
  const statuses = new Map<string, number>();
  let accepted = 0;
  let executed = 0;
  for (let i = 0; i < count; i++) {
    const client = await rawClient(target);
    const started = Date.now();
    // Every other burst is malformed: a broken message must cost the sender as much as a valid one.
    const malformed = i % 2 === 1;
    for (let id = 1; id <= FLOOD_BURST; id++) client.socket.send(malformed ? `{"id":${id},` : JSON.stringify({ id, command: { command: 'get-state' } }));
    await client.until(() => responses(client).length >= FLOOD_BURST);
    const seconds = (Date.now() - started) / 1000;
    const results = responses(client);
    client.socket.close();
    await client.closed;
    const ok = results.filter((r) => r.ok).length;
    const served = results.filter((r) => r.ok || r.error?.code !== 'busy').length;
    for (const r of results) {
      const label = r.ok ? 'ok' : (r.error?.code ?? 'error');
      statuses.set(label, (statuses.get(label) ?? 0) + 1);
    }
    executed += ok;
    // Allowed: the burst allowance plus what the rate refills while the burst is read.
    const budget = SERVER_BURST + Math.ceil(seconds * CONTROL_COMMANDS_PER_SECOND) + 1;
    if (served > budget) accepted++;
  }
  return {
    name: `command floods (${FLOOD_BURST} at once)`,
    attempts: count,
    refused: count - accepted,
    accepted,
    expectAccepted: false,
    statuses,
    note: `a flood counts as accepted if more than ${SERVER_BURST} + ${CONTROL_COMMANDS_PER_SECOND}/s were served; ${executed} get-state served in all; half the floods malformed`,
  };
}

export async function connectionFlood(target: ControlTarget, count: number): Promise<AttackRow> {
  // Fill every free slot (until the server says 503), then try `count` more at once: each must get 503.
  const open: RawClient[] = [];
  while (open.length <= MAX_CONTROL_CLIENTS) {
    const client = await rawClient(target).catch(() => null);
    if (client === null) break;
    open.push(client);
  }
  const row = await tally(
    'connection flood (beyond the client limit)',
    count,
    () => upgrade(target.port, { protocols: [CONTROL_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${target.token}`], timeoutMs: patience(target) }),
    { parallel: 32, note: `the server's ${MAX_CONTROL_CLIENTS} slots filled with valid clients first (${open.length} were free), then ${count} more at once` },
  );
  for (const client of open) client.socket.terminate();
  await Promise.all(open.map((c) => c.closed));
  // The server notices the closes a moment later; the next class needs a free slot.
  const deadline = Date.now() + patience(target);
  while (Date.now() < deadline && !(await upgrade(target.port, { protocols: [CONTROL_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${target.token}`], timeoutMs: patience(target) })).accepted) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return row;
}

/** Messages that would change the node if read leniently. */
function malformedMessages(): Array<string | Buffer> {
  const command = (body: unknown): string => JSON.stringify({ id: 1, command: body });
  return [
    Buffer.from(JSON.stringify({ id: 1, command: { command: 'join' } })), // a binary frame
    'join',
    '{"id":1,"command":{"command":"join"}',
    '[{"command":"join"}]',
    JSON.stringify({ id: 1, command: 'join' }),
    command({ command: 'join', extra: 1 }),
    command({ command: 'JOIN' }),
    command({ command: 'join ' }),
    command({ command: ['join'] }),
    '{"id":1,"command":{"command":"join","__proto__":{"admin":true}}}',
    command({ command: 'snooze', minutes: -5 }),
    command({ command: 'snooze', minutes: 1e12 }),
    command({ command: 'snooze', minutes: '60' }),
    command({ command: 'set-limits', limits: { cpuPercent: 1000 } }),
    command({ command: 'set-limits', limits: { cpuPercent: 50, evil: true } }),
    command({ command: 'set-contribution', enabled: 'yes' }),
    command({ command: 'add-seed', nodeId: 'not-a-node-id', url: 'javascript:alert(1)' }),
    command({ command: 'add-directory', url: 'file:///etc/passwd' }),
    command({ command: 'export-identity' }),
    command({ command: 'import-identity', backup: 'x'.repeat(200_000), passphrase: '' }),
    command({ command: 'set-allowlist-mode', enabled: 1 }),
    command({ command: 'block-peer', nodeId: 'node:did:key:zzz', minutes: -1 }),
    command(null),
    command({}),
    `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
    '{"id":1e400,"command":{"command":"leave","x":1}}',
  ];
}

export async function malformedCommands(target: ControlTarget, atLeast: number): Promise<AttackRow> {
  const messages = malformedMessages();
  const count = Math.max(atLeast, messages.length);
  const statuses = new Map<string, number>();
  let accepted = 0;
  for (let start = 0; start < count; start += MALFORMED_PER_CONNECTION) {
    const batch = Math.min(MALFORMED_PER_CONNECTION, count - start);
    const client = await rawClient(target);
    await client.until(() => client.messages.some((m) => m.type === 'state'));
    for (let k = 0; k < batch; k++) client.socket.send(messages[(start + k) % messages.length]!);
    await client.until(() => responses(client).length >= batch);
    const results = responses(client);
    for (const r of results) {
      if (r.ok) accepted++;
      const label = r.ok ? 'ok' : (r.error?.code ?? 'error');
      statuses.set(label, (statuses.get(label) ?? 0) + 1);
    }
    const missing = batch - results.length;
    if (missing > 0) statuses.set('no answer', (statuses.get('no answer') ?? 0) + missing);
    client.socket.close();
    await client.closed;
  }
  return { name: 'malformed commands', attempts: count, refused: count - accepted, accepted, expectAccepted: false, statuses, note: `${messages.length} shapes, answered with a typed error` };
}

export function csrfPosts(target: ControlTarget, count: number): Promise<AttackRow> {
  const port = target.port;
  const evil = { Origin: 'http://evil.example', Referer: 'http://evil.example/attack.html' };
  const variants: HttpSpec[] = [
    { method: 'POST', path: CONTROL_PATH, headers: { ...evil, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'command=join' },
    { method: 'POST', path: `${CONTROL_PATH}?token=${target.token}`, headers: { ...evil, 'Content-Type': 'text/plain' }, body: '{"id":1,"command":{"command":"join"}}' },
    { method: 'POST', path: CONTROL_PATH, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${target.token}` }, body: '{"id":1,"command":{"command":"join"}}' },
    { method: 'POST', path: '/', headers: { ...evil, 'Content-Type': 'multipart/form-data; boundary=x' }, body: '--x\r\nContent-Disposition: form-data; name="command"\r\n\r\njoin\r\n--x--' },
    { method: 'POST', path: '/index.html', headers: { ...evil, 'Content-Type': 'text/plain' }, body: 'join' },
    { method: 'PUT', path: '/index.html', headers: { 'Content-Type': 'text/html' }, body: '<script>alert(1)</script>' },
    { method: 'DELETE', path: '/index.html' },
    { method: 'PATCH', path: CONTROL_PATH, body: '{}' },
    { method: 'OPTIONS', path: CONTROL_PATH, headers: { ...evil, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } },
  ];
  return tally('CSRF-style plain HTTP (POST/PUT/DELETE/OPTIONS)', Math.max(count, variants.length), async (i) => {
    const spec = variants[i % variants.length]!;
    try {
      const result = await http(port, { ...spec, headers: { Host: `127.0.0.1:${port}`, ...(spec.headers ?? {}) }, timeoutMs: patience(target) });
      // Accepted: any success, or a CORS grant that would let a foreign page read an answer.
      const cors = result.headers['access-control-allow-origin'] !== undefined;
      return { accepted: result.status < 300 || cors, label: `${result.status}${cors ? '+CORS' : ''}` };
    } catch (error) {
      return { accepted: false, label: errorCode(error) };
    }
  });
}

/** Files outside the served folder that traversal probes for, with a piece of each to look for. */
export function traversalTargets(staticRoot: string): Array<{ readonly file: string; readonly marker: string }> {
  const targets: Array<{ file: string; marker: string }> = [];
  const parent = dirname(staticRoot);
  for (const name of readdirSync(parent).sort()) {
    const file = join(parent, name);
    let text: string;
    try {
      if (file === staticRoot || !statSync(file).isFile()) continue;
      text = readFileSync(file, 'utf8').trim();
    } catch {
      continue;
    }
    if (text.length < 16) continue;
    targets.push({ file, marker: text.slice(0, 64) });
    if (targets.length === 2) break;
  }
  for (const file of ['/etc/passwd', '/etc/hostname']) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8').trim();
    if (text.length >= 4) targets.push({ file, marker: text.slice(0, 32) });
  }
  return targets;
}

/** Ways to write "go up from the served folder to `file`". */
export function traversalPaths(staticRoot: string, file: string): string[] {
  const up = relative(staticRoot, file).split(sep).join('/'); // e.g. ../pnode.js
  const rest = up.replace(/^(\.\.\/)+/, '');
  const depth = up.split('/').filter((s) => s === '..').length;
  const ups = (token: string): string => token.repeat(depth + 6);
  const absolute = file.split(sep).join('/');
  return [
    `/${up}`,
    `/${ups('../')}${absolute.slice(1)}`,
    `/${ups('%2e%2e/')}${absolute.slice(1)}`,
    `/${ups('..%2f')}${absolute.slice(1).replaceAll('/', '%2f')}`,
    `/${ups('%2e%2e%2f')}${absolute.slice(1)}`,
    `/${ups('..%5c')}${absolute.slice(1).replaceAll('/', '%5c')}`,
    `/${ups('..\\')}${absolute.slice(1)}`,
    `/${ups('%252e%252e%252f')}${absolute.slice(1)}`,
    `/${ups('....//')}${absolute.slice(1)}`,
    `/${ups('.%2e/')}${absolute.slice(1)}`,
    `/assets/${ups('../')}${absolute.slice(1)}`,
    `/${ups('%c0%ae%c0%ae/')}${absolute.slice(1)}`,
    `//${absolute.slice(1)}`,
    `/%2f${absolute.slice(1).replaceAll('/', '%2f')}`,
    `/${up}%00.html`,
    `/${ups('../')}${rest}`,
  ];
}

export async function pathTraversal(target: ControlTarget, count: number): Promise<AttackRow> {
  const index = (await http(target.port, { path: '/', timeoutMs: patience(target) })).body;
  const files = traversalTargets(target.staticRoot);
  const probes = files.flatMap(({ file, marker }) => traversalPaths(target.staticRoot, file).map((path) => ({ path, marker })));
  const attempts = Math.max(count, probes.length);
  return tally(
    'path traversal on the UI files',
    attempts,
    async (i) => {
      const probe = probes[i % probes.length]!;
      try {
        const result = await http(target.port, { path: probe.path, timeoutMs: patience(target) });
        const leaked = result.body.includes(probe.marker);
        const label = leaked ? `${result.status} LEAK` : result.status === 200 && result.body === index ? '200 index.html' : String(result.status);
        return { accepted: leaked, label };
      } catch (error) {
        return { accepted: false, label: errorCode(error) };
      }
    },
    { note: `${probes.length} paths to ${files.length} files outside the folder (${files.map((f) => f.file).join(', ')}); accepted = the file's content came back` },
  );
}

export async function stateOf(target: ControlTarget): Promise<NodeState> {
  const client = await connectControl(`ws://${CONTROL_HOST}:${target.port}${CONTROL_PATH}`, target.token, { timeoutMs: patience(target) });
  const state = client.state();
  client.close();
  return state;
}

export interface AttackReport {
  readonly rows: readonly AttackRow[];
  /** The command-changeable state before and after: must be equal. */
  readonly stateBefore: string;
  readonly stateAfter: string;
}

/**
 * Every class against one control server, `attempts` times each (at least once per variant of the
 * class). Heavy classes (oversized messages, command floods) run a tenth as often.
 */
export async function attackControlSurface(target: ControlTarget, attempts: number): Promise<AttackReport> {
  const heavy = Math.max(2, Math.ceil(attempts / 10));
  const stateBefore = commandableState(await stateOf(target));
  const rows: AttackRow[] = [];
  rows.push(await validControl(target, attempts, 'valid control (before the attacks)'));
  rows.push(await noToken(target, attempts));
  rows.push(await wrongToken(target, attempts));
  rows.push(await tokenElsewhere(target, attempts));
  rows.push(await foreignOrigin(target, attempts));
  rows.push(await rebindingSocket(target, attempts));
  rows.push(await rebindingFiles(target, attempts));
  rows.push(await nonLoopback(target, attempts));
  rows.push(await oversized(target, heavy));
  rows.push(await commandFlood(target, heavy));
  rows.push(await connectionFlood(target, attempts));
  rows.push(await malformedCommands(target, attempts));
  rows.push(await csrfPosts(target, attempts));
  rows.push(await pathTraversal(target, attempts));
  rows.push(await validControl(target, attempts, 'valid control (after the attacks)'));
  const stateAfter = commandableState(await stateOf(target));
  return { rows, stateBefore, stateAfter };
}

/** Rows that broke their rule: an attack accepted, or a valid run refused. */
export function failures(report: AttackReport): string[] {
  const problems = report.rows
    .filter((row) => (row.expectAccepted ? row.accepted !== row.attempts : row.accepted !== 0))
    .map((row) => `${row.name}: ${row.accepted} of ${row.attempts} accepted`);
  if (report.stateBefore !== report.stateAfter) problems.push('the node state changed during the attacks');
  return problems;
}

function statusText(statuses: ReadonlyMap<string, number>): string {
  return [...statuses.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([label, n]) => `${label} x${n}`)
    .join(', ');
}

export function formatTable(rows: readonly AttackRow[]): string {
  const header = ['class', 'attempts', 'refused', 'accepted', 'status codes seen'];
  const body = rows.map((row) => [row.name, String(row.attempts), String(row.refused), String(row.accepted) + (row.expectAccepted ? ' (valid)' : ''), statusText(row.statuses) || '-']);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => (c >= 1 && c <= 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  const notes = rows.filter((row) => row.note !== undefined).map((row) => `  ${row.name}: ${row.note}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), '', 'notes:', ...notes].join('\n');
}

// --- standalone: a real `pnode node --ui` ----------------------------------------------------------

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'pnode.js'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

async function startNode(root: string, dataDir: string): Promise<{ target: ControlTarget; stop: () => Promise<void> }> {
  const child = spawnSupervised(process.execPath, [join(root, 'bin', 'pnode.js'), 'node', '--ui', '--no-join', '--keystore', 'file', '--data-dir', dataDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + 60_000;
  while (!/dashboard\s+http:\/\/127\.0\.0\.1:\d+\//.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`pnode node --ui did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const control = await readControlFile(dataDir);
  const port = Number(new URL(control.url).port);
  return { target: { port, token: control.token, staticRoot: join(root, 'dist', 'renderer') }, stop };
}

async function main(): Promise<void> {
  const root = repoRoot();
  const scale = scaleFromEnv();
  const attempts = scaled(DEFAULT_ATTEMPTS, scale, 2);
  printHeader('control-surface', seedFromEnv(), scale);
  for (const needed of [join(root, 'dist', 'pnode.js'), join(root, 'dist', 'renderer', 'index.html')]) {
    if (!existsSync(needed)) {
      process.stderr.write(`control-surface: ${relative(root, needed)} is missing; run "npm run build" first\n`);
      process.exit(2);
    }
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'pnode-harden-control-'));
  const { target, stop } = await startNode(root, dataDir);
  const started = Date.now();
  let report: AttackReport;
  try {
    process.stdout.write(`control surface of a real "pnode node --ui" on ${CONTROL_HOST}:${target.port} (token ${target.token.length} chars); ${attempts} attempts per class\n\n`);
    report = await attackControlSurface(target, attempts);
  } finally {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.stdout.write(`${formatTable(report.rows)}\n\n`);
  const problems = failures(report);
  const total = report.rows.filter((r) => !r.expectAccepted).reduce((sum, r) => sum + r.attempts, 0);
  process.stdout.write(`state changed by the attacks: ${report.stateBefore === report.stateAfter ? 'no' : 'YES'}\n`);
  if (problems.length > 0) {
    process.stdout.write(`FAIL (${((Date.now() - started) / 1000).toFixed(1)} s):\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`PASS: ${total} attack attempts, all refused; valid control accepted before and after (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`control-surface: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

// Issue 15 §3, a directory that stays useful when full. A seed directory (directory-child.ts, the
// real store and server, with the production caps unless told otherwise) is flooded by an attacker
// with many identities and addresses — spread over a few /24s, each address at the per-IP PUT
// rate — PUTting advertisements padded to the largest row the directory takes, until its budget is
// full and beyond. Meanwhile honest newcomers (a fresh node every `honestEveryMs`, from the honest
// address) PUT their advertisements and read them back. Then endpoint URLs the gate must refuse
// are PUT; then the directory is SIGKILLed and restarted on its data dir.
// Figures: the attacker's resources; honest PUT success before and once the directory is full;
// honest rows still there at the end; entries and bytes stored, rows evicted; the directory's RSS
// and log size; the restart time and the RSS after it.
import { Agent, request } from 'node:http';
import { mkdir, rm } from 'node:fs/promises';
import { signedAdvertisement, makePublisher } from '../../tests/support/directory.js';
import { DIRECTORY_IP_PUTS_PER_SECOND } from '../../src-node/services/directory/directory-http.js';
import { DIRECTORY_LOG_FILE } from '../../src-node/services/directory/directory-log.js';
import { HonestClient, figuresOf, type HonestFigures } from './honest.js';
import { RssSampler, rssMiB } from './process.js';
import { attackerAddresses, HONEST_ADDRESS, usable } from './loopback.js';
import { buildBundle, startBundledChild, type BundledChild } from './bundled-child.js';
import { HONEST_TIMEOUT_MS } from './targets.js';
import { sleep } from '../faults/wait.js';
import { Rng } from '../lib/random.js';
import { statSync } from 'node:fs';
import { join } from 'node:path';

/** Padding that brings an advertisement just under DIRECTORY_MAX_ENTRY_BYTES (4 KiB). */
export const PADDING_CHARS = 3_400;
/** The endpoint URLs the gate must refuse (the list). */
export const BAD_URLS: readonly string[] = ['javascript:alert(1)', 'file:///etc/passwd', 'wss://user:secret@node.example/peer', `wss://node.example/${'a'.repeat(12 * 1024)}`];
/** What the issue measured before: a full directory of padded advertisements. */
export const BEFORE_FIGURES = 'before: 1.75 GB RSS and a 26 s restart';

export interface DirectoryFullOptions {
  readonly workDir: string;
  readonly maxEntries: number;
  readonly maxStoredBytes: number;
  /** Attacker addresses, `perPrefix` to a /24. */
  readonly addresses: number;
  readonly perPrefix: number;
  /** Identities the attacker uses at most (one PUT each). */
  readonly identities: number;
  /** The flood stops after this long whatever it has done. */
  readonly maxFloodMs: number;
  /** After the flood, honest newcomers go on this long (the directory still full). */
  readonly afterMs: number;
  readonly honestEveryMs: number;
  /** Attempts per bad URL. */
  readonly badUrlAttempts: number;
  readonly loopbackRange: boolean;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

export interface DirectoryFullResult {
  readonly addresses: number;
  readonly prefixes: number;
  readonly identitiesUsed: number;
  readonly attackerStored: number;
  readonly attackerRefusedFull: number;
  readonly attackerRateLimited: number;
  readonly floodSeconds: number;
  /** When the attacker was first told "full" (ms from the flood's start), or null. */
  readonly fullAfterMs: number | null;
  readonly honestBeforeFull: HonestFigures;
  readonly honestWhileFull: HonestFigures;
  readonly honestStored: number;
  readonly honestStillThere: number;
  readonly entries: number;
  readonly storedBytes: number;
  readonly evicted: number;
  readonly maxStoredBytes: number;
  readonly rssStartMiB: number;
  readonly rssPeakMiB: number;
  readonly logBytes: number;
  readonly badUrlAttempts: number;
  readonly badUrlAccepted: number;
  readonly restartMs: number;
  readonly entriesAfterRestart: number;
  readonly rssAfterRestartMiB: number;
  readonly honestStillThereAfterRestart: number;
}

interface Put {
  readonly status: number | string;
}

function put(agent: Agent | false, port: number, nodeId: string, body: string, localAddress: string): Promise<Put> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'PUT', path: `/adv/${nodeId}`, headers: { 'Content-Type': 'application/json' }, agent, localAddress, timeout: HONEST_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (error) => resolve({ status: (error as NodeJS.ErrnoException).code ?? 'error' }));
    req.end(body);
  });
}

function getStatus(port: number, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, localAddress: HONEST_ADDRESS, timeout: HONEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (error) => resolve((error as NodeJS.ErrnoException).code ?? 'error'));
    req.end();
  });
}

async function metric(port: number, name: string): Promise<number> {
  const text = await new Promise<string>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false, timeout: HONEST_TIMEOUT_MS }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve(body));
    });
    req.once('error', () => resolve(''));
    req.end();
  });
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

export async function runDirectoryFull(options: DirectoryFullOptions): Promise<DirectoryFullResult> {
  const log = options.log ?? (() => undefined);
  const rng = new Rng(options.seed);
  const dataDir = join(options.workDir, 'directory');
  await mkdir(dataDir, { recursive: true });
  const bundle = await buildBundle({ dir: 'hostile', module: 'directory-child.ts', run: 'runDirectoryChild' }, 'directory-child');
  const args = (port: number): string[] => [dataDir, String(port), String(options.maxEntries), String(options.maxStoredBytes)];
  const ready = /directory http:\/\/127\.0\.0\.1:(\d+)\nloaded (\d+) (\d+)/;
  const first = await startBundledChild(bundle, args(0), ready);
  let child = first.child;
  const port = Number(first.match[1]);
  const children: BundledChild[] = [child];
  try {
    const rssStart = rssMiB(child.process.pid);
    const sampler = new RssSampler(child.process.pid);
    const addresses = usable(attackerAddresses(options.addresses, options.perPrefix, 60), options.loopbackRange);
    const prefixes = new Set(addresses.map((a) => a.slice(0, a.lastIndexOf('.')))).size;
    log(`  flooding from ${addresses.length} addresses in ${prefixes} /24s, up to ${options.identities} identities with ${PADDING_CHARS}-character padding`);

    // Honest newcomers: a fresh node PUTs its advertisement and reads it back.
    const honestIds: string[] = [];
    const honest = new HonestClient(
      'newcomer',
      async () => {
        const publisher = makePublisher();
        const answer = await put(false, port, publisher.nodeId, JSON.stringify(signedAdvertisement(publisher)), HONEST_ADDRESS);
        if (answer.status !== 201) return `PUT ${answer.status}`;
        honestIds.push(publisher.nodeId);
        const got = await getStatus(port, `/adv/${publisher.nodeId}`);
        return got === 200 ? true : `GET ${got}`;
      },
      options.honestEveryMs,
      HONEST_TIMEOUT_MS,
    );
    honest.start();

    // The flood: one lane per address, at the per-IP PUT rate.
    const floodFrom = Date.now();
    let used = 0;
    let stored = 0;
    let full = 0;
    let limited = 0;
    let fullAt: number | null = null;
    const paceMs = 1_000 / DIRECTORY_IP_PUTS_PER_SECOND;
    const padding = 'x'.repeat(PADDING_CHARS);
    const lanes = addresses.map(async (address, laneIndex) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 2, localAddress: address });
      await sleep(rng.int(Math.ceil(paceMs)) + laneIndex);
      try {
        while (used < options.identities && Date.now() - floodFrom < options.maxFloodMs) {
          used++;
          const started = Date.now();
          const publisher = makePublisher();
          const answer = await put(agent, port, publisher.nodeId, JSON.stringify(signedAdvertisement(publisher, { extra: { padding } })), address);
          if (answer.status === 201) stored++;
          else if (answer.status === 503) {
            full++;
            fullAt ??= Date.now() - floodFrom;
          } else if (answer.status === 429) limited++;
          await sleep(paceMs - (Date.now() - started));
        }
      } finally {
        agent.destroy();
      }
    });
    await Promise.all(lanes);
    const floodTo = Date.now();
    log(`  flood done: ${used} identities, ${stored} stored, ${full} refused as full, ${limited} rate-limited, in ${((floodTo - floodFrom) / 1000).toFixed(0)} s`);
    await sleep(options.afterMs);
    await honest.stop();
    const fullFrom = fullAt === null ? floodTo : floodFrom + fullAt;

    // The gate: endpoint URLs it must refuse.
    let badAccepted = 0;
    let badAttempts = 0;
    for (const url of BAD_URLS) {
      for (let i = 0; i < options.badUrlAttempts; i++) {
        const publisher = makePublisher();
        badAttempts++;
        if ((await put(false, port, publisher.nodeId, JSON.stringify(signedAdvertisement(publisher, { url })), HONEST_ADDRESS)).status === 201) badAccepted++;
      }
    }

    const stillThere = async (): Promise<number> => {
      let n = 0;
      for (const id of honestIds) if ((await getStatus(port, `/adv/${id}`)) === 200) n++;
      return n;
    };
    const honestStillThere = await stillThere();
    const entries = await metric(port, 'pnode_directory_entries');
    const storedBytes = await metric(port, 'pnode_directory_stored_bytes');
    const evicted = await metric(port, 'pnode_directory_evicted_total');
    const rssPeak = sampler.stop();
    const logBytes = statSync(join(dataDir, DIRECTORY_LOG_FILE)).size;

    // SIGKILL and restart on the same data dir and port.
    await child.kill();
    const restarted = await startBundledChild(bundle, args(port), ready);
    child = restarted.child;
    children.push(child);
    const restartMs = Number(restarted.match[2]);
    const entriesAfterRestart = Number(restarted.match[3]);
    const rssAfterRestart = rssMiB(child.process.pid);
    const honestStillThereAfterRestart = await stillThere();

    return {
      addresses: addresses.length,
      prefixes,
      identitiesUsed: used,
      attackerStored: stored,
      attackerRefusedFull: full,
      attackerRateLimited: limited,
      floodSeconds: (floodTo - floodFrom) / 1000,
      fullAfterMs: fullAt,
      honestBeforeFull: honest.between(floodFrom, fullFrom),
      honestWhileFull: figuresOf(honest.log.filter((a) => a.at >= fullFrom)),
      honestStored: honestIds.length,
      honestStillThere,
      entries,
      storedBytes,
      evicted,
      maxStoredBytes: options.maxStoredBytes,
      rssStartMiB: rssStart,
      rssPeakMiB: rssPeak,
      logBytes,
      badUrlAttempts: badAttempts,
      badUrlAccepted: badAccepted,
      restartMs,
      entriesAfterRestart,
      rssAfterRestartMiB: rssAfterRestart,
      honestStillThereAfterRestart,
    };
  } finally {
    for (const c of children) await c.kill();
    await rm(bundle, { force: true });
  }
}

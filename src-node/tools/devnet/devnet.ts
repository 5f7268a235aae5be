// `pnode devnet` (issue 5 §6): a whole network on loopback, as child processes of one `pnode`
// binary, all under one data dir D:
//   D/directory      a seed directory (when this binary has the `directory` command)
//   D/orchestrator   an orchestrator with its admin API
//   D/node-<i>       N contributor nodes, registered with the orchestrator and seeding each other
//   D/devnet.json    how to reach all of them (removed again when the devnet stops)
// It is a development tool: keys live in plain files (--keystore file) and sessions are plain
// ws:// on loopback (--insecure-loopback). Children run in their own process group, so Ctrl-C
// reaches the devnet only, which then stops them: SIGINT, and SIGKILL after STOP_GRACE_MS. Each
// holds a lifeline to the devnet (kernel/process/lifeline.ts): if the devnet dies without stopping
// them (SIGKILL), they stop by themselves, and their sandboxes with them. Children the desktop app
// starts as utility processes (no extra pipe) get --parent-pid instead.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { jsonText, writeFileAtomic } from '../../kernel/storage/atomic-file.js';
import { readAdminFile } from '../../services/orchestrator/admin-file.js';
import { readControlFile } from '../../control/control-file.js';
import { readAuthorityRecord } from '../../services/authority/authority-key.js';
import { LIFELINE_GRACE_MS, spawnSupervised } from '../../kernel/process/lifeline.js';
import { type ChildWithOutput, childGone } from '../../kernel/process/child-gone.js';
import { followChildOutput } from './child-output.js';
import { freeLoopbackPort } from '../../kernel/transport/free-port.js';

export const DEVNET_FILE = 'devnet.json';
/** A child that has not printed its banner within this long failed to start. */
export const CHILD_START_TIMEOUT_MS = 60_000;
/**
 * After SIGINT, a child gets this long to stop before SIGKILL: the same budget a node's graceful
 * stop has when its supervisor vanishes (the lifeline's), so closing sessions and flushing files on
 * a loaded machine is not cut short here sooner than there.
 */
export const STOP_GRACE_MS = LIFELINE_GRACE_MS;
/** Contributors started at once (each detects its hardware on start). */
export const START_BATCH = 8;

/** How to run the `pnode` binary: `node bin/pnode.js`, or any build of it. */
export interface PnodeCli {
  readonly command: string;
  readonly args: readonly string[];
  /**
   * How a child is started (default: a child process of `command args…`). The desktop app passes
   * Electron utility processes: a packaged app cannot run its binary as plain Node.
   */
  readonly spawn?: DevnetSpawn;
}

/** The part of a child process the devnet uses (node's ChildProcess has it; so can an adapter). */
export interface DevnetProcess extends ChildWithOutput {
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals): boolean;
}

export type DevnetSpawn = (args: readonly string[], options: { readonly detached: boolean }) => DevnetProcess;

function spawnPnode(cli: PnodeCli, args: readonly string[], detached: boolean): DevnetProcess {
  if (cli.spawn) return cli.spawn(args, { detached });
  return spawnSupervised(cli.command, [...cli.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached });
}

export interface DevnetOptions {
  readonly nodes: number;
  readonly dataDir: string;
  readonly cli: PnodeCli;
  readonly heartbeatIntervalMs?: number;
  /** Serve each node's dashboard (`pnode node --ui`). */
  readonly ui?: boolean;
  /** Every child stops when this process is gone (SIGKILL included): `--parent-pid`. */
  readonly parentPid?: number;
  /** Progress lines for the operator. */
  readonly log?: (line: string) => void;
  /** Aborting it while the devnet starts stops what has started and rejects with DevnetAborted. */
  readonly signal?: AbortSignal;
  readonly startTimeoutMs?: number;
  /**
   * The orchestrator's demo project (issue 7 §3: `pnode orchestrator --demo <spec>`), which keeps
   * the devnet's PNodes busy; default DEVNET_DEMO, null for none.
   */
  readonly demo?: string | null;
}

/** The demo a devnet's orchestrator runs unless told otherwise. */
export const DEVNET_DEMO = 'mandelbrot';

/** D/devnet.json, exactly. `directory` is null when this binary has no directory command. */
export interface DevnetFile {
  readonly directory: { readonly url: string } | null;
  readonly orchestrator: { readonly 'node-id': string; readonly url: string; readonly 'admin-url': string; readonly 'admin-token': string };
  /**
   * The registration authority in the orchestrator (trusted registration, issue 5 §5): its key, and
   * where tokens come from: `pnode authority issue-token --data-dir <data-dir>`, or POST <tokens-url>
   * with the orchestrator's admin token. Null when this binary's orchestrator has no --authority.
   */
  readonly authority: { readonly key: string; readonly 'data-dir': string; readonly 'tokens-url': string } | null;
  /**
   * The orchestrator's job API (issue 13 §1) and a project key it takes work from:
   * `pnode job submit <manifest> --api <url> --key <project-key>`. Null when this binary has none.
   */
  readonly jobs?: { readonly url: string; readonly 'project-key': string; readonly project: string } | null;
  readonly nodes: ReadonlyArray<{
    readonly 'node-id': string;
    readonly pid: number;
    readonly 'data-dir': string;
    readonly 'control-url': string;
    readonly 'control-token': string;
    /** The node's peer endpoint (a seed for a network descriptor). */
    readonly 'peer-url': string;
  }>;
}

export interface DevnetChild {
  readonly name: string;
  readonly dataDir: string;
  readonly process: DevnetProcess;
  readonly logFile: string;
  nodeId: string | null;
  /** The dashboard URL (with --ui). */
  uiUrl: string | null;
  output(): string;
  /** The child has exited and its log file holds all it printed. */
  readonly exited: Promise<void>;
}

export interface Devnet {
  readonly file: DevnetFile;
  readonly filePath: string;
  readonly children: readonly DevnetChild[];
  /** Resolves when every contributor holds a registration (or rejects after the timeout). */
  waitRegistered(timeoutMs?: number): Promise<number>;
  /** Stops every child (SIGINT, then SIGKILL after STOP_GRACE_MS) and removes devnet.json. Safe to call twice. */
  stop(): Promise<void>;
}

/** startDevnet was told to stop (its signal) before the devnet was up; everything started is stopped. */
export class DevnetAborted extends Error {
  constructor() {
    super('the devnet was stopped while it was starting');
    this.name = 'DevnetAborted';
  }
}

/** Runs `pnode <args>` to completion (a help text, a probe): exit code and whole output. */
async function runToEnd(cli: PnodeCli, args: readonly string[], timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  const child = spawnPnode(cli, args, false);
  const gone = childGone(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await gone;
  clearTimeout(timer);
  return { code: child.exitCode, output };
}

function spawnChild(cli: PnodeCli, name: string, dataDir: string, args: readonly string[]): DevnetChild {
  const logFile = join(dataDir, 'devnet-output.log');
  const child = spawnPnode(cli, args, true);
  const output = followChildOutput(child, logFile);
  return {
    name,
    dataDir,
    process: child,
    logFile,
    nodeId: null,
    uiUrl: null,
    output: output.text,
    exited: output.exited,
  };
}

function isRunning(child: DevnetProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}

/** Waits until the child's output matches every pattern; the first group of each is returned. */
async function waitForOutput(child: DevnetChild, patterns: readonly RegExp[], timeoutMs: number, signal?: AbortSignal): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = child.output();
    const found = patterns.map((p) => p.exec(all)?.[1]);
    if (found.every((f) => f !== undefined)) return found as string[];
    if (signal?.aborted) throw new DevnetAborted();
    if (!isRunning(child.process)) {
      await child.exited; // its last lines, which say why
      throw new Error(`${child.name} exited before it was ready (see ${child.logFile}):\n${child.output()}`);
    }
    if (Date.now() > deadline) throw new Error(`${child.name} did not start within ${timeoutMs} ms (see ${child.logFile}):\n${all}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForHttp(url: string, child: DevnetChild, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) throw new DevnetAborted();
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      if (!isRunning(child.process)) throw new Error(`${child.name} exited before it was ready (see ${child.logFile}):\n${child.output()}`);
      if (Date.now() > deadline) throw new Error(`${child.name} did not answer at ${url} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** SIGINT to every child, SIGKILL (named in the log) to each one still running after `graceMs`. */
export async function stopChildren(children: readonly DevnetChild[], log: (line: string) => void, graceMs = STOP_GRACE_MS): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (!isRunning(child.process)) return child.exited;
      child.process.kill('SIGINT');
      const timer = setTimeout(() => {
        if (!isRunning(child.process)) return;
        log(`${child.name} did not stop within ${graceMs / 1000} s: killed (see ${child.logFile})`);
        child.process.kill('SIGKILL');
      }, graceMs);
      await child.exited;
      clearTimeout(timer);
    }),
  );
}

export async function startDevnet(options: DevnetOptions): Promise<Devnet> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.startTimeoutMs ?? CHILD_START_TIMEOUT_MS;
  const root = resolve(options.dataDir);
  await mkdir(root, { recursive: true });
  const children: DevnetChild[] = [];
  // A devnet that dies unexpectedly still takes its children with it.
  const killAll = (): void => {
    for (const child of children) if (isRunning(child.process)) child.process.kill('SIGKILL');
  };
  process.on('exit', killAll);
  let stopping: Promise<void> | undefined;
  const filePath = join(root, DEVNET_FILE);
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // Contributors first, then the services they talk to.
      const order = [...children].reverse();
      await stopChildren(order, log);
      process.off('exit', killAll);
      await rm(filePath, { force: true });
    })();
    return stopping;
  };

  const signal = options.signal;
  const stillWanted = (): void => {
    if (signal?.aborted) throw new DevnetAborted();
  };
  try {
    const common = ['--insecure-loopback', '--keystore', 'file', ...(options.parentPid !== undefined ? ['--parent-pid', String(options.parentPid)] : [])];
    const nodeHelp = (await runToEnd(options.cli, ['node', '--help'])).output;
    if (!nodeHelp.includes('--orchestrator')) throw new Error('this pnode binary has no "node --orchestrator" option; rebuild it (npm run build)');
    const hasDirectoryOption = /--directory\b/.test(nodeHelp);

    // 1. The seed directory, when this binary has the command (another issue adds it).
    let directory: { url: string } | null = null;
    const probe = await runToEnd(options.cli, ['directory', '--help']);
    if (probe.code === 0) {
      const dataDir = join(root, 'directory');
      await mkdir(dataDir, { recursive: true });
      const url = `http://127.0.0.1:${await freeLoopbackPort()}`;
      stillWanted();
      const child = spawnChild(options.cli, 'directory', dataDir, ['directory', '--data-dir', dataDir, '--listen', url, ...common]);
      children.push(child);
      await waitForOutput(child, [/node\/id\s+(node:did:key:z\w+)/], timeoutMs, signal);
      await waitForHttp(`${url}/healthz`, child, timeoutMs, signal);
      directory = { url };
      log(`directory     ${url}`);
    } else {
      log('directory     not started: this pnode has no "directory" command');
    }

    // 2. The orchestrator.
    // Trusted registration (issue 5 §5): the registration authority runs in the orchestrator's
    // process (--authority makes its key on the first start); devnet.json names it.
    const orchestratorDir = join(root, 'orchestrator');
    await mkdir(orchestratorDir, { recursive: true });
    const orchestratorArgs = ['orchestrator', '--data-dir', orchestratorDir, '--listen', 'ws://127.0.0.1:0/peer', '--admin-listen', 'http://127.0.0.1:0', ...common];
    const withAuthority = /--authority\b/.test((await runToEnd(options.cli, ['orchestrator', '--help'])).output);
    if (withAuthority) orchestratorArgs.push('--authority');
    if (options.heartbeatIntervalMs !== undefined) orchestratorArgs.push('--heartbeat-interval-ms', String(options.heartbeatIntervalMs));
    // Work (issue 7 §3): the demo project keeps the PNodes busy, when this binary's orchestrator has it.
    const demo = options.demo === undefined ? DEVNET_DEMO : options.demo;
    const orchestratorHelp = (await runToEnd(options.cli, ['orchestrator', '--help'])).output;
    const withDemo = demo !== null && /--demo\b/.test(orchestratorHelp);
    if (withDemo) orchestratorArgs.push('--demo', demo);
    // Every devnet node dials from 127.0.0.1: they count as separate addresses here (issue 13 §4),
    // or no two of them could ever confirm each other's results.
    if (/--dev-loopback\b/.test(orchestratorHelp)) orchestratorArgs.push('--dev-loopback');
    // The job API on loopback, and a project key of the devnet's own (D/project.key) it takes work from.
    let project: { key: string; file: string } | null = null;
    if (/--jobs-listen\b/.test(orchestratorHelp)) {
      const file = join(root, 'project.key');
      const made = await runToEnd(options.cli, ['project', 'keygen', '--out', file]);
      const key = /^(z\w+)/.exec(made.output)?.[1] ?? null;
      const existing = key ?? (made.code !== 0 ? /"key":\s*"(z\w+)"/.exec(await readFile(file, 'utf8').catch(() => ''))?.[1] ?? null : null);
      if (existing) {
        project = { key: existing, file };
        orchestratorArgs.push('--jobs-listen', 'http://127.0.0.1:0', '--project-key', existing);
      }
    }
    stillWanted();
    const orchestratorChild = spawnChild(options.cli, 'orchestrator', orchestratorDir, orchestratorArgs);
    children.push(orchestratorChild);
    const [orchestratorId, orchestratorUrl] = await waitForOutput(orchestratorChild, [/node\/id\s+(node:did:key:z\w+)/, /listening\s+(ws:\/\/\S+)/, /admin\s+(http:\/\/\S+)/], timeoutMs, signal);
    orchestratorChild.nodeId = orchestratorId!;
    const admin = await readAdminFile(orchestratorDir);
    log(`orchestrator  ${orchestratorId}  ${orchestratorUrl}`);
    log(`  admin       ${admin.url}  (bearer token in ${join(orchestratorDir, 'admin.json')})`);
    if (withDemo) log(`  demo        ${demo}: progress at ${admin.url}/jobs, pictures in ${join(orchestratorDir, 'demo')}`);
    const authorityRecord = withAuthority ? await readAuthorityRecord(orchestratorDir) : undefined;
    const authority = authorityRecord ? { key: authorityRecord['key/public'], 'data-dir': orchestratorDir, 'tokens-url': `${admin.url}/authority/tokens` } : null;
    if (authority) log(`  authority   ${authority.key}  (tokens: pnode authority issue-token --data-dir ${orchestratorDir})`);
    let jobs: DevnetFile['jobs'] = null;
    if (project) {
      const [jobsUrl] = await waitForOutput(orchestratorChild, [/job API (http:\/\/\S+)/], timeoutMs, signal);
      jobs = { url: jobsUrl!, 'project-key': project.file, project: project.key };
      log(`  jobs        ${jobsUrl}  (pnode job submit <manifest> --api ${jobsUrl} --key ${project.file})`);
    }

    // 3. Contributors: the first alone, so the others can seed it too; then in batches.
    const nodes: Array<DevnetFile['nodes'][number]> = [];
    const contributorArgs = (i: number, seeds: readonly string[]): { name: string; dataDir: string; args: string[] } => {
      const name = `node-${i}`;
      const dataDir = join(root, name);
      const args = ['node', '--data-dir', dataDir, '--listen', 'ws://127.0.0.1:0/peer', ...common, '--orchestrator', `${orchestratorId}@${orchestratorUrl}`, '--seed', `${orchestratorId}@${orchestratorUrl}`];
      for (const seed of seeds) args.push('--seed', seed);
      if (directory && hasDirectoryOption) args.push('--directory', directory.url);
      if (options.ui) args.push('--ui');
      return { name, dataDir, args };
    };
    const startContributor = async (i: number, seeds: readonly string[]): Promise<string> => {
      const { name, dataDir, args } = contributorArgs(i, seeds);
      await mkdir(dataDir, { recursive: true });
      stillWanted();
      const child = spawnChild(options.cli, name, dataDir, args);
      children.push(child);
      const [nodeId, url] = await waitForOutput(child, [/node\/id\s+(node:did:key:z\w+)/, /listening\s+(ws:\/\/\S+)/, /control\s+(ws:\/\/\S+)/], timeoutMs, signal);
      child.nodeId = nodeId!;
      const control = await readControlFile(dataDir);
      child.uiUrl = control.uiUrl;
      nodes[i - 1] = { 'node-id': nodeId!, pid: child.process.pid!, 'data-dir': dataDir, 'control-url': control.url, 'control-token': control.token, 'peer-url': url! };
      log(`${name.padEnd(13)} ${nodeId}  pid ${child.process.pid}${control.uiUrl ? `  dashboard ${control.uiUrl}` : ''}`);
      return `${nodeId}@${url}`;
    };
    if (options.nodes > 0) {
      const first = await startContributor(1, []);
      for (let i = 2; i <= options.nodes; i += START_BATCH) {
        const batch = [];
        for (let j = i; j < Math.min(options.nodes + 1, i + START_BATCH); j++) batch.push(startContributor(j, [first]));
        await Promise.all(batch);
      }
    }

    const file: DevnetFile = {
      directory,
      orchestrator: { 'node-id': orchestratorId!, url: orchestratorUrl!, 'admin-url': admin.url, 'admin-token': admin.token },
      authority,
      jobs,
      nodes,
    };
    stillWanted();
    await writeFileAtomic(filePath, jsonText(file), { mode: 0o600 });

    const waitRegistered = async (wait = timeoutMs): Promise<number> => {
      const deadline = Date.now() + wait;
      const wanted = new Set(nodes.map((n) => n['node-id']));
      for (;;) {
        let registered: number;
        try {
          const response = await fetch(`${admin.url}/pnodes`, { headers: { Authorization: `Bearer ${admin.token}` }, signal: AbortSignal.timeout(2_000) });
          const body = (await response.json()) as { pnodes: Array<{ 'node-id': string; state: string }> };
          registered = body.pnodes.filter((p) => p.state === 'registered' && wanted.has(p['node-id'])).length;
        } catch {
          registered = 0; // not answering yet
        }
        if (registered >= wanted.size) return registered;
        if (Date.now() > deadline) throw new Error(`${registered} of ${wanted.size} nodes registered within ${wait} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    return { file, filePath, children, waitRegistered, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Reads D/devnet.json (tests, tools). */
export async function readDevnetFile(dataDir: string): Promise<DevnetFile> {
  return JSON.parse(await readFile(join(dataDir, DEVNET_FILE), 'utf8')) as DevnetFile;
}

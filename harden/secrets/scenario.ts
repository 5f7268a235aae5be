// Issue 8 §5 (secrets): a real devnet on loopback does the things that touch secret keys, every
// file it leaves and every message it sends is kept, and then the keys are looked for everywhere.
//
//   1. `pnode devnet` (the devnet module, children run from bin/pnode.js): a seed directory, an
//      orchestrator with its registration authority, N contributors, all on the file keystore
//      (devnet's choice), plus one more node started with `--keystore auto`: its node key and its
//      operator key go to the OS keychain when one answers (CI has an unlocked gnome-keyring), to
//      the file keystore where none does.
//   2. Control: a recording client on some contributors and on that node: state, limits,
//      contribution off/on, export-identity (the passphrase-encrypted backup, also saved to a file
//      as a UI would), import-identity of it, a bad command, enroll with a token from
//      `pnode authority issue-token`, renew-credential and rotate-operator-key (`rounds` times);
//      every old operator key is read before it is rotated away, and must be gone afterwards.
//   3. The CLI: `identity export` to a file, `identity show --check-key`, `authority list`; the
//      admin API and the seed directory's GETs; heartbeats and demo work for `workMs`.
//   4. Crashes: the last contributor is SIGKILLed, restarted into a start-up failure after its key
//      is loaded (its control port taken; PNODE_DEBUG=1 prints the stack), then restarted cleanly
//      and stopped.
//   5. Everything stops; the keys are read from their stores (keys.ts: the file keystore or the
//      keychain) and every file under the work dir (names too) and every captured message is
//      scanned for every needle of every key (encodings.ts). The only files allowed to hold a key
//      are the file keystore's own files, each holding its own key; they are listed exactly.
import { mkdir, stat, writeFile, access } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { startDevnet, type Devnet } from '../../src-node/tools/devnet/devnet.js';
import { readControlFile } from '../../src-node/control/control-file.js';
import { KEYCHAIN_SERVICE, loadKeytar, probeKeychain, type KeychainApi } from '../../src-node/kernel/identity/keychain-keystore.js';
import { needlesFor } from './encodings.js';
import { collectKeys, currentOperatorKey, findKeyFiles, namedStores, readSeed, type SecretKey } from './keys.js';
import { CaptureSink, ControlRecorder, httpCaptured, runCaptured, spawnCaptured, waitForOutput, type CapturedProcess } from './recorders.js';
import { SecretIndex, emptyTotals, judge, scanMessages, scanTree, type AllowedSecret, type ScanTotals, type Verdict } from './scanner.js';

/** The backup passphrase the scenario uses (it is no key; the scan does not look for it). */
export const SCENARIO_PASSPHRASE = 'correct horse battery staple';
/** Longest any single wait of the scenario may take. */
export const STEP_TIMEOUT_MS = 60_000;

export interface SecretsScenarioOptions {
  /** bin/pnode.js (its dist/pnode.js must be built). */
  readonly pnodeBin: string;
  /** An empty work dir; the caller removes it. */
  readonly dir: string;
  /** Devnet contributors (at least 2: the last one is crashed). */
  readonly nodes: number;
  /** Contributors with a recording control client (besides the keychain node); at most nodes - 1. */
  readonly controlled: number;
  /** renew + rotate rounds per controlled node. */
  readonly rounds: number;
  /** How long heartbeats and demo work run after the control steps. */
  readonly workMs: number;
  readonly heartbeatIntervalMs?: number;
  readonly log?: (line: string) => void;
}

export interface SecretsScenarioResult {
  /** Whether the scenario's node found an OS keychain (why not, when it did not). */
  readonly keychain: { readonly available: boolean; readonly reason: string };
  /** Every key looked for: current keys, and operator keys rotated away during the run. */
  readonly keys: ReadonlyArray<{ readonly label: string; readonly store: SecretKey['store']; readonly retired: boolean }>;
  readonly allowed: readonly AllowedSecret[];
  /** Every file under the work dir named like a file-keystore file. */
  readonly keyFilesOnDisk: readonly string[];
  /** Operator keys that were still in their store after being rotated away (must be empty). */
  readonly retiredKeysLeft: readonly string[];
  readonly needles: number;
  /** Needles per key, fewest and most (a key whose base64 fragments have no '+' or '/' shares them with base64url). */
  readonly needlesPerKey: { readonly min: number; readonly max: number };
  /** The start-up failure after the crash printed a stack trace (so crash output was really scanned). */
  readonly crashStackPrinted: boolean;
  /** The passphrase-encrypted exports written during the run (all scanned). */
  readonly backupFiles: readonly string[];
  readonly totals: ScanTotals;
  readonly verdict: Verdict;
  readonly controlMessages: number;
  readonly processes: number;
  readonly steps: readonly string[];
}

interface Controlled {
  readonly name: string;
  readonly dataDir: string;
  readonly recorder: ControlRecorder;
}

function expectOk<T>(result: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }, what: string): T {
  if (!result.ok) throw new Error(`${what} failed: ${result.error.code} ${result.error.message}`);
  return result.value;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Waits until a file stops growing (a log its writer is still flushing), at most `timeoutMs`. */
async function settled(path: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < deadline) {
    const size = await stat(path).then((s) => s.size, () => -1);
    if (size === last) return;
    last = size;
    await new Promise((r) => setTimeout(r, 150));
  }
}

function takenPort(): Promise<{ port: number; server: Server }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ port: typeof address === 'object' && address ? address.port : 0, server });
    });
  });
}

export async function runSecretsScenario(options: SecretsScenarioOptions): Promise<SecretsScenarioResult> {
  if (options.nodes < 2) throw new Error('the secrets scenario needs at least 2 contributors (the last one is crashed)');
  const log = options.log ?? (() => undefined);
  const steps: string[] = [];
  const step = (line: string): void => {
    steps.push(line);
    log(line);
  };
  const sink = new CaptureSink();
  const root = join(options.dir, 'devnet');
  const pnode = options.pnodeBin;
  const processes: CapturedProcess[] = [];
  const recorders: ControlRecorder[] = [];
  const retired: SecretKey[] = [];
  const retiredKeysLeft: string[] = [];
  const keychainAccounts = new Set<string>();
  const backupFiles: string[] = [];
  const crash = { stackPrinted: false };
  let devnet: Devnet | undefined;
  let keychain: KeychainApi | undefined;
  const previousDebug = process.env['PNODE_DEBUG'];

  const probe = await probeKeychain({ timeoutMs: 5_000 });
  if (probe.ok) keychain = await loadKeytar();
  const keychainInfo = { available: probe.ok, reason: probe.ok ? 'an OS keychain answers' : probe.reason };
  step(probe.ok ? 'keychain: an OS keychain answers; the keychain node keeps its keys there' : `keychain: unavailable (${probe.reason}); every key is in the file keystore`);

  const remember = (key: SecretKey | undefined): void => {
    if (key?.store.kind === 'keychain') keychainAccounts.add(key.store.account);
  };

  try {
    try {
      // Every child prints its stack on an error (crash output at its fullest).
      process.env['PNODE_DEBUG'] = '1';
      // 1. The devnet, and the node on the keychain.
      await mkdir(root, { recursive: true });
      devnet = await startDevnet({
        nodes: options.nodes,
        dataDir: root,
        cli: { command: process.execPath, args: [pnode] },
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 500,
        log: (line) => sink.add('devnet log', line),
        startTimeoutMs: STEP_TIMEOUT_MS,
      });
      for (const child of devnet.children) {
        child.process.stdout?.on('data', (chunk: Buffer) => sink.append(`${child.name} (stdout, after start)`, chunk));
        child.process.stderr?.on('data', (chunk: Buffer) => sink.append(`${child.name} (stderr, after start)`, chunk));
      }
      const file = devnet.file;
      const orchestrator = `${file.orchestrator['node-id']}@${file.orchestrator.url}`;
      step(`devnet: directory, orchestrator (with authority), ${options.nodes} contributors on the file keystore`);

      const keychainDir = join(root, 'keychain-node');
      const contributorArgs = (dataDir: string, keystore: string): string[] => [
        'node', '--data-dir', dataDir, '--listen', 'ws://127.0.0.1:0/peer', '--insecure-loopback', '--keystore', keystore,
        '--orchestrator', orchestrator, '--seed', orchestrator, ...(file.directory ? ['--directory', file.directory.url] : []),
      ];
      const keychainNode = spawnCaptured(sink, 'keychain-node', pnode, contributorArgs(keychainDir, 'auto'));
      processes.push(keychainNode);
      await waitForOutput(keychainNode, /control\s+(ws:\/\/\S+)/, STEP_TIMEOUT_MS);
      await devnet.waitRegistered(STEP_TIMEOUT_MS);

      // 2. Control, on the chosen contributors and the keychain node.
      const controlled: Controlled[] = [];
      const connect = async (name: string, dataDir: string): Promise<void> => {
        const control = await readControlFile(dataDir);
        const recorder = await ControlRecorder.connect(control.url, control.token, name, sink);
        recorders.push(recorder);
        controlled.push({ name, dataDir, recorder });
      };
      for (let i = 1; i <= Math.min(options.controlled, options.nodes - 1); i++) await connect(`node-${i}`, join(root, `node-${i}`));
      await connect('keychain-node', keychainDir);
      const keychainNodeKeystore = controlled.at(-1)!.recorder.state().identity?.keystore ?? 'unknown';
      step(`keychain-node: its node key is in the ${keychainNodeKeystore} keystore`);

      const tokenFor = async (label: string): Promise<string> => {
        const issued = await runCaptured(sink, `authority issue-token (${label})`, pnode, ['authority', 'issue-token', '--data-dir', join(root, 'orchestrator'), '--label', label]);
        const token = /pnode-enroll-[A-Za-z0-9_-]+/.exec(issued.output)?.[0];
        if (issued.code !== 0 || !token) throw new Error(`pnode authority issue-token failed:\n${issued.output}`);
        return token;
      };

      for (const { name, dataDir, recorder } of controlled) {
        await recorder.waitFor((s) => s.orchestrators.some((o) => o.status === 'registered'), STEP_TIMEOUT_MS, 'registered');
        expectOk(await recorder.command({ command: 'get-state' }), `${name} get-state`);
        expectOk(await recorder.command({ command: 'set-limits', limits: { cpuPercent: 60 } }), `${name} set-limits`);
        expectOk(await recorder.command({ command: 'set-contribution', enabled: false }), `${name} contribution off`);
        expectOk(await recorder.command({ command: 'set-contribution', enabled: true }), `${name} contribution on`);
        const exported = expectOk(await recorder.command<{ backup: string; nodeId: string }>({ command: 'export-identity', passphrase: SCENARIO_PASSPHRASE }), `${name} export-identity`);
        // A UI saves the backup where the volunteer says: here, beside the data it backs up.
        const backupFile = join(dataDir, 'identity-backup.pnode-backup.json');
      await writeFile(backupFile, exported.backup, { mode: 0o600 });
      backupFiles.push(backupFile);
        const imported = expectOk(await recorder.command<{ outcome: string }>({ command: 'import-identity', backup: exported.backup, passphrase: SCENARIO_PASSPHRASE }), `${name} import-identity`);
        if (imported.outcome !== 'unchanged') throw new Error(`${name}: importing its own backup gave ${imported.outcome}`);
        const wrong = await recorder.command({ command: 'import-identity', backup: exported.backup, passphrase: 'not the passphrase' });
        if (wrong.ok) throw new Error(`${name}: a backup opened with the wrong passphrase`);
        const bad = await recorder.command({ command: 'export-identity', passphrase: 'short' });
        if (bad.ok) throw new Error(`${name}: a 5-character passphrase was accepted`);

        expectOk(await recorder.command({ command: 'enroll', token: await tokenFor(name) }), `${name} enroll`);
        await recorder.waitFor((s) => s.trusted.state === 'trusted', STEP_TIMEOUT_MS, 'trusted');
        remember(await currentOperatorKey(dataDir, name, keychain));
        for (let round = 1; round <= options.rounds; round++) {
          expectOk(await recorder.command({ command: 'renew-credential' }), `${name} renew-credential`);
          const before = await currentOperatorKey(dataDir, name, keychain);
          if (!before) throw new Error(`${name}: enrolled, but no operator key is named`);
          expectOk(await recorder.command({ command: 'rotate-operator-key' }), `${name} rotate-operator-key`);
          retired.push({ ...before, label: `${before.label} (rotated away in round ${round})` });
          remember(before);
          remember(await currentOperatorKey(dataDir, name, keychain));
          if ((await readSeed(before.store, keychain)) !== undefined) retiredKeysLeft.push(`${before.label}: ${before.store.kind === 'file' ? before.store.path : before.store.account}`);
        }
        await recorder.waitFor((s) => s.trusted.state === 'trusted', STEP_TIMEOUT_MS, 'trusted after rotation');
      }
      step(`control: ${controlled.length} nodes: state, limits, contribution, export + import, enroll, ${options.rounds} renew + rotate round(s)`);

      // 3. The CLI, the admin API, the seed directory; heartbeats and work.
      const passphraseFile = join(options.dir, 'passphrase.txt');
      await writeFile(passphraseFile, `${SCENARIO_PASSPHRASE}\n`, { mode: 0o600 });
      const cliBackup = join(keychainDir, 'cli-backup.pnode-backup.json');
      const exportCli = await runCaptured(sink, 'identity export', pnode, ['identity', 'export', '--data-dir', keychainDir, '--out', cliBackup, '--passphrase-file', passphraseFile]);
      if (exportCli.code !== 0) throw new Error(`pnode identity export failed:\n${exportCli.output}`);
      backupFiles.push(cliBackup);
      for (const dataDir of [keychainDir, join(root, 'node-1')]) {
        const show = await runCaptured(sink, `identity show ${dataDir}`, pnode, ['identity', 'show', '--data-dir', dataDir, '--check-key', '--json']);
        if (show.code !== 0) throw new Error(`pnode identity show failed:\n${show.output}`);
      }
      await runCaptured(sink, 'authority list', pnode, ['authority', 'list', '--data-dir', join(root, 'orchestrator')]);
      const admin = (path: string): Promise<{ status: number; text: string }> => httpCaptured(sink, 'admin', `${file.orchestrator['admin-url']}${path}`, { token: file.orchestrator['admin-token'] });
      for (const path of ['/status', '/pnodes', '/vnodes', '/jobs', '/metrics', '/authority', '/authority/tokens', '/authority/credentials', '/authority/revocation-list']) await admin(path);
      if (file.directory) for (const path of ['/healthz', '/adv', '/metrics']) await httpCaptured(sink, 'directory', `${file.directory.url}${path}`);
      step('cli: identity export to a file, identity show --check-key, authority list; admin API and directory GETs');

      await new Promise((r) => setTimeout(r, options.workMs));
      const jobs = JSON.parse((await admin('/jobs')).text) as { counters?: { 'tasks-accepted'?: number } };
      const tasksDone = jobs.counters?.['tasks-accepted'] ?? 0;
      const heartbeats = Math.min(...controlled.map((c) => Math.max(0, ...c.recorder.state().orchestrators.map((o) => o.heartbeatsAcked))));
      step(`work: ${options.workMs} ms; at least ${heartbeats} heartbeats acknowledged per controlled node, ${tasksDone} demo tasks accepted`);

      // 4. Crashes.
      const victim = devnet.children.find((c) => c.name === `node-${options.nodes}`);
      if (!victim) throw new Error(`node-${options.nodes} is not in the devnet`);
      victim.process.kill('SIGKILL');
      await victim.exited;
      const taken = await takenPort();
      try {
        const failed = await runCaptured(sink, `${victim.name} restart with its control port taken`, pnode, [...contributorArgs(victim.dataDir, 'file'), '--control-port', String(taken.port)], STEP_TIMEOUT_MS);
        if (failed.code === 0) throw new Error(`${victim.name} started although its control port was taken:\n${failed.output}`);
        crash.stackPrinted = /EADDRINUSE[\s\S]*\n\s+at /.test(failed.output);
      } finally {
        await new Promise<void>((r) => taken.server.close(() => r()));
      }
      const restarted = spawnCaptured(sink, `${victim.name} restart after SIGKILL`, pnode, contributorArgs(victim.dataDir, 'file'));
      processes.push(restarted);
      await waitForOutput(restarted, /control\s+(ws:\/\/\S+)/, STEP_TIMEOUT_MS);
      await restarted.stop('SIGINT');
      step(`crashes: ${victim.name} SIGKILLed, restarted into a start-up failure (control port taken${crash.stackPrinted ? ', stack printed' : ''}), restarted and stopped`);
    } finally {
      // 5. Stop everything.
      for (const recorder of recorders) await recorder.close();
      for (const proc of processes) await proc.stop('SIGINT');
      if (devnet) {
        await devnet.stop();
        for (const child of devnet.children) await settled(child.logFile);
      }
      if (previousDebug === undefined) delete process.env['PNODE_DEBUG'];
      else process.env['PNODE_DEBUG'] = previousDebug;
    }

    // The keys, from their stores.
    const keys: SecretKey[] = [];
    const names = ['directory', 'orchestrator', ...Array.from({ length: options.nodes }, (_, i) => `node-${i + 1}`), 'keychain-node'];
    for (const name of names) {
      const dataDir = join(root, name);
      if (!(await exists(dataDir))) continue;
      for (const key of await collectKeys(dataDir, name, keychain)) {
        keys.push(key);
        remember(key);
      }
    }
    const all = [...keys.map((k) => ({ key: k, retired: false })), ...retired.map((k) => ({ key: k, retired: true }))];
    const needles = all.flatMap(({ key }) => needlesFor(key.label, key.seed));
    const index = new SecretIndex(needles);
    const allowed: AllowedSecret[] = keys.flatMap((k) => (k.store.kind === 'file' ? [{ path: k.store.path, key: k.label }] : []));
    const totals = emptyTotals();
    await scanTree(index, options.dir, totals);
    scanMessages(index, sink.all(), totals);
    const verdict = judge(totals, allowed);
    const perKey = all.map(({ key }) => needles.filter((n) => n.key === key.label).length);
    step(`scan: ${all.length} keys, ${needles.length} needles; ${totals.files} files, ${totals.messages} messages; ${verdict.leaks.length} leaks`);
    return {
      keychain: keychainInfo,
      keys: all.map(({ key, retired: r }) => ({ label: key.label, store: key.store, retired: r })),
      allowed,
      keyFilesOnDisk: await findKeyFiles(options.dir),
      retiredKeysLeft,
      needles: needles.length,
      needlesPerKey: { min: Math.min(...perKey), max: Math.max(...perKey) },
      crashStackPrinted: crash.stackPrinted,
      backupFiles,
      totals,
      verdict,
      controlMessages: recorders.reduce((n, r) => n + r.messages, 0),
      processes: (devnet?.children.length ?? 0) + sink.spawned,
      steps,
    };
  } finally {
    // Keychain entries this run made: the nodes' and their operator keys (old ones are gone already).
    if (keychain) {
      for (const dataDir of [join(root, 'keychain-node'), ...Array.from({ length: options.nodes }, (_, i) => join(root, `node-${i + 1}`))]) {
        for (const store of await namedStores(dataDir).catch(() => [])) if (store.kind === 'keychain') keychainAccounts.add(store.account);
      }
      for (const account of keychainAccounts) await keychain.deletePassword(KEYCHAIN_SERVICE, account).catch(() => false);
    }
  }
}

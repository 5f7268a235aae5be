// `pnode devnet`: a whole local network (seed directory, orchestrator, N contributors) as child
// processes of this very binary, until Ctrl-C. See src-node/devnet/devnet.ts.
import { resolve } from 'node:path';
import type { CommandSpec } from '../args.js';
import { UsageError } from '../args.js';
import { DevnetAborted, STOP_GRACE_MS, startDevnet, type PnodeCli } from '../../tools/devnet/devnet.js';
import { checkHeartbeatInterval } from '../../services/orchestrator/orchestrator-module.js';

/** Most contributors one devnet starts (each is a process with its own runtime). */
export const MAX_DEVNET_NODES = 64;

/** The binary this process runs: `node <entry>` (bin/pnode.js, or whichever build started us). */
export function selfCli(): PnodeCli {
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot tell which pnode binary is running');
  return { command: process.execPath, args: [resolve(entry)] };
}

export const devnetCommand: CommandSpec = {
  name: 'devnet',
  summary: 'Run a whole network on loopback (directory, orchestrator, N nodes) until Ctrl-C',
  description:
    'Start a seed directory, an orchestrator and N contributor nodes as child processes on 127.0.0.1,\n' +
    'all under --data-dir, and write <data-dir>/devnet.json with their addresses and tokens.\n' +
    'A development tool: keys are kept in plain files and sessions are ws:// on loopback.\n' +
    'Ctrl-C stops everything it started.',
  options: [
    { name: 'nodes', type: 'number', valueName: 'n', description: `Contributor nodes to start (1–${MAX_DEVNET_NODES})`, required: true },
    { name: 'data-dir', type: 'string', valueName: 'dir', description: 'Where every node of the devnet keeps its files', required: true },
    { name: 'heartbeat-interval-ms', type: 'number', valueName: 'ms', description: 'Heartbeat interval of the orchestrator (default 10000)' },
    { name: 'ui', type: 'boolean', description: "Serve every node's dashboard and print its URL" },
  ],
  async run(context) {
    const { args } = context;
    const nodes = args.options['nodes'] as number;
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_DEVNET_NODES) throw new UsageError(`--nodes must be a whole number from 1 to ${MAX_DEVNET_NODES}`);
    const interval = args.options['heartbeat-interval-ms'] as number | undefined;
    if (interval !== undefined) {
      try {
        checkHeartbeatInterval(interval);
      } catch (error) {
        throw new UsageError(`--heartbeat-interval-ms: ${(error as Error).message}`);
      }
    }
    const dataDir = resolve(context.cwd, args.options['data-dir'] as string);
    const say = (line: string): void => context.stdout(`${line}\n`);
    say(`pnode devnet: a seed directory, an orchestrator and ${nodes} node${nodes === 1 ? '' : 's'} on 127.0.0.1 under ${dataDir}`);
    say('a development tool: keys are kept in plain files and sessions run over plain ws:// on loopback (no TLS; the session protocol still encrypts every message)');
    let devnet;
    try {
      devnet = await startDevnet({
        nodes,
        dataDir,
        cli: selfCli(),
        ui: args.options['ui'] === true,
        log: say,
        ...(context.signal ? { signal: context.signal } : {}),
        ...(interval !== undefined ? { heartbeatIntervalMs: interval } : {}),
      });
    } catch (error) {
      // Ctrl-C (or SIGTERM) while starting: what had started is stopped already.
      if (!(error instanceof DevnetAborted)) throw error;
      say('stopped while starting');
      return 0;
    }
    say(`devnet.json   ${devnet.filePath}`);
    say('logs          <data-dir>/<name>/devnet-output.log');
    const stopped = new Promise<void>((done) => {
      if (!context.signal) return; // no signal source: run until the process is killed
      if (context.signal.aborted) return done();
      context.signal.addEventListener('abort', () => done(), { once: true });
    });
    // Children that die on their own are reported, not restarted.
    for (const child of devnet.children) {
      void child.exited.then(() => {
        if (!context.signal?.aborted) context.stderr(`devnet: ${child.name} exited (code ${child.process.exitCode ?? child.process.signalCode}); see ${child.logFile}\n`);
      });
    }
    devnet
      .waitRegistered()
      .then((n) => say(`ready         ${n} of ${nodes} nodes registered with the orchestrator; Ctrl-C stops everything`))
      .catch((error: unknown) => context.stderr(`devnet: ${error instanceof Error ? error.message : String(error)}\n`));
    await stopped;
    say(`stopping: SIGINT to every child, SIGKILL after ${STOP_GRACE_MS / 1000} s`);
    await devnet.stop();
    say('stopped');
    return 0;
  },
};

// `pnode directory`: a seed directory (spec digest §e) as a node of its own (role 'directory'),
// serving the signed advertisement cache over HTTPS until Ctrl-C.
import type { CommandSpec, OptionSpec, ParsedArgs } from '../args.js';
import { UsageError } from '../args.js';
import { NODE_FLAGS_BUT_LISTEN, hostOptionsFrom, nodeConfigFrom } from '../config/node-flags.js';
import { hostNodeUntilSignal } from '../node-host.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { DEFAULT_DIRECTORY_LIMITS, type DirectoryLimits } from '../../services/directory/directory-http.js';
import { parseDirectoryListenUrl } from '../../kernel/discovery/directory-url.js';
import { directoryNode } from '../../recipes/directory-node.js';

export const DIRECTORY_OPTIONS: readonly OptionSpec[] = [
  { name: 'listen', type: 'string', valueName: 'url', description: 'Where the directory serves HTTP: https://host:port, or http://127.0.0.1:port with --insecure-loopback', required: true },
  { name: 'peer-listen', type: 'list', valueName: 'url', description: "The directory node's own peer endpoint: wss://host:port/path (or ws://127.0.0.1… with --insecure-loopback)" },
  { name: 'ip-put-rate', type: 'number', valueName: 'per-second', description: `PUTs per second per client IP (default ${DEFAULT_DIRECTORY_LIMITS.ipPutsPerSecond}; bursts of ${DEFAULT_DIRECTORY_LIMITS.ipBurstSeconds} s)` },
  { name: 'ip-get-rate', type: 'number', valueName: 'per-second', description: `GETs per second per client IP (default ${DEFAULT_DIRECTORY_LIMITS.ipGetsPerSecond}; bursts of ${DEFAULT_DIRECTORY_LIMITS.ipBurstSeconds} s)` },
  ...NODE_FLAGS_BUT_LISTEN,
];

function positiveRate(args: ParsedArgs, name: string): number | undefined {
  const value = args.options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0)) throw new UsageError(`--${name} must be a positive number`);
  return value;
}

export const directoryCommand: CommandSpec = {
  name: 'directory',
  summary: 'Run a seed directory (signed advertisement cache over HTTPS) until Ctrl-C',
  description:
    'Run a seed directory: PUT /adv/{node-id} stores a verified node-advertisement.v1, GET /adv/{node-id}\n' +
    'answers it, GET /adv?since=<cursor> pages through what changed; GET /healthz and /metrics for\n' +
    'operators. The directory is a node of its own (identity, control surface, optional peer listener).',
  options: DIRECTORY_OPTIONS,
  async run(context) {
    const { args } = context;
    const insecureLoopback = args.options['insecure-loopback'] === true;
    const listen = args.options['listen'] as string;
    try {
      const parsed = parseDirectoryListenUrl(listen, { insecureLoopback });
      if (parsed.secure && (args.options['tls-cert'] === undefined || args.options['tls-key'] === undefined)) {
        throw new UsageError('an https:// --listen needs --tls-cert and --tls-key');
      }
    } catch (error) {
      if (error instanceof ProtocolError) throw new UsageError(`--listen ${listen}: ${error.detail}`);
      throw error;
    }
    const limits: Partial<DirectoryLimits> = {
      ...(positiveRate(args, 'ip-put-rate') !== undefined ? { ipPutsPerSecond: positiveRate(args, 'ip-put-rate')! } : {}),
      ...(positiveRate(args, 'ip-get-rate') !== undefined ? { ipGetsPerSecond: positiveRate(args, 'ip-get-rate')! } : {}),
    };
    // The node options' --listen is the peer listener; here it is --peer-listen.
    const nodeArgs: ParsedArgs = { positionals: args.positionals, options: { ...args.options, listen: args.options['peer-listen'] ?? [] } };
    const config = nodeConfigFrom(nodeArgs, 'directory', context.cwd, (line) => context.stderr(`${line}\n`));
    return hostNodeUntilSignal(
      () => directoryNode({ ...config, directory: { listen, limits, tls: config.tls } }),
      hostOptionsFrom(args),
      context,
    );
  },
};

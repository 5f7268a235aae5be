// `pnode directory`: a seed directory (spec digest §e) as a node of its own (role 'directory'),
// serving the signed advertisement cache over HTTPS until Ctrl-C.
import type { CommandSpec, OptionSpec, ParsedArgs } from '../args.js';
import { UsageError } from '../args.js';
import { NODE_FLAGS_BUT_LISTEN, hostOptionsFrom, nodeConfigFrom } from '../config/node-flags.js';
import { hostNodeUntilSignal } from '../node-host.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { parseFingerprint } from '../../../src-shared/protocol/did-key.js';
import { DEFAULT_DIRECTORY_LIMITS, type DirectoryLimits } from '../../services/directory/directory-http.js';
import { parseDirectoryListenUrl } from '../../kernel/discovery/directory-url.js';
import { directoryNode } from '../../recipes/directory-node.js';
import { NETWORK_OPTIONS, applyNetwork, readNetworkDescriptorFile, readPskFile } from '../config/network-flags.js';
import { resolve } from 'node:path';
import type { DirectoryNetworkOptions } from '../../services/directory/directory-module.js';

export const DIRECTORY_OPTIONS: readonly OptionSpec[] = [
  { name: 'listen', type: 'string', valueName: 'url', description: 'Where the directory serves HTTP: https://host:port, or http://127.0.0.1:port with --insecure-loopback', required: true },
  { name: 'peer-listen', type: 'list', valueName: 'url', description: "The directory node's own peer endpoint: wss://host:port/path (or ws://127.0.0.1… with --insecure-loopback)" },
  { name: 'ip-put-rate', type: 'number', valueName: 'per-second', description: `PUTs per second per client IP (default ${DEFAULT_DIRECTORY_LIMITS.ipPutsPerSecond}; bursts of ${DEFAULT_DIRECTORY_LIMITS.ipBurstSeconds} s)` },
  { name: 'ip-get-rate', type: 'number', valueName: 'per-second', description: `GETs per second per client IP (default ${DEFAULT_DIRECTORY_LIMITS.ipGetsPerSecond}; bursts of ${DEFAULT_DIRECTORY_LIMITS.ipBurstSeconds} s)` },
  { name: 'authority-key', type: 'list', valueName: 'z…', description: "Serve this registration authority's signed revocation list (GET/PUT /revocations/<key>)" },
  ...NODE_FLAGS_BUT_LISTEN,
  ...NETWORK_OPTIONS,
  { name: 'also-serve', type: 'list', valueName: 'descriptor', description: 'Serve this network too, under /networks/<id>/ (networks never mix)' },
  { name: 'also-serve-psk', type: 'list', valueName: 'net:id=file', description: 'The key of a private network given with --also-serve' },
];

/** The networks a directory serves (issue 12 §2): --network first, then --also-serve, each scoped. */
async function servedNetworks(args: ParsedArgs, cwd: string, primary: DirectoryNetworkOptions | undefined): Promise<DirectoryNetworkOptions[]> {
  const keys = new Map<string, string>();
  for (const text of (args.options['also-serve-psk'] as string[] | undefined) ?? []) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new UsageError(`--also-serve-psk needs net:<id>=<file>, got ${JSON.stringify(text)}`);
    keys.set(text.slice(0, eq), resolve(cwd, text.slice(eq + 1)));
  }
  const networks: DirectoryNetworkOptions[] = primary ? [primary] : [];
  for (const file of (args.options['also-serve'] as string[] | undefined) ?? []) {
    const descriptor = await readNetworkDescriptorFile(resolve(cwd, file), { option: '--also-serve' });
    const id = descriptor['network/id'];
    if (networks.some((n) => n.id === id)) throw new UsageError(`network ${id} is served twice`);
    const keyFile = keys.get(id);
    if (descriptor['join/policy'] === 'psk' && keyFile === undefined) throw new UsageError(`network ${id} is private: give its key with --also-serve-psk ${id}=<file>`);
    networks.push({ id, descriptor, ...(keyFile ? { psk: await readPskFile(keyFile, '--also-serve-psk') } : {}) });
  }
  return networks;
}

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
    'operators. With --authority-key it also serves that registration authority\'s signed revocation list\n' +
    '(GET/PUT /revocations/<key>). The directory is a node of its own (identity, control surface, optional peer listener).',
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
    const base = nodeConfigFrom(nodeArgs, 'directory', context.cwd, (line) => context.stderr(`${line}\n`));
    // Its own network (gossip, handshakes) is the first it serves.
    const config = await applyNetwork(base, args, { cwd: context.cwd });
    const primary = config.network ? { id: config.network.id, psk: config.network.psk, descriptor: config.network.descriptor } : undefined;
    const networks = await servedNetworks(args, context.cwd, primary);
    const authorityKeys = (args.options['authority-key'] as string[] | undefined) ?? [];
    for (const key of authorityKeys) {
      try {
        parseFingerprint(key);
      } catch {
        throw new UsageError(`--authority-key ${JSON.stringify(key)} is not a did:key fingerprint (z…)`);
      }
    }
    return hostNodeUntilSignal(
      () => directoryNode({ ...config, directory: { listen, limits, tls: config.tls, authorityKeys, ...(networks.length > 0 ? { networks } : {}) } }),
      hostOptionsFrom(args),
      context,
    );
  },
};

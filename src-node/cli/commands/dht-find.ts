// `pnode dht-find <capability>`: joins the network's DHT once, looks the capability up, verifies each
// candidate with our signed handshake over the DHT (holepunching where both ends are behind NAT),
// prints the verified node-ids with how each session travels, and exits: 0 when one was found, 1 when
// none (or the DHT could not be joined). An operator's check of a network's DHT; tests use it as a
// real process in a network namespace.
import type { CommandSpec, OptionSpec } from '../args.js';
import { UsageError } from '../args.js';
import { EXIT_OK, EXIT_REJECTED } from '../run.js';
import { NODE_FLAGS_BUT_LISTEN, nodeConfigFrom } from '../config/node-flags.js';
import { NETWORK_OPTIONS, applyNetwork } from '../config/network-flags.js';
import { discoveryNode } from '../../recipes/discovery-node.js';
import { isCapabilityName } from '../../kernel/dht/topics.js';
import { sessionPathOf } from '../../kernel/transport/stream-transports.js';

/** How long to wait for the DHT to be joined, by default. */
export const DHT_FIND_DEFAULT_WAIT_MS = 15_000;
/** Verified peers asked for, by default and at most. */
export const DHT_FIND_DEFAULT_WANT = 4;
export const DHT_FIND_MAX_WANT = 64;

export const DHT_FIND_OPTIONS: readonly OptionSpec[] = [
  { name: 'want', type: 'number', valueName: 'n', description: `Stop after this many verified peers (default ${DHT_FIND_DEFAULT_WANT}, at most ${DHT_FIND_MAX_WANT})` },
  { name: 'wait-ms', type: 'number', valueName: 'ms', description: `How long to wait for the DHT to be joined (default ${DHT_FIND_DEFAULT_WAIT_MS})` },
  { name: 'dht-host', type: 'string', valueName: 'a.b.c.d', description: 'IPv4 address the DHT binds (default 0.0.0.0)' },
  ...NETWORK_OPTIONS,
  ...NODE_FLAGS_BUT_LISTEN,
];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const dhtFindCommand: CommandSpec = {
  name: 'dht-find',
  summary: "Find peers by capability on the network's DHT, verified by the handshake, and exit",
  positionals: [{ name: 'capability', description: 'e.g. core/messaging, vnode/wasi, vnode/cpu-4, gpu/nvidia', required: true }],
  options: DHT_FIND_OPTIONS,
  async run(context) {
    const { args } = context;
    const capability = args.positionals[0] ?? '';
    if (!isCapabilityName(capability)) throw new UsageError(`not a capability name: ${JSON.stringify(capability)}`);
    const want = (args.options['want'] as number | undefined) ?? DHT_FIND_DEFAULT_WANT;
    if (!Number.isInteger(want) || want < 1 || want > DHT_FIND_MAX_WANT) throw new UsageError(`--want is a whole number from 1 to ${DHT_FIND_MAX_WANT}`);
    const waitMs = (args.options['wait-ms'] as number | undefined) ?? DHT_FIND_DEFAULT_WAIT_MS;
    if (!(waitMs >= 0)) throw new UsageError('--wait-ms must be a number of milliseconds');
    const base = nodeConfigFrom({ positionals: [], options: { ...args.options, listen: [] } }, 'seed', context.cwd, (line) => context.stderr(`${line}\n`));
    const host = args.options['dht-host'] as string | undefined;
    const config = await applyNetwork({ ...base, discovery: { dht: host !== undefined ? { host } : {} } }, args, { cwd: context.cwd });
    if (!config.network?.descriptor?.['dht/bootstrap']) throw new UsageError('the network descriptor names no DHT bootstrap nodes (--network F with dht/bootstrap)');
    const node = await discoveryNode(config);
    try {
      // Bounded: waitMs in steps of 100 ms.
      for (let waited = 0; waited < waitMs && node.dht.status().state === 'starting'; waited += 100) await sleep(100);
      const status = node.dht.status();
      if (status.state !== 'on') {
        context.stdout(`dht not joined: ${status.state}${status.reason ? ` (${status.reason})` : ''}\n`);
        return EXIT_REJECTED;
      }
      const found = await node.dht.find(capability, want);
      for (const peer of found) {
        const path = sessionPathOf(peer.connection.socket);
        context.stdout(`found ${peer.nodeId} via ${path.transport}${path.holepunch ? ` (${path.holepunch}${path.remote ? ` ${path.remote}` : ''})` : ''}\n`);
      }
      const index = node.dht.status().index;
      context.stdout(`${found.length} verified of ${index?.candidatesSeen ?? 0} candidates for ${capability}; refused ${index?.refused ?? 0}\n`);
      return found.length > 0 ? EXIT_OK : EXIT_REJECTED;
    } finally {
      await node.stop();
    }
  },
};

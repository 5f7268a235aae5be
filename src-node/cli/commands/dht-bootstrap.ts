// `pnode dht-bootstrap`: a DHT bootstrap node of a network (issue 16 §1, docs/DHT.md), a node of its
// own (role 'dht-bootstrap') answering on one UDP port until Ctrl-C. Its address goes into the
// network descriptor (`pnode network create --dht-bootstrap a.b.c.d:port`); nodes of the network
// then join the network's DHT through it, and never the public one.
import type { CommandSpec, OptionSpec } from '../args.js';
import { UsageError } from '../args.js';
import { NODE_FLAGS_BUT_LISTEN, nodeConfigFrom } from '../config/node-flags.js';
import { NETWORK_OPTIONS, applyNetwork } from '../config/network-flags.js';
import { hostNodeUntilSignal } from '../node-host.js';
import { parseDhtBootstrapNode } from '../../../src-shared/network/network-descriptor.js';
import { dhtBootstrapNode } from '../../recipes/dht-bootstrap-node.js';

export const DHT_BOOTSTRAP_OPTIONS: readonly OptionSpec[] = [
  { name: 'listen', type: 'string', valueName: 'a.b.c.d:port', description: 'The IPv4 address and UDP port to answer on: the one the network descriptor lists (reachable from the nodes)', required: true },
  { name: 'peer', type: 'list', valueName: 'a.b.c.d:port', description: "Another bootstrap node of the network to join (default: the descriptor's other ones)" },
  ...NETWORK_OPTIONS,
  ...NODE_FLAGS_BUT_LISTEN,
];

function hostPort(text: string, option: string): { host: string; port: number } {
  const parsed = parseDhtBootstrapNode(text);
  if (!parsed.ok) throw new UsageError(`--${option} ${JSON.stringify(text)}: ${parsed.error.detail}`);
  return parsed.value;
}

export const dhtBootstrapCommand: CommandSpec = {
  name: 'dht-bootstrap',
  summary: "Run a bootstrap node of a network's private DHT (UDP) until Ctrl-C",
  description:
    "Run a bootstrap node of a network's own DHT: new nodes ask it for their first neighbours, then\n" +
    'find peers by capability and reach nodes behind NAT (holepunching). List its address in the\n' +
    'network descriptor (pnode network create --dht-bootstrap a.b.c.d:port); nodes join only the\n' +
    'bootstrap nodes their descriptor lists. Needs a fixed public IPv4 address and UDP port.',
  options: DHT_BOOTSTRAP_OPTIONS,
  async run(context) {
    const { args } = context;
    const listen = hostPort(args.options['listen'] as string, 'listen');
    const peers = ((args.options['peer'] as string[] | undefined) ?? []).map((p) => hostPort(p, 'peer'));
    const base = nodeConfigFrom({ positionals: args.positionals, options: { ...args.options, listen: [] } }, 'dht-bootstrap', context.cwd, (line) => context.stderr(`${line}\n`));
    const config = await applyNetwork({ ...base, dhtBootstrap: { host: listen.host, port: listen.port, ...(peers.length > 0 ? { peers } : {}) } }, args, { cwd: context.cwd });
    return hostNodeUntilSignal(() => dhtBootstrapNode(config), { ui: args.options['ui'] === true, controlPort: args.options['control-port'] as number | undefined }, context);
  },
};

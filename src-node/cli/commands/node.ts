import type { CommandSpec } from '../args.js';
import { NODE_FLAGS, nodeConfigFrom } from '../config/node-flags.js';
import { NETWORK_OPTIONS, applyNetwork } from '../config/network-flags.js';
import { DIRECTORY_CLIENT_FLAGS, directoriesFromArgs } from '../config/discovery-flags.js';
import { MEMBERSHIP_FLAGS, orchestratorTargetsFrom } from '../config/membership-flags.js';
import { hostNodeUntilSignal } from '../node-host.js';
import { contributorNode } from '../../recipes/contributor-node.js';

export const nodeCommand: CommandSpec = {
  name: 'node',
  summary: 'Run a PNode (contributor) until Ctrl-C',
  description:
    'Run a PNode: load or create its identity, listen and dial, keep a small set of peer sessions,\n' +
    'advertise itself, and serve the local control surface (and the dashboard with --ui).',
  options: [...NODE_FLAGS, ...NETWORK_OPTIONS, ...DIRECTORY_CLIENT_FLAGS, ...MEMBERSHIP_FLAGS, { name: 'no-join', type: 'boolean', description: 'Start without joining (a new data dir joins by default)' }],
  async run(context) {
    const { args } = context;
    const base = nodeConfigFrom(args, 'contributor', context.cwd, (line) => context.stderr(`${line}\n`));
    const config = await applyNetwork(
      {
        ...base,
        initialSettings: { joined: args.options['no-join'] !== true },
        contributor: { activity: 'headless' as const, directories: directoriesFromArgs(args), orchestrators: orchestratorTargetsFrom(args) },
      },
      args,
      { cwd: context.cwd },
    );
    return hostNodeUntilSignal(() => contributorNode(config), { ui: args.options['ui'] === true, controlPort: args.options['control-port'] as number | undefined, newDashboardLink: args.options['new-dashboard-link'] === true }, context);
  },
};

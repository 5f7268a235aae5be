import type { CommandSpec } from '../args.js';
import { NODE_OPTIONS, runtimeConfigFrom } from '../node-options.js';
import { hostNodeUntilSignal } from '../node-host.js';

export const nodeCommand: CommandSpec = {
  name: 'node',
  summary: 'Run a PNode (contributor) until Ctrl-C',
  description:
    'Run a PNode: load or create its identity, listen and dial, keep a small set of peer sessions,\n' +
    'advertise itself, and serve the local control surface (and the dashboard with --ui).',
  options: [...NODE_OPTIONS, { name: 'no-join', type: 'boolean', description: 'Start without joining (a new data dir joins by default)' }],
  async run(context) {
    const config = runtimeConfigFrom(context.args, 'contributor', context.cwd, (line) => context.stderr(`${line}\n`));
    const controlPort = context.args.options['control-port'] as number | undefined;
    return hostNodeUntilSignal(
      { ...config, initialSettings: { joined: context.args.options['no-join'] !== true } },
      [],
      { ui: context.args.options['ui'] === true, controlPort },
      context,
    );
  },
};

import type { CommandSpec } from '../args.js';
import { NODE_OPTIONS, runtimeConfigFrom } from '../node-options.js';
import { NETWORK_OPTIONS, applyNetwork } from '../network-options.js';
import { hostNodeUntilSignal } from '../node-host.js';
import { contributorModules, discoveryModules } from '../node-modules.js';
import { DIRECTORY_CLIENT_OPTIONS, directoriesFromArgs } from '../../kernel/discovery/directory-client.js';
import { MEMBERSHIP_OPTIONS, membershipModuleFor } from '../../contributor/membership/membership-options.js';
import { NotificationsModule } from '../../contributor/notifications-module.js';
import { TrustedRegistrationModule } from '../../contributor/trust/trusted-registration-module.js';

export const nodeCommand: CommandSpec = {
  name: 'node',
  summary: 'Run a PNode (contributor) until Ctrl-C',
  description:
    'Run a PNode: load or create its identity, listen and dial, keep a small set of peer sessions,\n' +
    'advertise itself, and serve the local control surface (and the dashboard with --ui).',
  options: [...NODE_OPTIONS, ...NETWORK_OPTIONS, ...DIRECTORY_CLIENT_OPTIONS, ...MEMBERSHIP_OPTIONS, { name: 'no-join', type: 'boolean', description: 'Start without joining (a new data dir joins by default)' }],
  async run(context) {
    const base = runtimeConfigFrom(context.args, 'contributor', context.cwd, (line) => context.stderr(`${line}\n`));
    const config = await applyNetwork({ ...base, initialSettings: { joined: context.args.options['no-join'] !== true } }, context.args, { cwd: context.cwd });
    const { modules, banner } = discoveryModules(config, { directories: directoriesFromArgs(context.args) });
    const membership = membershipModuleFor(context.args, config);
    return hostNodeUntilSignal(
      config,
      [...modules, ...contributorModules(), membership, new TrustedRegistrationModule({ membership }), new NotificationsModule()],
      { ui: context.args.options['ui'] === true, controlPort: context.args.options['control-port'] as number | undefined, banner },
      context,
    );
  },
};

// `pnode node`: a PNode (contributor) until Ctrl-C. Its network comes from the data dir's network
// book (the one it joined last, from the dashboard or an invite), or from --network F at start;
// with neither it starts in no network and its dashboard offers to join one (issue 12): the
// build's default network, an invite, or a test network on this computer.
import type { CommandSpec } from '../args.js';
import { UsageError } from '../args.js';
import { NODE_FLAGS, hostOptionsFrom, nodeConfigFrom } from '../config/node-flags.js';
import { NETWORK_OPTIONS, applyNetwork } from '../config/network-flags.js';
import { DIRECTORY_CLIENT_FLAGS, directoriesFromArgs } from '../config/discovery-flags.js';
import { MEMBERSHIP_FLAGS, orchestratorTargetsFrom } from '../config/membership-flags.js';
import { hostNodeUntilSignal } from '../node-host.js';
import { selfCli } from './devnet.js';
import { NetworkHost } from '../../recipes/network-host.js';
import type { ContributorNodeConfig } from '../../recipes/contributor-node.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { systemClock } from '../../kernel/util/clock.js';
import { packagedNetworksDir, readDefaultNetwork } from '../../kernel/network/default-network.js';
import { readNetworkDescriptorFile } from '../config/network-flags.js';
import { devnetLocalNetwork } from '../../tools/devnet/local-network.js';
import { basename, dirname, join, resolve } from 'node:path';

/** Where "Try it on this computer" keeps its test network, under the node's data dir. */
export const LOCAL_NETWORK_DIR = 'local-network';

export const nodeCommand: CommandSpec = {
  name: 'node',
  summary: 'Run a PNode (contributor) until Ctrl-C',
  description:
    'Run a PNode: load or create its identity, listen and dial, keep a small set of peer sessions,\n' +
    'advertise itself, and serve the local control surface (and the dashboard with --ui).\n' +
    'Its network: --network F at start, else the one it joined last (the data dir remembers), else none\n' +
    'until one is joined from the dashboard (an invite, the default network, or a test network here).',
  options: [
    ...NODE_FLAGS,
    ...NETWORK_OPTIONS,
    ...DIRECTORY_CLIENT_FLAGS,
    ...MEMBERSHIP_FLAGS,
    { name: 'no-join', type: 'boolean', description: 'Start without joining (a new data dir joins the --network by default)' },
    { name: 'default-network', type: 'string', valueName: 'file|none', description: "The network first run offers (default: this build's dist/networks/default.json)" },
    { name: 'no-local-network', type: 'boolean', description: 'Do not offer "Try it on this computer" (starting a test network here)' },
  ],
  async run(context) {
    const { args } = context;
    const warn = (line: string): void => context.stderr(`${line}\n`);
    const base = nodeConfigFrom(args, 'contributor', context.cwd, warn);
    // --network is checked exactly as before (E_… codes, the key of a psk network), then handed to the book.
    const withNetwork = await applyNetwork(base, args, { cwd: context.cwd });
    const given = withNetwork.network;
    const directories = directoriesFromArgs(args);
    const orchestrators = orchestratorTargetsFrom(args);
    // A node told where its network is (a descriptor, or orchestrators, seeds, directories) joins it
    // unless --no-join; one told nothing waits for the volunteer to choose (first run).
    const toldWhere = given !== undefined || orchestrators.length > 0 || base.seeds.length > 0 || directories.length > 0;
    const config: ContributorNodeConfig = {
      ...base,
      initialSettings: { joined: toldWhere && args.options['no-join'] !== true },
      contributor: { activity: 'headless' as const, directories, orchestrators },
    };
    const now = systemClock.now();
    const defaultOption = args.options['default-network'] as string | undefined;
    let defaultNetwork = null;
    if (defaultOption === undefined) defaultNetwork = await readDefaultNetwork(packagedNetworksDir(), { crypto: nativeCrypto, now, warn });
    else if (defaultOption !== 'none') {
      const file = resolve(context.cwd, defaultOption);
      if (basename(file) === 'default.json') defaultNetwork = await readDefaultNetwork(dirname(file), { crypto: nativeCrypto, now, warn });
      else defaultNetwork = await readNetworkDescriptorFile(file, { now, option: '--default-network' });
      if (defaultNetwork === null) throw new UsageError(`--default-network ${file} is not a valid network descriptor`);
    }
    const localNetwork =
      args.options['no-local-network'] === true
        ? undefined
        : devnetLocalNetwork({ dir: join(base.dataDir, LOCAL_NETWORK_DIR), cli: selfCli(), crypto: nativeCrypto, clock: systemClock, parentPid: process.pid });
    return hostNodeUntilSignal(
      () =>
        NetworkHost.start({
          config,
          startIn: given?.descriptor ? { descriptor: given.descriptor, psk: given.psk, source: 'file' } : undefined,
          defaultNetwork,
          localNetwork,
        }),
      hostOptionsFrom(args),
      context,
    );
  },
};

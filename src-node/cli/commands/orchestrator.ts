// `pnode orchestrator`: runs the orchestrator role (issue 5 §3) until Ctrl-C: accepts PNode
// registrations and heartbeats, keeps leases, places VNodes, and serves the admin API on loopback.
import type { CommandSpec } from '../args.js';
import { UsageError } from '../args.js';
import { NODE_FLAGS, hostOptionsFrom, nodeConfigFrom } from '../config/node-flags.js';
import { NETWORK_OPTIONS, applyNetwork } from '../config/network-flags.js';
import { AUTHORITY_FLAGS, ORCHESTRATOR_FLAGS, WORK_FLAGS, orchestratorSetupFrom } from '../config/orchestrator-flags.js';
import { DIRECTORY_CLIENT_FLAGS } from '../config/discovery-flags.js';
import { hostNodeUntilSignal } from '../node-host.js';
import { orchestratorNode } from '../../recipes/orchestrator-node.js';

export const orchestratorCommand: CommandSpec = {
  name: 'orchestrator',
  summary: 'Run an orchestrator until Ctrl-C',
  description:
    'Run an orchestrator: accept PNode registrations and heartbeats, keep their leases (three missed\n' +
    'heartbeats end one), place VNodes on registered PNodes, and serve the admin API on loopback\n' +
    '(GET /status, /pnodes, /vnodes, /metrics with the bearer token from <data-dir>/admin.json).',
  options: [...NODE_FLAGS, ...NETWORK_OPTIONS, ...ORCHESTRATOR_FLAGS, ...AUTHORITY_FLAGS, ...WORK_FLAGS, ...DIRECTORY_CLIENT_FLAGS],
  async run(context) {
    const { args } = context;
    const base = nodeConfigFrom(args, 'orchestrator', context.cwd, (line) => context.stderr(`${line}\n`));
    if (base.listen.length === 0) throw new UsageError('an orchestrator needs --listen (PNodes dial it)');
    const orchestrator = await orchestratorSetupFrom(args, context.cwd, base.dataDir);
    // In a private (psk) network the orchestrator needs the key like every member.
    const config = await applyNetwork({ ...base, orchestrator }, args, { cwd: context.cwd });
    return hostNodeUntilSignal(() => orchestratorNode(config), hostOptionsFrom(args), context);
  },
};

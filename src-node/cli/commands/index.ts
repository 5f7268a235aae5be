import type { CommandSpec } from '../args.js';
import { hwCommand } from './hw.js';
import { idCommand } from './id.js';
import { identityCommand } from './identity.js';
import { protocolCommand } from './protocol.js';
import { nodeCommand } from './node.js';
import { signalCommand } from './signal.js';
import { networkCommand } from './network.js';
import { directoryCommand } from './directory.js';
import { dhtBootstrapCommand } from './dht-bootstrap.js';
import { dhtFindCommand } from './dht-find.js';
import { simCommand } from './sim.js';
import { orchestratorCommand } from './orchestrator.js';
import { devnetCommand } from './devnet.js';
import { authorityCommand } from './authority.js';
import { jobCommand } from './job.js';
import { projectCommand } from './project.js';

export { PNODE_VERSION } from '../version.js';
import { PNODE_VERSION } from '../version.js';

export const rootCommand: CommandSpec = {
  name: 'pnode',
  summary: 'PNode: donate compute to a decentralized network',
  version: PNODE_VERSION,
  description: `pnode ${PNODE_VERSION}: the PNode node stack without a window, and the network's own services.`,
  subcommands: [nodeCommand, orchestratorCommand, directoryCommand, dhtBootstrapCommand, dhtFindCommand, authorityCommand, devnetCommand, jobCommand, projectCommand, networkCommand, signalCommand, identityCommand, hwCommand, protocolCommand, idCommand, simCommand],
};

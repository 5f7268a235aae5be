import type { CommandSpec } from '../args.js';
import { hwCommand } from './hw.js';
import { idCommand } from './id.js';
import { identityCommand } from './identity.js';
import { protocolCommand } from './protocol.js';

export const PNODE_VERSION = '0.1.0';

export const rootCommand: CommandSpec = {
  name: 'pnode',
  summary: 'PNode: donate compute to a decentralized network',
  version: PNODE_VERSION,
  description: `pnode ${PNODE_VERSION}: the PNode node stack without a window, and the network's own services.`,
  subcommands: [protocolCommand, idCommand, identityCommand, hwCommand],
};

// `pnode project keygen --out FILE`: makes a project key (issue 13 §1) — an Ed25519 key in a file
// readable by its owner only (0600), never overwritten — and prints its did:key fingerprint, which
// the network's owner lists in the descriptor's projects (`pnode network create --project z…=name`).
import { resolve } from 'node:path';
import type { CommandSpec } from '../args.js';
import { UsageError } from '../args.js';
import { EXIT_OK } from '../run.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { makeProjectKey } from '../jobs/project-key.js';

const keygen: CommandSpec = {
  name: 'keygen',
  summary: 'Make a project key and print its fingerprint',
  options: [{ name: 'out', type: 'string', valueName: 'file', description: 'The key file to create (mode 0600, never overwritten)', required: true }],
  async run(context) {
    const file = resolve(context.cwd, context.args.options['out'] as string);
    let made;
    try {
      made = await makeProjectKey(file, nativeCrypto);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    context.stdout(`${made.key}\nwrote the project key to ${file} (keep it secret); list ${made.key} in the network descriptor's projects: pnode network create … --project ${made.key}=<name>\n`);
    return EXIT_OK;
  },
};

export const projectCommand: CommandSpec = {
  name: 'project',
  summary: 'Project keys: what signs submitted work',
  subcommands: [keygen],
};

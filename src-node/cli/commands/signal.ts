import type { CommandSpec } from '../args.js';
import { UsageError } from '../args.js';
import { EXIT_OK, EXIT_REJECTED } from '../run.js';
import { resolve } from 'node:path';
import { readControlFile } from '../../control/control-file.js';
import { connectControl } from '../../control/control-client.js';

const sendCommand: CommandSpec = {
  name: 'send',
  summary: 'Send a participant-signed signal marker from a running node to a peer',
  options: [
    { name: 'data-dir', type: 'string', valueName: 'dir', description: 'Data dir of the running node that sends', required: true },
    { name: 'to', type: 'string', valueName: 'node-id', description: 'The receiving node', required: true },
    { name: 'marker-ref', type: 'string', valueName: 'ref', description: 'Reference to the marker, e.g. signal-marker:01J…', required: true },
  ],
  async run({ args, cwd, stdout }) {
    const dataDir = resolve(cwd, args.options['data-dir'] as string);
    let control;
    try {
      const file = await readControlFile(dataDir);
      control = await connectControl(file.url, file.token);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    try {
      const result = await control.command<{ messageId: string }>({ command: 'send-signal-marker', to: args.options['to'] as string, markerRef: args.options['marker-ref'] as string });
      if (!result.ok) {
        stdout(`${result.error.protocolCode ?? result.error.code} ${result.error.message}\n`);
        return EXIT_REJECTED;
      }
      stdout(`sent ${result.value.messageId}\n`);
      return EXIT_OK;
    } finally {
      control.close();
    }
  },
};

export const signalCommand: CommandSpec = {
  name: 'signal',
  summary: 'Signal markers: send one through a running node',
  subcommands: [sendCommand],
};

// Dispatches argv to a command and turns every outcome into an exit code and at most one line
// on stderr. A stack trace appears only with PNODE_DEBUG=1.
import { ProtocolError } from '../../src-shared/protocol/errors.js';
import { type CommandIo, type CommandSpec, UsageError, helpText, parseArgs } from './args.js';

export const EXIT_OK = 0;
export const EXIT_REJECTED = 1;
export const EXIT_USAGE = 2;

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export async function runCommand(root: CommandSpec, argv: readonly string[], io: CommandIo): Promise<number> {
  let spec = root;
  let path = root.name;
  let rest = [...argv];
  try {
    while (spec.subcommands?.length) {
      const next = rest[0];
      if (next === undefined || next === '--help' || next === '-h') {
        io.stdout(helpText(spec, path));
        return next === undefined ? EXIT_USAGE : EXIT_OK;
      }
      if (next === '--version' && spec === root && root.version) {
        io.stdout(`${root.name} ${root.version}\n`);
        return EXIT_OK;
      }
      const sub = spec.subcommands.find((c) => c.name === next);
      if (!sub) throw new UsageError(`unknown command "${next}" (see ${path} --help)`);
      spec = sub;
      path = `${path} ${sub.name}`;
      rest = rest.slice(1);
    }
    const parsed = parseArgs(rest, spec);
    if (parsed.help || !spec.run) {
      io.stdout(helpText(spec, path));
      return EXIT_OK;
    }
    return await spec.run({ ...io, args: parsed, commandPath: path });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${path}: ${oneLine(error.message)}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ProtocolError) {
      io.stderr(`${error.code} ${oneLine(error.detail)}\n`);
      return EXIT_REJECTED;
    }
    if (io.env['PNODE_DEBUG'] === '1' && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`${path}: error: ${oneLine(message)}\n`);
    return EXIT_REJECTED;
  }
}

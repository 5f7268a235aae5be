// The command line of a `pnode` process. A child started as an Electron utility process (the
// desktop app's local test network) may see its arguments after other entries in process.argv, so
// its parent puts UTILITY_ARGS_MARKER in front of them; anywhere else they follow the script.

export const UTILITY_ARGS_MARKER = '--pnode-args';

export function commandLine(argv: readonly string[]): string[] {
  const marker = argv.indexOf(UTILITY_ARGS_MARKER);
  return marker >= 0 ? argv.slice(marker + 1) : argv.slice(2);
}

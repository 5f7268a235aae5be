// `--directory <url>` (repeatable): the seed directories a node reads and publishes to, before
// the network descriptor's and the volunteer's.
import type { OptionSpec, ParsedArgs } from '../args.js';
import { UsageError } from '../args.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { parseDirectoryUrl } from '../../kernel/discovery/directory-url.js';

export const DIRECTORY_CLIENT_FLAGS: readonly OptionSpec[] = [
  { name: 'directory', type: 'list', valueName: 'url', description: 'A seed directory: https://host[:port][/path], or http://127.0.0.1:port with --insecure-loopback' },
];

/** The `--directory` URLs, checked against the loopback policy (bad ones are a usage error). */
export function directoriesFromArgs(args: ParsedArgs): string[] {
  const insecureLoopback = args.options['insecure-loopback'] === true;
  const urls = (args.options['directory'] as string[] | undefined) ?? [];
  return urls.map((url) => {
    try {
      return parseDirectoryUrl(url, { insecureLoopback }).base;
    } catch (error) {
      throw new UsageError(`--directory ${url}: ${error instanceof ProtocolError ? error.detail : String(error)}`);
    }
  });
}

// `--orchestrator <node-id>@<url>` (repeatable; the same node-id twice adds a URL): the
// orchestrators `pnode node` and devnet's contributors register with, before the network's.
import type { OptionSpec, ParsedArgs } from '../args.js';
import { parseNodeAtUrl } from './node-flags.js';
import type { OrchestratorTarget } from '../../contributor/membership/orchestrator-link.js';

export const MEMBERSHIP_FLAGS: readonly OptionSpec[] = [
  {
    name: 'orchestrator',
    type: 'list',
    valueName: 'node-id@url',
    description: 'An orchestrator to register with; the first to accept is the primary, the others stand by for failover',
  },
];

/** `<node-id>@<url>`, strictly: the id parsed, the URL checked against the loopback policy. */
export function parseOrchestratorTarget(text: string, insecureLoopback: boolean): OrchestratorTarget {
  const { nodeId, url } = parseNodeAtUrl(text, 'orchestrator', insecureLoopback);
  return { nodeId, urls: [url] };
}

export function orchestratorTargetsFrom(args: ParsedArgs): OrchestratorTarget[] {
  const insecureLoopback = args.options['insecure-loopback'] === true;
  const texts = (args.options['orchestrator'] as string[] | undefined) ?? [];
  return texts.map((t) => parseOrchestratorTarget(t, insecureLoopback));
}

// The command-line face of membership: `--orchestrator <node-id>@<url>` (repeatable; the same
// node-id twice adds a URL), and the module built from it. `pnode node` and devnet's contributors
// use these; the desktop shell builds the module from its network descriptor's orchestrators.
import { parseNodeAtUrl } from '../../cli/node-options.js';
import type { OptionSpec, ParsedArgs } from '../../cli/args.js';
import { MembershipModule, type MembershipModuleOptions } from './membership-module.js';
import type { OrchestratorTarget } from './orchestrator-link.js';
import type { NodeRuntimeConfig } from '../../kernel/runtime/runtime-config.js';
import { networkOf } from '../../kernel/discovery/bootstrap.js';

export const MEMBERSHIP_OPTIONS: readonly OptionSpec[] = [
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

/**
 * The membership module for parsed `pnode node` arguments plus any orchestrators found elsewhere
 * (a network descriptor). Always a module, even with no orchestrator: the node then shows
 * "no orchestrator" as the reason it is not contributing, and setOrchestrators() can add some later.
 */
export function membershipModuleFromArgs(args: ParsedArgs, extra: readonly OrchestratorTarget[] = [], options: Omit<MembershipModuleOptions, 'orchestrators'> = {}): MembershipModule {
  return new MembershipModule({ ...options, orchestrators: [...orchestratorTargetsFrom(args), ...extra] });
}

/** The orchestrators a network descriptor names (`pnode node --network F`), as link targets. */
export function networkOrchestratorTargets(config: NodeRuntimeConfig): OrchestratorTarget[] {
  return (networkOf(config)?.orchestrators ?? []).map((o) => ({ nodeId: o.nodeId, urls: [o.url] }));
}

/** `pnode node`'s membership: --orchestrator first, then the network descriptor's orchestrators. */
export function membershipModuleFor(args: ParsedArgs, config: NodeRuntimeConfig, options: Omit<MembershipModuleOptions, 'orchestrators'> = {}): MembershipModule {
  return membershipModuleFromArgs(args, networkOrchestratorTargets(config), options);
}

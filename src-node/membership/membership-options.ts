// The command-line face of membership: `--orchestrator <node-id>@<url>` (repeatable; the same
// node-id twice adds a URL), and the module built from it. `pnode node` and devnet's contributors
// use these; the desktop shell builds the module from its network descriptor's orchestrators.
import { UsageError, type OptionSpec, type ParsedArgs } from '../cli/args.js';
import { parseNodeId } from '../../src-shared/protocol/did-key.js';
import { ProtocolError } from '../../src-shared/protocol/errors.js';
import { parsePeerEndpoint } from '../transport/endpoint-url.js';
import { MembershipModule, type MembershipModuleOptions } from './membership-module.js';
import type { OrchestratorTarget } from './orchestrator-link.js';
import type { NodeRuntimeConfig } from '../runtime/runtime-config.js';
import { networkOf } from '../discovery/bootstrap.js';

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
  const at = text.indexOf('@');
  if (at <= 0) throw new UsageError(`--orchestrator needs <node-id>@<url>, got ${JSON.stringify(text)}`);
  const nodeId = text.slice(0, at);
  const url = text.slice(at + 1);
  try {
    parseNodeId(nodeId);
    parsePeerEndpoint(url, { insecureLoopback });
  } catch (error) {
    throw new UsageError(`--orchestrator ${JSON.stringify(text)}: ${error instanceof ProtocolError ? error.detail : String(error)}`);
  }
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

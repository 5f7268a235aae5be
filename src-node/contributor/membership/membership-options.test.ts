import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError, type CommandSpec } from '../../cli/args.js';
import { MEMBERSHIP_OPTIONS, membershipModuleFromArgs, orchestratorTargetsFrom, parseOrchestratorTarget } from './membership-options.js';
import { mergeTargets } from './membership-module.js';
import { testIdentity } from '../../../tests/support/identities.js';

const ID = testIdentity(0x31).nodeId;
const spec: CommandSpec = { name: 'node', summary: '', options: [...MEMBERSHIP_OPTIONS, { name: 'insecure-loopback', type: 'boolean', description: '' }] };

describe('--orchestrator', () => {
  it('parses <node-id>@<url>, repeated, merging URLs of one node-id', () => {
    const args = parseArgs(['--orchestrator', `${ID}@wss://orch.example.org/peer`, '--orchestrator', `${ID}@wss://orch2.example.org/peer`], spec);
    expect(orchestratorTargetsFrom(args)).toHaveLength(2);
    expect(mergeTargets(orchestratorTargetsFrom(args))).toEqual([{ nodeId: ID, urls: ['wss://orch.example.org/peer', 'wss://orch2.example.org/peer'] }]);
    const module = membershipModuleFromArgs(args);
    expect(module.link(ID)?.target.urls).toHaveLength(2);
  });

  it('allows ws:// on loopback only with --insecure-loopback', () => {
    expect(() => parseOrchestratorTarget(`${ID}@ws://127.0.0.1:7000/peer`, false)).toThrow(UsageError);
    expect(parseOrchestratorTarget(`${ID}@ws://127.0.0.1:7000/peer`, true)).toEqual({ nodeId: ID, urls: ['ws://127.0.0.1:7000/peer'] });
  });

  it('refuses what is not <node-id>@<url>', () => {
    for (const bad of ['wss://orch.example.org/peer', `@wss://x/peer`, `node:did:key:z0OIl@wss://x/peer`, `${ID}@http://x/peer`, `${ID}@`]) {
      expect(() => parseOrchestratorTarget(bad, true), bad).toThrow(/--orchestrator/);
    }
  });

  it('builds a module even without orchestrators (it then reports no-orchestrator)', () => {
    const module = membershipModuleFromArgs(parseArgs([], spec));
    expect(module.name).toBe('membership');
    expect(module.primary).toBeNull();
  });
});

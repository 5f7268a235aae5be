import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError, type CommandSpec } from '../args.js';
import { MEMBERSHIP_FLAGS, orchestratorTargetsFrom, parseOrchestratorTarget } from './membership-flags.js';
import { mergeTargets } from '../../contributor/membership/membership-module.js';
import { testIdentity } from '../../../tests/support/identities.js';

const ID = testIdentity(0x31).nodeId;
const spec: CommandSpec = { name: 'node', summary: '', options: [...MEMBERSHIP_FLAGS, { name: 'insecure-loopback', type: 'boolean', description: '' }] };

describe('--orchestrator', () => {
  it('parses <node-id>@<url>, repeated, merging URLs of one node-id', () => {
    const args = parseArgs(['--orchestrator', `${ID}@wss://orch.example.org/peer`, '--orchestrator', `${ID}@wss://orch2.example.org/peer`], spec);
    expect(orchestratorTargetsFrom(args)).toHaveLength(2);
    expect(mergeTargets(orchestratorTargetsFrom(args))).toEqual([{ nodeId: ID, urls: ['wss://orch.example.org/peer', 'wss://orch2.example.org/peer'] }]);
    expect(mergeTargets(orchestratorTargetsFrom(args))[0]?.urls).toHaveLength(2);
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

  it('gives no target without the flag (the node then reports no-orchestrator)', () => {
    expect(orchestratorTargetsFrom(parseArgs([], spec))).toEqual([]);
  });
});

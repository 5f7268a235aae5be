// Issue 5 §5 with a real orchestrator process: `pnode orchestrator --authority` runs the
// registration authority; `pnode authority issue-token|list|revoke` reach it through its admin
// API while it runs; a PNode enrolls and the admin API shows it trusted; a revocation takes the
// trust away; a restart keeps the authority (on by default once the data dir has one).
import { afterEach, describe, expect, it } from 'vitest';
import { spawnPnode, startTestNode, type ChildNode } from '../support/nodes.js';
import { makeTempDir } from '../support/temp-dir.js';
import { readAdminFile, type AdminFile } from '../../src-node/services/orchestrator/admin-file.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { membershipParts, type MembershipParts } from '../support/contributors.js';
import { TrustedRegistrationModule } from '../../src-node/contributor/trust/trusted-registration-module.js';
import { NodeControl } from '../../src-node/control/node-control.js';
import { makeAuthorityCommand } from '../../src-node/cli/commands/authority.js';
import { runCommand } from '../../src-node/cli/run.js';
import type { CommandSpec } from '../../src-node/cli/args.js';
import type { PNodeView } from '../../src-node/services/orchestrator/admin-views.js';

const children: ChildNode[] = [];
const nodes: Array<NodeRuntime & { cleanup: () => Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.cleanup()));
  await Promise.all(children.splice(0).map((c) => c.stop('SIGKILL')));
});

async function startOrchestrator(dataDir: string, extra: string[] = []) {
  const child = await spawnPnode(
    ['orchestrator', '--data-dir', dataDir, '--listen', 'ws://127.0.0.1:0/peer', '--admin-listen', 'http://127.0.0.1:0', '--insecure-loopback', '--keystore', 'file', '--heartbeat-interval-ms', '200', ...extra],
    { readyPattern: /authority\s+z\w+/ },
  );
  children.push(child);
  const url = /listening\s+(ws:\/\/\S+)/.exec(child.output())![1]!;
  const key = /authority\s+(z\w+)/.exec(child.output())![1]!;
  return { child, url, key, admin: await readAdminFile(dataDir) };
}

async function authorityCli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const root: CommandSpec = { name: 'pnode', summary: 'test', subcommands: [makeAuthorityCommand()] };
  let stdout = '';
  let stderr = '';
  const code = await runCommand(root, ['authority', ...argv], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: async () => '', env: {}, cwd: process.cwd() });
  return { code, stdout, stderr };
}

async function pnodeView(admin: AdminFile, nodeId: string): Promise<PNodeView | undefined> {
  const response = await fetch(`${admin.url}/pnodes`, { headers: { Authorization: `Bearer ${admin.token}` } });
  return ((await response.json()) as { pnodes: PNodeView[] }).pnodes.find((p) => p['node-id'] === nodeId);
}

describe('trusted registration with a real orchestrator process', () => {
  it('issue-token through the running orchestrator, enroll, trusted in /pnodes; revoke takes it away; the authority survives a restart', async () => {
    const dir = makeTempDir('pnode-orch-authority-');
    try {
      const orch = await startOrchestrator(dir.path, ['--authority']);
      expect(orch.child.output()).toMatch(/warning: the authority key is kept in a plain file/);

      const issued = await authorityCli('issue-token', '--data-dir', dir.path, '--label', 'process test', '--json');
      expect(issued.code, issued.stderr).toBe(0);
      const token = (JSON.parse(issued.stdout) as { token: string }).token;

      const target = { nodeId: orch.child.nodeId, urls: [orch.url] };
      let parts: MembershipParts | undefined;
      let created: TrustedRegistrationModule | undefined;
      const node = await startTestNode({
        modules: (r) => {
          parts = membershipParts(r, { orchestrators: [target], backoff: { minMs: 50, maxMs: 400 } });
          created = new TrustedRegistrationModule({ ...r.components, membership: parts.membership }, { requestTimeoutMs: 5_000 });
          return [...parts.modules, created];
        },
        listenOn: false,
      });
      nodes.push(node);
      const { membership, availability } = parts!;
      const trusted = created!;
      await expect.poll(() => membership.state().orchestrators?.[0]?.status).toBe('registered');
      const control = new NodeControl(node, { sources: [membership, trusted], availability });
      const enrolled = await control.execute({ command: 'enroll', token });
      expect(enrolled.ok ? 'ok' : JSON.stringify(enrolled.error)).toBe('ok');
      await expect.poll(async () => (await pnodeView(orch.admin, node.identity.nodeId))?.trust).toBe('trusted');
      expect((await pnodeView(orch.admin, node.identity.nodeId))?.['operator-id']).toBe(trusted.credential!['operator/id']);
      expect(trusted.credential!['issuer/key']).toBe(orch.key);

      const list = await authorityCli('list', '--data-dir', dir.path, '--json');
      expect(list.code, list.stderr).toBe(0);
      const listed = JSON.parse(list.stdout) as { key: string; tokens: Array<{ status: string; label: string }>; credentials: Array<{ 'credential/id': string; status: string }> };
      expect(listed.key).toBe(orch.key);
      expect(listed.tokens).toEqual([expect.objectContaining({ status: 'used', label: 'process test' })]);
      expect(listed.credentials).toEqual([expect.objectContaining({ 'credential/id': trusted.credential!['credential/id'], status: 'valid' })]);

      // The orchestrator restarts on the same data dir, this time without --authority: it is on by default.
      await orch.child.stop('SIGINT');
      children.splice(children.indexOf(orch.child), 1);
      const again = await startOrchestrator(dir.path);
      expect(again.key).toBe(orch.key);
      membership.setOrchestrators([{ nodeId: again.child.nodeId, urls: [again.url] }]);
      await expect.poll(async () => (await pnodeView(again.admin, node.identity.nodeId))?.trust).toBe('trusted');

      const revoked = await authorityCli('revoke', '--data-dir', dir.path, trusted.credential!['credential/id'], '--reason', 'process test');
      expect(revoked.code, revoked.stderr).toBe(0);
      await expect.poll(async () => (await pnodeView(again.admin, node.identity.nodeId))?.trust).toBe('untrusted');
    } finally {
      await Promise.all(nodes.splice(0).map((n) => n.cleanup()));
      await Promise.all(children.splice(0).map((c) => c.stop('SIGKILL')));
      dir.cleanup();
    }
  });
});

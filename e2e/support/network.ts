// Real services for the network specs (issue 12 §4): a `pnode devnet` on loopback and network
// descriptors for it, made with `pnode network …` exactly as an owner would.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNODE_BIN, startPnode, type Running } from './pnode.js';

export interface DevnetServices {
  readonly dir: string;
  readonly devnet: Running;
  readonly orchestrator: { readonly nodeId: string; readonly url: string; readonly adminUrl: string; readonly adminToken: string };
  readonly directory: string | null;
  readonly seeds: readonly string[];
}

export function pnodeSync(args: readonly string[]): string {
  return execFileSync(process.execPath, [PNODE_BIN, ...args], { encoding: 'utf8' });
}

export async function startDevnetServices(dir: string, nodes = 1): Promise<DevnetServices> {
  const devnet = await startPnode(['devnet', '--nodes', String(nodes), '--data-dir', join(dir, 'devnet'), '--heartbeat-interval-ms', '1000'], /ready\s+\d+ of \d+ nodes registered/, 120_000);
  const file = JSON.parse(readFileSync(join(dir, 'devnet', 'devnet.json'), 'utf8')) as {
    directory: { url: string } | null;
    orchestrator: { 'node-id': string; url: string; 'admin-url': string; 'admin-token': string };
    nodes: Array<{ 'node-id': string; 'peer-url': string }>;
  };
  return {
    dir,
    devnet,
    orchestrator: { nodeId: file.orchestrator['node-id'], url: file.orchestrator.url, adminUrl: file.orchestrator['admin-url'], adminToken: file.orchestrator['admin-token'] },
    directory: file.directory?.url ?? null,
    seeds: file.nodes.map((n) => `${n['node-id']}@${n['peer-url']}`),
  };
}

/** Signs a descriptor of the devnet's services (`pnode network create`) and answers its invite link. */
export function networkInvite(services: DevnetServices, options: { id: string; name: string; createdAt?: string; validDays?: number }): string {
  const key = join(services.dir, 'owner.key');
  try {
    readFileSync(key);
  } catch {
    pnodeSync(['network', 'keygen', '--out', key]);
  }
  const out = join(services.dir, `${options.id.replace(':', '_')}-${options.createdAt ?? 'now'}.json`);
  pnodeSync([
    'network', 'create', '--out', out, '--id', options.id, '--name', options.name, '--owner-key-file', key,
    '--orchestrator', `${services.orchestrator.nodeId}@${services.orchestrator.url}`,
    ...services.seeds.flatMap((s) => ['--seed', s]),
    ...(services.directory ? ['--directory', services.directory] : []),
    ...(options.createdAt ? ['--created-at', options.createdAt] : []),
    ...(options.validDays ? ['--valid-days', String(options.validDays)] : []),
  ]);
  // `pnode network invite` refuses to print an invite that is no longer valid; an old one is made by hand.
  if (options.createdAt) return `pnode://join/d1/${Buffer.from(JSON.stringify(JSON.parse(readFileSync(out, 'utf8')))).toString('base64url')}`;
  return pnodeSync(['network', 'invite', out, '--no-qr']).split('\n').find((line) => line.startsWith('pnode://join/'))!;
}

/** The same invite with its descriptor changed after signing (its name): the signature no longer matches. */
export function tamperedInvite(invite: string): string {
  const prefix = 'pnode://join/d1/';
  const descriptor = JSON.parse(Buffer.from(invite.slice(prefix.length), 'base64url').toString('utf8')) as Record<string, unknown>;
  descriptor['network/name'] = `${String(descriptor['network/name'])} (free money)`;
  return `${prefix}${Buffer.from(JSON.stringify(descriptor)).toString('base64url')}`;
}

export async function registeredAt(services: DevnetServices, nodeId: string): Promise<string | undefined> {
  const response = await fetch(`${services.orchestrator.adminUrl}/pnodes`, { headers: { Authorization: `Bearer ${services.orchestrator.adminToken}` } });
  const body = (await response.json()) as { pnodes?: Array<{ 'node-id': string; state: string }> };
  return body.pnodes?.find((p) => p['node-id'] === nodeId)?.state;
}

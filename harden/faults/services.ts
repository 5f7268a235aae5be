// Starting the services of the fault scenarios as child processes (`pnode orchestrator`,
// `pnode directory`, `pnode node`), each on loopback, and reading the orchestrator's admin API.
import { mkdir } from 'node:fs/promises';
import { readAdminFile } from '../../src-node/services/orchestrator/admin-file.js';
import { ADMIN_LINE, LISTENING_LINE, LOOPBACK_FLAGS, NODE_ID_LINE, spawnPnode, waitForBanner, type PnodeChild } from './pnode-child.js';

/** One admin request gets this long. */
export const ADMIN_REQUEST_TIMEOUT_MS = 2_000;

export interface AdminAccess {
  readonly url: string;
  readonly token: string;
}

export interface OrchestratorChild {
  readonly child: PnodeChild;
  readonly nodeId: string;
  /** Its peer endpoint (the same port across restarts). */
  readonly url: string;
  readonly admin: AdminAccess;
}

export interface OrchestratorChildOptions {
  readonly dataDir: string;
  /** The peer listener's port: fixed, so a restart comes back where the PNodes look for it. */
  readonly port: number;
  readonly heartbeatIntervalMs: number;
}

/** `pnode orchestrator` on ws://127.0.0.1:<port>/peer with its admin API; resolves once it is serving. */
export async function startOrchestratorChild(options: OrchestratorChildOptions, name = 'orchestrator'): Promise<OrchestratorChild> {
  await mkdir(options.dataDir, { recursive: true });
  const child = spawnPnode(name, [
    'orchestrator',
    '--data-dir',
    options.dataDir,
    '--listen',
    `ws://127.0.0.1:${options.port}/peer`,
    '--admin-listen',
    'http://127.0.0.1:0',
    '--heartbeat-interval-ms',
    String(options.heartbeatIntervalMs),
    ...LOOPBACK_FLAGS,
  ]);
  try {
    const [nodeId, url] = await waitForBanner(child, [NODE_ID_LINE, LISTENING_LINE, ADMIN_LINE]);
    // The banner comes after the admin file is written (a killed predecessor's file is replaced by then).
    const admin = await readAdminFile(options.dataDir);
    return { child, nodeId: nodeId!, url: url!, admin: { url: admin.url, token: admin.token } };
  } catch (error) {
    await child.kill();
    throw error;
  }
}

export interface DirectoryChild {
  readonly child: PnodeChild;
  readonly nodeId: string;
  readonly url: string;
}

/** `pnode directory` on http://127.0.0.1:<port>. */
export async function startDirectoryChild(dataDir: string, port: number): Promise<DirectoryChild> {
  await mkdir(dataDir, { recursive: true });
  const child = spawnPnode('directory', ['directory', '--data-dir', dataDir, '--listen', `http://127.0.0.1:${port}`, ...LOOPBACK_FLAGS]);
  try {
    const [nodeId, url] = await waitForBanner(child, [NODE_ID_LINE, /directory\s+(http:\/\/\S+)/]);
    return { child, nodeId: nodeId!, url: url! };
  } catch (error) {
    await child.kill();
    throw error;
  }
}

export interface NodeChild {
  readonly child: PnodeChild;
  readonly nodeId: string;
  readonly url: string;
}

/** `pnode node` listening on loopback, registered with `orchestrator` (node-id@url). */
export async function startNodeChild(dataDir: string, orchestrator: string): Promise<NodeChild> {
  await mkdir(dataDir, { recursive: true });
  const child = spawnPnode('node', ['node', '--data-dir', dataDir, '--listen', 'ws://127.0.0.1:0/peer', '--orchestrator', orchestrator, ...LOOPBACK_FLAGS]);
  try {
    const [nodeId, url] = await waitForBanner(child, [NODE_ID_LINE, LISTENING_LINE, /control\s+(ws:\/\/\S+)/]);
    return { child, nodeId: nodeId!, url: url! };
  } catch (error) {
    await child.kill();
    throw error;
  }
}

/** One PNode as the admin API lists it (the fields the scenarios read). */
export interface AdminPnode {
  readonly nodeId: string;
  readonly state: string;
  /** ms, or null. */
  readonly registeredAt: number | null;
  readonly heartbeats: number;
}

interface AdminPnodeJson {
  readonly 'node-id': string;
  readonly state: string;
  readonly 'registered-at': string | null;
  readonly heartbeats: number;
}

/** GET /pnodes with the bearer token. Throws when the API does not answer 200. */
export async function adminPnodes(admin: AdminAccess): Promise<AdminPnode[]> {
  const response = await fetch(`${admin.url}/pnodes`, { headers: { Authorization: `Bearer ${admin.token}` }, signal: AbortSignal.timeout(ADMIN_REQUEST_TIMEOUT_MS) });
  if (response.status !== 200) throw new Error(`GET /pnodes: HTTP ${response.status}`);
  const body = (await response.json()) as { pnodes: readonly AdminPnodeJson[] };
  return body.pnodes.map((p) => ({
    nodeId: p['node-id'],
    state: p.state,
    registeredAt: p['registered-at'] === null ? null : Date.parse(p['registered-at']),
    heartbeats: p.heartbeats,
  }));
}

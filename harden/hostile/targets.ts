// The listeners under attack, as an operator runs them: `pnode directory`, `pnode node` (a
// contributor with a peer listener and its control server) and `pnode orchestrator` (a service peer
// listener and the admin API), child processes of the built binary, on loopback. And one honest
// request to each, from the honest address, on a fresh connection every time.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed } from '../../src-node/kernel/identity/node-identity.js';
import { readControlFile } from '../../src-node/control/control-file.js';
import { connectControl } from '../../src-node/control/control-client.js';
import { openSession } from '../faults/healthy-peer.js';
import { LISTENING_LINE, LOOPBACK_FLAGS, NODE_ID_LINE, spawnPnode, waitForBanner, type PnodeChild } from '../faults/pnode-child.js';
import { startDirectoryChild, startOrchestratorChild } from '../faults/services.js';
import { signedAdvertisement, makePublisher } from '../../tests/support/directory.js';
import { HONEST_ADDRESS } from './loopback.js';
import { freeLoopbackPort } from '../../src-node/kernel/transport/free-port.js';

/** One honest request gets this long. */
export const HONEST_TIMEOUT_MS = 5_000;

export interface Targets {
  readonly directory: { readonly child: PnodeChild; readonly port: number; readonly dataDir: string };
  readonly contributor: { readonly child: PnodeChild; readonly url: string; readonly nodeId: string; readonly dataDir: string; readonly control: { readonly url: string; readonly token: string; readonly port: number } };
  readonly orchestrator: { readonly child: PnodeChild; readonly url: string; readonly nodeId: string; readonly dataDir: string; readonly admin: { readonly url: string; readonly token: string; readonly port: number } };
  stop(): Promise<void>;
}

export async function startTargets(workDir: string): Promise<Targets> {
  const started: PnodeChild[] = [];
  try {
    const directoryDir = join(workDir, 'directory');
    const directoryPort = await freeLoopbackPort();
    const directory = await startDirectoryChild(directoryDir, directoryPort);
    started.push(directory.child);
    const orchestratorDir = join(workDir, 'orchestrator');
    const orchestrator = await startOrchestratorChild({ dataDir: orchestratorDir, port: await freeLoopbackPort(), heartbeatIntervalMs: 10_000 });
    started.push(orchestrator.child);
    const contributorDir = join(workDir, 'contributor');
    await mkdir(contributorDir, { recursive: true });
    const child = spawnPnode('contributor', ['node', '--data-dir', contributorDir, '--listen', 'ws://127.0.0.1:0/peer', ...LOOPBACK_FLAGS]);
    started.push(child);
    const [nodeId, url] = await waitForBanner(child, [NODE_ID_LINE, LISTENING_LINE, /control\s+(ws:\/\/\S+)/]);
    const control = await readControlFile(contributorDir);
    return {
      directory: { child: directory.child, port: directoryPort, dataDir: directoryDir },
      contributor: { child, url: url!, nodeId: nodeId!, dataDir: contributorDir, control: { url: control.url, token: control.token, port: Number(new URL(control.url).port) } },
      orchestrator: {
        child: orchestrator.child,
        url: orchestrator.url,
        nodeId: orchestrator.nodeId,
        dataDir: orchestratorDir,
        admin: { url: orchestrator.admin.url, token: orchestrator.admin.token, port: Number(new URL(orchestrator.admin.url).port) },
      },
      async stop() {
        await Promise.all(started.map((c) => c.stop()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((c) => c.kill()));
    throw error;
  }
}

interface HttpOptions {
  readonly port: number;
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly localAddress?: string;
}

/** One request on a fresh connection; the status, or the error's code. */
export function httpOnce(options: HttpOptions): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: options.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...options.headers },
        agent: false,
        localAddress: options.localAddress ?? HONEST_ADDRESS,
        timeout: HONEST_TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', (error) => resolve((error as NodeJS.ErrnoException).code ?? error.message));
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (error) => resolve((error as NodeJS.ErrnoException).code ?? error.message.slice(0, 40)));
    req.end(options.body);
  });
}

/** The honest directory client: a fresh node's PUT of its advertisement, then a GET of it. */
export function honestDirectory(port: number): () => Promise<true | string> {
  return async () => {
    const publisher = makePublisher();
    const put = await httpOnce({ port, method: 'PUT', path: `/adv/${publisher.nodeId}`, body: JSON.stringify(signedAdvertisement(publisher)) });
    if (put !== 201) return `PUT ${put}`;
    const get = await httpOnce({ port, path: `/adv/${publisher.nodeId}` });
    return get === 200 ? true : `GET ${get}`;
  };
}

/** The honest peer: a fresh identity's whole session (handshake and all), then goodbye. */
export function honestPeer(url: string, nodeId: string): () => Promise<true | string> {
  return async () => {
    try {
      const connection = await openSession(identityFromSeed(randomBytes(32), nativeCrypto), url, nodeId, HONEST_ADDRESS);
      connection.close();
      return true;
    } catch (error) {
      return (error instanceof Error ? error.message : String(error)).replace(/ws:\/\/\S+/, '').slice(0, 50);
    }
  };
}

/** The honest UI: a control client with the token gets the state. */
export function honestControl(url: string, token: string): () => Promise<true | string> {
  return async () => {
    try {
      const client = await connectControl(url, token, { timeoutMs: HONEST_TIMEOUT_MS });
      const ok = client.state() !== undefined;
      client.close();
      return ok ? true : 'no state';
    } catch (error) {
      return (error instanceof Error ? error.message : String(error)).slice(0, 50);
    }
  };
}

/** The honest operator: GET /status with the token. */
export function honestAdmin(port: number, token: string): () => Promise<true | string> {
  return async () => {
    const status = await httpOnce({ port, path: '/status', headers: { Authorization: `Bearer ${token}`, Host: `127.0.0.1:${port}` } });
    return status === 200 ? true : `status ${status}`;
  };
}

// The directory client against a real directory (a node with the DirectoryModule) on 127.0.0.1:
// publish, fetch, sync, rejection of forged feed items, backoff while the directory is down.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestNode } from '../../../tests/support/nodes.js';
import type { TraceEventType } from '../../../src-shared/protocol/trace.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { PATIENCE_MS } from '../../../tests/support/wait.js';
import type { NodeRuntime } from '../runtime/node-runtime.js';
import { DirectoryModule } from '../../services/directory/directory-module.js';
import { DirectoryStore } from '../../services/directory/directory-store.js';
import { encodeHeader, encodePut } from '../../services/directory/directory-log.js';
import { newEpoch } from '../../services/directory/directory-cursor.js';
import { makePublisher, signedAdvertisement } from '../../../tests/support/directory.js';
import { backoffDelayMs } from '../peers/backoff.js';
import { DIRECTORY_CURSORS_FILE } from './directory-cursors.js';
import { DirectoryClient, type DirectoryClientOptions, type ScheduleReason } from './directory-client.js';
import { makeLoopbackCertificate } from '../../../tests/support/tls.js';
import { startHostileDirectory, type HostileDirectory } from '../../../tests/support/hostile-directory.js';
import { MAX_NEW_PEERS_PER_SOURCE } from '../peers/peer-store.js';
import { directorySource } from '../peers/provenance.js';

type TestNode = NodeRuntime & { cleanup: () => Promise<void> };
const running: TestNode[] = [];
const hostile: HostileDirectory[] = [];
afterEach(async () => {
  for (const node of running.splice(0).reverse()) await node.cleanup().catch(() => undefined);
  for (const directory of hostile.splice(0)) await directory.close();
});

async function directory(options: { dataDir?: string; listen?: string; tls?: { certFile: string; keyFile: string } } = {}): Promise<{ node: TestNode; module: DirectoryModule }> {
  let module: DirectoryModule | undefined;
  const node = await startTestNode({
    role: 'directory',
    listenOn: false,
    modules: (r) => [(module = new DirectoryModule(r.components, { listen: options.listen ?? 'http://127.0.0.1:0', ...(options.tls ? { tls: options.tls } : {}) }))],
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  running.push(node);
  return { node, module: module! };
}

async function node(
  options: Partial<DirectoryClientOptions> & { directories: readonly string[]; listenOn?: boolean; dataDir?: string; trustCa?: string[] },
): Promise<{ node: TestNode; client: DirectoryClient }> {
  let client: DirectoryClient | undefined;
  const started = await startTestNode({
    modules: (r) => [(client = new DirectoryClient(r.components, { timing: { syncIntervalMs: 60_000 }, ...options }))],
    listenOn: options.listenOn ?? true,
    timing: { planIntervalMs: 100 },
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.trustCa ? { trustCa: options.trustCa } : {}),
  });
  running.push(started);
  return { node: started, client: client! };
}

async function stop(target: TestNode): Promise<void> {
  running.splice(running.indexOf(target), 1);
  await target.cleanup();
}

function traces(runtime: NodeRuntime, type: TraceEventType) {
  return runtime.traces.recent(10_000).filter((e) => e['event/type'] === type);
}

describe('directory client', () => {
  it('publishes our advertisement on start and again on every refresh', async () => {
    const { module } = await directory();
    const { node: a } = await node({ directories: [module.url] });
    const first = a.advertisement!;
    await expect.poll(() => module.store!.get(a.identity.nodeId)?.sequence).toBe(first['sequence/no']);
    const published = () => traces(a, 'advertisement/published').filter((e) => e.detail?.['via'] === 'directory');
    await expect.poll(() => published().length).toBeGreaterThan(0);
    expect(published()[0]?.detail).toMatchObject({ via: 'directory', url: module.url, status: 201, 'sequence/no': first['sequence/no'] });

    const refreshed = (await a.publishAdvertisement())!;
    await expect.poll(() => module.store!.get(a.identity.nodeId)?.sequence).toBe(refreshed['sequence/no']);
    expect(module.store!.get(a.identity.nodeId)?.body.toString()).toBe(JSON.stringify(refreshed));
  });

  it('a dial-only node has no advertisement and publishes nothing, but still reads the directory', async () => {
    const { module } = await directory();
    const { node: a, client } = await node({ directories: [module.url], listenOn: false });
    expect(a.advertisement).toBeNull();
    expect(await client.publish()).toEqual([]);
    await expect.poll(() => client.status()[0]?.caughtUp).toBe(true);
    expect(module.store!.size).toBe(0);
  });

  it('two nodes learn each other only through the directory, and then connect', async () => {
    const { module } = await directory();
    const { node: a, client: clientA } = await node({ directories: [module.url] });
    const { node: b, client: clientB } = await node({ directories: [module.url] });
    await expect.poll(() => module.store!.size).toBe(2);
    await module.store!.idle(); // the feed serves rows once they are on disk
    await clientA.syncNow();
    await clientB.syncNow();
    expect(a.peers.get(b.identity.nodeId)).toMatchObject({ source: 'directory' });
    expect(b.peers.get(a.identity.nodeId)).toMatchObject({ source: 'directory' });
    // Neither has a seed: the first to know of the other learned it from the directory (the other
    // may have met it first in the session it then dialed, and only refreshed it from its sync).
    const learnedFromDirectory = (x: TestNode, y: TestNode): boolean => traces(x, 'peer/discovered').some((e) => e.peer === y.identity.nodeId && e.detail?.['via'] === 'directory');
    expect(learnedFromDirectory(a, b) || learnedFromDirectory(b, a)).toBe(true);
    expect(traces(a, 'advertisement/fetched').some((e) => e.detail?.['url'] === module.url && Number(e.detail?.['count']) >= 1)).toBe(true);
    await expect.poll(() => a.connections.get(b.identity.nodeId)?.isOpen ?? b.connections.get(a.identity.nodeId)?.isOpen).toBe(true);
  });

  it('fetches an advertisement by node-id for a node it has not synced yet', async () => {
    const { module } = await directory();
    const { node: c, client } = await node({ directories: [module.url], listenOn: false });
    await expect.poll(() => client.status()[0]?.caughtUp).toBe(true);
    const { node: b } = await node({ directories: [module.url] });
    await expect.poll(() => module.store!.get(b.identity.nodeId)).toBeDefined();
    expect(c.peers.get(b.identity.nodeId)).toBeUndefined();

    const fetched = await client.fetchAdvertisement(b.identity.nodeId);
    expect(fetched).toEqual(b.advertisement);
    expect(c.peers.get(b.identity.nodeId)?.source).toBe('directory');
    expect(await client.fetchAdvertisement(makePublisher().nodeId)).toBeNull();
    expect(await client.fetchAdvertisement('not a node id')).toBeNull();
  });

  it('rejects and traces a forged item in the feed, and keeps the genuine ones', async () => {
    // The directory trusts its own log; a forgery planted there reaches the feed, and the client
    // is what stops it.
    const dataDir = makeTempDir('pnode-directory-forged-').path;
    const honest = signedAdvertisement(makePublisher());
    const victim = makePublisher();
    const genuine = signedAdvertisement(victim, { url: 'wss://victim.example/peer' });
    const forged = { ...genuine, 'sequence/no': 9, endpoints: [{ ...genuine.endpoints[0], 'endpoint/url': 'wss://evil.example/peer' }] };
    mkdirSync(join(dataDir, 'directory'), { recursive: true });
    writeFileSync(DirectoryStore.logPath(dataDir), encodeHeader({ epoch: newEpoch(), next: 3 }) + encodePut(1, Date.now(), JSON.stringify(honest)) + encodePut(2, Date.now(), JSON.stringify(forged)));
    const { module } = await directory({ dataDir });
    expect(module.store!.size).toBe(2);

    const { node: a, client } = await node({ directories: [module.url], listenOn: false });
    await expect.poll(() => client.status()[0]?.caughtUp).toBe(true);
    expect(a.peers.get(honest['node/id'])?.source).toBe('directory');
    expect(a.peers.get(victim.nodeId)).toBeUndefined();
    expect(a.advertisements.get(victim.nodeId)).toBeUndefined();
    const rejected = traces(a, 'advertisement/rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ peer: victim.nodeId, detail: { code: 'E_SIG_INVALID', class: 'signature/invalid', 'node/id': victim.nodeId, url: module.url } });
  });

  it('backs off exponentially while the directory is down, then catches up and publishes when it is back', async () => {
    const dataDir = makeTempDir('pnode-directory-down-').path;
    const first = await directory({ dataDir });
    const url = first.module.url;
    await stop(first.node);

    const schedules: Array<{ kind: string; delayMs: number; reason: ScheduleReason }> = [];
    const backoff = { minMs: 20, maxMs: 160 };
    const random = (): number => 0.999;
    const { node: a, client } = await node({
      directories: [url],
      timing: { backoff, syncIntervalMs: 60_000, requestTimeoutMs: 2_000 },
      random,
      onSchedule: (_url, kind, delayMs, reason) => schedules.push({ kind, delayMs, reason }),
    });
    await expect.poll(() => schedules.filter((s) => s.kind === 'sync').length).toBeGreaterThanOrEqual(6);
    const syncDelays = schedules.filter((s) => s.kind === 'sync').slice(0, 6);
    expect(syncDelays.every((s) => s.reason === 'error')).toBe(true);
    expect(syncDelays.map((s) => s.delayMs)).toEqual([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(attempt, random, backoff)));
    expect(syncDelays.map((s) => s.delayMs)).toEqual([19, 39, 79, 159, 159, 159]);
    expect(schedules.some((s) => s.kind === 'publish' && s.reason === 'error')).toBe(true);
    const errors = traces(a, 'error/occurred').filter((e) => e.detail?.['url'] === url);
    expect(errors.length).toBeGreaterThanOrEqual(6);
    expect(errors[0]?.detail).toMatchObject({ code: 'E_TRANSPORT_UNAVAILABLE', via: 'directory' });
    expect(client.status()[0]!.syncFailures).toBeGreaterThanOrEqual(6);

    const back = await directory({ dataDir, listen: url });
    await expect.poll(() => client.status()[0]?.caughtUp).toBe(true);
    expect(client.status()[0]!.syncFailures).toBe(0);
    await expect.poll(() => back.module.store!.get(a.identity.nodeId)?.sequence).toBe(a.advertisement!['sequence/no']);
  });

  it('keeps its cursor across restarts, and starts over when the directory no longer knows it', async () => {
    const dirData = makeTempDir('pnode-directory-cursor-').path;
    const first = await directory({ dataDir: dirData });
    const url = first.module.url;
    const nodeData = makeTempDir('pnode-node-cursor-').path;
    const { node: a, client } = await node({ directories: [url], listenOn: false, dataDir: nodeData });
    const other = signedAdvertisement(makePublisher());
    first.module.store!.put(other);
    await first.module.store!.idle();
    await client.syncNow();
    const cursor = client.status()[0]!.cursor!;
    expect(cursor).toMatch(/^cur:/);
    await stop(a);
    const saved = JSON.parse(readFileSync(join(nodeData, DIRECTORY_CURSORS_FILE), 'utf8')) as { cursors: Record<string, string> };
    expect(saved.cursors[url]).toBe(cursor);

    // The directory loses its data; a new one (new epoch) answers on the same address.
    await stop(first.node);
    const fresh = await directory({ listen: url });
    const later = signedAdvertisement(makePublisher());
    fresh.module.store!.put(later);
    await fresh.module.store!.idle();
    const { node: again, client: clientAgain } = await node({ directories: [url], listenOn: false, dataDir: nodeData });
    await expect.poll(() => clientAgain.status()[0]?.caughtUp).toBe(true);
    expect(clientAgain.status()[0]!.cursor).not.toBe(cursor);
    expect(again.peers.get(later['node/id'])?.source).toBe('directory');
  });

  it('sets a corrupt cursor file aside and reads the feed from the beginning', async () => {
    const { module } = await directory();
    const known = signedAdvertisement(makePublisher());
    module.store!.put(known);
    await module.store!.idle();
    const nodeData = makeTempDir('pnode-node-cursor-').path;
    writeFileSync(join(nodeData, DIRECTORY_CURSORS_FILE), '{"cursors": {"x": ');
    const { node: a, client } = await node({ directories: [module.url], listenOn: false, dataDir: nodeData });
    await expect.poll(() => client.status()[0]?.caughtUp).toBe(true);
    expect(a.peers.get(known['node/id'])?.source).toBe('directory');
    expect(readdirSync(nodeData).some((f) => f.startsWith(`${DIRECTORY_CURSORS_FILE}.corrupt-`))).toBe(true);
  });

  it('follows directories added and removed in the settings', async () => {
    const { module } = await directory();
    const { node: a, client } = await node({ directories: [] });
    expect(client.directories()).toEqual([]);
    await a.updateSettings((s) => ({ ...s, directories: [module.url] }));
    expect(client.directories()).toEqual([module.url]);
    await expect.poll(() => module.store!.get(a.identity.nodeId)).toBeDefined();
    await a.updateSettings((s) => ({ ...s, directories: [] }));
    expect(client.directories()).toEqual([]);
  });

  it('speaks https with the node’s trust: an extra CA is trusted, an unknown certificate is refused', async () => {
    const cert = await makeLoopbackCertificate();
    const { module } = await directory({ listen: 'https://127.0.0.1:0', tls: { certFile: cert.certFile, keyFile: cert.keyFile } });
    expect(module.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { node: trusting, client } = await node({ directories: [module.url], trustCa: [cert.certFile] });
    await expect.poll(() => module.store!.get(trusting.identity.nodeId)).toBeDefined();
    await expect.poll(() => client.status()[0]?.caughtUp).toBe(true);

    const { node: stranger, client: strangerClient } = await node({ directories: [module.url], listenOn: false });
    await expect.poll(() => strangerClient.status()[0]?.syncFailures).toBeGreaterThan(0);
    const refused = traces(stranger, 'error/occurred').find((e) => e.detail?.['url'] === module.url);
    expect(refused?.detail).toMatchObject({ code: 'E_TRANSPORT_REJECTED', op: 'sync' });
  });
});

describe('directory client: a directory that turns out hostile (issue 15 §1)', () => {
  const YEARS = 10 * 365 * 24 * 3_600_000;

  it('refuses validly signed far-future advertisements; a page mostly of them drops what the directory brought and leaves it alone', async () => {
    const honest = Array.from({ length: 5 }, () => signedAdvertisement(makePublisher()));
    const evil = await startHostileDirectory(honest);
    hostile.push(evil);
    const { node: a, client } = await node({ directories: [evil.url], listenOn: false });
    await expect.poll(() => client.status()[0]?.caughtUp, { timeout: 10_000 }).toBe(true);
    for (const ad of honest) expect(a.peers.get(ad['node/id'])?.sources[0]).toEqual(directorySource(evil.url));
    // Whoever else vouched for one of them keeps it.
    a.peers.upsertAdvertisement(honest[0]!, 'gossip', { key: 'peer:someone', group: 'net:10.0.0.0/24' });

    const farFuture = Array.from({ length: 12 }, () => signedAdvertisement(makePublisher(), { ttlMs: YEARS }));
    evil.serve(farFuture);
    await client.syncNow();
    const status = client.status()[0]!;
    expect(status.hostileUntil).not.toBeNull();
    expect(status.lastError).toContain('12 of 12');
    for (const ad of farFuture) expect(a.advertisements.get(ad['node/id'])).toBeUndefined();
    expect(a.peers.get(honest[0]!['node/id'])).toBeDefined();
    // (One being dialed right now goes when its dial is over.)
    for (const ad of honest.slice(1)) {
      await expect.poll(() => a.peers.get(ad['node/id']), { timeout: 15_000 }).toBeUndefined();
      expect(a.advertisements.get(ad['node/id'])).toBeUndefined();
    }
    // At most DIRECTORY_MAX_REJECTIONS_TRACED rejections traced for the page; and it is not asked again for now.
    expect(traces(a, 'advertisement/rejected').length).toBeLessThanOrEqual(8);
    const before = evil.served();
    await client.syncNow();
    expect(evil.served()).toBe(before);
    expect(await client.fetchAdvertisement(farFuture[0]!['node/id'])).toBeNull();
  });

  it(`keeps at most MAX_NEW_PEERS_PER_SOURCE (${MAX_NEW_PEERS_PER_SOURCE}) of one directory's advertisements, without tracing each refusal`, async () => {
    const many = Array.from({ length: MAX_NEW_PEERS_PER_SOURCE + 30 }, () => signedAdvertisement(makePublisher()));
    const evil = await startHostileDirectory(many);
    hostile.push(evil);
    const { node: a, client } = await node({ directories: [evil.url], listenOn: false });
    await expect.poll(() => client.status()[0]?.caughtUp, { timeout: 30_000 }).toBe(true);
    expect(a.peers.heldBy(directorySource(evil.url).key)).toBe(MAX_NEW_PEERS_PER_SOURCE);
    expect(a.advertisements.size).toBe(MAX_NEW_PEERS_PER_SOURCE);
    expect(client.status()[0]!.hostileUntil).toBeNull();
    expect(traces(a, 'advertisement/rejected')).toHaveLength(0);
  });

  it('drops what only a directory brought when the volunteer removes it', async () => {
    const brought = Array.from({ length: 3 }, () => signedAdvertisement(makePublisher()));
    const evil = await startHostileDirectory(brought);
    hostile.push(evil);
    const { node: a, client } = await node({ directories: [] });
    await a.updateSettings((s) => ({ ...s, directories: [evil.url] }));
    await expect.poll(() => client.status()[0]?.caughtUp, { timeout: 10_000 }).toBe(true);
    expect(a.advertisements.size).toBe(3);
    await a.updateSettings((s) => ({ ...s, directories: [] }));
    // A peer the node is dialing right then goes when that dial is over (peer-store.test.ts pins it).
    await expect.poll(() => a.advertisements.size, { timeout: PATIENCE_MS }).toBe(0);
    for (const ad of brought) expect(a.peers.get(ad['node/id'])).toBeUndefined();
  });
});

// Issue 12 §1, §4: a contributor started with no network joins one from an invite, refuses bad
// invites without changing anything, switches networks, leaves, remembers, and renews its
// descriptor — real nodes on loopback, real crypto, the real recipe restarted under one control
// surface (NetworkHost).
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { CommandResult, ControlCommand } from '../../src-shared/control/commands.js';
import type { ControlEvent } from '../../src-shared/control/messages.js';
import type { NodeState } from '../../src-shared/control/state.js';
import { DAY_MS, formatPsk } from '../../src-shared/network/network-descriptor.js';
import { inviteLink, referenceInviteLink } from '../../src-shared/network/invite.js';
import { signArtifact } from '../../src-shared/protocol/signing.js';
import { toBase64url } from '../../src-shared/protocol/encoding/base64url.js';
import { utf8 } from '../../src-shared/protocol/encoding/bytes.js';
import type { JsonObject } from '../../src-shared/protocol/artifacts.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { NetworkHost } from '../../src-node/recipes/network-host.js';
import { directoryNode } from '../../src-node/recipes/directory-node.js';
import type { ContributorNodeConfig } from '../../src-node/recipes/contributor-node.js';
import { NETWORKS_DIR, NETWORK_BOOK_FILE, networkFolderName } from '../../src-node/kernel/network/network-book.js';
import { PEERS_FILE_NAME } from '../../src-node/kernel/peers/peer-store.js';
import { makeTempDir } from '../support/temp-dir.js';
import { startTestNetwork, type TestNetwork } from '../support/network.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function network(options: Parameters<typeof startTestNetwork>[0] = {}): Promise<TestNetwork> {
  const started = await startTestNetwork(options);
  cleanups.push(() => started.stop());
  return started;
}

function contributorConfig(dataDir: string): ContributorNodeConfig {
  return {
    dataDir,
    role: 'contributor',
    listen: [],
    seeds: [],
    insecureLoopback: false,
    trustCa: [],
    keystore: 'file',
    warn: () => undefined,
    version: 'test',
    initialSettings: { joined: false },
    contributor: { activity: 'headless', membership: { backoff: { minMs: 50, maxMs: 500 } } },
  };
}

async function host(dataDir?: string, extra: Partial<Parameters<typeof NetworkHost.start>[0]> = {}): Promise<{ host: NetworkHost; dir: string; events: ControlEvent[] }> {
  let dir = dataDir;
  if (!dir) {
    const temp = makeTempDir();
    cleanups.push(temp.cleanup);
    dir = temp.path;
  }
  const started = await NetworkHost.start({ config: contributorConfig(dir), renewalIntervalMs: 3_600_000, ...extra });
  cleanups.push(() => started.stop());
  const events: ControlEvent[] = [];
  started.subscribe((event) => events.push(event));
  return { host: started, dir, events };
}

async function run(target: NetworkHost, command: ControlCommand): Promise<CommandResult> {
  return target.execute(command);
}

function registered(state: NodeState): boolean {
  return state.orchestrators.some((o) => o.status === 'registered');
}

/** Everything in the data dir that says which network the node is in. */
function footprint(dir: string): string {
  const book = join(dir, NETWORKS_DIR, NETWORK_BOOK_FILE);
  return existsSync(book) ? readFileSync(book, 'utf8') : '(no book)';
}

describe('joining a network at run time', () => {
  it('a node with no network previews an invite (nothing changes), then joins: registered, peers appear', async () => {
    const lab = await network();
    const { host: node, dir } = await host();
    expect(node.snapshot().network.networkId).toBeNull();
    expect(node.snapshot().network.book?.current).toBeNull();
    const before = footprint(dir);

    const preview = await run(node, { command: 'open-invite', invite: `  ${lab.invite}\n` });
    expect(preview).toMatchObject({ ok: true, value: { details: { networkId: 'net:test-lab', name: 'Test lab', owner: lab.descriptor['owner/node-id'] }, known: false, current: false, needsKey: false } });
    expect(node.snapshot().network.book?.pendingInvite?.details.name).toBe('Test lab');
    expect(footprint(dir)).toBe(before);
    expect(node.snapshot().network.networkId).toBeNull();

    const joined = await run(node, { command: 'join-network', invite: lab.invite });
    expect(joined).toMatchObject({ ok: true, value: { networkId: 'net:test-lab' } });
    const state = node.snapshot();
    expect(state.network).toMatchObject({ networkId: 'net:test-lab', name: 'Test lab', joined: true });
    expect(state.network.book).toMatchObject({ pendingInvite: null, current: { networkId: 'net:test-lab' } });
    expect(state.network.book?.currentInvite).toBe(inviteLink(lab.descriptor));
    await expect.poll(() => registered(node.snapshot()), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => node.snapshot().peers.some((p) => p.nodeId === lab.seed.runtime.identity.nodeId && p.lifecycle === 'connected'), { timeout: 20_000 }).toBe(true);
    expect(JSON.parse(footprint(dir))).toMatchObject({ current: 'net:test-lab', networks: [{ id: 'net:test-lab', source: 'invite' }] });
  });

  it('refuses tampered, expired, future-dated, wrong-owner and malformed invites with their codes, and changes nothing', async () => {
    const lab = await network();
    const { host: node, dir, events } = await host();
    await run(node, { command: 'join-network', invite: lab.invite });
    const before = footprint(dir);
    const eventsBefore = events.length;

    const tampered = { ...lab.descriptor, 'network/name': 'Evil lab' };
    const expired = lab.sign({ createdAt: Date.now() - 3 * DAY_MS, validForMs: DAY_MS });
    const future = lab.sign({ createdAt: Date.now() + 2 * DAY_MS });
    const stranger = nativeCrypto.ed25519Signer(new Uint8Array(32).fill(0x77));
    const takeover = lab.sign({ name: 'Test lab (new owner)' }, stranger);
    const unsigned: JsonObject = { ...(lab.descriptor as unknown as JsonObject) };
    delete unsigned['signature'];
    const forged = signArtifact('network-descriptor.v1', { ...(lab.descriptor as unknown as JsonObject), 'network/name': 'Forged' }, stranger);
    const cases: Array<[string, string]> = [
      [inviteLink(tampered as never), 'E_SIG_INVALID'],
      [inviteLink(forged as never), 'E_SIG_INVALID'],
      [inviteLink(expired), 'E_ADV_EXPIRED'],
      [inviteLink(future), 'E_ADV_EXPIRED'],
      [inviteLink(takeover), 'E_SIG_UNKNOWN_SIGNER'],
      [`pnode://join/d1/${toBase64url(utf8(JSON.stringify(unsigned)))}`, 'E_PROTO_INVALID'],
      [lab.invite.slice(0, -12), 'E_PROTO_INVALID'],
      [`pnode://join/d1/${'A'.repeat(20_000)}`, 'E_PROTO_INVALID'],
    ];
    for (const [invite, code] of cases) {
      for (const command of ['open-invite', 'join-network'] as const) {
        const result = await run(node, { command, invite });
        expect(result.ok, `${command} ${code}`).toBe(false);
        if (!result.ok) {
          expect(result.error.protocolCode, `${command} ${invite.slice(0, 40)}`).toBe(code);
          expect(result.error.message).toMatch(/Nothing was changed/);
        }
      }
    }
    expect(footprint(dir)).toBe(before);
    expect(node.snapshot().network).toMatchObject({ networkId: 'net:test-lab', joined: true });
    expect(node.snapshot().network.book?.pendingInvite).toBeNull();
    // No restart happened: no new full state went out.
    expect(events.slice(eventsBefore).some((e) => e.type === 'state')).toBe(false);
    await expect.poll(() => registered(node.snapshot()), { timeout: 20_000 }).toBe(true);
  });

  it('a link from the system that is refused is kept in the state until dismissed', async () => {
    const lab = await network();
    const { host: node } = await host();
    const expired = lab.sign({ createdAt: Date.now() - 3 * DAY_MS, validForMs: DAY_MS });
    expect((await run(node, { command: 'open-invite', invite: inviteLink(expired), fromLink: true })).ok).toBe(false);
    expect(node.snapshot().network.book?.refusedInvite).toMatchObject({ code: 'E_ADV_EXPIRED' });
    await run(node, { command: 'dismiss-invite' });
    expect(node.snapshot().network.book?.refusedInvite).toBeNull();
  });

  it('switches to another network, forgetting the peers of the first; leaves; remembers across restarts', async () => {
    const first = await network({ id: 'net:first-lab', name: 'First lab' });
    const second = await network({ id: 'net:second-lab', name: 'Second lab', ownerByte: 0x43 });
    const temp = makeTempDir();
    cleanups.push(temp.cleanup);
    const { host: node, dir } = await host(temp.path);
    const identity = node.snapshot().identity?.nodeId;
    await run(node, { command: 'join-network', invite: first.invite });
    await expect.poll(() => registered(node.snapshot()), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => node.snapshot().peers.some((p) => p.nodeId === first.seed.runtime.identity.nodeId), { timeout: 20_000 }).toBe(true);

    expect(await run(node, { command: 'join-network', invite: second.invite })).toMatchObject({ ok: true });
    const state = node.snapshot();
    expect(state.identity?.nodeId).toBe(identity);
    expect(state.network).toMatchObject({ networkId: 'net:second-lab', joined: true });
    expect(state.peers.some((p) => p.nodeId === first.seed.runtime.identity.nodeId)).toBe(false);
    await expect.poll(() => node.snapshot().orchestrators.some((o) => o.nodeId === second.orchestrator.runtime.identity.nodeId && o.status === 'registered'), { timeout: 20_000 }).toBe(true);
    expect(node.snapshot().network.book?.known.map((n) => n.details.networkId)).toEqual(['net:second-lab', 'net:first-lab']);

    // Back to the first by its id, as Settings' "networks joined before" does.
    expect(await run(node, { command: 'join-network', networkId: 'net:first-lab' })).toMatchObject({ ok: true });
    expect(node.snapshot().network.networkId).toBe('net:first-lab');

    expect(await run(node, { command: 'leave-network' })).toEqual({ ok: true, value: null });
    expect(node.snapshot().network).toMatchObject({ networkId: null, joined: false });
    expect(node.snapshot().orchestrators).toEqual([]);
    expect(existsSync(join(dir, PEERS_FILE_NAME)) ? readFileSync(join(dir, PEERS_FILE_NAME), 'utf8') : '').not.toContain(first.seed.runtime.identity.nodeId);
    expect(await run(node, { command: 'forget-network', networkId: 'net:second-lab' })).toEqual({ ok: true, value: null });
    expect(node.snapshot().network.book?.known.map((n) => n.details.networkId)).toEqual(['net:first-lab']);

    // Join again, stop, start: the node is back in the network it was in.
    await run(node, { command: 'join-network', networkId: 'net:first-lab' });
    await node.stop();
    const { host: again } = await host(dir);
    expect(again.snapshot().network).toMatchObject({ networkId: 'net:first-lab', joined: true });
    await expect.poll(() => registered(again.snapshot()), { timeout: 20_000 }).toBe(true);
  });

  it('a private network needs its key (not joined without one or with text that is no key); the key is kept 0600', async () => {
    const psk = nativeCrypto.randomBytes(32);
    const lab = await network({ id: 'net:private-lab', name: 'Private lab', psk });
    const { host: node, dir } = await host();
    const preview = await run(node, { command: 'open-invite', invite: lab.invite });
    expect(preview).toMatchObject({ ok: true, value: { needsKey: true, details: { joinPolicy: 'psk' } } });
    const without = await run(node, { command: 'join-network', invite: lab.invite });
    expect(without.ok).toBe(false);
    if (!without.ok) expect(without.error.message).toMatch(/private network: enter its key/);
    expect(await run(node, { command: 'join-network', invite: lab.invite, psk: 'not a key' })).toMatchObject({ ok: false });
    expect(node.snapshot().network.networkId).toBeNull();

    expect(await run(node, { command: 'join-network', invite: lab.invite, psk: formatPsk(psk) })).toMatchObject({ ok: true });
    await expect.poll(() => registered(node.snapshot()), { timeout: 20_000 }).toBe(true);
    const keyFile = join(dir, NETWORKS_DIR, networkFolderName('net:private-lab'), 'psk');
    expect(statSync(keyFile).mode & 0o077).toBe(0);
    expect(node.snapshot().network.book?.known[0]).toMatchObject({ hasKey: true });
  });

  it('renews the descriptor from where the owner publishes it: the newest valid one of the same owner', async () => {
    const lab = await network();
    let served: unknown = lab.descriptor;
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/lab.json`;
    const { host: node } = await host();

    // A u1 invite: fetched, and only the version its hash names.
    const short = referenceInviteLink(url, lab.descriptor, nativeCrypto);
    served = lab.sign({ name: 'Not the one' });
    expect(await run(node, { command: 'open-invite', invite: short })).toMatchObject({ ok: false, error: { protocolCode: 'E_SIG_INVALID' } });
    served = lab.descriptor;
    expect(await run(node, { command: 'join-network', invite: short })).toMatchObject({ ok: true });

    // An older one, another owner's, then a newer one: only the last is taken, and the node runs with it.
    served = lab.sign({ createdAt: Date.now() - 10 * DAY_MS });
    expect(await node.renewCurrent()).toBe(false);
    served = lab.sign({ name: 'Test lab (renamed)', createdAt: Date.now() }, nativeCrypto.ed25519Signer(new Uint8Array(32).fill(0x66)));
    expect(await node.renewCurrent()).toBe(false);
    served = lab.sign({ name: 'Test lab (renewed)', createdAt: Date.now() });
    expect(await node.renewCurrent()).toBe(true);
    expect(node.snapshot().network).toMatchObject({ networkId: 'net:test-lab', name: 'Test lab (renewed)', joined: true });
    await expect.poll(() => registered(node.snapshot()), { timeout: 20_000 }).toBe(true);
  });

  it('renews a private network’s descriptor from its directory, proving the key', async () => {
    const psk = nativeCrypto.randomBytes(32);
    const lab = await network({ id: 'net:private-lab', name: 'Private lab', psk });
    const renewed = lab.sign({ name: 'Private lab (renewed)', createdAt: Date.now() });
    const temp = makeTempDir();
    cleanups.push(temp.cleanup);
    const directory = await directoryNode({
      ...{ dataDir: join(temp.path, 'dir'), role: 'directory' as const, listen: [], seeds: [], insecureLoopback: true, trustCa: [], keystore: 'file' as const, warn: () => undefined, version: 'test' },
      directory: { listen: 'http://127.0.0.1:0', fsync: false, networks: [{ id: 'net:private-lab', psk, descriptor: renewed }] },
    });
    cleanups.push(() => directory.stop());
    const scoped = lab.sign({ directories: [`${directory.directory.url}/networks/net:private-lab`] });
    const { host: node } = await host();
    expect(await run(node, { command: 'join-network', invite: inviteLink(scoped), psk: formatPsk(psk) })).toMatchObject({ ok: true });
    expect(await node.renewCurrent()).toBe(true);
    expect(node.snapshot().network.name).toBe('Private lab (renewed)');
  });

  it("joins the build's default network in one click, and refuses one it does not offer", async () => {
    const lab = await network();
    const { host: node } = await host(undefined, { defaultNetwork: lab.descriptor });
    expect(node.snapshot().network.book?.defaultNetwork).toMatchObject({ networkId: 'net:test-lab', name: 'Test lab' });
    expect(await run(node, { command: 'join-network', networkId: 'net:other' })).toMatchObject({ ok: false, error: { protocolCode: 'E_PROTO_INVALID' } });
    expect(await run(node, { command: 'join-network', networkId: 'net:test-lab' })).toMatchObject({ ok: true });
    expect(node.snapshot().network.book?.known[0]).toMatchObject({ source: 'default' });
    await expect.poll(() => registered(node.snapshot()), { timeout: 20_000 }).toBe(true);
  });
});

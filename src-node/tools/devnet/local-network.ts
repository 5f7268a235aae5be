// "Try it on this computer" (issue 12 §1): a small devnet on loopback — a seed directory, an
// orchestrator with its demo project, two contributors — started in the background as children
// that stop when the app does (--parent-pid: SIGKILL of the app included), described by a network
// descriptor signed with a key kept in the node's data dir, so every start is a newer version of
// the same network.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ED25519_SEED_LENGTH, type CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { fromHex, toHex } from '../../../src-shared/protocol/encoding/hex.js';
import { DAY_MS, type NetworkDescriptor, buildNetworkDescriptor } from '../../../src-shared/network/network-descriptor.js';
import { createFileAtomic } from '../../kernel/storage/exclusive-file.js';
import type { Clock } from '../../kernel/util/clock.js';
import type { LocalNetwork } from '../../recipes/network-host.js';
import { type Devnet, type PnodeCli, startDevnet } from './devnet.js';

export const LOCAL_NETWORK_ID = 'net:this-computer';
export const LOCAL_NETWORK_NAME = 'Test network on this computer';
/** Contributors of the local network besides the volunteer's own node. */
export const LOCAL_NETWORK_NODES = 2;
export const LOCAL_NETWORK_VALID_DAYS = 30;
/** A quicker heartbeat than the design's 10 s: a first look shows the node registered and busy soon. */
export const LOCAL_NETWORK_HEARTBEAT_MS = 2_000;
const OWNER_KEY_FILE = 'owner.key';

export interface LocalNetworkOptions {
  /** Where the local network keeps its nodes and its owner key (under the node's data dir). */
  readonly dir: string;
  readonly cli: PnodeCli;
  readonly crypto: CryptoProvider;
  readonly clock: Clock;
  /** The app's process: every child stops when it is gone. */
  readonly parentPid: number;
  readonly log?: (line: string) => void;
  readonly nodes?: number;
}

async function ownerSeed(dir: string, crypto: CryptoProvider): Promise<Uint8Array> {
  const path = join(dir, OWNER_KEY_FILE);
  try {
    return fromHex((await readFile(path, 'utf8')).trim());
  } catch {
    const seed = crypto.randomBytes(ED25519_SEED_LENGTH);
    await createFileAtomic(path, `${toHex(seed)}\n`, { mode: 0o600 });
    return seed;
  }
}

export function devnetLocalNetwork(options: LocalNetworkOptions): LocalNetwork {
  let devnet: Devnet | null = null;
  let descriptor: NetworkDescriptor | null = null;
  let starting: Promise<NetworkDescriptor> | null = null;

  async function start(): Promise<NetworkDescriptor> {
    await mkdir(options.dir, { recursive: true });
    const running = await startDevnet({
      nodes: options.nodes ?? LOCAL_NETWORK_NODES,
      dataDir: join(options.dir, 'devnet'),
      cli: options.cli,
      parentPid: options.parentPid,
      heartbeatIntervalMs: LOCAL_NETWORK_HEARTBEAT_MS,
      ...(options.log ? { log: options.log } : {}),
    });
    try {
      const file = running.file;
      const seed = await ownerSeed(options.dir, options.crypto);
      const signer = options.crypto.ed25519Signer(seed);
      seed.fill(0);
      const built = buildNetworkDescriptor(
        {
          id: LOCAL_NETWORK_ID,
          name: LOCAL_NETWORK_NAME,
          seeds: file.nodes.map((n) => ({ nodeId: n['node-id'], url: n['peer-url'] })),
          directories: file.directory ? [file.directory.url] : [],
          orchestrators: [{ nodeId: file.orchestrator['node-id'], url: file.orchestrator.url }],
          joinPolicy: 'open',
          ...(file.authority ? { registrationAuthorityKey: file.authority.key } : {}),
          createdAt: options.clock.now(),
          validForMs: LOCAL_NETWORK_VALID_DAYS * DAY_MS,
        },
        signer,
        options.crypto,
      );
      if (!built.ok) throw built.error;
      devnet = running;
      descriptor = built.value;
      return built.value;
    } catch (error) {
      await running.stop();
      throw error;
    }
  }

  return {
    start() {
      if (devnet && descriptor) return Promise.resolve(descriptor);
      starting ??= start().finally(() => {
        starting = null;
      });
      return starting;
    },
    async stop() {
      await starting?.catch(() => undefined);
      const running = devnet;
      devnet = null;
      descriptor = null;
      await running?.stop();
    },
  };
}

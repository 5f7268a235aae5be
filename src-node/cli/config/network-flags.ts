// `pnode node --network F [--psk-file P]`: run in the network a signed network-descriptor.v1
// describes. The descriptor is verified when the node starts; its seeds join the static seeds
// (after --seed), its id and name become the node's network, and a psk network needs its key.
//
// Exit codes (run.ts): a descriptor that was read and refused — forged, expired, broken rules —
// is exit 1 with its protocol code (E_SIG_INVALID, E_ADV_EXPIRED, E_PROTO_INVALID, …); a file that
// cannot be read, a key file that is no key, or options that do not fit the descriptor's join
// policy are exit 2 (bad usage).
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { OptionSpec, ParsedArgs } from '../args.js';
import { UsageError } from '../args.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import {
  DAY_MS,
  NETWORK_DESCRIPTOR_MAX_BYTES,
  type NetworkDescriptor,
  descriptorExpiresAt,
  networkOrchestrators,
  networkSeeds,
  parsePsk,
  verifyNetworkDescriptor,
} from '../../../src-shared/network/network-descriptor.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { parsePeerEndpoint } from '../../kernel/transport/endpoint-url.js';
import type { NodeConfig } from '../../kernel/runtime/node-config.js';
import { mergeSeeds } from '../../kernel/discovery/bootstrap.js';

export const NETWORK_OPTIONS: readonly OptionSpec[] = [
  { name: 'network', type: 'string', valueName: 'file', description: 'Run in the network this signed network descriptor describes (see "pnode network create")' },
  { name: 'psk-file', type: 'string', valueName: 'file', description: "The network's pre-shared key (64 hex digits or base64url), for a network whose join policy is psk" },
];

/** The operator is warned when the descriptor expires sooner than this. */
export const NETWORK_EXPIRY_WARNING_MS = 7 * DAY_MS;
/** A key file is one short line; anything larger is the wrong file. */
export const SECRET_FILE_MAX_BYTES = 1024;

export interface ApplyNetworkOptions {
  /** Where relative paths start (the command's working directory). */
  readonly cwd?: string;
  /** Milliseconds since the epoch; defaults to the clock. */
  readonly now?: number;
  readonly crypto?: CryptoProvider;
}

async function readBounded(path: string, option: string, maxBytes: number): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read ${option} ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (bytes.length > maxBytes) throw new UsageError(`${option} ${path} is larger than ${maxBytes} bytes`);
  return bytes;
}

/** True when users other than the owner may read the file (POSIX modes; Windows has none). */
export async function readableByOthers(path: string): Promise<boolean> {
  if (process.platform === 'win32') return false;
  return ((await stat(path)).mode & 0o077) !== 0;
}

/**
 * Reads and verifies a descriptor file: UsageError when it cannot be read or is not JSON, a
 * ProtocolError (its code, the file named) when it is refused.
 */
export async function readNetworkDescriptorFile(path: string, options: { crypto?: CryptoProvider; now?: number; option?: string } = {}): Promise<NetworkDescriptor> {
  const option = options.option ?? '--network';
  const bytes = await readBounded(path, option, NETWORK_DESCRIPTOR_MAX_BYTES);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (error) {
    throw new UsageError(`${option} ${path} is not JSON (${error instanceof Error ? error.message : 'parse error'})`);
  }
  const verified = verifyNetworkDescriptor(value, { crypto: options.crypto ?? nativeCrypto, ...(options.now !== undefined ? { now: options.now } : {}) });
  if (!verified.ok) throw new ProtocolError(verified.error.code, `network descriptor ${path} refused: ${verified.error.detail}`);
  return verified.value;
}

/** Reads a network key file (hex or base64url, exactly 32 bytes). */
export async function readPskFile(path: string, option = '--psk-file'): Promise<Uint8Array> {
  const parsed = parsePsk((await readBounded(path, option, SECRET_FILE_MAX_BYTES)).toString('utf8'));
  if (!parsed.ok) throw new UsageError(`${option} ${path}: ${parsed.error.detail}`);
  return parsed.value;
}

/** A network descriptor file and, for a psk network, its key file (paths as given). */
export interface NetworkFiles {
  readonly network?: string | undefined;
  readonly pskFile?: string | undefined;
}

/** `--network F --psk-file P`, merged into the config (see applyNetworkFiles). */
export function applyNetwork<C extends NodeConfig>(config: C, args: ParsedArgs, options: ApplyNetworkOptions = {}): Promise<C> {
  return applyNetworkFiles(config, { network: args.options['network'] as string | undefined, pskFile: args.options['psk-file'] as string | undefined }, options);
}

/**
 * Verifies a network descriptor file and merges it into the config: its seeds after the config's,
 * and `network` (id, name, the PSK of a psk network, and the descriptor, whose directories and
 * orchestrators the recipes read). Without a descriptor the config is returned as it is (and a key
 * file is refused). Errors name the flags, as the CLI and the desktop's adapter both report them.
 */
export async function applyNetworkFiles<C extends NodeConfig>(config: C, files: NetworkFiles, options: ApplyNetworkOptions = {}): Promise<C> {
  const cwd = options.cwd ?? process.cwd();
  const networkFile = files.network;
  const pskFile = files.pskFile;
  if (networkFile === undefined) {
    if (pskFile !== undefined) throw new UsageError('--psk-file needs --network (a network descriptor whose join policy is psk)');
    return config;
  }
  const path = resolve(cwd, networkFile);
  const now = options.now ?? Date.now();
  const descriptor = await readNetworkDescriptorFile(path, { now, ...(options.crypto ? { crypto: options.crypto } : {}) });
  const id = descriptor['network/id'];

  let psk: Uint8Array | undefined;
  if (descriptor['join/policy'] === 'psk') {
    const hint = descriptor['psk/hint'] ? ` (hint: ${descriptor['psk/hint']})` : '';
    if (pskFile === undefined) throw new UsageError(`network ${id} is private (join policy psk): give its key with --psk-file${hint}`);
    const pskPath = resolve(cwd, pskFile);
    psk = await readPskFile(pskPath);
    if (await readableByOthers(pskPath)) config.warn(`warning: the network key ${pskPath} is readable by other users; chmod 600 it`);
  } else if (pskFile !== undefined) {
    throw new UsageError(`network ${id} is open (join policy open): it has no key, drop --psk-file`);
  }

  const seeds = networkSeeds(descriptor);
  for (const seed of [...seeds.map((s) => ({ nodeId: s.nodeId, url: s.urls[0]! })), ...networkOrchestrators(descriptor)]) {
    try {
      parsePeerEndpoint(seed.url, { insecureLoopback: config.insecureLoopback });
    } catch (error) {
      throw new UsageError(`network ${id} lists ${seed.nodeId} at ${seed.url}: ${error instanceof ProtocolError ? error.detail : String(error)}`);
    }
  }
  const expiresIn = descriptorExpiresAt(descriptor) - now;
  if (expiresIn < NETWORK_EXPIRY_WARNING_MS) {
    config.warn(`warning: the descriptor of network ${id} expires at ${descriptor['expires-at']}; ask its owner for a renewed one`);
  }
  return {
    ...config,
    seeds: mergeSeeds(config.seeds, seeds),
    network: { id, name: descriptor['network/name'] ?? null, psk, descriptor },
  };
}

// The flags every node-running command shares (`pnode node`, the services, devnet's children), in
// small groups a command composes, and their translation into a NodeConfig: the CLI's adapter. No
// component parses argv; they get the NodeConfig (and their role's setup) from here.
import { resolve } from 'node:path';
import type { OptionSpec, ParsedArgs } from '../args.js';
import { UsageError } from '../args.js';
import { isKeystorePreference, type KeystorePreference } from '../../kernel/identity/keystore.js';
import { parseNodeId } from '../../../src-shared/protocol/did-key.js';
import { parsePeerEndpoint } from '../../kernel/transport/endpoint-url.js';
import type { NodeRole, NodeConfig } from '../../kernel/runtime/node-config.js';
import type { SeedPeer } from '../../kernel/peers/peer-store.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { PNODE_VERSION } from '../version.js';

/** Where the node keeps its state and key. */
export const STORAGE_FLAGS: readonly OptionSpec[] = [
  { name: 'data-dir', type: 'string', valueName: 'dir', description: 'Where the node keeps its identity, caches and logs', required: true },
  { name: 'keystore', type: 'string', valueName: 'keychain|file|auto', description: 'Where the secret key lives (default auto: the OS keychain, else a 0600 file, loudly)' },
];

/** The peer listener (services with a listener of their own name it differently). */
export const LISTEN_FLAG: OptionSpec = {
  name: 'listen',
  type: 'list',
  valueName: 'url',
  description: 'Peer endpoint to listen on: wss://host:port/path, or ws://127.0.0.1:port/path with --insecure-loopback',
};

/** Who the node meets. */
export const PEER_FLAGS: readonly OptionSpec[] = [
  { name: 'advertise', type: 'list', valueName: 'url', description: 'URL peers should dial, when it differs from --listen (a forwarded port)' },
  { name: 'seed', type: 'list', valueName: 'node-id@url', description: 'A static seed peer' },
  { name: 'allowlist', type: 'string', valueName: 'file', description: 'Only these node-ids (one per line) complete a handshake, both ways' },
];

/** TLS and the loopback exception. */
export const TRANSPORT_FLAGS: readonly OptionSpec[] = [
  { name: 'insecure-loopback', type: 'boolean', description: 'Allow plain ws:// and http:// on loopback (tests and devnet only)' },
  { name: 'trust-ca', type: 'list', valueName: 'file', description: 'Also trust this CA certificate (PEM) for wss:// peers and https:// services' },
  { name: 'tls-cert', type: 'string', valueName: 'file', description: 'Certificate (PEM) for this node\'s wss:// and https:// listeners' },
  { name: 'tls-key', type: 'string', valueName: 'file', description: 'Private key (PEM) for this node\'s wss:// and https:// listeners' },
];

/** The local control surface. */
export const CONTROL_FLAGS: readonly OptionSpec[] = [
  { name: 'control-port', type: 'number', valueName: 'port', description: 'Port of the local control server on 127.0.0.1 (default: any free port)' },
  { name: 'ui', type: 'boolean', description: 'Serve the dashboard from the control server and print its URL (the same address across restarts)' },
  { name: 'new-dashboard-link', type: 'boolean', description: 'With --ui: make a new dashboard token, so the old link stops working' },
  { name: 'parent-pid', type: 'number', valueName: 'pid', description: 'Stop when this process is gone (children of a local test network)' },
];

/** The host options every node-running command takes from its flags. */
export function hostOptionsFrom(args: ParsedArgs): { ui: boolean; controlPort: number | undefined; parentPid: number | undefined } {
  const parentPid = args.options['parent-pid'];
  if (parentPid !== undefined && (typeof parentPid !== 'number' || !Number.isInteger(parentPid) || parentPid <= 0)) throw new UsageError('--parent-pid must be a process id');
  return { ui: args.options['ui'] === true, controlPort: args.options['control-port'] as number | undefined, parentPid: parentPid as number | undefined };
}

export const KEEPALIVE_FLAGS: readonly OptionSpec[] = [
  { name: 'keepalive-interval-ms', type: 'number', valueName: 'ms', description: 'Ping interval (default 30000)' },
  { name: 'keepalive-timeout-ms', type: 'number', valueName: 'ms', description: 'Peer lost after this long without an answer (default 90000)' },
];

/** Everything but the peer listener: what a service with its own listener flag takes. */
export const NODE_FLAGS_BUT_LISTEN: readonly OptionSpec[] = [...STORAGE_FLAGS, ...PEER_FLAGS, ...TRANSPORT_FLAGS, ...CONTROL_FLAGS, ...KEEPALIVE_FLAGS];

/** The flags of a node with a peer listener. */
export const NODE_FLAGS: readonly OptionSpec[] = [LISTEN_FLAG, ...NODE_FLAGS_BUT_LISTEN];


/**
 * `<node-id>@<url>`, as --seed, --orchestrator and friends take it: the id strictly parsed, the URL
 * checked against the loopback policy; a UsageError naming the option otherwise.
 */
export function parseNodeAtUrl(text: string, option: string, insecureLoopback: boolean): { nodeId: string; url: string } {
  const at = text.indexOf('@');
  if (at <= 0) throw new UsageError(`--${option} needs <node-id>@<url>, got ${JSON.stringify(text)}`);
  const nodeId = text.slice(0, at);
  const url = text.slice(at + 1);
  try {
    parseNodeId(nodeId);
    parsePeerEndpoint(url, { insecureLoopback });
  } catch (error) {
    throw new UsageError(`--${option} ${JSON.stringify(text)}: ${error instanceof ProtocolError ? error.detail : String(error)}`);
  }
  return { nodeId, url };
}

export function parseSeed(text: string, insecureLoopback: boolean): SeedPeer {
  const { nodeId, url } = parseNodeAtUrl(text, 'seed', insecureLoopback);
  return { nodeId, urls: [url] };
}

function strings(args: ParsedArgs, name: string): string[] {
  return (args.options[name] as string[] | undefined) ?? [];
}

function positiveInt(args: ParsedArgs, name: string): number | undefined {
  const value = args.options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new UsageError(`--${name} must be a positive whole number`);
  return value;
}

export function nodeConfigFrom(args: ParsedArgs, role: NodeRole, cwd: string, warn: (line: string) => void): NodeConfig {
  const insecureLoopback = args.options['insecure-loopback'] === true;
  const listen = strings(args, 'listen');
  for (const url of listen) {
    try {
      parsePeerEndpoint(url, { insecureLoopback });
    } catch (error) {
      throw new UsageError(`--listen ${url}: ${error instanceof ProtocolError ? error.detail : String(error)}`);
    }
  }
  const keystore = (args.options['keystore'] as string | undefined) ?? 'auto';
  if (!isKeystorePreference(keystore)) throw new UsageError('--keystore must be keychain, file or auto');
  const certFile = args.options['tls-cert'] as string | undefined;
  const keyFile = args.options['tls-key'] as string | undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (listen.some((u) => u.startsWith('wss:')) && certFile === undefined) throw new UsageError('a wss:// --listen needs --tls-cert and --tls-key');
  const interval = positiveInt(args, 'keepalive-interval-ms');
  const timeout = positiveInt(args, 'keepalive-timeout-ms');
  return {
    dataDir: resolve(cwd, args.options['data-dir'] as string),
    role,
    listen,
    advertise: strings(args, 'advertise'),
    seeds: strings(args, 'seed').map((s) => parseSeed(s, insecureLoopback)),
    insecureLoopback,
    trustCa: strings(args, 'trust-ca').map((f) => resolve(cwd, f)),
    tls: certFile && keyFile ? { certFile: resolve(cwd, certFile), keyFile: resolve(cwd, keyFile) } : undefined,
    allowlistFile: args.options['allowlist'] === undefined ? undefined : resolve(cwd, args.options['allowlist'] as string),
    keystore: keystore as KeystorePreference,
    ...(interval || timeout
      ? { timing: { keepalive: { intervalMs: interval ?? 30_000, timeoutMs: timeout ?? Math.max(90_000, (interval ?? 30_000) * 3) } } }
      : {}),
    warn,
    version: PNODE_VERSION,
  };
}

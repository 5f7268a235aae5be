// The DHT engine (hyperdht, issue 16), wrapped so a node can only ever join its own network's DHT.
//
// hyperdht joins the public Holepunch DHT when it is given no bootstrap list (and also when it is
// given `bootstrap: false`). `openDhtEngine` always passes the list it was given, refuses an empty
// one for a node (only a bootstrap node may start alone), and checks after construction that the
// engine holds exactly that list: a node never reaches a bootstrap node its descriptor does not
// name. IPv4 UDP only.
//
// Every node of ours that answers DHT requests answers at most DHT_REQUESTS_PER_SOURCE_* requests
// and DHT_ANNOUNCES_PER_SOURCE_PER_MINUTE announcements per source address, and stores at most
// DHT_ANNOUNCES_PER_SOURCE_PER_TOPIC announcements per source and topic per record lifetime (so one
// address with many DHT keys cannot crowd the honest records out of a topic's 20-record answers);
// the rest are dropped unanswered (the engine has no per-source limit of its own) and counted.
//
// The engine is loaded on first use: a node whose network names no DHT never loads it (nor its
// native modules), and one whose native modules fail to load runs without the DHT.
import { createRequire } from 'node:module';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import type { DhtBootstrapNode } from '../../../src-shared/network/network-descriptor.js';
import { KeyedBuckets } from '../util/keyed-buckets.js';
import {
  DHT_ANNOUNCES_PER_SOURCE_PER_MINUTE,
  DHT_ANNOUNCES_PER_SOURCE_PER_TOPIC,
  DHT_MAX_TRACKED_SOURCES,
  DHT_RECORD_LIFETIME_MS,
  DHT_REQUESTS_PER_SOURCE_BURST,
  DHT_REQUESTS_PER_SOURCE_PER_SECOND,
} from './dht-limits.js';

// ---- the part of hyperdht we use, typed (it ships no types) ----

export interface DhtAddress {
  readonly host: string;
  readonly port: number;
}

export interface DhtKeyPair {
  readonly publicKey: Buffer;
  readonly secretKey: Buffer;
}

export interface DhtPeerRecord {
  readonly publicKey: Buffer;
  readonly relayAddresses: readonly DhtAddress[];
}

export interface DhtLookupReply {
  readonly from: DhtAddress;
  readonly peers: readonly DhtPeerRecord[];
}

export interface DhtQuery extends AsyncIterable<DhtLookupReply> {
  finished(): Promise<void>;
  destroy(error?: Error): void;
}

/** The engine's encrypted stream (a streamx duplex). */
export interface DhtStream {
  readonly remotePublicKey: Buffer | null;
  readonly rawStream: { readonly remoteHost: string | null; readonly remotePort: number } | null;
  on(event: 'open' | 'close' | 'end' | 'drain', listener: () => void): DhtStream;
  on(event: 'data', listener: (chunk: Uint8Array) => void): DhtStream;
  on(event: 'error', listener: (error: unknown) => void): DhtStream;
  once(event: 'open' | 'close' | 'drain', listener: () => void): DhtStream;
  once(event: 'error', listener: (error: unknown) => void): DhtStream;
  off(event: string, listener: (...args: never[]) => void): DhtStream;
  write(chunk: Uint8Array): boolean;
  end(): DhtStream;
  destroy(error?: Error): void;
  pause(): DhtStream;
  resume(): DhtStream;
}

export interface DhtServerOptions {
  /** Asked for every incoming connection before any work on it: true refuses it. */
  readonly firewall?: (remotePublicKey: Buffer, payload: unknown, clientAddress: DhtAddress) => boolean;
}

export interface DhtServer {
  listen(keyPair: DhtKeyPair): Promise<void>;
  close(): Promise<void>;
  on(event: 'connection', listener: (stream: DhtStream) => void): DhtServer;
  address(): { readonly host: string; readonly port: number; readonly publicKey: Buffer } | null;
}

export interface DhtConnectOptions {
  /** Called when a holepunch is about to start (both ends firewalled); true lets it go on. */
  readonly holepunch?: () => boolean;
}

export interface DhtRequest {
  readonly command: number;
  readonly from: DhtAddress;
  readonly target: Buffer | null;
}

export interface DhtEngine {
  readonly bootstrapNodes: readonly DhtAddress[];
  readonly firewalled: boolean;
  readonly ephemeral: boolean;
  readonly destroyed: boolean;
  readonly stats: { readonly punches: { readonly consistent: number; readonly random: number; readonly open: number } };
  /** The engine's UDP layer: bytes over all its sockets and streams. */
  readonly udx: { readonly bytesTransmitted: number; readonly bytesReceived: number };
  ready(): Promise<void>;
  /** Binds the UDP sockets (the bootstrap goes on in the background). */
  bind(): Promise<void>;
  fullyBootstrapped(): Promise<void>;
  address(): { readonly host: string; readonly port: number };
  announce(topic: Buffer, keyPair: DhtKeyPair, relayAddresses?: readonly DhtAddress[]): DhtQuery;
  unannounce(topic: Buffer, keyPair: DhtKeyPair): Promise<void>;
  lookup(topic: Buffer): DhtQuery;
  connect(remotePublicKey: Buffer, options?: DhtConnectOptions): DhtStream;
  createServer(options: DhtServerOptions, onConnection: (stream: DhtStream) => void): DhtServer;
  destroy(): Promise<void>;
  toArray(): DhtAddress[];
  /** Pings a node; a reachable one that answers joins the routing table. */
  ping(address: DhtAddress): Promise<unknown>;
}

interface EngineConstructorOptions {
  readonly bootstrap: readonly DhtAddress[];
  readonly host: string;
  readonly port?: number;
  readonly ephemeral?: boolean;
  readonly firewalled?: boolean;
  readonly anyPort?: boolean;
  readonly keyPair?: DhtKeyPair;
}

interface HyperDhtStatic {
  new (options: EngineConstructorOptions): DhtEngine & { onrequest(request: DhtRequest): boolean; _nat: { add(host: string, port: number): void } };
  keyPair(seed?: Buffer): DhtKeyPair;
}

/** hyperdht's request commands (lib/constants.js): ANNOUNCE is limited apart. */
export const DHT_COMMAND_ANNOUNCE = 4;

let loaded: HyperDhtStatic | undefined;

/** Loads hyperdht and its native modules; E_TRANSPORT_UNAVAILABLE when they cannot load here. */
export function loadDhtEngine(): HyperDhtStatic {
  if (loaded) return loaded;
  try {
    const require = createRequire(import.meta.url);
    loaded = require('hyperdht') as HyperDhtStatic;
    return loaded;
  } catch (error) {
    throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', `the DHT engine could not load: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A fresh DHT key pair (it routes connections only; our identity is the node's did:key). */
export function newDhtKeyPair(): DhtKeyPair {
  return loadDhtEngine().keyPair();
}

export interface DhtGuardFigures {
  /** Requests dropped because their source was over its request rate. */
  readonly droppedRequests: number;
  /** Announcements dropped because their source was over its announce rate. */
  readonly droppedAnnounces: number;
}

export interface GuardedEngine {
  readonly engine: DhtEngine;
  guardFigures(): DhtGuardFigures;
}

export interface OpenEngineOptions {
  /** A node joins the network through these; a bootstrap node lists the network's other ones (maybe none). */
  readonly bootstrap: readonly DhtBootstrapNode[];
  /** `node`: a DHT node of a PNode or service (needs a bootstrap list); `bootstrap`: a bootstrap node at `host`:`port`. */
  readonly mode: 'node' | 'bootstrap';
  /** IPv4 address to bind (default 0.0.0.0; tests 127.0.0.1). A bootstrap node needs its public address here. */
  readonly host?: string;
  readonly port?: number;
  /** A node that is known to be reachable (tests on loopback) may say so; default: the engine finds out. */
  readonly reachable?: boolean;
  readonly clock?: () => number;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Opens a DHT engine on the given bootstrap nodes only (see the head of this file). */
export function openDhtEngine(options: OpenEngineOptions): GuardedEngine {
  const host = options.host ?? '0.0.0.0';
  if (!IPV4.test(host)) throw new ProtocolError('E_PROTO_INVALID', `the DHT binds IPv4 only, not ${JSON.stringify(host)}`);
  if (options.mode === 'node' && options.bootstrap.length === 0) {
    throw new ProtocolError('E_PROTO_INVALID', 'no DHT bootstrap nodes: a node joins only the DHT its network names (never the public one)');
  }
  if (options.mode === 'bootstrap' && (host === '0.0.0.0' || !options.port)) {
    throw new ProtocolError('E_PROTO_INVALID', 'a DHT bootstrap node needs the IPv4 address and port peers reach it at');
  }
  const HyperDHT = loadDhtEngine();
  const clock = options.clock ?? Date.now;
  const requests = new KeyedBuckets({ perKey: { capacity: DHT_REQUESTS_PER_SOURCE_BURST, perSecond: DHT_REQUESTS_PER_SOURCE_PER_SECOND }, maxKeys: DHT_MAX_TRACKED_SOURCES });
  const announces = new KeyedBuckets({ perKey: { capacity: DHT_ANNOUNCES_PER_SOURCE_PER_MINUTE, perSecond: DHT_ANNOUNCES_PER_SOURCE_PER_MINUTE / 60 }, maxKeys: DHT_MAX_TRACKED_SOURCES });
  const perTopic = new KeyedBuckets({
    perKey: { capacity: DHT_ANNOUNCES_PER_SOURCE_PER_TOPIC, perSecond: DHT_ANNOUNCES_PER_SOURCE_PER_TOPIC / (DHT_RECORD_LIFETIME_MS / 1000) },
    maxKeys: DHT_MAX_TRACKED_SOURCES,
  });
  const figures = { droppedRequests: 0, droppedAnnounces: 0 };

  class GuardedDht extends HyperDHT {
    override onrequest(request: DhtRequest): boolean {
      const now = clock();
      if (!requests.take(request.from.host, now).ok) {
        figures.droppedRequests++;
        return true; // handled: dropped unanswered
      }
      if (request.command === DHT_COMMAND_ANNOUNCE) {
        const topicKey = `${request.from.host}|${request.target ? request.target.toString('hex') : ''}`;
        if (!announces.take(request.from.host, now).ok || !perTopic.take(topicKey, now).ok) {
          figures.droppedAnnounces++;
          return true;
        }
      }
      return super.onrequest(request);
    }
  }

  const bootstrap = options.bootstrap.map((b) => ({ host: b.host, port: b.port }));
  const engine =
    options.mode === 'bootstrap'
      ? new GuardedDht({ bootstrap, host, port: options.port!, ephemeral: false, firewalled: false, anyPort: false })
      : new GuardedDht({
          bootstrap,
          host,
          ...(options.port !== undefined ? { port: options.port } : {}),
          ...(options.reachable ? { ephemeral: false, firewalled: false } : {}),
        });
  if (options.mode === 'bootstrap') engine._nat.add(host, options.port!);
  // The engine must hold our list and nothing else (a fallback to the public nodes would show here).
  const held = engine.bootstrapNodes.map((b) => `${b.host}:${b.port}`).sort();
  const given = bootstrap.map((b) => `${b.host}:${b.port}`).sort();
  if (held.length !== given.length || held.some((h, i) => h !== given[i])) {
    void engine.destroy();
    throw new ProtocolError('E_PROTO_INVALID', `the DHT engine would bootstrap from ${held.join(', ')} instead of ${given.join(', ') || 'nothing'}`);
  }
  return { engine, guardFigures: () => ({ ...figures }) };
}

// The seed directory as a feature of a node runtime (role 'directory'): it opens the store in the
// node's data dir, serves the HTTP API, and keeps the directory's own node advertisement (when the
// node has one, i.e. when it listens for peers) in its own table, so `GET /adv/<its node-id>`
// answers like for any other node. It also serves the revocation lists of the registration
// authorities it is told to (authorityKeys) or that its network descriptor names (issue 15 §5,
// directory-revocations.ts).
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import type { NodeAdvertisement } from '../../kernel/advertisement/advertisement-types.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import { loadServerTls } from '../../kernel/transport/tls.js';
import { join } from 'node:path';
import { DirectoryServer, type DirectoryLimits, type DirectoryNetworkScope } from './directory-http.js';
import { DirectoryStore } from './directory-store.js';
import { DirectoryRevocations } from './directory-revocations.js';
import { parseDirectoryListenUrl } from '../../kernel/discovery/directory-url.js';

export type DirectoryComponents = Pick<KernelComponents, 'dataDir' | 'clock' | 'crypto' | 'warn' | 'identity' | 'traces' | 'insecureLoopback' | 'advertiser' | 'network'>;

export interface DirectoryModuleOptions {
  /** `https://host:port`, or `http://127.0.0.1:port` when the node runs with insecureLoopback. */
  readonly listen: string;
  /** Certificate and key (PEM files) for an https:// listener. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly limits?: Partial<DirectoryLimits>;
  /** Default true; false only for throwaway tests. */
  readonly fsync?: boolean;
  readonly maintenanceIntervalMs?: number;
  /** Registration authorities whose revocation lists it serves (--authority-key); the network's is added. */
  readonly authorityKeys?: readonly string[];
  /**
   * The networks this directory serves (issue 12 §2), each under /networks/<id>/ from a store of its
   * own; a private one only to requests proving its key. None: one unscoped store at the root.
   */
  readonly networks?: readonly DirectoryNetworkOptions[];
}

export interface DirectoryNetworkOptions {
  readonly id: string;
  readonly psk?: Uint8Array | undefined;
  /** Its signed descriptor, served at /networks/<id>/network (members renew from it). */
  readonly descriptor?: unknown;
}

/** Where a network's store lives under the directory's data dir. */
export const DIRECTORY_NETWORKS_DIR = 'directory-networks';

export class DirectoryModule implements RuntimeModule {
  readonly name = 'directory';
  private storeNow: DirectoryStore | undefined;
  private scopes: DirectoryNetworkScope[] = [];
  private serverNow: DirectoryServer | undefined;
  private detach: (() => void) | undefined;
  private revocationsNow: DirectoryRevocations | undefined;

  constructor(
    private readonly components: DirectoryComponents,
    private readonly options: DirectoryModuleOptions,
  ) {
    requireComponents(this.name, components, ['dataDir', 'clock', 'crypto', 'warn', 'identity', 'traces', 'advertiser']);
  }

  /** The HTTP base URL, once started. */
  get url(): string {
    return this.serverNow?.url ?? '';
  }

  get store(): DirectoryStore | undefined {
    return this.storeNow;
  }

  get server(): DirectoryServer | undefined {
    return this.serverNow;
  }

  get revocations(): DirectoryRevocations | undefined {
    return this.revocationsNow;
  }

  async start(): Promise<void> {
    const runtime = this.components;
    const listen = parseDirectoryListenUrl(this.options.listen, { insecureLoopback: runtime.insecureLoopback });
    const tls = this.options.tls ? loadServerTls(this.options.tls.certFile, this.options.tls.keyFile) : undefined;
    const store = await DirectoryStore.open({
      dataDir: runtime.dataDir,
      clock: runtime.clock,
      crypto: runtime.crypto,
      ...(this.options.fsync === false ? { fsync: false } : {}),
      onError: (error) => runtime.warn(`warning: directory log: ${error.message}`),
    });
    const report = store.loadReport;
    if (report.corruptLines > 0 || report.tornBytes > 0) {
      runtime.warn(`warning: directory log: skipped ${report.corruptLines} damaged line(s) and a torn tail of ${report.tornBytes} byte(s)`);
    }
    const networkKey = runtime.network?.descriptor?.['registration-authority/key'];
    const revocations = await DirectoryRevocations.open({
      dataDir: runtime.dataDir,
      crypto: runtime.crypto,
      authorityKeys: [...new Set([...(this.options.authorityKeys ?? []), ...(networkKey ? [networkKey] : [])])],
      warn: runtime.warn,
    });
    this.revocationsNow = revocations;
    const scopes: DirectoryNetworkScope[] = [];
    let server: DirectoryServer;
    try {
      for (const network of this.options.networks ?? []) {
        const scoped = await DirectoryStore.open({
          dataDir: join(runtime.dataDir, DIRECTORY_NETWORKS_DIR, network.id.replace(/[^a-z0-9-]/g, '_')),
          clock: runtime.clock,
          crypto: runtime.crypto,
          ...(this.options.fsync === false ? { fsync: false } : {}),
          onError: (error) => runtime.warn(`warning: directory log of ${network.id}: ${error.message}`),
        });
        scopes.push({ id: network.id, store: scoped, psk: network.psk, descriptor: () => network.descriptor ?? null });
      }
      server = await DirectoryServer.start({
        store,
        networks: scopes,
        crypto: runtime.crypto,
        listen,
        tls,
        clock: runtime.clock,
        nodeId: runtime.identity.nodeId,
        traces: runtime.traces,
        limits: this.options.limits,
        revocations,
        ...(this.options.maintenanceIntervalMs !== undefined ? { maintenanceIntervalMs: this.options.maintenanceIntervalMs } : {}),
      });
    } catch (error) {
      await store.close();
      for (const scope of scopes) await scope.store.close();
      throw error;
    }
    this.scopes = scopes;
    this.storeNow = store;
    this.serverNow = server;
    if (runtime.advertiser.advertisement) this.storeOwn(runtime.advertiser.advertisement);
    this.detach = runtime.advertiser.onAdvertisement((advertisement) => this.storeOwn(advertisement));
  }

  async stop(): Promise<void> {
    this.detach?.();
    await this.serverNow?.close();
    await this.storeNow?.close();
    for (const scope of this.scopes.splice(0)) await scope.store.close();
    this.serverNow = undefined;
    this.storeNow = undefined;
  }

  /** Our own advertisement goes through the same checks as anyone's (no rate limit). */
  private storeOwn(advertisement: NodeAdvertisement): void {
    const scoped = this.scopes.find((s) => s.id === advertisement['federation/id']);
    const store = this.scopes.length > 0 ? scoped?.store : this.storeNow;
    const runtime = this.components;
    if (!store) return;
    const verified = store.verify(advertisement);
    if (!verified.ok) {
      runtime.traces.emit('error/occurred', { detail: errorDetail(verified.error, { via: 'directory', 'node/id': runtime.identity.nodeId }) });
      return;
    }
    const outcome = store.put(verified.value);
    if (outcome.kind === 'stored') {
      outcome.durable.catch((error: unknown) => runtime.warn(`warning: directory log: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
}

// The node's own node-advertisement.v1 (spec digest §c.2): signed, expiring, with a sequence
// number that only grows — across restarts too, because the next number is written to disk
// before an advertisement carrying it leaves the process.
import { join } from 'node:path';
import { newId } from '../../../src-shared/protocol/ids.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import { signArtifact } from '../../../src-shared/protocol/signing.js';
import { ADVERTISEMENT_TTL_MS, REANNOUNCE_FRACTION_OF_TTL, REANNOUNCE_JITTER } from '../../../src-shared/protocol/profile.js';
import type { NodeIdentity } from '../identity/node-identity.js';
import { CorruptFileError, jsonText, readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';
import type { Clock } from '../util/clock.js';
import type { NodeAdvertisement } from './advertisement-types.js';
import { endpointTransport } from '../../../src-shared/protocol/dht-endpoint.js';

export const ADVERTISEMENT_STATE_FILE = 'advertisement-state.json';

export interface AdvertisedEndpoint {
  readonly url: string;
  readonly priority: number;
  readonly role?: 'listener' | 'relay';
}

export interface OwnAdvertisementOptions {
  readonly identity: NodeIdentity;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly ttlMs?: number;
  readonly federationId?: string;
}

/** When to announce again: TTL/3 with ±10 % jitter (spec digest §f). */
export function reannounceDelayMs(ttlMs: number, random: () => number = Math.random): number {
  const base = ttlMs * REANNOUNCE_FRACTION_OF_TTL;
  return Math.round(base * (1 - REANNOUNCE_JITTER + 2 * REANNOUNCE_JITTER * random()));
}

export class OwnAdvertisement {
  private lastSequence = -1;
  private loaded = false;
  /** Sequence numbers are taken one at a time: two at once must not both take N+1. */
  private taking: Promise<unknown> = Promise.resolve();
  private readonly statePath: string;

  constructor(private readonly options: OwnAdvertisementOptions) {
    this.statePath = join(options.dataDir, ADVERTISEMENT_STATE_FILE);
  }

  get ttlMs(): number {
    return this.options.ttlMs ?? ADVERTISEMENT_TTL_MS;
  }

  private async takeSequence(): Promise<number> {
    await this.loadState();
    const sequence = this.lastSequence + 1;
    await writeFileAtomic(this.statePath, jsonText({ 'node/id': this.options.identity.nodeId, 'sequence/no': sequence }));
    this.lastSequence = sequence;
    return sequence;
  }

  private async loadState(): Promise<void> {
    if (this.loaded) return;
    const state = await readJsonFile(this.statePath);
    if (state !== undefined) {
      const sequence = (state as { 'sequence/no'?: unknown })['sequence/no'];
      if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) {
        throw new CorruptFileError(this.statePath, 'sequence/no is not a non-negative integer');
      }
      this.lastSequence = sequence;
    }
    this.loaded = true;
  }

  /**
   * Signs a fresh advertisement for the endpoints; its sequence number is durable before return. A
   * number that cannot be written (a full disk) is not used: it rejects, and the next call tries it again.
   */
  async next(endpoints: readonly AdvertisedEndpoint[]): Promise<NodeAdvertisement> {
    if (endpoints.length === 0) throw new Error('an advertisement needs at least one endpoint (the schema requires one)');
    const taken = this.taking.then(() => this.takeSequence());
    this.taking = taken.catch(() => undefined);
    const sequence = await taken;
    const now = this.options.clock.now();
    const { identity } = this.options;
    const payload = {
      'schema/v': 1 as const,
      'advertisement/id': newId('adv', now),
      'node/id': identity.nodeId,
      'sequence/no': sequence,
      'advertised-at': formatTimestamp(now),
      'expires-at': formatTimestamp(now + this.ttlMs),
      'key/alg': 'ed25519' as const,
      'key/public': identity.keyPublic,
      ...(this.options.federationId ? { 'federation/id': this.options.federationId } : {}),
      endpoints: endpoints.map((e) => ({
        'endpoint/url': e.url,
        'endpoint/transport': endpointTransport(e.url),
        'endpoint/role': e.role ?? ('listener' as const),
        'endpoint/priority': e.priority,
      })),
      'transports/supported': [...new Set(endpoints.map((e) => endpointTransport(e.url)))],
    };
    return signArtifact('node-advertisement.v1', payload, identity.signer) as NodeAdvertisement;
  }
}

// Test helpers for the peer modules: real node-ids, advertisement-shaped objects and a timer
// scheduler driven by a ManualClock. Not used by the runtime.
import { ed25519 } from '@noble/curves/ed25519.js';
import type { JsonObject } from '../../src-shared/protocol/artifacts.js';
import { type NodeId, fingerprintOf, nodeIdFromPublicKey } from '../../src-shared/protocol/did-key.js';
import type { ManualClock } from '../../src-node/kernel/util/clock.js';
import type { ScheduleFn, TimerHandle } from '../../src-node/kernel/peers/peer-store.js';

const ids = new Map<number, NodeId>();

/** A real node-id, the same for the same `n` (its secret key is `n` in the first bytes). */
export function nodeIdFor(n: number): NodeId {
  let id = ids.get(n);
  if (!id) {
    const secret = new Uint8Array(32);
    new DataView(secret.buffer).setUint32(0, n + 1);
    id = nodeIdFromPublicKey(ed25519.getPublicKey(secret));
    ids.set(n, id);
  }
  return id;
}

export interface TestEndpoint {
  readonly url: string;
  readonly priority?: number;
  readonly role?: string;
  readonly transport?: string;
}

/** A `node-advertisement.v1`-shaped object (unsigned: the store trusts its caller to verify). */
export function advertisementFor(nodeId: NodeId, sequence: number, endpoints: readonly TestEndpoint[] = [{ url: 'wss://peer.example/peer' }]): JsonObject {
  return {
    'schema/v': 1,
    'advertisement/id': `adv:test-${sequence}`,
    'node/id': nodeId,
    'sequence/no': sequence,
    'advertised-at': '2026-11-21T12:00:00Z',
    'expires-at': '2026-11-21T12:10:00Z',
    'key/alg': 'ed25519',
    'key/public': fingerprintOf(nodeId),
    endpoints: endpoints.map((e) => ({
      'endpoint/url': e.url,
      'endpoint/transport': e.transport ?? 'wss',
      'endpoint/role': e.role ?? 'listener',
      'endpoint/priority': e.priority ?? 10,
    })),
    'transports/supported': ['wss'],
    signature: { alg: 'ed25519', value: 'not-checked-here' },
  };
}

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** Timers that fire only when `runDue` is called, at the times a ManualClock says. */
export class ManualScheduler {
  private pending: Pending[] = [];
  private seq = 0;

  constructor(private readonly clock: ManualClock) {}

  readonly schedule: ScheduleFn = (callback, delayMs): TimerHandle => {
    const entry: Pending = { at: this.clock.now() + delayMs, seq: this.seq++, callback, cancelled: false };
    this.pending.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  };

  /** Timers not yet fired nor cancelled, soonest first. */
  get due(): number[] {
    return this.live().map((p) => p.at);
  }

  /** Fires every timer due by now (including ones those timers set, if due); returns how many. */
  runDue(): number {
    let fired = 0;
    for (let guard = 0; guard < 1_000; guard++) {
      const next = this.live()[0];
      if (!next || next.at > this.clock.now()) break;
      next.cancelled = true;
      next.callback();
      fired += 1;
    }
    this.pending = this.live();
    return fired;
  }

  private live(): Pending[] {
    return this.pending.filter((p) => !p.cancelled).sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}

// The one way an advertisement from elsewhere (a directory, a gossiping peer) enters a node
// (issue 15 §1): the cache checks it (schema, signature, expiry, sequence, and the lifetime and
// endpoint rules the directory applies), the peer store decides whether it may take room (tried
// peers are kept; a source holds at most its share; see peer-store.ts) and records who brought it,
// and only then does the cache keep it. A refusal for room is E_TRANSPORT_UNAVAILABLE: not the
// sender's fault in itself, and nothing of it is kept anywhere.
import { type Result, fail } from '../../../src-shared/protocol/errors.js';
import type { CacheOffer } from '../advertisement/advertisement-cache.js';
import type { KernelComponents } from '../runtime/components.js';
import type { SourceRef } from '../peers/provenance.js';
import type { UpsertOutcome } from '../peers/peer-store.js';

export type IntakeComponents = Pick<KernelComponents, 'advertisements' | 'peers'>;

export interface IntakeResult {
  readonly offer: CacheOffer;
  /** What the peer store did with the peer. */
  readonly peer: UpsertOutcome;
}

export function takeAdvertisement(parts: IntakeComponents, candidate: unknown, via: 'directory' | 'gossip', from: SourceRef): Result<IntakeResult> {
  const checked = parts.advertisements.check(candidate);
  if (!checked.ok) return checked;
  const advertisement = checked.value;
  const upserted = parts.peers.upsertAdvertisement(advertisement, via, from);
  if (upserted.outcome === 'full') return fail('E_TRANSPORT_UNAVAILABLE', `not kept: ${upserted.detail ?? 'no room'}`);
  if (upserted.outcome === 'invalid') return fail('E_PROTO_INVALID', upserted.detail ?? 'not a usable advertisement');
  const stored = parts.advertisements.store(advertisement);
  if (!stored.ok) return stored;
  return { ok: true, value: { offer: stored.value, peer: upserted.outcome } };
}

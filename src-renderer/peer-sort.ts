// Ordering the peers table by any column, unknowns last whichever way it runs.
import type { PeerView, Temperature } from '../src-shared/control/state.js';
import { shortId } from './format.js';
import { displayName } from '../src-shared/control/friendly-name.js';
import { connectionQuality } from './connection-quality.js';

export type PeerSortKey = 'name' | 'quality' | 'id' | 'label' | 'address' | 'temperature' | 'rtt' | 'score' | 'capabilities' | 'lastSeen';
export type SortDirection = 'ascending' | 'descending';

export interface PeerSort {
  readonly key: PeerSortKey;
  readonly direction: SortDirection;
}

const TEMPERATURE_RANK: Record<Temperature, number> = { hot: 0, warm: 1, cold: 2, blocked: 3 };

function valueOf(peer: PeerView, key: PeerSortKey): string | number | null {
  switch (key) {
    case 'name':
      return displayName(peer.nodeId, peer.label).toLowerCase();
    case 'quality':
      // Bars first, the score breaks ties within a word.
      return connectionQuality(peer).bars * 1000 + peer.score;
    case 'id':
      return shortId(peer.nodeId);
    case 'label':
      return peer.label;
    case 'address':
      return peer.address;
    case 'temperature':
      return TEMPERATURE_RANK[peer.temperature] ?? null;
    case 'rtt':
      return peer.rttMs;
    case 'score':
      return peer.score;
    case 'capabilities':
      return peer.capabilities.length;
    case 'lastSeen':
      return peer.lastSeen;
  }
}

/** A new array sorted by the column; ties keep the node-id order so rows do not jump. */
export function sortPeers(peers: readonly PeerView[], sort: PeerSort): PeerView[] {
  const sign = sort.direction === 'ascending' ? 1 : -1;
  return [...peers].sort((a, b) => {
    const x = valueOf(a, sort.key);
    const y = valueOf(b, sort.key);
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
    } else if (x !== y) {
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      if (order !== 0) return order * sign;
    }
    return a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0;
  });
}

/** Clicking a column sorts by it; clicking it again turns the order round. Numbers start high-first where high is better. */
export function nextSort(current: PeerSort, key: PeerSortKey): PeerSort {
  if (current.key === key) return { key, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
  return { key, direction: key === 'score' || key === 'quality' || key === 'lastSeen' || key === 'capabilities' ? 'descending' : 'ascending' };
}

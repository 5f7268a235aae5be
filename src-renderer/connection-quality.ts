// "Connection quality" (issue 14 §2): what the score, the round trip and the session state mean to
// a person, in one word and a number of bars. The figures stay in the technical columns.
import type { PeerView } from '../src-shared/control/state.js';

export interface Quality {
  /** 0 (not connected or blocked) to 4. */
  readonly bars: number;
  readonly word: string;
}

export function connectionQuality(peer: Pick<PeerView, 'temperature' | 'lifecycle' | 'score' | 'blockedUntil'>): Quality {
  if (peer.temperature === 'blocked' || peer.blockedUntil !== null) return { bars: 0, word: 'Blocked' };
  if (peer.lifecycle !== 'connected') return { bars: 0, word: peer.lifecycle === 'dialing' ? 'Connecting…' : 'Not connected' };
  if (peer.score >= 75) return { bars: 4, word: 'Excellent' };
  if (peer.score >= 55) return { bars: 3, word: 'Good' };
  if (peer.score >= 35) return { bars: 2, word: 'Fair' };
  return { bars: 1, word: 'Poor' };
}

// `peer-exchange` (DESIGN.md §5): gossip of signed node advertisements over a session. One kind,
// three shapes: a request {"req/id", "want"}, its response {"re/id", "advertisements"}, and an
// unsolicited push {"advertisements"} (a node announcing itself or news). Each advertisement is
// verified and merged by the receiver on its own, so one bad item does not void the others; the
// codec checks only the envelope shape and the bound.
import { bodyError } from './body-codec.js';

/** Most advertisements in one exchange (issue 4: a bounded random sample, ≤ 32). */
export const MAX_PEER_EXCHANGE_ADVERTISEMENTS = 32;
export const MAX_REQUEST_ID_LENGTH = 64;

export interface PeerExchangeBody {
  readonly 'req/id'?: string;
  readonly 're/id'?: string;
  readonly want?: number;
  readonly advertisements?: readonly Record<string, unknown>[];
}

const REQUEST_ID = { type: 'string', minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH } as const;

export const PEER_EXCHANGE_BODY_SCHEMA = {
  type: 'object',
  properties: {
    'req/id': REQUEST_ID,
    're/id': REQUEST_ID,
    want: { type: 'integer', minimum: 1, maximum: MAX_PEER_EXCHANGE_ADVERTISEMENTS },
    advertisements: { type: 'array', maxItems: MAX_PEER_EXCHANGE_ADVERTISEMENTS, items: { type: 'object' } },
  },
  additionalProperties: false,
} as const;

export function checkPeerExchange(body: PeerExchangeBody): void {
  const request = body['req/id'] !== undefined;
  const response = body['re/id'] !== undefined;
  if (request && response) throw bodyError('peer-exchange', ['re/id'], 'a message is a request or a response, not both');
  if (request) {
    if (body.want === undefined) throw bodyError('peer-exchange', ['want'], 'a request says how many advertisements it wants');
    if (body.advertisements !== undefined) throw bodyError('peer-exchange', ['advertisements'], 'a request carries no advertisements');
    return;
  }
  if (body.want !== undefined) throw bodyError('peer-exchange', ['want'], 'only a request says what it wants');
  if (body.advertisements === undefined) throw bodyError('peer-exchange', ['advertisements'], 'a response or push carries advertisements');
}

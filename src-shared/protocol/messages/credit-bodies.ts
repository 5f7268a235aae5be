// Credit session messages (issue 13 §5, src-shared/credit): an orchestrator delivers each
// credit-receipt.v1 to the PNode it credits, over a session that PNode opened, and the PNode
// acknowledges it once the receipt is in its ledger on disk. One kind carries the request and its
// reply, as the trust messages do:
//
//   credit-receipt  orchestrator → PNode  {req/id, receipt}
//                   PNode → orchestrator  {re/id, receipt/id}          (stored; the outbox lets it go)
//                   or error {re/id, code}: E_HS_REPLAY (the ledger has it already: delivered),
//                      E_ADV_STALE_SEQ (older than what the ledger holds), E_PROTO_INVALID,
//                      E_SIG_UNKNOWN_SIGNER, E_SIG_INVALID (refused for good), or
//                      E_TRANSPORT_UNAVAILABLE (the ledger could not write now: send it again later)
//
// The codec checks shapes only: the receipt is the ledger's to verify, so a bad one is answered
// with a coded error carrying re/id rather than dropped.
import { bodyError } from './body-codec.js';
import { MAX_REQUEST_ID_LENGTH } from '../../membership/membership-profile.js';

export interface CreditReceiptBody {
  readonly 'req/id'?: string;
  readonly 're/id'?: string;
  /** Request: the credit-receipt.v1. */
  readonly receipt?: Record<string, unknown>;
  /** Reply: the receipt stored. */
  readonly 'receipt/id'?: string;
}

const REQUEST_ID = { type: 'string', minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH } as const;

export const CREDIT_RECEIPT_BODY_SCHEMA = {
  type: 'object',
  properties: {
    'req/id': REQUEST_ID,
    're/id': REQUEST_ID,
    receipt: { type: 'object' },
    'receipt/id': { type: 'string', minLength: 1, maxLength: 64 },
  },
  additionalProperties: false,
} as const;

/** A request names req/id and the receipt; a reply names re/id and the receipt id, nothing else. */
export function checkCreditReceiptBody(body: CreditReceiptBody): void {
  const isRequest = body['req/id'] !== undefined;
  const isReply = body['re/id'] !== undefined;
  if (isRequest && isReply) throw bodyError('credit-receipt', ['re/id'], 'a message is a request or a reply, not both');
  if (!isRequest && !isReply) throw bodyError('credit-receipt', ['req/id'], 'a request names req/id, a reply re/id');
  if (isRequest) {
    if (body.receipt === undefined) throw bodyError('credit-receipt', ['receipt'], 'is required in a request');
    if (body['receipt/id'] !== undefined) throw bodyError('credit-receipt', ['receipt/id'], 'is not allowed in a request');
    return;
  }
  if (body['receipt/id'] === undefined) throw bodyError('credit-receipt', ['receipt/id'], 'is required in a reply');
  if (body.receipt !== undefined) throw bodyError('credit-receipt', ['receipt'], 'is not allowed in a reply');
}

import { describe, expect, it } from 'vitest';
import { bodyCodecOf } from './kinds.js';
import { decodeSessionMessage, encodeSessionMessage } from './session-message.js';
import { portableCrypto } from '../crypto/portable-provider.js';

const codec = bodyCodecOf('credit-receipt');
const receipt = { 'schema/v': 1, 'receipt/id': 'rcpt:01J' };

function detail(body: unknown): string {
  const result = codec.validate(body, { crypto: portableCrypto });
  return result.ok ? 'ok' : `${result.error.code} ${result.error.detail}`;
}

describe('credit-receipt bodies', () => {
  it('carry a receipt in a request and its id in a reply', () => {
    expect(detail({ 'req/id': 'cr:1', receipt })).toBe('ok');
    expect(detail({ 're/id': 'cr:1', 'receipt/id': 'rcpt:01J' })).toBe('ok');
    const bytes = encodeSessionMessage('credit-receipt', { 'req/id': 'cr:1', receipt });
    const decoded = decodeSessionMessage(bytes, { crypto: portableCrypto });
    expect(decoded.ok && decoded.value.body).toEqual({ 'req/id': 'cr:1', receipt });
  });

  it('refuse a body that is both, neither, or carries the other side’s field, naming the path', () => {
    expect(detail({ 'req/id': 'cr:1', 're/id': 'cr:1', receipt })).toMatch(/^E_PROTO_INVALID credit-receipt \$\.body\["re\/id"\]: a message is a request or a reply/);
    expect(detail({ receipt })).toMatch(/\$\.body\["req\/id"\]: a request names req\/id, a reply re\/id/);
    expect(detail({ 'req/id': 'cr:1' })).toMatch(/\$\.body\.receipt: is required in a request/);
    expect(detail({ 'req/id': 'cr:1', receipt, 'receipt/id': 'rcpt:x' })).toMatch(/\$\.body\["receipt\/id"\]: is not allowed in a request/);
    expect(detail({ 're/id': 'cr:1' })).toMatch(/\$\.body\["receipt\/id"\]: is required in a reply/);
    expect(detail({ 're/id': 'cr:1', 'receipt/id': 'rcpt:x', receipt })).toMatch(/\$\.body\.receipt: is not allowed in a reply/);
  });

  it('refuse unknown fields, wrong types and oversized ids', () => {
    expect(detail({ 'req/id': 'cr:1', receipt, extra: 1 })).toMatch(/\$\.body\.extra: is not allowed/);
    expect(detail({ 'req/id': 'cr:1', receipt: 'a receipt' })).toMatch(/\$\.body\.receipt: must be object/);
    expect(detail({ 'req/id': 'x'.repeat(65), receipt })).toMatch(/E_PROTO_INVALID/);
    expect(detail({ 're/id': 'cr:1', 'receipt/id': 'x'.repeat(65) })).toMatch(/E_PROTO_INVALID/);
  });
});

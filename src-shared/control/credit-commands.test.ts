import { describe, expect, it } from 'vitest';
import { CommandValidationError, parseCommand } from './commands.js';
import { EMPTY_CREDIT_VIEW, EMPTY_HISTORY_VIEW, MAX_RECEIPTS_PAGE, MAX_RECEIPT_ID_LENGTH } from './credit-view.js';
import { initialNodeState } from './initial-state.js';

describe('the credit rows of the control contract', () => {
  it('accept get-receipt, list-receipts and get-history as the table says', () => {
    expect(parseCommand({ command: 'get-receipt', receiptId: 'rcpt:01J' })).toEqual({ command: 'get-receipt', receiptId: 'rcpt:01J' });
    expect(parseCommand({ command: 'list-receipts' })).toEqual({ command: 'list-receipts' });
    expect(parseCommand({ command: 'list-receipts', before: 40, limit: MAX_RECEIPTS_PAGE })).toEqual({ command: 'list-receipts', before: 40, limit: MAX_RECEIPTS_PAGE });
    expect(parseCommand({ command: 'get-history' })).toEqual({ command: 'get-history' });
  });

  it('refuse out-of-range pages, long ids and stray fields', () => {
    const bad = [
      { command: 'list-receipts', limit: MAX_RECEIPTS_PAGE + 1 },
      { command: 'list-receipts', limit: 0 },
      { command: 'list-receipts', before: 1.5 },
      { command: 'get-receipt', receiptId: 'x'.repeat(MAX_RECEIPT_ID_LENGTH + 1) },
      { command: 'get-receipt', receiptId: '' },
      { command: 'get-receipt' },
      { command: 'get-history', range: '30d' },
    ];
    for (const command of bad) expect(() => parseCommand(command), JSON.stringify(command)).toThrow(CommandValidationError);
  });

  it('start a node with no credit and no history', () => {
    const state = initialNodeState('test', 0);
    expect(state.credit).toEqual(EMPTY_CREDIT_VIEW);
    expect(state.contributionHistory).toEqual(EMPTY_HISTORY_VIEW);
    expect(JSON.parse(JSON.stringify(state.credit))).toEqual(state.credit);
  });
});

// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { PeersScreen } from './PeersScreen.js';
import { renderWithNode } from '../testing/render-app.js';
import { peer, PEER_A, PEER_B, PEER_C, sampleState } from '../testing/sample-state.js';

afterEach(cleanup);

/** The short ids of the rows, top to bottom. */
function rowOrder(): string[] {
  const table = screen.getByRole('table');
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => within(row).getByRole('rowheader').querySelector('code')!.textContent!);
}

function header(name: string): HTMLElement {
  return screen.getByRole('columnheader', { name: new RegExp(`^${name}`) });
}

describe('the peers table', () => {
  it('starts sorted by score, best first', () => {
    renderWithNode(<PeersScreen />, sampleState());
    expect(rowOrder()).toEqual(['z6MkpTHR…vktH', 'z6Mkjchh…jVJG', 'z6MknGc3…Sdxf']);
    expect(header('Score').getAttribute('aria-sort')).toBe('descending');
  });

  it('sorts by a column when its header is clicked, and turns round on a second click', () => {
    renderWithNode(<PeersScreen />, sampleState());
    fireEvent.click(within(header('RTT')).getByRole('button'));
    expect(header('RTT').getAttribute('aria-sort')).toBe('ascending');
    expect(header('Score').getAttribute('aria-sort')).toBe('none');
    // 12 ms, 30 ms, then the peer with no RTT (unknown stays last).
    expect(rowOrder()).toEqual(['z6Mkjchh…jVJG', 'z6MkpTHR…vktH', 'z6MknGc3…Sdxf']);
    fireEvent.click(within(header('RTT')).getByRole('button'));
    expect(header('RTT').getAttribute('aria-sort')).toBe('descending');
    expect(rowOrder()).toEqual(['z6MkpTHR…vktH', 'z6Mkjchh…jVJG', 'z6MknGc3…Sdxf']);
    fireEvent.click(within(header('Label')).getByRole('button'));
    expect(rowOrder()).toEqual(['z6MkpTHR…vktH', 'z6Mkjchh…jVJG', 'z6MknGc3…Sdxf']);
  });

  it('shows what is unknown as unknown, and each peer’s temperature in words', () => {
    renderWithNode(<PeersScreen />, sampleState());
    const rows = within(screen.getByRole('table')).getAllByRole('row');
    const cold = rows.find((row) => row.textContent!.includes('z6MknGc3'))!;
    expect(within(cold).getAllByText('unknown').length).toBe(2);
    expect(within(cold).getByText('Cold')).toBeTruthy();
  });

  it('blocks a peer with block-peer, for the chosen time', async () => {
    const { bridge } = renderWithNode(<PeersScreen />, sampleState());
    fireEvent.click(screen.getByRole('button', { name: 'Block alpha' }));
    expect(bridge.commands).toEqual([{ command: 'block-peer', nodeId: PEER_A }]);
    await waitFor(() => expect((screen.getByRole('button', { name: 'Block bravo' }) as HTMLButtonElement).disabled).toBe(false));
    fireEvent.change(screen.getByLabelText('Block for'), { target: { value: 'day' } });
    fireEvent.click(screen.getByRole('button', { name: 'Block bravo' }));
    expect(bridge.commands[1]).toEqual({ command: 'block-peer', nodeId: PEER_B, minutes: 24 * 60 });
  });

  it('unblocks a blocked peer with unblock-peer', () => {
    const state = sampleState();
    const blocked = { ...state, peers: [peer(PEER_C, { temperature: 'blocked', lifecycle: 'blocked', blockedUntil: Date.now() + 3_600_000 })] };
    const { bridge } = renderWithNode(<PeersScreen />, blocked);
    expect(screen.getByText('Blocked')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: /^Unblock/ }));
    expect(bridge.commands).toEqual([{ command: 'unblock-peer', nodeId: PEER_C }]);
  });

  it('offers to copy a peer’s full id', () => {
    renderWithNode(<PeersScreen />, sampleState());
    expect(screen.getByRole('button', { name: 'Copy peer id z6MkpTHR…vktH' })).toBeTruthy();
  });
});

// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { friendlyName } from '../../src-shared/control/friendly-name.js';
import { PeersScreen } from './PeersScreen.js';
import { renderWithNode } from '../testing/render-app.js';
import { peer, PEER_A, PEER_B, PEER_C, sampleState } from '../testing/sample-state.js';

afterEach(cleanup);

/** The names of the rows, top to bottom. */
function rowOrder(): string[] {
  const table = screen.getByRole('table');
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => within(row).getByRole('rowheader').querySelector('.node-name-text')!.textContent!);
}

function header(name: string): HTMLElement {
  return screen.getByRole('columnheader', { name: new RegExp(`^${name}`) });
}

describe('the peers table', () => {
  it('names peers by their label or friendly name and rates the connection in words, best first', () => {
    renderWithNode(<PeersScreen />, sampleState());
    expect(rowOrder()).toEqual(['alpha', 'bravo', friendlyName(PEER_C)]);
    expect(header('Connection quality').getAttribute('aria-sort')).toBe('descending');
    const rows = within(screen.getByRole('table')).getAllByRole('row');
    expect(within(rows[1]!).getByText('Excellent')).toBeTruthy();
    expect(within(rows[2]!).getByText('Good')).toBeTruthy();
    expect(within(rows[3]!).getByText('Not connected')).toBeTruthy();
    // No figures, addresses or protocol words by default.
    expect(screen.queryByRole('columnheader', { name: /Score|Round trip|Address/ })).toBeNull();
    expect(screen.queryByText(/Temperature|RTT/)).toBeNull();
  });

  it('shows the figures on demand, sortable, unknowns last and as "unknown"', () => {
    renderWithNode(<PeersScreen />, sampleState());
    fireEvent.click(screen.getByLabelText('Technical details'));
    fireEvent.click(within(header('Round trip')).getByRole('button'));
    expect(header('Round trip').getAttribute('aria-sort')).toBe('ascending');
    expect(rowOrder()).toEqual(['bravo', 'alpha', friendlyName(PEER_C)]);
    fireEvent.click(within(header('Round trip')).getByRole('button'));
    expect(rowOrder()).toEqual(['alpha', 'bravo', friendlyName(PEER_C)]);
    const cold = within(screen.getByRole('table')).getAllByRole('row')[3]!;
    expect(within(cold).getAllByText('unknown').length).toBe(2);
  });

  it('renames a peer with set-peer-label, and clears the name with an empty one', async () => {
    const { bridge } = renderWithNode(<PeersScreen />, sampleState());
    fireEvent.click(screen.getByRole('button', { name: 'Rename alpha' }));
    fireEvent.change(screen.getByLabelText('Name for this peer'), { target: { value: ' lab box ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(bridge.sent('set-peer-label')).toEqual([{ command: 'set-peer-label', nodeId: PEER_A, label: 'lab box' }]));
    await waitFor(() => expect(screen.queryByLabelText('Name for this peer')).toBeNull());
    fireEvent.click(screen.getByRole('button', { name: 'Rename bravo' }));
    fireEvent.change(screen.getByLabelText('Name for this peer'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(bridge.sent('set-peer-label')[1]).toEqual({ command: 'set-peer-label', nodeId: PEER_B }));
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

  it('keeps the full id one click away, with a copy button', () => {
    renderWithNode(<PeersScreen />, sampleState());
    expect(screen.getByRole('button', { name: 'Copy peer id of alpha' })).toBeTruthy();
    expect(screen.getByText(PEER_A).closest('details')).toBeTruthy();
  });
});

// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ActivityScreen } from './ActivityScreen.js';
import { renderWithNode } from '../testing/render-app.js';
import { PEER_A, PEER_B, sampleState, trace } from '../testing/sample-state.js';

afterEach(cleanup);

function state() {
  return {
    ...sampleState(),
    traces: [
      trace('tr:1', 'identity/loaded'),
      trace('tr:2', 'peer/connected', { peer: PEER_A }),
      trace('tr:3', 'handshake/rejected', { peer: PEER_B, detail: { code: 'E_SIG_INVALID', class: 'signature/invalid', message: 'bad signature' } }),
      trace('tr:4', 'error/occurred', { peer: PEER_A, detail: { code: 'E_TRANSPORT_UNAVAILABLE', class: 'transport/unavailable', message: 'dial failed', url: 'wss://x' } }),
    ],
  };
}

function eventTypes(): string[] {
  const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
  return rows.map((row) => row.querySelectorAll('td')[1]!.textContent!);
}

describe('the activity list', () => {
  it('lists events newest first, errors with their code and class', () => {
    renderWithNode(<ActivityScreen />, state());
    expect(eventTypes()).toEqual(['error/occurred', 'handshake/rejected', 'peer/connected', 'identity/loaded']);
    expect(screen.getByText('E_TRANSPORT_UNAVAILABLE')).toBeTruthy();
    expect(screen.getByText('(transport/unavailable)')).toBeTruthy();
    expect(screen.getByText('E_SIG_INVALID')).toBeTruthy();
    expect(screen.getByText('url: wss://x')).toBeTruthy();
  });

  it('filters by event type and by peer', () => {
    renderWithNode(<ActivityScreen />, state());
    fireEvent.change(screen.getByLabelText('Peer'), { target: { value: PEER_A } });
    expect(eventTypes()).toEqual(['error/occurred', 'peer/connected']);
    fireEvent.change(screen.getByLabelText('Event type'), { target: { value: 'error/occurred' } });
    expect(eventTypes()).toEqual(['error/occurred']);
    fireEvent.change(screen.getByLabelText('Peer'), { target: { value: PEER_B } });
    expect(screen.getByText('No events match these filters.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Event type'), { target: { value: 'all' } });
    expect(eventTypes()).toEqual(['handshake/rejected']);
  });

  it('adds streamed events as they come', () => {
    const { bridge } = renderWithNode(<ActivityScreen />, state());
    act(() => bridge.push({ type: 'trace', event: trace('tr:5', 'keepalive/lost', { peer: PEER_B }) }));
    expect(eventTypes()[0]).toBe('keepalive/lost');
    expect(screen.getByText('Showing 5 of 5 events')).toBeTruthy();
  });
});

// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ActivityScreen } from './ActivityScreen.js';
import { renderWithNode } from '../testing/render-app.js';
import { PEER_A, PEER_B, sampleState, trace } from '../testing/sample-state.js';
import type { ActivityEntry } from '../../src-shared/control/activity-view.js';

const T = Date.now();

function entry(id: number, kind: ActivityEntry['kind'], detail: ActivityEntry['detail'] = {}, count = 1): ActivityEntry {
  return { id, kind, at: T - (10 - id) * 60_000, lastAt: T - (10 - id) * 60_000, count, detail };
}

function showTrace(): void {
  fireEvent.click(screen.getByRole('button', { name: 'Technical details' }));
}

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

describe('the volunteer’s log', () => {
  it('tells the story first, newest first, repeats counted, in plain words', () => {
    const log = [
      entry(5, 'result-validated', { project: 'Mandelbrot demo', credit: 1_500_000, cpuMs: 4_000 }, 3),
      entry(4, 'task-finished', { workload: 'Mandelbrot demo', cpuMs: 125_000 }, 12),
      entry(3, 'snoozed', { until: T + 3_600_000 }),
      entry(2, 'limits-changed', { cpuPercent: 60, 'cpuPercent.was': 50 }),
      entry(1, 'joined'),
    ];
    renderWithNode(<ActivityScreen />, { ...state(), activity: { recent: log, total: 5, revision: 5 } });
    const items = within(screen.getByRole('list', { name: 'Your log, newest first' })).getAllByRole('listitem').map((li) => li.textContent);
    expect(items[0]).toMatch(/3 results were validated for Mandelbrot demo: you received 1.5 credit\.$/);
    expect(items[1]).toMatch(/Finished 12 tasks of Mandelbrot demo \(2 min 5 s of processor time\)\.$/);
    expect(items[2]).toMatch(/You snoozed sharing until .+\.$/);
    expect(items[3]).toMatch(/You changed your limits: processor share 60 %\.$/);
    expect(items[4]).toMatch(/You joined the network\.$/);
    // The protocol trace stays behind "Technical details".
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('pages older entries in with list-activity', async () => {
    const { bridge } = renderWithNode(<ActivityScreen />, { ...state(), activity: { recent: [entry(9, 'joined')], total: 2, revision: 9 } });
    bridge.answer = (command) => (command.command === 'list-activity' ? { ok: true, value: { entries: [entry(8, 'left')], nextBefore: null } } : { ok: true, value: null });
    fireEvent.click(screen.getByRole('button', { name: 'Show older' }));
    expect(await screen.findByText(/You left the network\./)).toBeTruthy();
    expect(bridge.sent('list-activity')).toEqual([{ command: 'list-activity', before: 9, limit: 100 }]);
  });
});

describe('the technical details', () => {
  it('lists events newest first, errors with their code and class', () => {
    renderWithNode(<ActivityScreen />, state());
    showTrace();
    expect(eventTypes()).toEqual(['error/occurred', 'handshake/rejected', 'peer/connected', 'identity/loaded']);
    expect(screen.getByText('E_TRANSPORT_UNAVAILABLE')).toBeTruthy();
    expect(screen.getByText('(transport/unavailable)')).toBeTruthy();
    expect(screen.getByText('E_SIG_INVALID')).toBeTruthy();
    expect(screen.getByText('url: wss://x')).toBeTruthy();
  });

  it('filters by event type and by peer', () => {
    renderWithNode(<ActivityScreen />, state());
    showTrace();
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
    showTrace();
    act(() => bridge.push({ type: 'trace', event: trace('tr:5', 'keepalive/lost', { peer: PEER_B }) }));
    expect(eventTypes()[0]).toBe('keepalive/lost');
    expect(screen.getByText('Showing 5 of 5 events')).toBeTruthy();
  });
});

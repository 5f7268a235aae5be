// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeState } from '../../src-shared/control/state.js';
import { friendlyName } from '../../src-shared/control/friendly-name.js';
import { App } from '../App.js';
import { renderWithNode } from '../testing/render-app.js';
import { ORCH, sampleState } from '../testing/sample-state.js';

afterEach(cleanup);

function stopped(reasons: NodeState['contribution']['suspendReasons'], fields: Partial<NodeState['contribution']> = {}): NodeState {
  const state = sampleState();
  return { ...state, contribution: { ...state.contribution, status: 'connecting', suspendReasons: reasons, ...fields } };
}

const HOUR = 3_600_000;

function withHistory(state: NodeState): NodeState {
  return {
    ...state,
    contributionHistory: {
      ...state.contributionHistory,
      today: { cpuMs: 6 * 60_000, tasksDone: 6, tasksValidated: 4, tasksRejected: 0, credit: 2_500_000 },
      last7Days: { cpuMs: 2 * HOUR, tasksDone: 40, tasksValidated: 30, tasksRejected: 1, credit: 12_000_000 },
      allTime: { cpuMs: 30 * HOUR, tasksDone: 400, tasksValidated: 300, tasksRejected: 3, credit: 120_000_000 },
      revision: 7,
    },
    credit: { ...state.credit, total: 120_000_000, validated: 300, pending: 5, rejected: 3 },
  };
}

describe('the dashboard', () => {
  it('shows today, this week and all time from the node’s history, never 0 s beside tasks done', () => {
    renderWithNode(<App />, withHistory(sampleState()));
    const gives = screen.getByRole('region', { name: 'What this computer gives' });
    const rows = within(gives).getAllByRole('row').map((row) => row.textContent);
    expect(rows.find((row) => row?.startsWith('Today'))).toBe('Today6 min642.5');
    expect(rows.find((row) => row?.startsWith('Last 7 days'))).toBe('Last 7 days2 h403012');
    expect(rows.find((row) => row?.startsWith('All time'))).toBe('All time1 d 6 h400300120');
  });

  it('shows the credit counts and the coordinator in plain words, its address under technical details', () => {
    renderWithNode(<App />, withHistory(sampleState()));
    const credit = screen.getByRole('region', { name: 'Credit' });
    expect(within(credit).getByText('120')).toBeTruthy();
    expect(within(credit).getByText('5')).toBeTruthy();
    const network = screen.getByRole('region', { name: 'Network' });
    expect(within(network).getByText(/^Connected: a coordinator hands out work/)).toBeTruthy();
    expect(within(network).getByText(friendlyName(ORCH))).toBeTruthy();
    const address = within(network).getByText('wss://orch.example.org:7443');
    expect(address.closest('details')?.open).toBe(false);
  });

  it('the big switch sends set-contribution', () => {
    const { bridge } = renderWithNode(<App />, sampleState());
    const toggle = screen.getByRole('switch', { name: /Share spare compute/ });
    expect(toggle.getAttribute('aria-checked')).toBe('true');
    fireEvent.click(toggle);
    expect(bridge.sent('set-contribution')).toEqual([{ command: 'set-contribution', enabled: false }]);
  });

  it('follows the node when it reports the switch off, and offers no snooze then', () => {
    const { bridge } = renderWithNode(<App />, sampleState());
    const state = sampleState();
    act(() => bridge.push({ type: 'patch', patch: { contribution: { ...state.contribution, enabled: false, status: 'off', suspendReasons: ['contribution-off', 'no-orchestrator'] } } }));
    expect(screen.getByRole('switch', { name: /Share spare compute/ }).getAttribute('aria-checked')).toBe('false');
    const contribution = screen.getByRole('region', { name: 'Contribution' });
    expect(within(contribution).getByText('Off', { selector: '.badge' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Snooze 1 hour' })).toBeNull();
    // Switched off on purpose: "no orchestrator reachable" is not news then.
    expect(within(contribution).queryByText(/No orchestrator is reachable/)).toBeNull();
  });

  it('says in words what holds it back, without repeating what the status already says', () => {
    renderWithNode(<App />, stopped(['no-orchestrator', 'on-battery', 'user-active', 'limits']));
    const items = within(screen.getByRole('region', { name: 'Contribution' }))
      .getAllByRole('listitem')
      .map((li) => li.textContent);
    expect(items).toContain('This computer is running on battery, and your limits pause work on battery.');
    expect(items).toContain('You are using this computer, and your limits allow work only when it is idle.');
    expect(items).toContain('Your limits leave no room for work right now (CPU, memory or cores).');
    expect(items).toContain('No orchestrator is reachable, so there is nobody to hand out work.');
  });

  it('states a snooze once, and offers Resume then (Snooze while not snoozed)', async () => {
    const until = Date.now() + 600_000;
    const { bridge } = renderWithNode(<App />, stopped(['snoozed'], { status: 'snoozed', snoozedUntil: until }));
    const contribution = screen.getByRole('region', { name: 'Contribution' });
    expect(within(contribution).getAllByText(/Snoozed until/)).toHaveLength(1);
    fireEvent.click(screen.getByRole('button', { name: 'Resume now' }));
    expect(bridge.sent('resume')).toHaveLength(1);
    expect(screen.queryByRole('button', { name: 'Snooze 1 hour' })).toBeNull();
    const state = sampleState();
    act(() => bridge.push({ type: 'patch', patch: { contribution: state.contribution } }));
    const press = async (name: string | RegExp): Promise<void> => {
      const button = screen.getByRole('button', { name }) as HTMLButtonElement;
      await waitFor(() => expect(button.disabled).toBe(false));
      fireEvent.click(button);
    };
    await press('Snooze 1 hour');
    await press(/Snooze until tomorrow/);
    const snoozes = bridge.sent('snooze');
    expect(snoozes[0]).toEqual({ command: 'snooze', minutes: 60 });
    expect(snoozes[1]!.minutes).toBeGreaterThan(0);
    expect(snoozes[1]!.minutes).toBeLessThanOrEqual(32 * 60);
  });

  it('asks for the history and again when the node says it changed, and offers it as a table', async () => {
    const { bridge } = renderWithNode(<App />, withHistory(sampleState()));
    await waitFor(() => expect(bridge.sent('get-history')).toHaveLength(1));
    const state = withHistory(sampleState());
    act(() => bridge.push({ type: 'patch', patch: { contributionHistory: { ...state.contributionHistory, revision: 8 } } }));
    await waitFor(() => expect(bridge.sent('get-history')).toHaveLength(2));
    expect(screen.getByText('Show as a table')).toBeTruthy();
  });
});

// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeState } from '../../src-shared/control/state.js';
import { App } from '../App.js';
import { renderWithNode } from '../testing/render-app.js';
import { sampleState } from '../testing/sample-state.js';

afterEach(cleanup);

function stopped(reasons: NodeState['contribution']['suspendReasons'], fields: Partial<NodeState['contribution']> = {}): NodeState {
  const state = sampleState();
  return { ...state, contribution: { ...state.contribution, status: 'off', suspendReasons: reasons, ...fields } };
}

describe('the dashboard', () => {
  it('shows the status, orchestrator, hot peers and VNodes', () => {
    renderWithNode(<App />, sampleState());
    expect(screen.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeTruthy();
    const contribution = screen.getByRole('region', { name: 'Contribution' });
    expect(within(contribution).getByText('Contributing')).toBeTruthy();
    const orchestrator = screen.getByRole('region', { name: 'Orchestrator' });
    expect(within(orchestrator).getByText('wss://orch.example.org:7443')).toBeTruthy();
    expect(within(orchestrator).getByText('Registered')).toBeTruthy();
    const glance = screen.getByRole('region', { name: 'At a glance' });
    expect(within(glance).getByText('1 of 3 known')).toBeTruthy();
    expect(within(glance).getByText('1 (1 running, 0 paused), 1 core')).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Why not contributing?' })).toBeNull();
  });

  it('the big switch sends set-contribution', () => {
    const { bridge } = renderWithNode(<App />, sampleState());
    const toggle = screen.getByRole('switch', { name: /Share spare compute/ });
    expect(toggle.getAttribute('aria-checked')).toBe('true');
    fireEvent.click(toggle);
    expect(bridge.commands).toEqual([{ command: 'set-contribution', enabled: false }]);
  });

  it('follows the node when it reports the switch off', () => {
    const { bridge } = renderWithNode(<App />, sampleState());
    const state = sampleState();
    act(() => bridge.push({ type: 'patch', patch: { contribution: { ...state.contribution, enabled: false, status: 'off', suspendReasons: ['contribution-off'] } } }));
    expect(screen.getByRole('switch', { name: /Share spare compute/ }).getAttribute('aria-checked')).toBe('false');
    expect(within(screen.getByRole('region', { name: 'Contribution' })).getByText('Off', { selector: '.badge' })).toBeTruthy();
  });

  it('says in words why it is not contributing', () => {
    const until = Date.now() + 3_600_000;
    renderWithNode(<App />, stopped(['no-orchestrator', 'on-battery', 'snoozed', 'user-active', 'limits', 'contribution-off', 'not-joined'], { snoozedUntil: until }));
    const why = screen.getByRole('region', { name: 'Why not contributing?' });
    const items = within(why).getAllByRole('listitem').map((li) => li.textContent);
    expect(items).toHaveLength(7);
    expect(items[0]).toBe('You have not joined the network yet.');
    expect(items[1]).toBe('Contribution is switched off.');
    expect(items[2]).toMatch(/^Snoozed until .+\.$/);
    expect(items).toContain('This computer is running on battery, and your limits pause work on battery.');
    expect(items).toContain('You are using this computer, and your limits allow work only when it is idle.');
    expect(items).toContain('Your limits leave no room for work right now (CPU, memory or cores).');
    expect(items).toContain('No orchestrator is reachable, so there is nobody to hand out work.');
  });

  it('snoozes for an hour, until tomorrow, and resumes', async () => {
    const { bridge } = renderWithNode(<App />, stopped(['snoozed'], { status: 'snoozed', snoozedUntil: Date.now() + 600_000 }));
    const press = async (name: string | RegExp): Promise<void> => {
      const button = screen.getByRole('button', { name }) as HTMLButtonElement;
      await waitFor(() => expect(button.disabled).toBe(false));
      fireEvent.click(button);
    };
    await press('Snooze 1 hour');
    await press(/Snooze until tomorrow/);
    await press('Resume now');
    const snoozes = bridge.sent('snooze');
    expect(snoozes[0]).toEqual({ command: 'snooze', minutes: 60 });
    expect(snoozes[1]!.minutes).toBeGreaterThan(0);
    expect(snoozes[1]!.minutes).toBeLessThanOrEqual(32 * 60);
    expect(bridge.sent('resume')).toHaveLength(1);
  });
});

// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { unknownHardwareSummary } from '../../src-shared/hardware/hardware-summary.js';
import { App } from '../App.js';
import { renderWithNode } from '../testing/render-app.js';
import { freshState, HARDWARE } from '../testing/sample-state.js';

afterEach(cleanup);

describe('the first run', () => {
  it('explains joining, shows the hardware, and Join sends join', async () => {
    const { bridge } = renderWithNode(<App />, { ...freshState(), hardware: HARDWARE });
    expect(screen.getByRole('heading', { level: 1, name: /spare power/i })).toBeTruthy();
    expect(screen.getByText(/keychain/i)).toBeTruthy();
    expect(screen.getByText('AMD Ryzen 7 5800X')).toBeTruthy();
    expect(screen.getByText('8 physical, 16 logical')).toBeTruthy();
    expect(screen.queryByRole('navigation')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Join network' }));
    expect(bridge.commands).toEqual([{ command: 'join' }]);
  });

  it('shows what the machine did not report as "unknown"', () => {
    renderWithNode(<App />, { ...freshState(), hardware: unknownHardwareSummary('2026-03-23T18:00:00Z', [{ probe: 'cpu', reason: 'timeout' }]) });
    const facts = screen.getByRole('region', { name: 'This computer' });
    for (const term of ['Processor', 'Cores', 'Clock speed', 'Memory', 'Operating system', 'Graphics', 'Disk (data folder)']) {
      const row = within(facts).getByText(term).parentElement!;
      expect(within(row).getByText('unknown')).toBeTruthy();
    }
    expect(within(facts).getByText(/cpu: timeout/)).toBeTruthy();
  });

  it('shows "unknown" for hardware not reported at all', () => {
    renderWithNode(<App />, freshState());
    const facts = screen.getByRole('region', { name: 'This computer' });
    expect(within(facts).getAllByText('unknown').length).toBeGreaterThanOrEqual(7);
  });

  it('leaves the first run once the node has joined', () => {
    const { bridge } = renderWithNode(<App />, freshState());
    const state = freshState();
    act(() => bridge.push({ type: 'patch', patch: { network: { ...state.network, joined: true } } }));
    expect(screen.getByRole('navigation', { name: 'Sections' })).toBeTruthy();
    expect(screen.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeTruthy();
  });

  it('can be left to restore an identity from a backup', () => {
    renderWithNode(<App />, freshState());
    fireEvent.click(screen.getByRole('button', { name: 'Restore an identity from a backup' }));
    expect(screen.getByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();
    expect(screen.getByRole('form', { name: 'Import identity' })).toBeTruthy();
  });
});

// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { LimitsScreen } from './LimitsScreen.js';
import { renderWithNode } from '../testing/render-app.js';
import { HARDWARE, sampleState } from '../testing/sample-state.js';

afterEach(cleanup);

function set(label: string | RegExp, value: string): void {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

describe('the limits form', () => {
  it('starts from the node’s limits and sends set-limits with what was entered', async () => {
    const state = sampleState();
    const { bridge } = renderWithNode(<LimitsScreen node={state} />, state);
    expect((screen.getByLabelText('CPU share per core') as HTMLInputElement).value).toBe('50');
    set('CPU share per core', '75');
    set('Memory share', '40');
    set('Max cores', '4');
    fireEvent.click(screen.getByLabelText('Only when idle'));
    fireEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    await waitFor(() => expect(bridge.commands).toHaveLength(1));
    expect(bridge.commands[0]).toEqual({
      command: 'set-limits',
      limits: { cpuPercent: 75, memoryPercent: 40, maxCores: 4, onlyWhenIdle: true, pauseOnBattery: true },
    });
    await waitFor(() => expect(screen.getByText('Limits saved.')).toBeTruthy());
  });

  it('refuses values outside the node’s bounds and says why, sending nothing', () => {
    const state = sampleState();
    const { bridge } = renderWithNode(<LimitsScreen node={state} />, state);
    set('CPU share per core', '0');
    set('Memory share', '101');
    set('Max cores', '2.5');
    fireEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(bridge.commands).toEqual([]);
    expect(screen.getByText('CPU share must be from 1 to 100.')).toBeTruthy();
    expect(screen.getByText('Memory share must be from 1 to 100.')).toBeTruthy();
    expect(screen.getByText('Max cores must be a whole number from 1 to 16.')).toBeTruthy();
    expect(screen.getByLabelText('CPU share per core').getAttribute('aria-invalid')).toBe('true');
  });

  it('bounds max cores by the logical cores the hardware reports', () => {
    const state = sampleState();
    const { bridge } = renderWithNode(<LimitsScreen node={state} />, state);
    expect(screen.getByText('This computer has 16 logical cores.')).toBeTruthy();
    set('Max cores', '17');
    fireEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(bridge.commands).toEqual([]);
    expect(screen.getByText('This computer has 16 logical cores; offer at most 16.')).toBeTruthy();
  });

  it('allows up to the node’s own ceiling when the cores are unknown', async () => {
    const state = { ...sampleState(), hardware: { ...HARDWARE, 'cpu/logical-cores': null } };
    const { bridge } = renderWithNode(<LimitsScreen node={state} />, state);
    expect(screen.getByText('The number of logical cores is unknown.')).toBeTruthy();
    set('Max cores', '1025');
    fireEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(screen.getByText('Max cores must be from 1 to 1024.')).toBeTruthy();
    set('Max cores', '64');
    fireEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    await waitFor(() => expect(bridge.sent('set-limits')[0]?.limits.maxCores).toBe(64));
  });
});

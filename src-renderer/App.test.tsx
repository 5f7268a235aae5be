// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from './App.js';
import { renderWithNode } from './testing/render-app.js';
import { sampleState } from './testing/sample-state.js';
import { SCREENS } from './screens/screen-list.js';

afterEach(cleanup);

describe('the window', () => {
  it('has a banner, a navigation landmark, a main region and one h1 per screen', () => {
    renderWithNode(<App />, sampleState());
    expect(screen.getByRole('banner')).toBeTruthy();
    expect(screen.getByRole('main')).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Sections' });
    for (const item of SCREENS) {
      fireEvent.click(screen.getByRole('button', { name: item.label }));
      expect(screen.getAllByRole('heading', { level: 1 }).map((h) => h.textContent)).toEqual([item.title]);
      expect(screen.getByRole('button', { name: item.label }).getAttribute('aria-current')).toBe('page');
      expect(document.activeElement?.textContent).toBe(item.title);
    }
    expect(nav).toBeTruthy();
  });

  it('says plainly when the node cannot be reached, and retries on request', () => {
    const { bridge } = renderWithNode(<App />, sampleState());
    act(() => bridge.setConnection({ kind: 'disconnected', attempt: 2, retryAt: Date.now() + 4_000, reason: 'the node closed the connection' }));
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toMatch(/Not connected to the node: the node closed the connection/);
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(bridge.retries).toBe(1);
    act(() => bridge.setConnection({ kind: 'connected' }));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows a command’s error message until dismissed', async () => {
    const { bridge } = renderWithNode(<App />, sampleState());
    bridge.answer = () => ({ ok: false, error: { code: 'failed', message: 'the keychain is locked' } });
    fireEvent.click(screen.getByRole('switch', { name: /Share spare compute/ }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/^That did not work\. Try again in a moment\./);
    expect(alert.querySelector('details')?.textContent).toMatch(/the keychain is locked/);
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss the error message' }));
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });

  it('shows pushed notifications once each, and lets them go when they are no longer true', () => {
    const { bridge } = renderWithNode(<App />, sampleState());
    const state = sampleState();
    act(() => bridge.push({ type: 'notification', kind: 'orchestrators-lost', title: 'No orchestrator reachable', body: 'It keeps trying.' }));
    act(() => bridge.push({ type: 'patch', patch: { orchestrators: [{ ...state.orchestrators[0]!, status: 'lost' }] } }));
    act(() => bridge.push({ type: 'notification', kind: 'orchestrators-lost', title: 'No orchestrator reachable', body: 'It keeps trying.' }));
    expect(screen.getAllByText('It keeps trying.')).toHaveLength(1);
    // Back in touch: the notice goes by itself.
    act(() => bridge.push({ type: 'patch', patch: { orchestrators: state.orchestrators } }));
    expect(screen.queryByText('It keeps trying.')).toBeNull();
  });

  it('tells a wrong or expired link apart from a node that is not running', () => {
    const { bridge } = renderWithNode(<App />, sampleState());
    act(() => bridge.setConnection({ kind: 'refused' }));
    expect(screen.getByRole('alert').textContent).toMatch(/This link is wrong or has expired/);
    act(() => bridge.setConnection({ kind: 'disconnected', attempt: 1, retryAt: Date.now() + 1_000, reason: 'the node is not running (or is restarting)' }));
    expect(screen.getByRole('alert').textContent).toMatch(/the node is not running/);
  });
});

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
    expect(alert.textContent).toMatch(/Could not change contribution: the keychain is locked/);
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss the error message' }));
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });

  it('shows pushed notifications', () => {
    const { bridge } = renderWithNode(<App />, sampleState());
    act(() => bridge.push({ type: 'notification', kind: 'trusted-approved', title: 'Trusted', body: 'Your operator approved this node.' }));
    expect(screen.getByText('Your operator approved this node.')).toBeTruthy();
  });
});

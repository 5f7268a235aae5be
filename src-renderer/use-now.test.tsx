// @vitest-environment happy-dom
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useNow } from './use-now.js';
import type { Visibility } from './visibility.js';

function switchable(initially: boolean) {
  let visible = initially;
  const listeners = new Set<(v: boolean) => void>();
  const visibility: Visibility = {
    isVisible: () => visible,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    visibility,
    set(next: boolean) {
      visible = next;
      for (const listener of [...listeners]) listener(next);
    },
  };
}

function Clock({ visibility }: { visibility: Visibility }) {
  const now = useNow(1_000, visibility);
  return <p>{now}</p>;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('the on-screen clock', () => {
  it('keeps no timer while the window is hidden, one while it is shown, none after unmounting', () => {
    const page = switchable(false);
    const { unmount } = render(<Clock visibility={page.visibility} />);
    expect(vi.getTimerCount()).toBe(0);
    act(() => page.set(true));
    expect(vi.getTimerCount()).toBe(1);
    act(() => vi.advanceTimersByTime(3_000));
    expect(vi.getTimerCount()).toBe(1);
    act(() => page.set(false));
    expect(vi.getTimerCount()).toBe(0);
    act(() => page.set(true));
    unmount();
    expect(vi.getTimerCount()).toBe(0);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitAtMost, withTimeout } from './time-limit.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('waiting with a limit', () => {
  it('withTimeout passes a value or an error through, and times out otherwise', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, 'x')).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('boom')), 1_000, 'x')).rejects.toThrow('boom');
    await expect(withTimeout(new Promise(() => {}), 10, 'the thing')).rejects.toThrow('the thing did not answer within 10 ms');
  });

  it('withTimeout rejects, naming the work, once the limit has passed', async () => {
    vi.useFakeTimers();
    const late = withTimeout(new Promise(() => undefined), 5_000, 'the keychain');
    const seen = expect(late).rejects.toThrow('the keychain did not answer within 5000 ms');
    await vi.advanceTimersByTimeAsync(5_000);
    await seen;
  });

  it('waitAtMost ends with the work, or at the limit, and never throws', async () => {
    vi.useFakeTimers();
    let ended = false;
    const waiting = waitAtMost(new Promise(() => undefined), 2_000).then(() => (ended = true));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(ended).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(ended).toBe(true);
    await expect(waitAtMost(Promise.reject(new Error('broke')), 2_000)).resolves.toBeUndefined();
  });
});

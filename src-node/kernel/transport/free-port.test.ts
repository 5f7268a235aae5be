// Ports for processes that must be told theirs: picked below the ephemeral range, never one held.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_EPHEMERAL_LOW, FREE_PORT_FLOOR, ephemeralLow, freeLoopbackPort } from './free-port.js';

const LINUX_RANGE = '32768\t60999\n';
const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function hold(port: number): Promise<number> {
  const server = createServer();
  held.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve((server.address() as { port: number }).port));
  });
}

/** A random source that answers `values` in turn (then 0.5), counting its calls. */
function scripted(...values: number[]): { next: () => number; calls: () => number } {
  let calls = 0;
  return {
    next: () => {
      calls++;
      return values.shift() ?? 0.5;
    },
    calls: () => calls,
  };
}

describe('a free loopback port', () => {
  it('reads where the ephemeral range starts, and falls back to the common start', () => {
    expect(ephemeralLow(LINUX_RANGE)).toBe(32_768);
    expect(ephemeralLow(undefined)).toBe(DEFAULT_EPHEMERAL_LOW);
    expect(ephemeralLow('garbage')).toBe(DEFAULT_EPHEMERAL_LOW);
  });

  it('comes from below the ephemeral range, where no connect() or listen(0) is handed it', async () => {
    for (let i = 0; i < 20; i++) {
      const port = await freeLoopbackPort({ rangeText: LINUX_RANGE });
      expect(port).toBeGreaterThanOrEqual(FREE_PORT_FLOOR);
      expect(port).toBeLessThan(32_768);
    }
  });

  it('passes over a port somebody holds', async () => {
    const span = 32_768 - FREE_PORT_FLOOR;
    // Find a port below the range to hold (the first pick is whatever is free there).
    const taken = await hold(await freeLoopbackPort({ rangeText: LINUX_RANGE }));
    const pickTaken = (taken - FREE_PORT_FLOOR + 0.5) / span;
    const random = scripted(pickTaken, pickTaken, 0.25);
    const port = await freeLoopbackPort({ rangeText: LINUX_RANGE, random: random.next });
    expect(port).not.toBe(taken);
    expect(port).toBeLessThan(32_768);
    // Both picks of the held port were tried and passed over.
    expect(random.calls()).toBeGreaterThanOrEqual(3);
  });

  it('takes one the OS hands out when there is no room below the range', async () => {
    const port = await freeLoopbackPort({ rangeText: '10500 65535' });
    expect(port).toBeGreaterThan(0);
  });
});

// The engine wrapper: a node joins only the DHT its network names. hyperdht alone falls back to the
// public Holepunch bootstrap nodes when it is given none; through openDhtEngine that cannot happen.
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadDhtEngine, openDhtEngine } from './engine.js';
import { capabilityTopic, isCapabilityName } from './topics.js';
import { announceDelayMs } from './capability-index.js';
import { DHT_ANNOUNCE_JITTER } from './dht-limits.js';

const require = createRequire(import.meta.url);
const PUBLIC_BOOTSTRAP = (require('hyperdht/lib/constants') as { BOOTSTRAP_NODES: string[] }).BOOTSTRAP_NODES.map((entry) => entry.split('@')[0]!);

describe('openDhtEngine', () => {
  it('refuses to start a node with no bootstrap nodes, or on anything but IPv4', () => {
    expect(() => openDhtEngine({ mode: 'node', bootstrap: [] })).toThrow(/never the public one/);
    expect(() => openDhtEngine({ mode: 'node', bootstrap: [{ host: '127.0.0.1', port: 1 }], host: '::1' })).toThrow(/IPv4 only/);
    expect(() => openDhtEngine({ mode: 'bootstrap', bootstrap: [], port: 1 })).toThrow(/address and port/);
  });

  it('holds exactly the bootstrap nodes it was given, none of the public ones (which the bare engine would use)', async () => {
    // The hazard the wrapper exists for, read from the engine's source rather than run (a bare
    // engine would send packets to the public DHT): given no list, it takes the public one.
    expect(readFileSync(require.resolve('hyperdht'), 'utf8')).toMatch(/opts\.bootstrap \|\| BOOTSTRAP_NODES/);
    expect(PUBLIC_BOOTSTRAP.length).toBeGreaterThan(0);
    expect(typeof loadDhtEngine()).toBe('function');

    const ours = openDhtEngine({ mode: 'node', bootstrap: [{ host: '127.0.0.1', port: 9 }], host: '127.0.0.1' }).engine;
    expect(ours.bootstrapNodes.map((b) => `${b.host}:${b.port}`)).toEqual(['127.0.0.1:9']);
    expect(ours.bootstrapNodes.some((b) => PUBLIC_BOOTSTRAP.includes(b.host))).toBe(false);
    await ours.destroy();
  });

  it('sends its first packets to the bootstrap node the network names', async () => {
    const listener = createSocket('udp4');
    await new Promise<void>((resolve) => listener.bind(0, '127.0.0.1', resolve));
    const heard = new Promise<number>((resolve) => listener.once('message', (message) => resolve(message.length)));
    const engine = openDhtEngine({ mode: 'node', bootstrap: [{ host: '127.0.0.1', port: listener.address().port }], host: '127.0.0.1' }).engine;
    expect(await heard).toBeGreaterThan(0);
    await engine.destroy();
    listener.close();
  });

  it('is the only module that loads hyperdht (nothing else can build an engine without the wrapper)', () => {
    const root = join(import.meta.dirname, '..', '..');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && /['"]hyperdht['"/]/.test(readFileSync(path, 'utf8')) && !path.endsWith(join('dht', 'engine.ts'))) offenders.push(path);
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});

describe('capability topics', () => {
  it('are 32 bytes, differ by network, capability and key, and take only capability names', () => {
    const a = capabilityTopic({ networkId: 'net:a' }, 'vnode/wasi');
    expect(a.length).toBe(32);
    expect(capabilityTopic({ networkId: 'net:b' }, 'vnode/wasi').equals(a)).toBe(false);
    expect(capabilityTopic({ networkId: 'net:a' }, 'vnode/cpu-4').equals(a)).toBe(false);
    expect(capabilityTopic({ networkId: 'net:a', psk: new Uint8Array(32).fill(1) }, 'vnode/wasi').equals(a)).toBe(false);
    expect(capabilityTopic({ networkId: 'net:a' }, 'vnode/wasi').equals(a)).toBe(true);
    for (const bad of ['', 'wasi', 'vnode/', 'Vnode/wasi', 'vnode/wasi\0x', `vnode/${'x'.repeat(80)}`]) {
      expect(isCapabilityName(bad), bad).toBe(false);
      expect(() => capabilityTopic({ networkId: 'net:a' }, bad)).toThrow();
    }
  });

  it('are refreshed within the jitter around the refresh period', () => {
    for (const r of [0, 0.5, 1]) {
      const delay = announceDelayMs(600_000, () => r);
      expect(delay).toBeGreaterThanOrEqual(600_000 * (1 - DHT_ANNOUNCE_JITTER));
      expect(delay).toBeLessThanOrEqual(600_000 * (1 + DHT_ANNOUNCE_JITTER));
    }
  });
});

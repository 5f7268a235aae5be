import { describe, expect, it } from 'vitest';
import type { BridgeHost } from './select-bridge.js';
import { selectBridge, tokenFromHash, TOKEN_STORAGE_KEY } from './select-bridge.js';
import { FakeBridge } from '../testing/fake-bridge.js';
import { sampleState } from '../testing/sample-state.js';
import type { SocketFactory } from './websocket-bridge.js';

function host(hash: string, stored: string | null = null, pnode?: unknown) {
  const storage = new Map<string, string>(stored === null ? [] : [[TOKEN_STORAGE_KEY, stored]]);
  const replaced: string[] = [];
  const value: BridgeHost = {
    pnode,
    location: { protocol: 'http:', host: '127.0.0.1:4317', hash, pathname: '/', search: '' },
    history: { replaceState: (_data: unknown, _unused: string, url?: string | URL | null) => void replaced.push(String(url)) },
    sessionStorage: { getItem: (key) => storage.get(key) ?? null, setItem: (key, v) => void storage.set(key, v) },
  };
  return { value, storage, replaced };
}

/** Records where the bridge dialled, and never connects. */
function recordingSocket() {
  const dialled: Array<{ url: string; protocols: string[] }> = [];
  const factory: SocketFactory = (url, protocols) => {
    dialled.push({ url, protocols });
    throw new Error('no network in this test');
  };
  return { dialled, factory };
}

describe('choosing the bridge', () => {
  it('uses window.pnode when the preload exposed one', () => {
    const fake = new FakeBridge(sampleState());
    const { value, replaced } = host('', null, fake);
    const choice = selectBridge(value);
    expect(choice.kind).toBe('electron');
    expect(choice.bridge).toBe(fake);
    expect(replaced).toEqual([]);
  });

  it('otherwise dials ws://<host>/control with the token from the fragment, then hides the token', () => {
    const { value, storage, replaced } = host('#token=abc_DEF-123');
    const socket = recordingSocket();
    const choice = selectBridge(value, { createSocket: socket.factory });
    expect(choice).toMatchObject({ kind: 'websocket', url: 'ws://127.0.0.1:4317/control' });
    expect(socket.dialled).toEqual([{ url: 'ws://127.0.0.1:4317/control', protocols: ['pnode-control.v1', 'pnode-token.abc_DEF-123'] }]);
    expect(replaced).toEqual(['/']);
    expect(storage.get(TOKEN_STORAGE_KEY)).toBe('abc_DEF-123');
    if ('close' in choice.bridge && typeof choice.bridge.close === 'function') choice.bridge.close();
  });

  it('after a reload, finds the token kept for this tab', () => {
    const { value, replaced } = host('', 'kept-token');
    const socket = recordingSocket();
    const choice = selectBridge(value, { createSocket: socket.factory });
    expect(choice.kind).toBe('websocket');
    expect(socket.dialled[0]?.protocols).toContain('pnode-token.kept-token');
    expect(replaced).toEqual([]);
    if ('close' in choice.bridge && typeof choice.bridge.close === 'function') choice.bridge.close();
  });

  it('without any token says so instead of dialling', async () => {
    const { value } = host('');
    const socket = recordingSocket();
    const choice = selectBridge(value, { createSocket: socket.factory });
    expect(choice.kind).toBe('no-token');
    expect(choice.bridge.connection?.()).toEqual({ kind: 'no-token' });
    expect(socket.dialled).toEqual([]);
    expect((await choice.bridge.command({ command: 'join' })).ok).toBe(false);
  });

  it('reads only the token parameter of the fragment', () => {
    expect(tokenFromHash('#token=a%2Bb&x=1')).toBe('a+b');
    expect(tokenFromHash('#main')).toBeNull();
    expect(tokenFromHash('')).toBeNull();
    expect(tokenFromHash('#token=')).toBeNull();
  });
});

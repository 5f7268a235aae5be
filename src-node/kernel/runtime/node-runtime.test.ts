// A node listens before its modules start (its advertisement needs the bound port). Sessions that
// arrive in between keep their messages until the modules have registered their handlers (found by
// `npm run harden -- faults`: an orchestrator restarted under reconnecting PNodes used to drop
// their pnode-register, and each PNode then waited out its register timeout and backoff).
import { afterEach, describe, expect, it } from 'vitest';
import { NodeRuntime } from './node-runtime.js';
import type { RuntimeModule } from './runtime-module.js';
import type { NodeConfig } from './node-config.js';
import { openOutbound, type PeerConnection } from '../connection/peer-connection.js';
import { HandshakeNonceCache } from '../session/nonce-cache.js';
import { nativeCrypto } from '../crypto/native-provider.js';
import { systemClock } from '../util/clock.js';
import type { PeerExchangeBody } from '../../../src-shared/protocol/messages/discovery-bodies.js';
import { freeLoopbackPort } from '../transport/free-port.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { testIdentity } from '../../../tests/support/identities.js';
import { pause, waitUntil } from '../../../tests/support/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A module that registers its handler only once `open` is called. */
function slowModule(): { module: (runtime: NodeRuntime) => RuntimeModule; open: () => void; received: PeerExchangeBody[] } {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const received: PeerExchangeBody[] = [];
  const module = (runtime: NodeRuntime): RuntimeModule => ({
    name: 'slow-to-start',
    async start() {
      await gate;
      runtime.connections.handle('peer-exchange', (_connection, body) => received.push(body));
    },
    stop: () => undefined,
  });
  return { module, open: () => open(), received };
}

describe('a node whose modules are still starting', () => {
  it('keeps the messages of a session that arrives meanwhile for the handler a module registers', async () => {
    const dir = makeTempDir('pnode-runtime-');
    cleanups.push(dir.cleanup);
    const port = await freeLoopbackPort();
    const slow = slowModule();
    const config: NodeConfig = {
      dataDir: dir.path,
      role: 'seed',
      listen: [`ws://127.0.0.1:${port}/peer`],
      seeds: [],
      insecureLoopback: true,
      trustCa: [],
      keystore: 'file',
      warn: () => undefined,
      version: 'test',
    };
    const starting = NodeRuntime.launch(config, (runtime) => [slow.module(runtime)]);
    // The listener is up while the module waits: open a session and send at once.
    let peer: PeerConnection | undefined;
    await waitUntil(
      async () =>
        (peer = await openOutbound(
          { crypto: nativeCrypto, identity: testIdentity(0x61), clock: systemClock, nonces: new HandshakeNonceCache() },
          { url: `ws://127.0.0.1:${port}/peer`, transport: { policy: { insecureLoopback: true } } },
        ).catch(() => undefined)) !== undefined,
      'a session with the starting node',
      undefined,
      25,
    );
    expect(peer).toBeDefined();
    cleanups.push(() => peer!.terminate());
    peer!.start();
    expect(peer!.send('peer-exchange', { 'req/id': 'px:early', want: 4 })).toBe(true);
    // A window in which the message must stay held: no handler has been registered for it.
    await pause(200);
    expect(slow.received).toEqual([]);
    slow.open();
    const runtime = await starting;
    cleanups.push(() => runtime.stop());
    await expect.poll(() => slow.received.map((b) => b['req/id'])).toEqual(['px:early']);
    expect(peer!.isOpen).toBe(true);
  });
});

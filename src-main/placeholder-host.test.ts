import { describe, expect, it } from 'vitest';
import { CONTROL_PROTOCOL } from '../src-shared/control/state.js';
import type { ControlEvent } from '../src-shared/control/messages.js';
import { createNodeHost } from './node-host-factory.js';
import { PLACEHOLDER_MESSAGE, createPlaceholderHost } from './placeholder-host.js';
import { T0 } from './testing/node-states.js';

describe('placeholder node host', () => {
  it('starts as a node that knows nothing yet', async () => {
    const host = createPlaceholderHost(() => T0);
    const handler = await host.start({ dataDir: '/tmp/pnode', version: '0.1.0' });
    expect(handler.snapshot()).toMatchObject({ protocol: CONTROL_PROTOCOL, version: '0.1.0', startedAt: T0, identity: null, launchAtLogin: null });
  });

  it('answers get-state and refuses the rest as not-available', async () => {
    const handler = await createPlaceholderHost(() => T0).start({ dataDir: '/tmp/pnode', version: '0.1.0' });
    expect(await handler.execute({ command: 'get-state' })).toEqual({ ok: true, value: handler.snapshot() });
    expect(await handler.execute({ command: 'join' })).toEqual({ ok: false, error: { code: 'not-available', message: PLACEHOLDER_MESSAGE } });
  });

  it('reflects launch at login in the state with a patch', async () => {
    const host = createPlaceholderHost(() => T0);
    const handler = await host.start({ dataDir: '/tmp/pnode', version: '0.1.0' });
    const events: ControlEvent[] = [];
    const off = handler.subscribe((event) => events.push(event));
    host.setLaunchAtLogin(true);
    host.setLaunchAtLogin(true);
    off();
    host.setLaunchAtLogin(false);
    expect(events).toEqual([{ type: 'patch', patch: { launchAtLogin: true } }]);
    expect(handler.snapshot().launchAtLogin).toBe(false);
  });

  it('keeps the last activity and stops idempotently', async () => {
    const host = createPlaceholderHost(() => T0);
    await host.start({ dataDir: '/tmp/pnode', version: '0.1.0' });
    host.setUserActivity({ idleSeconds: 30, onBattery: true });
    host.systemResumed();
    expect(host.activity).toEqual({ idleSeconds: 30, onBattery: true });
    await host.stop();
    await host.stop();
    expect(host.stopped).toBe(true);
  });

  it('the factory hands out a complete NodeHost', () => {
    const host = createNodeHost();
    for (const method of ['start', 'stop', 'setUserActivity', 'systemResumed', 'setLaunchAtLogin'] as const) expect(typeof host[method]).toBe('function');
  });
});

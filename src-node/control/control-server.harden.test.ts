// Regression found by the hardening harness (`npm run harden -- fuzz`): an upgrade request whose
// target URL cannot read ("//[") threw inside the control server's upgrade handler, an uncaught
// exception that ended the node.
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { ControlHandler } from './control-handler.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { CONTROL_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from './control-auth.js';
import { connectControl } from './control-client.js';
import type { NodeState } from '../../src-shared/control/state.js';

const handler: ControlHandler = {
  snapshot: () => ({ protocol: 'test' }) as unknown as NodeState,
  subscribe: () => () => undefined,
  execute: async () => ({ ok: true, value: 'done' }),
};
let server: ControlServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function upgrade(port: number, target: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${CONTROL_SUBPROTOCOL}, ${TOKEN_SUBPROTOCOL_PREFIX}${token}\r\n\r\n`,
      );
    });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

describe('the control server and request targets URL cannot read', () => {
  it('refuses them (403) and keeps serving', async () => {
    server = await startControlServer({ handler });
    for (const target of ['//[', '//%zz', '//:99999/control']) expect(await upgrade(server.port, target, server.token), target).toBe('HTTP/1.1 403 Forbidden');
    const client = await connectControl(server.url, server.token);
    try {
      expect(await client.command({ command: 'get-state' })).toEqual({ ok: true, value: 'done' });
    } finally {
      client.close();
    }
  });
});

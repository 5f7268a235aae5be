// Issue 3 §8 attacks against a running node: each is refused with its protocol code (sent to the
// attacker as an `error` message and as the close code 4001…4011) and traced as handshake/rejected.
import { beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { startTestNode } from '../support/nodes.js';
import { testIdentity } from '../support/identities.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { buildAck, buildHello } from '../../src-node/kernel/session/handshake.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { signArtifact } from '../../src-shared/protocol/signing.js';
import { closeCodeFor } from '../../src-node/kernel/transport/close-codes.js';
import { MAX_FRAME_BYTES } from '../../src-node/kernel/transport/limits.js';
import type { ErrorCode } from '../../src-shared/protocol/errors.js';
import type { JsonObject } from '../../src-shared/protocol/artifacts.js';
import { PATIENCE_MS } from '../support/wait.js';

const attacker = testIdentity(0xee);
let target: NodeRuntime & { cleanup: () => Promise<void> };

beforeAll(async () => {
  target = await startTestNode();
  return () => target.cleanup();
});

function hello(overrides: (artifact: JsonObject) => JsonObject = (a) => a, options: Partial<Parameters<typeof buildHello>[0]> = {}): string {
  const built = buildHello({ crypto: nativeCrypto, identity: attacker, now: Date.now(), recipient: target.identity.nodeId, ...options });
  const changed = overrides({ ...built.artifact });
  return JSON.stringify(changed);
}

function resign(artifact: JsonObject): JsonObject {
  return signArtifact('peer-handshake.v1', artifact, attacker.signer);
}

interface Outcome {
  readonly error?: { code: string; class: string };
  readonly closeCode: number;
}

function attempt(first: string | Buffer, then?: (socket: WebSocket) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(target.listenUrls()[0]!);
    let error: Outcome['error'];
    const timer = setTimeout(() => reject(new Error('no answer')), PATIENCE_MS);
    socket.on('open', () => {
      socket.send(first);
      then?.(socket);
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const value = JSON.parse(String(data)) as { 'msg/kind'?: string; body?: { code: string; class: string } };
      if (value['msg/kind'] === 'error') error = value.body;
    });
    socket.on('error', () => undefined);
    socket.on('close', (closeCode) => {
      clearTimeout(timer);
      resolve({ ...(error ? { error } : {}), closeCode });
    });
  });
}

function rejectionsWith(code: ErrorCode): number {
  return target.traces.recent(10_000).filter((e) => e['event/type'] === 'handshake/rejected' && e.detail?.['code'] === code).length;
}

async function expectRefused(first: string | Buffer, code: ErrorCode, then?: (socket: WebSocket) => void): Promise<void> {
  const before = rejectionsWith(code);
  const outcome = await attempt(first, then);
  expect(outcome.error?.code).toBe(code);
  expect(outcome.closeCode).toBe(closeCodeFor(code));
  await expect.poll(() => rejectionsWith(code)).toBeGreaterThan(before);
}

describe('handshake attacks on a running node', () => {
  it('a replayed hello: E_HS_REPLAY', async () => {
    const text = hello();
    // The first time, the node answers (its ack); the attacker then leaves.
    const first = await attempt(text, (socket) => socket.once('message', () => socket.close()));
    expect(first.error).toBeUndefined();
    await expectRefused(text, 'E_HS_REPLAY');
  });

  it('a hello from 5 minutes ago or from the future: E_HS_REPLAY', async () => {
    await expectRefused(hello((a) => a, { now: Date.now() - 5 * 60_000 }), 'E_HS_REPLAY');
    await expectRefused(hello((a) => a, { now: Date.now() + 5 * 60_000 }), 'E_HS_REPLAY');
  });

  it('a tampered signature: E_SIG_INVALID', async () => {
    await expectRefused(hello((a) => ({ ...a, 'session/intent': 'reconnect' })), 'E_SIG_INVALID');
  });

  it('a key that is not the sender’s: E_SIG_UNKNOWN_SIGNER', async () => {
    await expectRefused(hello((a) => resign({ ...a, 'key/public': testIdentity(0xef).keyPublic })), 'E_SIG_UNKNOWN_SIGNER');
  });

  it('a hello addressed to another node: E_PROTO_INVALID', async () => {
    await expectRefused(hello((a) => a, { recipient: testIdentity(0x01).nodeId }), 'E_PROTO_INVALID');
  });

  it('a peer without core/messaging: E_PROTO_CAP_MISSING', async () => {
    await expectRefused(hello((a) => a, { capabilities: ['core/discovery'] }), 'E_PROTO_CAP_MISSING');
  });

  it('another protocol version: E_PROTO_VERSION (fail closed)', async () => {
    await expectRefused(hello((a) => ({ ...a, 'protocol/version': '0.1.0-mvp' })), 'E_PROTO_VERSION');
    await expectRefused(hello((a) => { const { ['protocol/version']: _drop, ...rest } = a; return rest; }), 'E_PROTO_VERSION');
  });

  it('garbage and schema-invalid hellos: E_PROTO_INVALID', async () => {
    await expectRefused('}{ not json', 'E_PROTO_INVALID');
    await expectRefused(hello((a) => resign({ ...a, 'session/pub': 'short' })), 'E_PROTO_INVALID');
  });

  it('an oversized first frame is cut off by the transport limit (1009)', async () => {
    const outcome = await attempt(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x7b));
    expect(outcome.closeCode).toBe(1009);
  });
});

describe('when the node dials a malicious responder', () => {
  it('an ack that answers no hello of ours: E_HS_UNKNOWN_REF, traced', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    try {
      await new Promise((r) => server.once('listening', r));
      server.on('connection', (socket) => {
        socket.once('message', () => {
          const ack = buildAck({ crypto: nativeCrypto, identity: attacker, now: Date.now(), recipient: target.identity.nodeId, ackOf: 'hs:NOT-YOURS' });
          socket.send(ack.text);
        });
      });
      const port = (server.address() as { port: number }).port;
      await target.connections.connect([`ws://127.0.0.1:${port}/peer`], { nodeId: attacker.nodeId }).catch(() => undefined);
      const rejected = target.traces.recent(10_000).filter((e) => e['event/type'] === 'handshake/rejected' && e.detail?.['code'] === 'E_HS_UNKNOWN_REF');
      expect(rejected.length).toBeGreaterThan(0);
    } finally {
      for (const client of server.clients) client.terminate();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

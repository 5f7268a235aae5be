// The seed directory's HTTP API, exactly: every status and body, over a real socket on 127.0.0.1.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { ManualClock } from '../../kernel/util/clock.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { MemoryTraceSink } from '../../kernel/trace/trace-sink.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import { ERROR_CLASSES, type ErrorCode } from '../../../src-shared/protocol/errors.js';
import type { NodeAdvertisement } from '../../kernel/advertisement/advertisement-types.js';
import { DirectoryStore } from './directory-store.js';
import {
  DIRECTORY_IP_BURST_SECONDS,
  DIRECTORY_IP_GETS_PER_SECOND,
  DIRECTORY_IP_PUTS_PER_SECOND,
  DIRECTORY_MAX_BODY_BYTES,
  DIRECTORY_MAX_CONNECTIONS_PER_ADDRESS,
  DIRECTORY_PUBLISHER_BURST,
  DIRECTORY_PUBLISHER_PUTS_PER_SECOND,
  DirectoryServer,
} from './directory-http.js';
import { parseDirectoryListenUrl } from '../../kernel/discovery/directory-url.js';
import { makePublisher, signedAdvertisement, type Publisher } from '../../../tests/support/directory.js';

let dir: { path: string; cleanup: () => void };
let clock: ManualClock;
let store: DirectoryStore;
let server: DirectoryServer;
let traces: MemoryTraceSink;
const SELF = makePublisher().nodeId;

beforeEach(async () => {
  dir = makeTempDir('pnode-directory-http-');
  clock = new ManualClock();
  traces = new MemoryTraceSink(SELF, clock);
  store = await DirectoryStore.open({ dataDir: dir.path, clock, crypto: nativeCrypto });
  server = await DirectoryServer.start({ store, listen: parseDirectoryListenUrl('http://127.0.0.1:0', { insecureLoopback: true }), clock, nodeId: SELF, traces });
});
afterEach(async () => {
  await server.close();
  await store.close();
  dir.cleanup();
});

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly body: Record<string, unknown>;
}

function send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}, localAddress?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const options = { method, headers: body !== undefined ? { 'Content-Type': 'application/json', ...headers } : headers, ...(localAddress ? { localAddress, agent: false as const } : {}) };
    const req = request(`${server.url}${path}`, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Record<string, unknown> = {};
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // Not JSON (metrics).
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function putAd(advertisement: unknown, nodeId = (advertisement as NodeAdvertisement)['node/id']): Promise<Reply> {
  return send('PUT', `/adv/${nodeId}`, JSON.stringify(advertisement));
}

function ad(publisher: Publisher, sequence = 0, options: { at?: number; ttlMs?: number } = {}): NodeAdvertisement {
  return signedAdvertisement(publisher, { sequence, at: options.at ?? clock.now(), ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}) });
}

function expectError(reply: Reply, status: number, code: ErrorCode): void {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toBe('application/json');
  expect(reply.body).toMatchObject({ code, class: ERROR_CLASSES[code] });
  expect(typeof reply.body['detail']).toBe('string');
}

/** Stores advertisements without going through HTTP (no rate limits): setup for feed tests. */
async function seed(ads: readonly NodeAdvertisement[]): Promise<void> {
  for (const a of ads) {
    const verified = store.verify(a);
    if (!verified.ok) throw verified.error;
    const outcome = store.put(verified.value);
    if (outcome.kind !== 'stored') throw new Error(outcome.kind);
    await outcome.durable;
  }
}

describe('PUT /adv/{node-id}', () => {
  it('stores a verified advertisement: 201 with the spec body; GET answers the raw artifact', async () => {
    const publisher = makePublisher();
    const advertisement = ad(publisher, 3);
    const reply = await putAd(advertisement);
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      status: 'stored',
      'node/id': publisher.nodeId,
      'advertisement/id': advertisement['advertisement/id'],
      'sequence/no': 3,
      'stored-at': formatTimestamp(clock.now()),
      'expires-at': advertisement['expires-at'],
    });
    const got = await send('GET', `/adv/${publisher.nodeId}`);
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.body).toEqual(advertisement);
    // Colons may also come percent-encoded.
    expect((await send('GET', `/adv/${encodeURIComponent(publisher.nodeId)}`)).body).toEqual(advertisement);
  });

  it('answers an identical re-publication with 200 "unchanged" and the original stored-at', async () => {
    const advertisement = ad(makePublisher());
    await putAd(advertisement);
    const storedAt = formatTimestamp(clock.now());
    clock.advance(5_000);
    const again = await putAd(advertisement);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'unchanged', 'sequence/no': 0, 'stored-at': storedAt });
  });

  it('refuses an equal or lower sequence with 409 and the spec conflict body', async () => {
    const publisher = makePublisher();
    await putAd(ad(publisher, 5));
    for (const [submitted, advertisement] of [
      [5, ad(publisher, 5, { at: clock.now() - 1_000 })],
      [4, ad(publisher, 4)],
    ] as const) {
      const reply = await putAd(advertisement);
      expectError(reply, 409, 'E_ADV_STALE_SEQ');
      expect(reply.body).toMatchObject({
        status: 'conflict',
        reason: 'stale-sequence',
        'node/id': publisher.nodeId,
        'current/sequence-no': 5,
        'submitted/sequence-no': submitted,
        code: 'E_ADV_STALE_SEQ',
      });
    }
  });

  it('refuses a body for another node than the path names', async () => {
    const reply = await putAd(ad(makePublisher()), makePublisher().nodeId);
    expectError(reply, 400, 'E_PROTO_INVALID');
    expect(reply.body['detail']).toMatch(/path names .* body's node\/id/);
  });

  it('refuses schema violations with the failing JSON path, and garbage JSON', async () => {
    const advertisement = ad(makePublisher()) as unknown as Record<string, unknown>;
    const { endpoints: _endpoints, ...noEndpoints } = advertisement;
    const missing = await putAd(noEndpoints, advertisement['node/id'] as string);
    expectError(missing, 400, 'E_PROTO_INVALID');
    expect(missing.body['detail']).toContain('$.endpoints: is required');

    const wrongType = await putAd({ ...advertisement, 'sequence/no': 'seven' });
    expectError(wrongType, 400, 'E_PROTO_INVALID');
    expect(wrongType.body['detail']).toContain('$["sequence/no"]');

    expectError(await send('PUT', `/adv/${advertisement['node/id'] as string}`, '{"schema/v": 1, '), 400, 'E_PROTO_INVALID');
    expectError(await send('PUT', `/adv/${advertisement['node/id'] as string}`, '[1, 2]'), 400, 'E_PROTO_INVALID');
  });

  it('refuses a forged advertisement with 403 E_SIG_INVALID and traces the rejection', async () => {
    const advertisement = ad(makePublisher());
    const forged = { ...advertisement, endpoints: [{ ...advertisement.endpoints[0], 'endpoint/url': 'wss://evil.example/peer' }] };
    expectError(await putAd(forged), 403, 'E_SIG_INVALID');
    const rejected = traces.ofType('advertisement/rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ peer: advertisement['node/id'], detail: { code: 'E_SIG_INVALID', class: 'signature/invalid', 'node/id': advertisement['node/id'] } });
    expect((await send('GET', `/adv/${advertisement['node/id']}`)).status).toBe(404);
  });

  it('refuses an advertisement whose key does not belong to its node-id with 403 E_SIG_UNKNOWN_SIGNER', async () => {
    const publisher = makePublisher();
    const other = makePublisher();
    const claimed = signedAdvertisement({ ...publisher, keyPublic: other.keyPublic }, { at: clock.now() });
    expectError(await putAd(claimed), 403, 'E_SIG_UNKNOWN_SIGNER');
  });

  it('refuses an expired advertisement with 422 E_ADV_EXPIRED', async () => {
    const expired = ad(makePublisher(), 0, { at: clock.now() - 20 * 60_000, ttlMs: 10 * 60_000 });
    expectError(await putAd(expired), 422, 'E_ADV_EXPIRED');
  });

  it('refuses stale-making freshness: advertised-at in the future, or a lifetime beyond the limit', async () => {
    expectError(await putAd(ad(makePublisher(), 0, { at: clock.now() + 10 * 60_000 })), 400, 'E_PROTO_INVALID');
    expectError(await putAd(ad(makePublisher(), 0, { ttlMs: 7 * 60 * 60_000 })), 400, 'E_PROTO_INVALID');
  });

  it('refuses a body over DIRECTORY_MAX_BODY_BYTES with 413, and takes one of exactly that size', async () => {
    const publisher = makePublisher();
    const base = JSON.stringify(ad(publisher));
    const atLimit = `${base}${' '.repeat(DIRECTORY_MAX_BODY_BYTES - Buffer.byteLength(base))}`;
    expect(Buffer.byteLength(atLimit)).toBe(DIRECTORY_MAX_BODY_BYTES);
    expect((await send('PUT', `/adv/${publisher.nodeId}`, atLimit)).status).toBe(201);
    const over = ad(publisher, 1);
    const overText = `${JSON.stringify(over)}${' '.repeat(DIRECTORY_MAX_BODY_BYTES)}`;
    expectError(await send('PUT', `/adv/${publisher.nodeId}`, overText), 413, 'E_PROTO_INVALID');
    // Sent in chunks without a Content-Length: cut off while reading.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/adv/${publisher.nodeId}`, { method: 'PUT', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(overText.slice(0, 10_000));
      req.end(overText.slice(10_000));
    });
    expect(chunked).toBe(413);
  });

  it('refuses a body that is not declared application/json with 415', async () => {
    const advertisement = ad(makePublisher());
    expectError(await send('PUT', `/adv/${advertisement['node/id']}`, JSON.stringify(advertisement), { 'Content-Type': 'text/plain' }), 415, 'E_PROTO_INVALID');
    const withCharset = await send('PUT', `/adv/${advertisement['node/id']}`, JSON.stringify(advertisement), { 'Content-Type': 'application/json; charset=utf-8' });
    expect(withCharset.status).toBe(201);
  });

  it('refuses an invalid node-id in the path with 400', async () => {
    expectError(await send('PUT', '/adv/node:did:key:z6MkNotAKey', JSON.stringify(ad(makePublisher()))), 400, 'E_PROTO_INVALID');
    expectError(await send('PUT', '/adv/%E0%A4%A', '{}'), 400, 'E_PROTO_INVALID');
  });
});

describe('GET /adv/{node-id}', () => {
  it('answers 404 with the spec body for a node it does not hold, and 400 for something that is not a node-id', async () => {
    const unknown = makePublisher().nodeId;
    const reply = await send('GET', `/adv/${unknown}`);
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ status: 'not-found', 'node/id': unknown });
    expectError(await send('GET', '/adv/node:did:key:z6Mkunknownpeer1111111111111111111111111111111'), 400, 'E_PROTO_INVALID');
    expectError(await send('GET', '/adv/hello'), 400, 'E_PROTO_INVALID');
  });

  it('never serves an expired advertisement', async () => {
    const publisher = makePublisher();
    await putAd(ad(publisher, 0, { ttlMs: 60_000 }));
    clock.advance(60_000);
    expect((await send('GET', `/adv/${publisher.nodeId}`)).status).toBe(404);
    expect((await send('GET', '/adv')).body['items']).toEqual([]);
    expect((await send('GET', '/healthz')).body['entries']).toBe(0);
    expect((await send('GET', '/metrics')).text).toContain('pnode_directory_expired_purged_total 1');
  });
});

describe('GET /adv?since=<cursor>', () => {
  it('pages through more than max-items with no repeats and no gaps, and shows the end of the feed', async () => {
    const publishers = Array.from({ length: 250 }, () => makePublisher());
    await seed(publishers.map((p) => ad(p)));
    const seen: string[] = [];
    const sizes: number[] = [];
    let next: string | undefined;
    for (let page = 0; page < 10; page++) {
      const reply = await send('GET', next === undefined ? '/adv' : `/adv?since=${encodeURIComponent(next)}`);
      expect(reply.status).toBe(200);
      expect(reply.body['max-items']).toBe(100);
      const items = reply.body['items'] as NodeAdvertisement[];
      sizes.push(items.length);
      seen.push(...items.map((i) => i['node/id']));
      expect(reply.body['next']).toMatch(/^cur:[0-9A-Z]{20}$/);
      next = reply.body['next'] as string;
      if (items.length < 100) break;
    }
    expect(sizes).toEqual([100, 100, 50]);
    expect(seen).toEqual(publishers.map((p) => p.nodeId));

    // Caught up: no items, and `next` stays where it was.
    const idle = await send('GET', `/adv?since=${next!}`);
    expect(idle.body).toEqual({ items: [], next, 'max-items': 100 });

    // A replacement takes a new position: the next poll has exactly it, and a read from the
    // beginning finds the node once, at the end.
    const moved = publishers[7]!;
    const replacement = ad(moved, 1);
    expect((await putAd(replacement)).status).toBe(201);
    const delta = await send('GET', `/adv?since=${next!}`);
    expect(delta.body['items']).toEqual([replacement]);
    const all: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const reply = await send('GET', `/adv?since=${cursor}`);
      const items = reply.body['items'] as NodeAdvertisement[];
      all.push(...items.map((i) => i['node/id']));
      cursor = reply.body['next'] as string;
      if (items.length < 100) break;
    }
    expect(all).toHaveLength(250);
    expect(new Set(all).size).toBe(250);
    expect(all[249]).toBe(moved.nodeId);
  });

  it('starts from the beginning without since or with an empty one', async () => {
    const a = ad(makePublisher());
    await seed([a]);
    for (const path of ['/adv', '/adv?since=', '/adv?other=1']) {
      const reply = await send('GET', path);
      expect(reply.status).toBe(200);
      expect(reply.body['items']).toEqual([a]);
    }
    const empty = await DirectoryStore.open({ dataDir: makeTempDir().path, clock, crypto: nativeCrypto });
    expect(empty.feed(undefined)).toMatchObject({ ok: true, value: { items: [], next: empty.startCursor } });
    await empty.close();
  });

  it('refuses an unknown or garbage cursor with 400', async () => {
    await seed([ad(makePublisher())]);
    const next = (await send('GET', '/adv')).body['next'] as string;
    for (const since of ['garbage', 'cur:01JQNODECUR001', `cur:ZZZZZZZZZZ${next.slice(14)}`, `${next.slice(0, 14)}00000000ZZ`]) {
      expectError(await send('GET', `/adv?since=${encodeURIComponent(since)}`), 400, 'E_PROTO_INVALID');
    }
    expectError(await send('GET', `/adv?since=${next}&since=${next}`), 400, 'E_PROTO_INVALID');
  });
});

describe('methods and routes', () => {
  it('answers 405 with Allow for methods a route does not take, and 404 for unknown paths', async () => {
    const id = makePublisher().nodeId;
    const cases: Array<[string, string, string]> = [
      ['DELETE', `/adv/${id}`, 'GET, PUT'],
      ['POST', `/adv/${id}`, 'GET, PUT'],
      ['PUT', '/adv', 'GET'],
      ['DELETE', '/adv', 'GET'],
      ['POST', '/healthz', 'GET'],
      ['PUT', '/metrics', 'GET'],
    ];
    for (const [method, path, allow] of cases) {
      const reply = await send(method, path);
      expectError(reply, 405, 'E_PROTO_INVALID');
      expect(reply.headers['allow']).toBe(allow);
    }
    expectError(await send('GET', '/cap/x'), 404, 'E_PROTO_INVALID');
  });

  it('reports health and Prometheus metrics', async () => {
    await putAd(ad(makePublisher()));
    await putAd(ad(makePublisher(), 0, { at: clock.now() + 10 * 60_000 }));
    await send('GET', `/adv/${makePublisher().nodeId}`);
    const health = await send('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', 'node/id': SELF, entries: 1, 'uptime-seconds': 0, epoch: store.epoch });
    const metrics = await send('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.text).toContain('pnode_directory_entries 1');
    expect(metrics.text).toContain('pnode_directory_puts_total{outcome="stored"} 1');
    expect(metrics.text).toContain('pnode_directory_puts_total{outcome="E_PROTO_INVALID"} 1');
    expect(metrics.text).toContain('pnode_directory_gets_total{route="id",result="miss"} 1');
    expect(metrics.text).toMatch(/pnode_directory_log_bytes \d+/);
    expect(metrics.text).toContain('pnode_directory_compactions_total 0');
    expect(metrics.text).toContain('pnode_directory_rate_limited_total{scope="ip"} 0');
  });
});

describe('rate limits', () => {
  it('limits PUTs per publisher: DIRECTORY_PUBLISHER_BURST at once, then 429 with Retry-After', async () => {
    const publisher = makePublisher();
    for (let seq = 0; seq < DIRECTORY_PUBLISHER_BURST; seq++) expect((await putAd(ad(publisher, seq))).status).toBe(201);
    const limited = await putAd(ad(publisher, DIRECTORY_PUBLISHER_BURST));
    expectError(limited, 429, 'E_TRANSPORT_REJECTED');
    expect(limited.headers['retry-after']).toBe(String(Math.ceil(1 / DIRECTORY_PUBLISHER_PUTS_PER_SECOND)));
    // Another publisher from the same address is not held back.
    expect((await putAd(ad(makePublisher()))).status).toBe(201);
    // A forgery in the publisher's name costs the publisher nothing: only verified PUTs count.
    clock.advance(1_000 / DIRECTORY_PUBLISHER_PUTS_PER_SECOND);
    const forged = { ...ad(publisher, 50), 'sequence/no': 51 };
    expectError(await putAd(forged), 403, 'E_SIG_INVALID');
    expect((await putAd(ad(publisher, 52))).status).toBe(201);
    expect((await send('GET', '/metrics')).text).toContain('pnode_directory_rate_limited_total{scope="publisher"} 1');
  });

  it('limits PUTs per client IP beyond the burst', async () => {
    const burst = DIRECTORY_IP_PUTS_PER_SECOND * DIRECTORY_IP_BURST_SECONDS;
    const ads = Array.from({ length: burst }, () => ad(makePublisher()));
    // In batches within the per-address connection cap (one address may hold that many at once).
    const statuses: number[] = [];
    for (let i = 0; i < ads.length; i += DIRECTORY_MAX_CONNECTIONS_PER_ADDRESS / 2) {
      statuses.push(...(await Promise.all(ads.slice(i, i + DIRECTORY_MAX_CONNECTIONS_PER_ADDRESS / 2).map((a) => putAd(a).then((r) => r.status)))));
    }
    expect(statuses.every((s) => s === 201)).toBe(true);
    const limited = await putAd(ad(makePublisher()));
    expectError(limited, 429, 'E_TRANSPORT_REJECTED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('limits GETs per client IP beyond the burst, and lets them through again once tokens refill', async () => {
    const burst = DIRECTORY_IP_GETS_PER_SECOND * DIRECTORY_IP_BURST_SECONDS;
    for (let i = 0; i < burst; i++) {
      const reply = await send('GET', '/healthz');
      if (reply.status !== 200) throw new Error(`GET ${i} answered ${reply.status}`);
    }
    const limited = await send('GET', '/adv');
    expectError(limited, 429, 'E_TRANSPORT_REJECTED');
    expect(limited.headers['retry-after']).toBe('1');
    clock.advance(1_000);
    expect((await send('GET', '/adv')).status).toBe(200);
  });
});

describe('connections (issue 15 §2)', () => {
  /** A TCP connection from `localAddress` that sends nothing. */
  function idle(localAddress: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port: server.port, host: '127.0.0.1', localAddress }, () => resolve(socket));
      socket.on('error', () => undefined);
      socket.resume(); // read, so the server's close is seen
      socket.once('error', reject);
      sockets.push(socket);
    });
  }
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });

  async function held(n: number): Promise<void> {
    const until = Date.now() + 10_000;
    while (server.connections().held !== n) {
      if (Date.now() > until) throw new Error(`held ${server.connections().held}, not ${n}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('holds at most DIRECTORY_MAX_CONNECTIONS_PER_ADDRESS from one address; other addresses are served meanwhile', async () => {
    for (let i = 0; i < DIRECTORY_MAX_CONNECTIONS_PER_ADDRESS; i++) await idle('127.0.5.1');
    await held(DIRECTORY_MAX_CONNECTIONS_PER_ADDRESS);
    const extra = await idle('127.0.5.1');
    await new Promise((resolve) => extra.once('close', resolve));
    expect(server.connections().refusedPerAddress).toBe(1);
    const reply = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/healthz', localAddress: '127.0.5.2', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(reply).toBe(200);
    expect((await send('GET', '/metrics')).text).toContain('pnode_directory_connections_refused_total{reason="address"} 1');
  });

  it('answers a PUT refused before its body and closes the connection without reading the body', async () => {
    const publisher = makePublisher();
    const total = 256 * 1024 * 1024;
    const outcome = await new Promise<{ status: string; written: number }>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(`PUT /adv/${publisher.nodeId} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${total}\r\n\r\n`);
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < total && !socket.destroyed) {
            sent += chunk.length;
            if (!socket.write(chunk)) return;
          }
        };
        socket.on('drain', pump);
        pump();
      });
      let answer = '';
      socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ status: answer.split('\r\n')[0] ?? '', written: socket.bytesWritten }));
    });
    expect(outcome.status).toBe('HTTP/1.1 415 Unsupported Media Type');
    // Kernel buffers take some of it; the server itself reads none of it before closing.
    expect(outcome.written).toBeLessThan(total / 4);
  });
});

describe('a full directory over HTTP (issue 15 §3)', () => {
  it('answers the flooding address 503 and an honest newcomer from elsewhere 201', async () => {
    await server.close();
    await store.close();
    store = await DirectoryStore.open({ dataDir: dir.path, clock, crypto: nativeCrypto, maxEntries: 5 });
    server = await DirectoryServer.start({ store, listen: parseDirectoryListenUrl('http://127.0.0.1:0', { insecureLoopback: true }), clock, nodeId: SELF, traces });
    const from = (address: string, advertisement: NodeAdvertisement) => send('PUT', `/adv/${advertisement['node/id']}`, JSON.stringify(advertisement), {}, address);
    for (let i = 0; i < 5; i++) expect((await from('127.0.6.1', ad(makePublisher()))).status).toBe(201);
    const refused = await from('127.0.6.1', ad(makePublisher()));
    expectError(refused, 503, 'E_TRANSPORT_UNAVAILABLE');
    expect(refused.headers['retry-after']).toBeDefined();
    expect((await from('127.0.7.1', ad(makePublisher()))).status).toBe(201);
    expect(store.size).toBe(5);
    expect((await send('GET', '/metrics')).text).toContain('pnode_directory_evicted_total 1');
  });

  it('refuses endpoint URLs that are not wss:// with a host and nothing else, with 400 E_PROTO_INVALID', async () => {
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'wss://user:pw@node.example/peer', `wss://node.example/${'a'.repeat(12 * 1024)}`]) {
      const advertisement = signedAdvertisement(makePublisher(), { at: clock.now(), url });
      const reply = await putAd(advertisement);
      // The 12 KB URL makes the body too large before anything is parsed.
      if (reply.status === 413) continue;
      expectError(reply, 400, 'E_PROTO_INVALID');
    }
    expect(store.size).toBe(0);
  });
});

// A seed directory that serves whatever it is given (issue 15 §1): the spec's feed
// (`GET /adv?since=<cursor>`, pages of at most `pageSize`) and `GET /adv/{node-id}`, over the
// advertisements handed to it — validly signed ones from thousands of identities, far-future ones,
// forgeries. What a hostile directory would serve; a real one refuses most of it at its gate.
// Counts what it served. Used by tests and by the eclipse harness.
import { createServer, type Server } from 'node:http';

export const HOSTILE_PAGE_SIZE = 100;

export interface HostileDirectory {
  readonly url: string;
  /** Advertisements sent in feed pages and single answers so far. */
  served(): number;
  /** Replaces what it serves (the feed starts over for every client). */
  serve(items: readonly unknown[]): void;
  close(): Promise<void>;
}

/** Serves `items` on `host` (an attacker may answer from any loopback address). */
export async function startHostileDirectory(items: readonly unknown[], pageSize = HOSTILE_PAGE_SIZE, host = '127.0.0.1'): Promise<HostileDirectory> {
  let list = [...items];
  let epoch = 1;
  let served = 0;
  const byId = (): Map<string, unknown> => new Map(list.map((a) => [String((a as Record<string, unknown>)['node/id']), a]));
  let index = byId();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method === 'PUT') {
      req.resume();
      return json(201, { status: 'stored' });
    }
    if (url.pathname === '/adv') {
      const since = url.searchParams.get('since');
      let from = 0;
      if (since) {
        const match = /^cur:(\d+):(\d+)$/.exec(since);
        if (!match || Number(match[1]) !== epoch) return json(400, { status: 'invalid', code: 'E_PROTO_INVALID', class: 'protocol/invalid', detail: 'unknown cursor' });
        from = Number(match[2]);
      }
      const page = list.slice(from, from + pageSize);
      served += page.length;
      return json(200, { items: page, next: `cur:${epoch}:${from + page.length}`, 'max-items': pageSize });
    }
    if (url.pathname.startsWith('/adv/')) {
      const found = index.get(decodeURIComponent(url.pathname.slice(5)));
      if (found === undefined) return json(404, { status: 'not-found' });
      served++;
      return json(200, found);
    }
    return json(404, { status: 'not-found', code: 'E_PROTO_INVALID', class: 'protocol/invalid', detail: 'no such route' });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${host}:${port}`,
    served: () => served,
    serve(next) {
      list = [...next];
      index = byId();
      epoch++;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

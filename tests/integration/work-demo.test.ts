// Issue 7 §3 and issue 13 §1 end to end in one process: the demo is an ordinary project of the
// orchestrator — its jobs go through the job API, signed by its own key — and runs the Mandelbrot
// WASI program on three contributors (real sessions, real sandboxes); every accepted tile equals
// the JavaScript reference, the picture is written, the batch retired, the next job starts by
// itself, and the admin API shows it all.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../../src-shared/vnode/content-hash.js';
import { mandelbrotTileReference, tileOutputBytes } from '../../src-node/kernel/workloads/demo/mandelbrot.js';
import { countPrimesReference } from '../../src-node/kernel/workloads/demo/primes.js';
import { mandelbrotRegion, mandelbrotTiles, parseDemoSpec } from '../../src-node/services/orchestrator/work/demo.js';
import type { AcceptedTask } from '../../src-node/services/orchestrator/work/work-scheduler.js';
import type { ValidatedFact } from '../../src-node/services/orchestrator/jobs/job-store.js';
import { type WorkNet, startWorkNet, waitUntil } from '../support/work-net.js';

const DEMO = 'mandelbrot:size=32,tiles=3,iterations=300';
const TOKEN = 'work-demo-admin-token';
let net: WorkNet;
const accepted: AcceptedTask[] = [];
const validated: ValidatedFact[] = [];

beforeAll(async () => {
  net = await startWorkNet({
    contributors: 3,
    orchestrator: { adminListen: 'http://127.0.0.1:0', adminToken: TOKEN },
    scheduler: { demo: parseDemoSpec(DEMO), demoNextJobDelayMs: 50 },
  });
  net.scheduler.on('task-accepted', (task) => accepted.push(task));
  net.scheduler.on('validated', (fact) => validated.push(fact));
  await net.waitContributing();
});

afterAll(async () => {
  await net?.stop();
});

async function admin(path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${net.orchestratorModule.admin!.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { Authorization: `Bearer ${TOKEN}`, ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const demo = () => net.schedulerModule.demo!;

describe('the Mandelbrot demo', () => {
  it('is a project of the orchestrator, listed beside the others', () => {
    expect(net.schedulerModule.projects.get(demo().key)).toMatchObject({ name: 'PNode demo', source: 'local' });
  });

  it('completes a job: every accepted tile equals the JavaScript reference, agreed by two PNodes', async () => {
    await waitUntil(() => demo().list()[0]?.state === 'done', 'the first demo job to finish', 90_000);
    const job = demo().list()[0]!;
    const spec = parseDemoSpec(DEMO);
    if (spec.kind !== 'mandelbrot') throw new Error('unreachable');
    const tiles = mandelbrotTiles(spec, mandelbrotRegion(spec.tiles, 0));
    const mine = accepted.filter((a) => a.batch === job.batch);
    expect(mine).toHaveLength(9);
    for (const task of mine) {
      const index = Number(task.name.slice('tile-'.length));
      const stdout = task.result.wasi!.stdout!;
      expect(stdout.length).toBe(tileOutputBytes(32));
      expect(contentHash(stdout)).toBe(contentHash(mandelbrotTileReference(tiles[index]!)));
      expect(task.by).toBe('quorum');
      expect(new Set(validated.filter((f) => f.task === task.id).map((f) => f.pnode)).size).toBeGreaterThanOrEqual(2);
    }
    expect(net.scheduler.counters.lies).toBe(0);
    // Work spread over the contributors.
    expect(new Set(validated.filter((f) => f.batch === job.batch).map((f) => f.pnode)).size).toBe(3);
  });

  it('writes the picture, retires the batch, and shows the job in /jobs', async () => {
    const job = demo().list()[0]!;
    await waitUntil(() => typeof job.meta['picture'] === 'string', 'the picture to be written');
    await demo().flushed();
    const path = job.meta['picture'] as string;
    const png = readFileSync(path);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(96); // width: 3 tiles of 32 px
    expect((await net.schedulerModule.store.batch(job.batch))?.state).toBe('retired');
    const list = (await admin('/jobs')).json();
    expect(list['jobs']).toEqual(expect.arrayContaining([expect.objectContaining({ 'batch-id': job.batch, state: 'done', picture: path, tasks: { total: 9, done: 9, failed: 0, pending: 0 } })]));
    const pnodes = list['pnodes'] as Array<Record<string, unknown>>;
    expect(pnodes.map((p) => p['node-id']).sort()).toEqual(net.contributors.map((c) => c.nodeId).sort());
    for (const p of pnodes) expect(p['benchmark-score']).toBeGreaterThan(0);
  });

  it('starts the next job by itself, on another region; the metrics count the work', async () => {
    await waitUntil(() => demo().list().length >= 2, 'the next demo job');
    const [first, second] = demo().list();
    expect(second!.meta['region']).not.toEqual(first!.meta['region']);
    const metrics = (await admin('/metrics')).text;
    expect(metrics).toMatch(/^pnode_orchestrator_work_tasks_total\{outcome="accepted"\} ([9]|[1-9]\d+)$/m);
    expect(metrics).toMatch(/^pnode_orchestrator_work_mismatches_total 0$/m);
    expect(metrics).toMatch(/^pnode_orchestrator_work_benchmarks_total\{outcome="passed"\} 3$/m);
  });

  it('takes a demo job through POST /jobs (primes), whose prime count matches the sieve', async () => {
    const created = await admin('/jobs', { method: 'POST', body: { demo: 'primes', span: 200_000, tasks: 4 } });
    expect(created.status).toBe(201);
    const id = created.json()['batch-id'] as string;
    await waitUntil(() => demo().job(id)?.state === 'done', 'the primes job');
    expect(demo().job(id)!.meta['primes']).toBe(countPrimesReference(0, 800_000));
    expect((await admin('/jobs', { method: 'POST', body: { demo: 'fractal' } })).status).toBe(400);
    expect((await admin('/jobs/none')).status).toBe(404);
    expect((await admin('/jobs', { method: 'PUT' })).status).toBe(405);
  });
});

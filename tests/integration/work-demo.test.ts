// Issue 7 §3, §4 end to end in one process: an orchestrator runs the Mandelbrot demo on three
// contributors (real sessions, real sandboxes); every accepted tile equals the JavaScript
// reference, the picture is written, the next job starts by itself, and the admin API shows it.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../../src-shared/vnode/content-hash.js';
import { mandelbrotTileReference, tileOutputBytes } from '../../src-node/kernel/workloads/demo/mandelbrot.js';
import { countPrimesReference, decodePrimesOutput } from '../../src-node/kernel/workloads/demo/primes.js';
import { mandelbrotRegion, mandelbrotTiles, parseDemoSpec, primesRanges } from '../../src-node/services/orchestrator/work/demo.js';
import type { Job, WorkTask } from '../../src-node/services/orchestrator/work/work-scheduler.js';
import { type WorkNet, startWorkNet, waitUntil } from '../support/work-net.js';

const DEMO = 'mandelbrot:size=32,tiles=3,iterations=300';
const TOKEN = 'work-demo-admin-token';
let net: WorkNet;
const accepted: Array<{ task: WorkTask; output: Uint8Array }> = [];

beforeAll(async () => {
  net = await startWorkNet({
    contributors: 3,
    orchestrator: { adminListen: 'http://127.0.0.1:0', adminToken: TOKEN },
    scheduler: { demo: parseDemoSpec(DEMO), demoNextJobDelayMs: 50 },
  });
  net.scheduler.on('task-accepted', (task, output) => accepted.push({ task, output }));
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

function firstJob(): Job {
  return net.scheduler.jobs()[0]!;
}

describe('the Mandelbrot demo', () => {
  it('completes a job on the devnet: every accepted tile equals the JavaScript reference, agreed by two PNodes', async () => {
    await waitUntil(() => firstJob()?.state === 'done', 'the first demo job to finish', 90_000);
    const job = firstJob();
    const spec = parseDemoSpec(DEMO);
    if (spec.kind !== 'mandelbrot') throw new Error('unreachable');
    const tiles = mandelbrotTiles(spec, mandelbrotRegion(spec.tiles, 0));
    const mine = accepted.filter((a) => a.task.job === job);
    expect(mine).toHaveLength(9);
    for (const { task, output } of mine) {
      const reference = mandelbrotTileReference(tiles[task.index]!);
      expect(output.length).toBe(tileOutputBytes(32));
      expect(contentHash(output)).toBe(contentHash(reference));
      expect(task.acceptedBy).toBe('quorum');
      expect(new Set(task.votes.filter((v) => v.hash === task.acceptedHash).map((v) => v.pnode)).size).toBeGreaterThanOrEqual(2);
    }
    expect(job.stats.agreements).toBe(9);
    expect(job.stats.lies).toBe(0);
    // Work spread over the contributors, one VNode each (1 core offered).
    expect(job.pnodes.size).toBe(3);
  });

  it('writes the finished picture and shows its path in /jobs/<id>', async () => {
    const job = firstJob();
    await net.schedulerModule.demo.flushed();
    await waitUntil(() => typeof job.meta['picture'] === 'string', 'the picture to be written');
    const path = job.meta['picture'] as string;
    expect(path).toBe(`${net.orchestratorRuntime.config.dataDir}/demo/mandelbrot-${job.id}.png`);
    const png = readFileSync(path);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(96); // width: 3 tiles of 32 px
    const detail = (await admin(`/jobs/${job.id}`)).json();
    expect(detail).toMatchObject({ 'job-id': job.id, state: 'done', picture: path, tasks: { total: 9, done: 9, failed: 0, pending: 0, running: 0 }, agreements: 9, mismatches: 0, lies: 0, 'progress-permille': 1000 });
    expect(detail['results-per-accepted']).toBeGreaterThanOrEqual(2);
    const pnodes = detail['pnodes'] as Array<Record<string, unknown>>;
    expect(pnodes.map((p) => p['node-id']).sort()).toEqual(net.contributors.map((c) => c.nodeId).sort());
    expect(pnodes.reduce((n, p) => n + (p['agreed'] as number), 0)).toBeGreaterThanOrEqual(18);
  });

  it('starts the next job by itself, on another region, and lists every job in /jobs', async () => {
    await waitUntil(() => net.scheduler.jobs().length >= 2, 'the next demo job');
    const [first, second] = net.scheduler.jobs();
    expect(second!.meta['region']).not.toEqual(first!.meta['region']);
    const list = (await admin('/jobs')).json();
    const jobs = list['jobs'] as Array<Record<string, unknown>>;
    expect(jobs.map((j) => j['job-id'])).toEqual(expect.arrayContaining([first!.id, second!.id]));
    expect(list['counters']).toMatchObject({ lies: 0, bans: 0 });
    const metrics = (await admin('/metrics')).text;
    expect(metrics).toMatch(/^pnode_orchestrator_work_tasks_total\{outcome="accepted"\} ([9]|[1-9]\d+)$/m);
    expect(metrics).toMatch(/^pnode_orchestrator_work_mismatches_total 0$/m);
    expect(metrics).toMatch(/^pnode_orchestrator_registered_pnodes 3$/m);
  });

  it('takes a demo job through POST /jobs (primes), whose accepted counts match the sieve', async () => {
    const created = await admin('/jobs', { method: 'POST', body: { demo: 'primes', span: 200_000, tasks: 4 } });
    expect(created.status).toBe(201);
    const id = created.json()['job-id'] as string;
    await waitUntil(() => net.scheduler.job(id)?.state === 'done', 'the primes job');
    const job = net.scheduler.job(id)!;
    const ranges = primesRanges({ kind: 'primes', span: 200_000, tasks: 4 }, 0);
    for (const { task, output } of accepted.filter((a) => a.task.job === job)) {
      const [lo, hi] = ranges[task.index]!;
      expect(decodePrimesOutput(output)).toBe(countPrimesReference(lo, hi));
    }
    expect(job.meta['primes']).toBe(countPrimesReference(0, 800_000));
    expect((await admin('/jobs', { method: 'POST', body: { demo: 'fractal' } })).status).toBe(400);
    expect((await admin('/jobs/none')).status).toBe(404);
    expect((await admin(`/jobs/${id}`, { method: 'DELETE' })).status).toBe(409);
    expect((await admin('/jobs', { method: 'PUT' })).status).toBe(405);
  });
});

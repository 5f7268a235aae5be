// The demo project (issue 7 §3, issue 13 §1): real, checkable work to keep a devnet busy, as an
// ordinary project. The orchestrator holds the demo's project key (<dataDir>/demo/project-key.json,
// 0600) and lists it among its projects; every job goes through the job API like any project's:
// signed requests to create a batch, upload the WASI module, submit the tasks, and the batch is
// retired once every task is decided. `pnode orchestrator --demo mandelbrot[:size=…,tiles=…,
// iterations=…]` or `--demo primes[:span=…,tasks=…]` runs job after job:
//   mandelbrot  round 0 is the whole picture; each later round zooms into another region near the
//               set's edge (4×, 16×, 64×), tiles × tiles tiles of size² pixels, each task the WASI
//               program workloads/mandelbrot-wasi. When a job finishes, its picture is written to
//               <dataDir>/demo/mandelbrot-<batch>.png (the last MAX_DEMO_PICTURES are kept).
//   primes      round r counts the primes in [r·tasks·span, (r+1)·tasks·span) with
//               workloads/primes-wasi, one task per span.
// Results are checked at run time by replication only; tests compare them with the JavaScript
// references (mandelbrotTileReference, countPrimesReference).
import { readFileSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprintFromPublicKey } from '../../../../src-shared/protocol/did-key.js';
import type { CryptoProvider, Ed25519Signer } from '../../../../src-shared/protocol/crypto/provider.js';
import { fromBase64url, toBase64url } from '../../../../src-shared/protocol/encoding/base64url.js';
import { randomBytes, utf8 } from '../../../../src-shared/protocol/encoding/bytes.js';
import { type RequestMethod, projectRequestHeader, signProjectRequest } from '../../../../src-shared/jobs/project-request.js';
import { MAX_TASKS_PER_REQUEST } from '../../../../src-shared/jobs/job-limits.js';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import { writeFileAtomic } from '../../../kernel/storage/atomic-file.js';
import { hashBytes } from '../../../kernel/storage/module-cache.js';
import { packageRoot } from '../../../kernel/util/package-root.js';
import type { Clock } from '../../../kernel/util/clock.js';
import { MAX_ITERATIONS, MAX_TILES, MAX_TILE_SIZE, VIEW_LEFT, VIEW_SPAN, VIEW_TOP, type TileSpec, encodeTileInput } from '../../../kernel/workloads/demo/mandelbrot.js';
import { MandelbrotCanvas } from '../../../kernel/workloads/demo/png.js';
import { MAX_PRIMES_BOUND, decodePrimesOutput, encodePrimesInput } from '../../../kernel/workloads/demo/primes.js';
import type { JobAnswer, JobRequest } from '../jobs/job-api.js';
import type { AcceptedTask, FailedTask, WorkScheduler } from './work-scheduler.js';

export type DemoSpec =
  | { readonly kind: 'mandelbrot'; readonly size: number; readonly tiles: number; readonly iterations: number }
  | { readonly kind: 'primes'; readonly span: number; readonly tasks: number };

export const DEMO_KINDS = ['mandelbrot', 'primes'] as const;
export const DEFAULT_MANDELBROT_DEMO: DemoSpec = { kind: 'mandelbrot', size: 64, tiles: 8, iterations: 2_000 };
export const DEFAULT_PRIMES_DEMO: DemoSpec = { kind: 'primes', span: 2_000_000, tasks: 32 };
export const DEMO_DIR = 'demo';
export const DEMO_KEY_FILE = 'project-key.json';
export const DEMO_PROJECT_NAME = 'PNode demo';
/** Pictures kept in <dataDir>/demo (the oldest go first). */
export const MAX_DEMO_PICTURES = 16;
/** Demo jobs remembered for the admin API. */
export const MAX_DEMO_JOBS_KEPT = 16;
/** Pause between one demo job's end and the next one's start. */
export const DEMO_NEXT_JOB_DELAY_MS = 1_000;
/** How often the running job's counts are read from the store (events can be missed across a restart). */
export const DEMO_CHECK_MS = 5_000;
/** Largest span of one primes task (trial division: a span of 10^7 near 2^31 takes seconds). */
export const MAX_PRIMES_SPAN = 50_000_000;
/** Tasks of one demo job at most. */
export const MAX_DEMO_TASKS = 4_096;
/** The running-time budget of one demo task. */
export const DEMO_TASK_MAX_MS = 10 * 60_000;
export const DEMO_TASK_MEMORY_MB = 16;
/** Regions the zoom rounds visit: near the edge of the set, where the picture has detail. */
export const ZOOM_POINTS: ReadonlyArray<readonly [re: number, im: number]> = [
  [-0.7453, 0.1127], // seahorse valley
  [0.2822, 0.0106], // elephant valley
  [-1.7685, 0.0018], // a small copy on the needle
  [-0.1011, 0.9563], // the top antenna
];
export const ZOOM_LEVELS = 3;

const LIMITS = {
  size: [1, MAX_TILE_SIZE],
  tiles: [1, 64],
  iterations: [1, MAX_ITERATIONS],
  span: [1, MAX_PRIMES_SPAN],
  tasks: [1, MAX_DEMO_TASKS],
} as const satisfies Record<string, readonly [number, number]>;

function setting(kind: string, key: string, value: unknown): number {
  const bounds = (LIMITS as Record<string, readonly [number, number]>)[key];
  const allowed = kind === 'mandelbrot' ? ['size', 'tiles', 'iterations'] : ['span', 'tasks'];
  if (!bounds || !allowed.includes(key)) throw new Error(`the ${kind} demo has no setting "${key}" (it has ${allowed.join(', ')})`);
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < bounds[0] || n > bounds[1]) throw new Error(`${kind} ${key} must be a whole number from ${bounds[0]} to ${bounds[1]}`);
  return n;
}

function build(kind: string, values: Record<string, unknown>): DemoSpec {
  if (kind === 'mandelbrot') {
    const out = { ...(DEFAULT_MANDELBROT_DEMO as Extract<DemoSpec, { kind: 'mandelbrot' }>) };
    for (const [key, value] of Object.entries(values)) (out as Record<string, unknown>)[key] = setting(kind, key, value);
    if (out.tiles * out.tiles > MAX_DEMO_TASKS) throw new Error(`a mandelbrot demo job has at most ${MAX_DEMO_TASKS} tiles`);
    return out;
  }
  if (kind === 'primes') {
    const out = { ...(DEFAULT_PRIMES_DEMO as Extract<DemoSpec, { kind: 'primes' }>) };
    for (const [key, value] of Object.entries(values)) (out as Record<string, unknown>)[key] = setting(kind, key, value);
    if (out.span * out.tasks > MAX_PRIMES_BOUND) throw new Error('primes span × tasks must stay below 2^31');
    return out;
  }
  throw new Error(`no demo named "${kind}" (there are ${DEMO_KINDS.join(', ')})`);
}

/** `mandelbrot`, `mandelbrot:size=64,tiles=8,iterations=2000`, `primes:span=1000000,tasks=16`. */
export function parseDemoSpec(text: string): DemoSpec {
  const [kind, rest] = text.split(':', 2) as [string, string | undefined];
  const values: Record<string, string> = {};
  for (const part of (rest ?? '').split(',').filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`demo settings are key=value pairs separated by commas, not "${part}"`);
    values[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return build(kind, values);
}

/** The admin API's POST /jobs body: {"demo": "mandelbrot", "size"?: …, …}. */
export function demoSpecFromJson(body: Record<string, unknown>): DemoSpec {
  const { demo, ...values } = body;
  if (typeof demo !== 'string') throw new Error('the body names a demo: {"demo": "mandelbrot" | "primes", …settings}');
  return build(demo, values);
}

export function formatDemoSpec(spec: DemoSpec): string {
  return spec.kind === 'mandelbrot' ? `mandelbrot:size=${spec.size},tiles=${spec.tiles},iterations=${spec.iterations}` : `primes:span=${spec.span},tasks=${spec.tasks}`;
}

export interface MandelbrotRegion {
  /** Tiles on the whole picture's side at this zoom. */
  readonly grid: number;
  readonly x0: number;
  readonly y0: number;
  readonly zoom: number;
}

/** Round 0: the whole picture; then each zoom point at 4×, then each at 16×, … */
export function mandelbrotRegion(tiles: number, round: number): MandelbrotRegion {
  if (round === 0) return { grid: tiles, x0: 0, y0: 0, zoom: 1 };
  const point = ZOOM_POINTS[(round - 1) % ZOOM_POINTS.length]!;
  const level = 1 + (Math.floor((round - 1) / ZOOM_POINTS.length) % ZOOM_LEVELS);
  const zoom = 4 ** level;
  const grid = Math.min(MAX_TILES, tiles * zoom);
  const at = (value: number, origin: number) => Math.min(grid - tiles, Math.max(0, Math.round(((value - origin) / VIEW_SPAN) * grid - tiles / 2)));
  return { grid, x0: at(point[0], VIEW_LEFT), y0: at(point[1], VIEW_TOP), zoom };
}

/** The tile each task of a Mandelbrot demo job computes, row by row. */
export function mandelbrotTiles(spec: Extract<DemoSpec, { kind: 'mandelbrot' }>, region: MandelbrotRegion): TileSpec[] {
  const out: TileSpec[] = [];
  for (let row = 0; row < spec.tiles; row++) {
    for (let col = 0; col < spec.tiles; col++) out.push({ x: region.x0 + col, y: region.y0 + row, size: spec.size, tiles: region.grid, maxIterations: spec.iterations });
  }
  return out;
}

/** The ranges each task of a primes demo job counts in: [lo, hi). */
export function primesRanges(spec: Extract<DemoSpec, { kind: 'primes' }>, round: number): Array<readonly [number, number]> {
  const rounds = Math.max(1, Math.floor(MAX_PRIMES_BOUND / (spec.span * spec.tasks)));
  const base = (round % rounds) * spec.span * spec.tasks;
  return Array.from({ length: spec.tasks }, (_, i) => [base + i * spec.span, base + (i + 1) * spec.span] as const);
}

/** The demo's project key: made on first use, kept in <dataDir>/demo/project-key.json (0600). */
export async function demoProjectSigner(dataDir: string, crypto: CryptoProvider): Promise<Ed25519Signer> {
  const path = join(dataDir, DEMO_DIR, DEMO_KEY_FILE);
  let seed: Uint8Array | null = null;
  try {
    const text = JSON.parse(await readFile(path, 'utf8')) as { seed?: unknown };
    if (typeof text.seed === 'string') seed = fromBase64url(text.seed);
  } catch {
    seed = null;
  }
  if (!seed || seed.length !== 32) {
    seed = randomBytes(32);
    await writeFileAtomic(path, `${JSON.stringify({ schema: 'pnode-demo-project-key.v1', seed: toBase64url(seed) })}\n`, { mode: 0o600 });
  }
  return crypto.ed25519Signer(seed);
}

/** A committed WASI workload's bytes (workloads/<name>/<name>.wasm). */
export function wasiWorkloadBytes(name: string, root: string = packageRoot()): Uint8Array {
  return new Uint8Array(readFileSync(join(root, 'workloads', name, `${name}.wasm`)));
}

export interface DemoJob {
  readonly batch: string;
  readonly name: string;
  readonly kind: 'demo:mandelbrot' | 'demo:primes';
  readonly spec: DemoSpec;
  readonly round: number;
  readonly total: number;
  readonly createdAt: number;
  state: 'running' | 'done' | 'failed';
  accepted: number;
  failed: number;
  finishedAt: number | null;
  readonly meta: Record<string, unknown>;
}

interface LiveJob {
  readonly job: DemoJob;
  readonly canvas: MandelbrotCanvas | null;
  /** Task name → its place (tile index). */
  readonly index: Map<string, number>;
}

export interface DemoProjectOptions {
  readonly scheduler: WorkScheduler;
  /** The job API, called like any project does (demo requests are signed and replay-checked). */
  readonly api: { handle(request: JobRequest): Promise<JobAnswer> };
  /** The orchestrator the requests are meant for. */
  readonly audience: string;
  readonly signer: Ed25519Signer;
  readonly clock: Clock;
  readonly dataDir: string;
  readonly warn?: (line: string) => void;
  /** Where workloads/ is (tests); default the package's. */
  readonly root?: string;
  readonly nextJobDelayMs?: number;
  /** The live job's counts from the store (a safety net for missed events). */
  readonly counts?: (batch: string) => Promise<{ open: number; accepted: number; failed: number } | null>;
}

/** Submits demo jobs through the job API, paints Mandelbrot tiles as they are accepted, writes the pictures. */
export class DemoProject {
  readonly key: string;
  private readonly jobs: DemoJob[] = [];
  private readonly live = new Map<string, LiveJob>();
  private readonly rounds = { mandelbrot: 0, primes: 0 };
  private looping: DemoSpec | null = null;
  private stopped = false;
  private nextTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly options: DemoProjectOptions) {
    this.key = fingerprintFromPublicKey(options.signer.publicKey);
    options.scheduler.on('task-accepted', (task) => this.onAccepted(task));
    options.scheduler.on('task-failed', (task) => this.onFailed(task));
  }

  get pictureDir(): string {
    return join(this.options.dataDir, DEMO_DIR);
  }

  /** Demo jobs, newest last. */
  list(): readonly DemoJob[] {
    return this.jobs;
  }

  job(batch: string): DemoJob | undefined {
    return this.jobs.find((j) => j.batch === batch);
  }

  /** A signed request of the demo project through the job API; throws with the API's error. */
  private async call(method: RequestMethod, target: string, body: Uint8Array = new Uint8Array(0)): Promise<Record<string, unknown>> {
    const signed = signProjectRequest({ audience: this.options.audience, method, target, body, now: this.options.clock.now() }, this.options.signer);
    const answer = await this.options.api.handle({ method, target, authorization: projectRequestHeader(signed), body });
    if (answer.status >= 300) {
      const error = answer.body as { code?: string; detail?: string };
      throw new Error(`the job API answered ${answer.status} ${error.code ?? ''}: ${error.detail ?? ''}`);
    }
    return answer.body as Record<string, unknown>;
  }

  private json(value: unknown): Uint8Array {
    return utf8(JSON.stringify(value));
  }

  /** Retires demo batches left from an earlier run (nobody paints them any more). */
  async cleanUp(): Promise<void> {
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const listed = (await this.call('GET', `/v1/batches?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`)) as { items: Array<{ 'batch-id': string; state: string }>; next: string | null };
      for (const batch of listed.items) {
        if (batch.state === 'retired') continue;
        if (batch.state === 'open') await this.call('POST', `/v1/batches/${encodeURIComponent(batch['batch-id'])}/abort`).catch(() => undefined);
        await this.call('POST', `/v1/batches/${encodeURIComponent(batch['batch-id'])}/retire`).catch(() => undefined);
      }
      if (listed.next === null) return;
      after = listed.next;
    }
  }

  /** Runs demo jobs one after another until stop(). */
  async loop(spec: DemoSpec): Promise<DemoJob> {
    this.looping = spec;
    this.checkTimer = setInterval(() => void this.check(), DEMO_CHECK_MS);
    this.checkTimer.unref();
    return this.submit(spec);
  }

  /** One demo job, submitted through the job API. */
  async submit(spec: DemoSpec): Promise<DemoJob> {
    if (this.stopped) throw new Error('the demo has stopped');
    const round = this.rounds[spec.kind]++;
    const moduleName = spec.kind === 'mandelbrot' ? 'mandelbrot-wasi' : 'primes-wasi';
    const module = wasiWorkloadBytes(moduleName, this.options.root);
    const hash: ContentHash = hashBytes(module);
    let name: string;
    let inputs: Uint8Array[];
    let meta: Record<string, unknown>;
    let canvas: MandelbrotCanvas | null = null;
    let outputCap: number;
    if (spec.kind === 'mandelbrot') {
      const region = mandelbrotRegion(spec.tiles, round);
      inputs = mandelbrotTiles(spec, region).map(encodeTileInput);
      name = `mandelbrot round ${round}${region.zoom > 1 ? ` (${region.zoom}× zoom)` : ''}`;
      meta = { demo: formatDemoSpec(spec), round, region: { grid: region.grid, x0: region.x0, y0: region.y0, zoom: region.zoom }, picture: null };
      canvas = new MandelbrotCanvas(spec.size, spec.tiles, spec.iterations);
      outputCap = spec.size * spec.size * 2;
    } else {
      const ranges = primesRanges(spec, round);
      inputs = ranges.map(([lo, hi]) => encodePrimesInput(lo, hi));
      name = `primes round ${round}: [${ranges[0]![0]}, ${ranges[ranges.length - 1]![1]})`;
      meta = { demo: formatDemoSpec(spec), round, from: ranges[0]![0], to: ranges[ranges.length - 1]![1], primes: 0 };
      outputCap = 4;
    }
    const created = await this.call('POST', '/v1/batches', this.json({ name }));
    const batch = String(created['batch-id']);
    const path = (rest: string) => `/v1/batches/${encodeURIComponent(batch)}${rest}`;
    await this.call('PUT', path(`/blobs/${hash}?size=${module.length}&kind=module&offset=0`), module);
    const index = new Map<string, number>();
    for (let start = 0; start < inputs.length; start += MAX_TASKS_PER_REQUEST) {
      const page = inputs.slice(start, start + MAX_TASKS_PER_REQUEST).map((stdin, i) => {
        const taskName = `${spec.kind === 'mandelbrot' ? 'tile' : 'range'}-${String(start + i).padStart(4, '0')}`;
        index.set(taskName, start + i);
        return { name: taskName, module: hash, stdin: toBase64url(stdin), limits: { 'memory-mb': DEMO_TASK_MEMORY_MB, 'max-ms': DEMO_TASK_MAX_MS }, 'output-cap': outputCap, 'stderr-cap': 256 };
      });
      await this.call('POST', path('/tasks'), this.json({ tasks: page }));
    }
    const job: DemoJob = { batch, name, kind: spec.kind === 'mandelbrot' ? 'demo:mandelbrot' : 'demo:primes', spec, round, total: inputs.length, createdAt: this.options.clock.now(), state: 'running', accepted: 0, failed: 0, finishedAt: null, meta };
    this.jobs.push(job);
    if (this.jobs.length > MAX_DEMO_JOBS_KEPT) this.jobs.shift();
    this.live.set(batch, { job, canvas, index });
    return job;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.looping = null;
    if (this.nextTimer) clearTimeout(this.nextTimer);
    if (this.checkTimer) clearInterval(this.checkTimer);
    await this.writes;
  }

  /** Waits for the pictures being written. */
  flushed(): Promise<void> {
    return this.writes;
  }

  private onAccepted(task: AcceptedTask): void {
    if (task.project !== this.key) return;
    const live = this.live.get(task.batch);
    if (!live) return;
    live.job.accepted++;
    try {
      const stdout = task.result.wasi?.stdout ?? new Uint8Array(0);
      const at = live.index.get(task.name);
      if (live.canvas && at !== undefined) live.canvas.addTile(at % live.canvas.tiles, Math.floor(at / live.canvas.tiles), stdout);
      else if (!live.canvas) live.job.meta['primes'] = Number(live.job.meta['primes'] ?? 0) + decodePrimesOutput(stdout);
    } catch (error) {
      this.options.warn?.(`warning: demo: an accepted result of ${task.batch} does not fit: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.maybeFinished(live);
  }

  private onFailed(task: FailedTask): void {
    if (task.project !== this.key) return;
    const live = this.live.get(task.batch);
    if (!live) return;
    live.job.failed++;
    this.maybeFinished(live);
  }

  /** The safety net: a job whose tasks are all decided in the store is finished. */
  private async check(): Promise<void> {
    for (const live of [...this.live.values()]) {
      const counts = await this.options.counts?.(live.job.batch).catch(() => null);
      if (!counts || counts.open > 0) continue;
      live.job.accepted = Math.max(live.job.accepted, counts.accepted);
      live.job.failed = Math.max(live.job.failed, counts.failed);
      this.finish(live);
    }
  }

  private maybeFinished(live: LiveJob): void {
    if (live.job.accepted + live.job.failed >= live.job.total) this.finish(live);
  }

  private finish(live: LiveJob): void {
    if (!this.live.delete(live.job.batch)) return;
    const job = live.job;
    job.state = job.failed > 0 ? 'failed' : 'done';
    job.finishedAt = this.options.clock.now();
    const batchPath = `/v1/batches/${encodeURIComponent(job.batch)}`;
    this.writes = this.writes
      .then(async () => {
        if (live.canvas) {
          const path = join(this.pictureDir, `mandelbrot-${job.batch.replace(/[^A-Za-z0-9_-]/g, '-')}.png`);
          await writeFileAtomic(path, live.canvas.toPng());
          job.meta['picture'] = path;
          await this.prunePictures();
        }
        // Its tasks, outputs and module blob are no longer needed: the demo keeps the store small.
        await this.call('POST', `${batchPath}/retire`);
      })
      .catch((error: unknown) => this.options.warn?.(`warning: demo: finishing ${job.batch}: ${error instanceof Error ? error.message : String(error)}`));
    if (this.looping && !this.stopped) {
      const spec = this.looping;
      this.nextTimer = setTimeout(() => {
        this.nextTimer = undefined;
        if (this.stopped) return;
        this.submit(spec).catch((error: unknown) => this.options.warn?.(`warning: demo: the next job could not start: ${error instanceof Error ? error.message : String(error)}`));
      }, this.options.nextJobDelayMs ?? DEMO_NEXT_JOB_DELAY_MS);
      this.nextTimer.unref();
    }
  }

  private async prunePictures(): Promise<void> {
    const names = (await readdir(this.pictureDir)).filter((n) => /^mandelbrot-.+\.png$/.test(n));
    if (names.length <= MAX_DEMO_PICTURES) return;
    const dated = await Promise.all(names.map(async (name) => ({ name, at: (await stat(join(this.pictureDir, name)).catch(() => null))?.mtimeMs ?? 0 })));
    dated.sort((a, b) => a.at - b.at);
    for (const { name } of dated.slice(0, dated.length - MAX_DEMO_PICTURES)) await rm(join(this.pictureDir, name), { force: true });
  }
}

// The demo project (issue 7 §3): real, checkable work from the workloads built in the repo
// (workloads/), to keep a devnet busy. `pnode orchestrator --demo mandelbrot[:size=…,tiles=…,
// iterations=…]` or `--demo primes[:span=…,tasks=…]` runs job after job:
//   mandelbrot  round 0 is the whole picture; each later round zooms into another region near the
//               set's edge (4×, 16×, 64×), tiles × tiles tiles of size² pixels. When a job
//               finishes, its picture is written to <dataDir>/demo/mandelbrot-<job>.png (the last
//               MAX_DEMO_PICTURES are kept) and the path is in the job's `picture`.
//   primes      round r counts the primes in [r·tasks·span, (r+1)·tasks·span), one task per span.
// Results are checked at run time by the quorum only; tests compare them with the JavaScript
// references (mandelbrotTileReference, countPrimesReference).
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import type { Workload } from '../../../../src-shared/vnode/workload.js';
import { writeFileAtomic } from '../../../kernel/storage/atomic-file.js';
import { loadDemoModule } from '../../../kernel/workloads/demo/demo-workloads.js';
import { MAX_ITERATIONS, MAX_TILES, MAX_TILE_SIZE, VIEW_LEFT, VIEW_SPAN, VIEW_TOP, type TileSpec, tileWorkload } from '../../../kernel/workloads/demo/mandelbrot.js';
import { MandelbrotCanvas } from '../../../kernel/workloads/demo/png.js';
import { MAX_PRIMES_BOUND, decodePrimesOutput, primesWorkload } from '../../../kernel/workloads/demo/primes.js';
import { MAX_TASKS_PER_JOB } from './work-profile.js';
import type { Job, WorkScheduler, WorkTask } from './work-scheduler.js';

export type DemoSpec =
  | { readonly kind: 'mandelbrot'; readonly size: number; readonly tiles: number; readonly iterations: number }
  | { readonly kind: 'primes'; readonly span: number; readonly tasks: number };

export const DEMO_KINDS = ['mandelbrot', 'primes'] as const;
export const DEFAULT_MANDELBROT_DEMO: DemoSpec = { kind: 'mandelbrot', size: 64, tiles: 8, iterations: 2_000 };
export const DEFAULT_PRIMES_DEMO: DemoSpec = { kind: 'primes', span: 2_000_000, tasks: 32 };
export const DEMO_DIR = 'demo';
/** Pictures kept in <dataDir>/demo (the oldest go first). */
export const MAX_DEMO_PICTURES = 16;
/** Pause between one demo job's end and the next one's start. */
export const DEMO_NEXT_JOB_DELAY_MS = 1_000;
/** Largest span of one primes task (trial division: a span of 10^7 near 2^31 takes seconds). */
export const MAX_PRIMES_SPAN = 50_000_000;
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
  tasks: [1, MAX_TASKS_PER_JOB],
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
    const base = DEFAULT_MANDELBROT_DEMO as Extract<DemoSpec, { kind: 'mandelbrot' }>;
    const out = { ...base };
    for (const [key, value] of Object.entries(values)) (out as Record<string, unknown>)[key] = setting(kind, key, value);
    return out;
  }
  if (kind === 'primes') {
    const base = DEFAULT_PRIMES_DEMO as Extract<DemoSpec, { kind: 'primes' }>;
    const out = { ...base };
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
  /** The job's first tile column and row. */
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

/** The tile each task of a Mandelbrot demo job computes. */
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

interface DemoJob {
  readonly spec: DemoSpec;
  readonly canvas: MandelbrotCanvas | null;
  readonly tiles: readonly TileSpec[];
  primes: number;
}

export interface DemoRunnerOptions {
  readonly scheduler: WorkScheduler;
  readonly dataDir: string;
  readonly warn?: (line: string) => void;
  /** Where workloads/ is (tests); default the package's. */
  readonly root?: string;
  readonly nextJobDelayMs?: number;
}

/** Submits demo jobs, paints Mandelbrot tiles as they are accepted, writes the pictures. */
export class DemoRunner {
  private readonly modules = new Map<'mandelbrot' | 'primes', { hash: ContentHash; size: number }>();
  private readonly jobs = new Map<string, DemoJob>();
  private readonly rounds = { mandelbrot: 0, primes: 0 };
  private looping: DemoSpec | null = null;
  private stopped = false;
  private nextTimer: NodeJS.Timeout | undefined;
  private writes = Promise.resolve();

  constructor(private readonly options: DemoRunnerOptions) {
    options.scheduler.on('task-accepted', (task, output) => this.onAccepted(task, output));
    options.scheduler.on('job-finished', (job) => this.onFinished(job));
  }

  get pictureDir(): string {
    return join(this.options.dataDir, DEMO_DIR);
  }

  /** Runs demo jobs one after another until stop(). */
  async loop(spec: DemoSpec): Promise<Job> {
    this.looping = spec;
    return this.submit(spec);
  }

  /** One demo job. */
  async submit(spec: DemoSpec): Promise<Job> {
    const module = await this.module(spec.kind);
    if (this.stopped) throw new Error('the demo has stopped');
    const round = this.rounds[spec.kind]++;
    if (spec.kind === 'mandelbrot') {
      const region = mandelbrotRegion(spec.tiles, round);
      const tiles = mandelbrotTiles(spec, region);
      const workloads: Workload[] = tiles.map((tile) => tileWorkload(module, tile));
      const job = this.options.scheduler.submit({
        name: `mandelbrot round ${round}${region.zoom > 1 ? ` (${region.zoom}× zoom)` : ''}`,
        kind: 'demo:mandelbrot',
        workloads,
        meta: { demo: formatDemoSpec(spec), round, region: { grid: region.grid, x0: region.x0, y0: region.y0, zoom: region.zoom }, picture: null },
      });
      this.jobs.set(job.id, { spec, canvas: new MandelbrotCanvas(spec.size, spec.tiles, spec.iterations), tiles, primes: 0 });
      return job;
    }
    const ranges = primesRanges(spec, round);
    const job = this.options.scheduler.submit({
      name: `primes round ${round}: [${ranges[0]![0]}, ${ranges[ranges.length - 1]![1]})`,
      kind: 'demo:primes',
      workloads: ranges.map(([lo, hi]) => primesWorkload(module, lo, hi)),
      meta: { demo: formatDemoSpec(spec), round, from: ranges[0]![0], to: ranges[ranges.length - 1]![1], primes: 0 },
    });
    this.jobs.set(job.id, { spec, canvas: null, tiles: [], primes: 0 });
    return job;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.looping = null;
    if (this.nextTimer) clearTimeout(this.nextTimer);
    await this.writes;
  }

  /** Waits for the pictures being written. */
  flushed(): Promise<void> {
    return this.writes;
  }

  private async module(kind: 'mandelbrot' | 'primes'): Promise<{ hash: ContentHash; size: number }> {
    const known = this.modules.get(kind);
    if (known) return known;
    const loaded = await loadDemoModule(kind, this.options.root);
    const added = this.options.scheduler.addModule(loaded.bytes);
    this.modules.set(kind, added);
    return added;
  }

  private onAccepted(task: WorkTask, output: Uint8Array): void {
    const demo = this.jobs.get(task.job.id);
    if (!demo) return;
    try {
      if (demo.canvas) {
        demo.canvas.addTile(task.index % demo.canvas.tiles, Math.floor(task.index / demo.canvas.tiles), output);
      } else {
        demo.primes += decodePrimesOutput(output);
        task.job.meta['primes'] = demo.primes;
      }
    } catch (error) {
      this.options.warn?.(`warning: demo: an accepted result of ${task.job.id} does not fit: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private onFinished(job: Job): void {
    const demo = this.jobs.get(job.id);
    if (!demo) return;
    this.jobs.delete(job.id);
    if (demo.canvas) {
      const canvas = demo.canvas;
      const path = join(this.pictureDir, `mandelbrot-${job.id}.png`);
      this.writes = this.writes
        .then(async () => {
          await writeFileAtomic(path, canvas.toPng());
          job.meta['picture'] = path;
          await this.prunePictures();
        })
        .catch((error: unknown) => this.options.warn?.(`warning: demo: the picture of ${job.id} could not be written: ${error instanceof Error ? error.message : String(error)}`));
    }
    if (this.looping && !this.stopped && job.state !== 'cancelled') {
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

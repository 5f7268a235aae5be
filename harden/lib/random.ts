// Seeded randomness for the hardening harness. Every figure `npm run harden` prints comes from one
// seed (PNODE_HARDEN_SEED, or a random one that is printed), so any run can be replayed exactly:
// each target and each crash lane derives its own stream from the seed and its name, so running
// one target alone replays the same inputs it saw in a full run.

/** The largest seed accepted (seeds are unsigned 32-bit integers). */
export const MAX_SEED = 0xffff_ffff;

/** PNODE_HARDEN_SEED when set (a decimal integer), else a fresh random seed. */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['PNODE_HARDEN_SEED'];
  if (raw !== undefined && raw.trim() !== '') {
    const seed = Number(raw);
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) throw new Error(`PNODE_HARDEN_SEED must be an integer from 0 to ${MAX_SEED}, not ${JSON.stringify(raw)}`);
    return seed;
  }
  return Math.floor(Math.random() * MAX_SEED);
}

/**
 * PNODE_HARDEN_SCALE shrinks every count (0.02 makes the smoke version); default 1. A value
 * above 1 runs longer.
 */
export function scaleFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['PNODE_HARDEN_SCALE'];
  if (raw === undefined || raw.trim() === '') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`PNODE_HARDEN_SCALE must be a positive number, not ${JSON.stringify(raw)}`);
  return scale;
}

/** A count at this scale, never below `min`. */
export function scaled(full: number, scale: number, min = 1): number {
  return Math.max(min, Math.round(full * scale));
}

/** A 32-bit seed for the stream named `label` under `seed` (FNV-1a of the label, mixed with the seed). */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= seed >>> 0;
  // murmur3 finaliser, so close labels and seeds land far apart
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast, seedable; plenty for choosing mutations and kill moments. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** One of `items`, chosen with the given weights. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of items) total += w;
    let at = this.next() * total;
    for (const [w, item] of items) {
      at -= w;
      if (at < 0) return item;
    }
    return items[items.length - 1]![1];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** A 32-bit seed for a sub-stream (fast-check batches, child processes). */
  fork(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
}

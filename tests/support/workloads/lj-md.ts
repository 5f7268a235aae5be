// Test and bench helpers for workloads/lj-md: an initial configuration (an FCC lattice at a given
// density, velocities from a seeded generator with the total momentum removed) in the program's
// input format, and a reference integrator written in JavaScript with the same rules (minimum
// image, truncated-and-shifted potential, velocity Verlet). Its printing differs from C's %.17g
// ("0.50000000000000000" against "0.5"), so outputs are compared with the tolerance comparator,
// which is the point: that is how floating-point outputs are validated.
import { seededRandom } from './smith-waterman.js';

export interface MdState {
  readonly n: number;
  readonly box: number;
  /** 3n positions, then 3n velocities. */
  readonly x: Float64Array;
  readonly v: Float64Array;
}

/** 4 × cells³ particles on an FCC lattice at `density`, velocities uniform in [-1, 1) minus their mean. */
export function fccLattice(cells: number, density: number, seed: number): MdState {
  const n = 4 * cells ** 3;
  const a = Math.cbrt(4 / density);
  const box = cells * a;
  const x = new Float64Array(3 * n);
  const v = new Float64Array(3 * n);
  const basis = [
    [0, 0, 0],
    [0.5, 0.5, 0],
    [0.5, 0, 0.5],
    [0, 0.5, 0.5],
  ];
  const random = seededRandom(seed);
  let p = 0;
  for (let i = 0; i < cells; i++)
    for (let j = 0; j < cells; j++)
      for (let k = 0; k < cells; k++)
        for (const [bx, by, bz] of basis) {
          x[3 * p] = (i + bx! + 0.25) * a;
          x[3 * p + 1] = (j + by! + 0.25) * a;
          x[3 * p + 2] = (k + bz! + 0.25) * a;
          for (let d = 0; d < 3; d++) v[3 * p + d] = 2 * random() - 1;
          p++;
        }
  for (let d = 0; d < 3; d++) {
    let mean = 0;
    for (let q = 0; q < n; q++) mean += v[3 * q + d]!;
    mean /= n;
    for (let q = 0; q < n; q++) v[3 * q + d]! -= mean;
  }
  return { n, box, x, v };
}

/** The program's input (and output) format; numbers in JavaScript's shortest round-trip form. */
export function formatState(state: MdState): string {
  let out = `${state.n} ${state.box}\n`;
  for (let i = 0; i < state.n; i++) out += `${[...state.x.subarray(3 * i, 3 * i + 3), ...state.v.subarray(3 * i, 3 * i + 3)].join(' ')}\n`;
  return out;
}

export interface MdRun {
  readonly stdout: string;
  readonly final: string;
}

/** The program's stdout and output file for `steps` steps (its defaults: dt 0.005, rc 2.5, a report every 10). */
export function simulateReference(start: MdState, steps: number, dt = 0.005, rc = 2.5, every = 10): MdRun {
  const { n, box } = start;
  const half = 0.5 * box;
  const x = Float64Array.from(start.x);
  const v = Float64Array.from(start.v);
  const f = new Float64Array(3 * n);
  const rc2 = rc * rc;
  const invRc6 = 1 / (rc2 * rc2 * rc2);
  const shift = 4 * invRc6 * (invRc6 - 1);
  const image = (d: number) => (d > half ? d - box : d < -half ? d + box : d);
  const wrap = (p: number) => (p >= box ? p - box : p < 0 ? p + box : p);
  const forces = (): number => {
    f.fill(0);
    let potential = 0;
    for (let i = 0; i < n; i++) {
      let fx = 0;
      let fy = 0;
      let fz = 0;
      for (let j = i + 1; j < n; j++) {
        const dx = image(x[3 * i]! - x[3 * j]!);
        const dy = image(x[3 * i + 1]! - x[3 * j + 1]!);
        const dz = image(x[3 * i + 2]! - x[3 * j + 2]!);
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 >= rc2) continue;
        const inv2 = 1 / r2;
        const inv6 = inv2 * inv2 * inv2;
        const scale = 24 * inv2 * inv6 * (2 * inv6 - 1);
        fx += scale * dx;
        fy += scale * dy;
        fz += scale * dz;
        f[3 * j]! -= scale * dx;
        f[3 * j + 1]! -= scale * dy;
        f[3 * j + 2]! -= scale * dz;
        potential += 4 * inv6 * (inv6 - 1) - shift;
      }
      f[3 * i]! += fx;
      f[3 * i + 1]! += fy;
      f[3 * i + 2]! += fz;
    }
    return potential;
  };
  const lines = ['step kinetic potential total'];
  const report = (step: number, potential: number) => {
    let sum = 0;
    for (let k = 0; k < 3 * n; k++) sum += v[k]! * v[k]!;
    const kinetic = 0.5 * sum;
    lines.push(`${step} ${kinetic / n} ${potential / n} ${(kinetic + potential) / n}`);
  };
  let potential = forces();
  report(0, potential);
  for (let step = 1; step <= steps; step++) {
    for (let k = 0; k < 3 * n; k++) {
      v[k]! += 0.5 * dt * f[k]!;
      x[k] = wrap(x[k]! + dt * v[k]!);
    }
    potential = forces();
    for (let k = 0; k < 3 * n; k++) v[k]! += 0.5 * dt * f[k]!;
    if (step % every === 0 || step === steps) report(step, potential);
  }
  return { stdout: `${lines.join('\n')}\n`, final: formatState({ n, box, x, v }) };
}

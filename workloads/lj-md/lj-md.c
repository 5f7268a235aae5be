/*
 * Lennard-Jones molecular dynamics, as a WASI program: N particles in a periodic cubic box,
 * integrated with velocity Verlet. Reduced units (sigma = epsilon = mass = 1). The pair
 * potential is 4 (r^-12 - r^-6), cut at RC and shifted so it is 0 there; forces are cut at RC
 * without a shift. Distances use the minimum image, and positions are wrapped into [0, L) after
 * every step. Floating point: redundant runs of one build agree bit for bit, but other builds
 * and engines may differ in the last digits, so outputs are validated with a tolerance
 * comparator (src-shared/vnode/tolerance.ts), not by hash.
 *
 *   lj-md [-n STEPS] [-d DT] [-c RC] [-r EVERY] INPUT OUTPUT
 *
 * Defaults: 100 steps, dt 0.005, rc 2.5, a report every 10 steps.
 * INPUT (text): "N L" on the first line, then N lines "x y z vx vy vz" (0 <= x, y, z < L).
 * OUTPUT (written at the end): the same format after the last step, numbers as %.17g.
 * stdout: a header line, then "step kinetic potential total" (energies per particle, %.17g) for
 *         step 0 and every EVERY steps after it, and for the last step.
 * Exit status 0; 1 for bad arguments or input (a message on stderr); 2 when memory runs out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARTICLES 100000

typedef struct {
  long n;
  double box, rc2, shift;
  double *x, *v, *f; /* 3n each: x0 y0 z0 x1 ... */
} system_t;

static void die(int code, const char *what, const char *detail) {
  fprintf(stderr, "lj-md: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(code);
}

static double *doubles(long count) {
  double *p = calloc((size_t)count, sizeof(double));
  if (p == NULL) die(2, "out of memory", NULL);
  return p;
}

/* The displacement a - b folded into [-L/2, L/2]: positions are kept inside [0, L). */
static double minimum_image(double d, double box, double half) {
  if (d > half) return d - box;
  if (d < -half) return d + box;
  return d;
}

/* Forces into s->f; returns the potential energy. Every pair once, i < j, in index order. */
static double compute_forces(system_t *s) {
  const long n = s->n;
  const double box = s->box, half = 0.5 * s->box, rc2 = s->rc2;
  double *x = s->x, *f = s->f;
  double potential = 0.0;
  memset(f, 0, (size_t)(3 * n) * sizeof(double));
  for (long i = 0; i < n; i++) {
    const double xi = x[3 * i], yi = x[3 * i + 1], zi = x[3 * i + 2];
    double fxi = 0.0, fyi = 0.0, fzi = 0.0;
    for (long j = i + 1; j < n; j++) {
      const double dx = minimum_image(xi - x[3 * j], box, half);
      const double dy = minimum_image(yi - x[3 * j + 1], box, half);
      const double dz = minimum_image(zi - x[3 * j + 2], box, half);
      const double r2 = dx * dx + dy * dy + dz * dz;
      if (r2 >= rc2) continue;
      const double inv2 = 1.0 / r2;
      const double inv6 = inv2 * inv2 * inv2;
      /* F(r) * r / r^2 = 24 (2 r^-12 - r^-6) / r^2 */
      const double scale = 24.0 * inv2 * inv6 * (2.0 * inv6 - 1.0);
      fxi += scale * dx;
      fyi += scale * dy;
      fzi += scale * dz;
      f[3 * j] -= scale * dx;
      f[3 * j + 1] -= scale * dy;
      f[3 * j + 2] -= scale * dz;
      potential += 4.0 * inv6 * (inv6 - 1.0) - s->shift;
    }
    f[3 * i] += fxi;
    f[3 * i + 1] += fyi;
    f[3 * i + 2] += fzi;
  }
  return potential;
}

static double kinetic_energy(const system_t *s) {
  double sum = 0.0;
  for (long k = 0; k < 3 * s->n; k++) sum += s->v[k] * s->v[k];
  return 0.5 * sum;
}

static double wrap(double x, double box) {
  if (x >= box) return x - box;
  if (x < 0.0) return x + box;
  return x;
}

static void report(long step, const system_t *s, double potential) {
  const double kinetic = kinetic_energy(s);
  printf("%ld %.17g %.17g %.17g\n", step, kinetic / (double)s->n, potential / (double)s->n, (kinetic + potential) / (double)s->n);
}

static double real_arg(const char *text, const char *name, double lo, double hi) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno != 0 || *text == '\0' || *end != '\0' || !(v >= lo && v <= hi)) die(1, "bad value for", name);
  return v;
}

static long int_arg(const char *text, const char *name, long lo, long hi) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || *text == '\0' || *end != '\0' || v < lo || v > hi) die(1, "bad value for", name);
  return v;
}

int main(int argc, char **argv) {
  long steps = 100, every = 10;
  double dt = 0.005, rc = 2.5;
  int a = 1;
  for (; a + 1 < argc && argv[a][0] == '-' && argv[a][1] != '\0' && argv[a][2] == '\0'; a += 2) {
    switch (argv[a][1]) {
      case 'n': steps = int_arg(argv[a + 1], "-n", 0, 100000000); break;
      case 'd': dt = real_arg(argv[a + 1], "-d", 1e-9, 1.0); break;
      case 'c': rc = real_arg(argv[a + 1], "-c", 0.5, 1e6); break;
      case 'r': every = int_arg(argv[a + 1], "-r", 1, 100000000); break;
      default: die(1, "unknown option", argv[a]);
    }
  }
  if (argc - a != 2) die(1, "usage", "lj-md [-n STEPS] [-d DT] [-c RC] [-r EVERY] INPUT OUTPUT");

  FILE *in = fopen(argv[a], "r");
  if (in == NULL) die(1, argv[a], strerror(errno));
  system_t s;
  if (fscanf(in, "%ld %lf", &s.n, &s.box) != 2 || s.n < 2 || s.n > MAX_PARTICLES || !(s.box > 0.0 && s.box < 1e6)) die(1, argv[a], "the first line must be \"N L\" with 2 <= N <= 100000 and L > 0");
  if (2.0 * rc > s.box) die(1, "bad value for", "-c: the cut-off must be at most half the box");
  s.rc2 = rc * rc;
  const double inv_rc6 = 1.0 / (s.rc2 * s.rc2 * s.rc2);
  s.shift = 4.0 * inv_rc6 * (inv_rc6 - 1.0);
  s.x = doubles(3 * s.n);
  s.v = doubles(3 * s.n);
  s.f = doubles(3 * s.n);
  for (long i = 0; i < s.n; i++) {
    double *x = &s.x[3 * i], *v = &s.v[3 * i];
    if (fscanf(in, "%lf %lf %lf %lf %lf %lf", &x[0], &x[1], &x[2], &v[0], &v[1], &v[2]) != 6) die(1, argv[a], "fewer particle lines than N");
    for (int k = 0; k < 3; k++) {
      if (!(x[k] >= 0.0 && x[k] < s.box)) die(1, argv[a], "a position is outside [0, L)");
    }
  }
  fclose(in);

  printf("step kinetic potential total\n");
  double potential = compute_forces(&s);
  report(0, &s, potential);
  const double half_dt = 0.5 * dt;
  for (long step = 1; step <= steps; step++) {
    for (long k = 0; k < 3 * s.n; k++) {
      s.v[k] += half_dt * s.f[k];
      s.x[k] = wrap(s.x[k] + dt * s.v[k], s.box);
    }
    potential = compute_forces(&s);
    for (long k = 0; k < 3 * s.n; k++) s.v[k] += half_dt * s.f[k];
    if (step % every == 0 || step == steps) report(step, &s, potential);
  }

  FILE *out = fopen(argv[a + 1], "w");
  if (out == NULL) die(1, argv[a + 1], strerror(errno));
  fprintf(out, "%ld %.17g\n", s.n, s.box);
  for (long i = 0; i < s.n; i++) {
    const double *x = &s.x[3 * i], *v = &s.v[3 * i];
    fprintf(out, "%.17g %.17g %.17g %.17g %.17g %.17g\n", x[0], x[1], x[2], v[0], v[1], v[2]);
  }
  if (fclose(out) != 0) die(1, argv[a + 1], "write error");
  return fflush(stdout) == 0 ? 0 : 2;
}

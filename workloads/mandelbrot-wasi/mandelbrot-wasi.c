/*
 * Mandelbrot tile, as a WASI program: the C port of workloads/mandelbrot/mandelbrot.wat.
 *
 * stdin: 20 bytes, five little-endian int32: tile_x, tile_y, size (1..128), tiles (1..4096),
 *        max_iter (1..65535), with 0 <= tile_x, tile_y < tiles.
 * stdout: size * size little-endian uint16, row by row: the iteration at which |z| passed 2,
 *         or max_iter for points that stayed bounded. The same bytes as the WAT module's output.
 * Exit status: 0, or 1 when the input is malformed (nothing is written then).
 *
 * The picture is [-2.25, 0.75] x [-1.5, 1.5]; pixel (px, py) samples
 * c = (-2.25 + (px + 0.5) * s) + (-1.5 + (py + 0.5) * s) i with s = 3 / (size * tiles).
 * Every floating-point operation is an IEEE double in the WAT module's order (no fused or
 * reordered arithmetic: build without -ffast-math), so the bytes agree with it exactly.
 */
#include <stdint.h>
#include <stdio.h>

#define INPUT_BYTES 20
#define MAX_SIZE 128
#define MAX_TILES 4096
#define MAX_ITER 65535

static int32_t le32(const unsigned char *p) {
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static unsigned short escape_iteration(double cr, double ci, int32_t max_iter) {
  double zr = 0.0, zi = 0.0;
  int32_t n = 0;
  while (n < max_iter) {
    double zr2 = zr * zr;
    double zi2 = zi * zi;
    if (zr2 + zi2 > 4.0) break;
    zi = 2.0 * zr * zi + ci;
    zr = zr2 - zi2 + cr;
    n++;
  }
  return (unsigned short)n;
}

int main(void) {
  unsigned char in[INPUT_BYTES + 1];
  size_t got = fread(in, 1, sizeof in, stdin);
  if (got != INPUT_BYTES) return 1;
  int32_t tile_x = le32(in), tile_y = le32(in + 4), size = le32(in + 8), tiles = le32(in + 12), max_iter = le32(in + 16);
  if (size < 1 || size > MAX_SIZE || tiles < 1 || tiles > MAX_TILES || max_iter < 1 || max_iter > MAX_ITER) return 1;
  if (tile_x < 0 || tile_x >= tiles || tile_y < 0 || tile_y >= tiles) return 1;

  static unsigned char out[MAX_SIZE * MAX_SIZE * 2];
  double scale = 3.0 / (double)(size * tiles);
  size_t at = 0;
  for (int32_t y = 0; y < size; y++) {
    double ci = -1.5 + ((double)(tile_y * size + y) + 0.5) * scale;
    for (int32_t x = 0; x < size; x++) {
      double cr = -2.25 + ((double)(tile_x * size + x) + 0.5) * scale;
      unsigned short n = escape_iteration(cr, ci, max_iter);
      out[at++] = (unsigned char)(n & 0xff);
      out[at++] = (unsigned char)(n >> 8);
    }
  }
  return fwrite(out, 1, at, stdout) == at && fflush(stdout) == 0 ? 0 : 2;
}

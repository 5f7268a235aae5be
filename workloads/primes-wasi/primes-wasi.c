/*
 * Prime counting, as a WASI program: the C port of workloads/primes/primes.wat.
 *
 * stdin: 8 bytes, two little-endian int32: lo, hi with 0 <= lo <= hi.
 * stdout: the number of primes p with lo <= p < hi, as one little-endian uint32 (the WAT
 *         module's output, byte for byte).
 * Exit status: 0, or 1 when the input is malformed (nothing is written then).
 *
 * Trial division by 2 and the odd numbers up to the square root: slow on purpose, a steady and
 * checkable load whose running time grows with the range.
 */
#include <stdint.h>
#include <stdio.h>

#define INPUT_BYTES 8

static int32_t le32(const unsigned char *p) {
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static int is_prime(uint32_t n) {
  if (n < 2) return 0;
  if (n < 4) return 1;
  if ((n & 1) == 0) return 0;
  /* d <= 46341 here, so d * d never overflows 32 bits. */
  for (uint32_t d = 3; d * d <= n; d += 2) {
    if (n % d == 0) return 0;
  }
  return 1;
}

int main(void) {
  unsigned char in[INPUT_BYTES + 1];
  size_t got = fread(in, 1, sizeof in, stdin);
  if (got != INPUT_BYTES) return 1;
  int32_t lo = le32(in), hi = le32(in + 4);
  if (lo < 0 || hi < lo) return 1;
  uint32_t found = 0;
  for (int32_t n = lo; n < hi; n++) found += (uint32_t)is_prime((uint32_t)n);
  unsigned char out[4] = {(unsigned char)found, (unsigned char)(found >> 8), (unsigned char)(found >> 16), (unsigned char)(found >> 24)};
  return fwrite(out, 1, 4, stdout) == 4 && fflush(stdout) == 0 ? 0 : 2;
}

/*
 * Smith-Waterman local alignment search, as a WASI program.
 *
 * Aligns one query sequence against every sequence of a database with affine gap costs
 * (Gotoh's recurrences) and reports, for each database sequence whose best local alignment
 * scores at least the threshold, that alignment's score and where it starts and ends in both
 * sequences. Integer scores: the output is exact, so redundant runs are compared by hash.
 *
 *   smith-waterman [-m MATCH] [-x MISMATCH] [-o GAP_OPEN] [-e GAP_EXTEND] [-t MIN_SCORE] [-k TOP]
 *                  QUERY.fa DB.fa
 *
 * Defaults: match +2, mismatch -3, gap open 5, gap extend 2 (a gap of length k costs 5 + 2k),
 * threshold 1, all hits. Sequences are FASTA: a '>' line names a sequence (its id is the text up
 * to the first blank), the lines after it are its letters (case is ignored; any other byte is
 * skipped). Two letters match when they are equal.
 *
 * stdout: a header line, then one line per reported hit, tab-separated:
 *   target  score  q_start  q_end  t_start  t_end       (1-based, inclusive)
 * sorted by score (highest first), then by position in the database. Exit status 0; 1 for bad
 * arguments or unreadable input (with a message on stderr); 2 when memory runs out.
 *
 * Ties are broken so that any implementation of these rules gives the same bytes: a cell takes
 * the diagonal, then the horizontal gap, then the vertical gap, each only when strictly better
 * than the ones before; a gap is extended only when strictly better than opening one; the best
 * cell of a pair is the first maximum in target-major order; a new alignment starts at a cell
 * whose diagonal predecessor scores 0.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ID 255

typedef struct {
  char id[MAX_ID + 1];
  unsigned char *seq;
  size_t len;
} sequence;

typedef struct {
  size_t count, cap;
  sequence *items;
} sequence_list;

typedef struct {
  int32_t score;
  uint32_t q_start, q_end, t_start, t_end;
  size_t index;
} hit;

static void die(int code, const char *what, const char *detail) {
  fprintf(stderr, "smith-waterman: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(code);
}

static void *grow(void *p, size_t n) {
  void *q = realloc(p, n);
  if (q == NULL && n > 0) die(2, "out of memory", NULL);
  return q;
}

static void push_letter(sequence *s, size_t *cap, unsigned char c) {
  if (s->len == *cap) {
    *cap = *cap ? *cap * 2 : 256;
    s->seq = grow(s->seq, *cap);
  }
  s->seq[s->len++] = c;
}

static sequence_list read_fasta(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) die(1, path, strerror(errno));
  sequence_list list = {0, 0, NULL};
  size_t cap = 0;
  int c, at_line_start = 1;
  while ((c = fgetc(f)) != EOF) {
    if (at_line_start && c == '>') {
      if (list.count == list.cap) {
        list.cap = list.cap ? list.cap * 2 : 16;
        list.items = grow(list.items, list.cap * sizeof *list.items);
      }
      sequence *s = &list.items[list.count++];
      size_t n = 0;
      while ((c = fgetc(f)) != EOF && c != '\n' && c != ' ' && c != '\t' && c != '\r') {
        if (n < MAX_ID) s->id[n++] = (char)c;
      }
      s->id[n] = '\0';
      while (c != EOF && c != '\n') c = fgetc(f);
      s->seq = NULL;
      s->len = 0;
      cap = 0;
      at_line_start = 1;
      continue;
    }
    at_line_start = c == '\n';
    if (list.count == 0) continue; /* text before the first header */
    if (c >= 'a' && c <= 'z') c -= 'a' - 'A';
    if (c >= 'A' && c <= 'Z') push_letter(&list.items[list.count - 1], &cap, (unsigned char)c);
  }
  if (ferror(f)) die(1, path, "read error");
  fclose(f);
  return list;
}

typedef struct {
  int32_t match, mismatch, gap_open, gap_extend;
} scoring;

/*
 * The best local alignment of q (length m) against t (length n). H holds the previous row of
 * scores, F the vertical gap scores, and HS/FS the packed (t_start, q_start) of the alignment
 * each cell continues; all have m + 1 entries.
 */
static hit align(const unsigned char *q, size_t m, const unsigned char *t, size_t n, const scoring *sc, int32_t *H, int32_t *F, uint64_t *HS, uint64_t *FS) {
  hit best = {0, 0, 0, 0, 0, 0};
  const int32_t open = sc->gap_open + sc->gap_extend, ext = sc->gap_extend;
  for (size_t j = 0; j <= m; j++) {
    H[j] = 0;
    F[j] = INT32_MIN / 2;
    HS[j] = 0;
    FS[j] = 0;
  }
  for (size_t i = 1; i <= n; i++) {
    const unsigned char ti = t[i - 1];
    int32_t diag = 0, e = INT32_MIN / 2, left = 0; /* H[i-1][j-1], E[i][j-1], H[i][j-1] */
    uint64_t diag_s = 0, e_s = 0, left_s = 0;
    for (size_t j = 1; j <= m; j++) {
      /* Horizontal gap (a gap in the target): extend E or open from the cell to the left. */
      const int32_t e_open = left - open, e_ext = e - ext;
      if (e_ext > e_open) {
        e = e_ext;
      } else {
        e = e_open;
        e_s = left_s;
      }
      /* Vertical gap (a gap in the query): extend F or open from the cell above. */
      const int32_t up = H[j];
      const int32_t f_open = up - open, f_ext = F[j] - ext;
      if (f_ext > f_open) {
        F[j] = f_ext;
      } else {
        F[j] = f_open;
        FS[j] = HS[j];
      }
      int32_t h = diag + (q[j - 1] == ti ? sc->match : sc->mismatch);
      uint64_t h_s = diag > 0 ? diag_s : ((uint64_t)i << 32) | (uint64_t)j;
      if (e > h) {
        h = e;
        h_s = e_s;
      }
      if (F[j] > h) {
        h = F[j];
        h_s = FS[j];
      }
      if (h <= 0) {
        h = 0;
        h_s = 0;
      }
      diag = up;
      diag_s = HS[j];
      H[j] = h;
      HS[j] = h_s;
      left = h;
      left_s = h_s;
      if (h > best.score) {
        best.score = h;
        best.t_start = (uint32_t)(h_s >> 32);
        best.q_start = (uint32_t)h_s;
        best.t_end = (uint32_t)i;
        best.q_end = (uint32_t)j;
      }
    }
  }
  return best;
}

static int by_score_then_index(const void *a, const void *b) {
  const hit *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static int32_t int_arg(const char *text, const char *name, int32_t lo, int32_t hi) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || *text == '\0' || *end != '\0' || v < lo || v > hi) die(1, "bad value for", name);
  return (int32_t)v;
}

int main(int argc, char **argv) {
  scoring sc = {2, -3, 5, 2};
  int32_t min_score = 1, top = 0;
  int a = 1;
  for (; a + 1 < argc && argv[a][0] == '-' && argv[a][1] != '\0' && argv[a][2] == '\0'; a += 2) {
    switch (argv[a][1]) {
      case 'm': sc.match = int_arg(argv[a + 1], "-m", 1, 1000); break;
      case 'x': sc.mismatch = int_arg(argv[a + 1], "-x", -1000, 0); break;
      case 'o': sc.gap_open = int_arg(argv[a + 1], "-o", 0, 1000); break;
      case 'e': sc.gap_extend = int_arg(argv[a + 1], "-e", 1, 1000); break;
      case 't': min_score = int_arg(argv[a + 1], "-t", 1, INT32_MAX); break;
      case 'k': top = int_arg(argv[a + 1], "-k", 0, INT32_MAX); break;
      default: die(1, "unknown option", argv[a]);
    }
  }
  if (argc - a != 2) die(1, "usage", "smith-waterman [-m M] [-x X] [-o O] [-e E] [-t MIN] [-k TOP] QUERY.fa DB.fa");
  sequence_list query = read_fasta(argv[a]);
  sequence_list db = read_fasta(argv[a + 1]);
  if (query.count != 1) die(1, argv[a], "must hold exactly one sequence");
  const sequence *q = &query.items[0];
  /* Scores stay below 2^31: the best possible is match * the query's length. */
  if ((int64_t)q->len * sc.match > INT32_MAX / 2) die(1, argv[a], "the query is too long for 32-bit scores");

  int32_t *H = grow(NULL, (q->len + 1) * sizeof *H);
  int32_t *F = grow(NULL, (q->len + 1) * sizeof *F);
  uint64_t *HS = grow(NULL, (q->len + 1) * sizeof *HS);
  uint64_t *FS = grow(NULL, (q->len + 1) * sizeof *FS);
  hit *hits = grow(NULL, (db.count ? db.count : 1) * sizeof *hits);
  size_t found = 0;
  for (size_t k = 0; k < db.count; k++) {
    hit h = align(q->seq, q->len, db.items[k].seq, db.items[k].len, &sc, H, F, HS, FS);
    h.index = k;
    if (h.score >= min_score) hits[found++] = h;
  }
  qsort(hits, found, sizeof *hits, by_score_then_index);
  if (top > 0 && (size_t)top < found) found = (size_t)top;
  printf("target\tscore\tq_start\tq_end\tt_start\tt_end\n");
  for (size_t k = 0; k < found; k++) {
    const hit *h = &hits[k];
    printf("%s\t%d\t%u\t%u\t%u\t%u\n", db.items[h->index].id, (int)h->score, (unsigned)h->q_start, (unsigned)h->q_end, (unsigned)h->t_start, (unsigned)h->t_end);
  }
  return fflush(stdout) == 0 ? 0 : 2;
}

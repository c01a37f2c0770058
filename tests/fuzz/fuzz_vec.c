/*
** fuzz_vec.c — libFuzzer target for the vector SQL functions (ext/vec_*.c)
** through the real SQLite: the extension is linked in and registered with
** sqlite3_auto_extension(sqlite3_embed_init), and each input runs one
** SELECT of vec_* on values bound as parameters.
**
**   make fuzz                                   (builds build-fuzz/fuzz_vec)
**   build-fuzz/fuzz_vec -dict=tests/fuzz/fuzz_vec.dict CORPUS_DIR
**
** Input: byte 0 picks the statement (one of STMTS below), byte 1 the types
** of ?1 and ?2 (low and high nibble: NULL, BLOB, TEXT, INTEGER, REAL, and
** BLOB again for the rest, so most inputs are vectors), byte 2 where the
** rest is cut into the two values.  Every row and column is read.  Errors
** are expected; a crash, sanitizer report, leak or hang is the bug.  One
** property is also checked: a float32 BLOB accepted by vec_to_json comes
** back through vec_from_json with every element equal (the README promises
** an exact round trip).
*/
#include <sqlite3.h>
#include "../../ext/sqlite-embed.h"
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const STMTS[] = {
  "SELECT vec_similarity(?1, ?2)",
  "SELECT vec_distance_cosine(?1, ?2)",
  "SELECT vec_distance_l2(?1, ?2)",
  "SELECT vec_dot(?1, ?2)",
  "SELECT vec_add(?1, ?2), vec_to_json(vec_add(?1, ?2))",
  "SELECT vec_sub(?1, ?2), vec_to_json(vec_sub(?2, ?1))",
  "SELECT vec_normalize(?1), vec_to_json(vec_normalize(?2))",
  "SELECT vec_dims(?1), vec_dims(?2)",
  "SELECT vec_to_json(?1), vec_to_json(?2)",
  "SELECT vec_from_json(?1), vec_from_json(?2)",
  "SELECT vec_quantize_int8(?1), hex(vec_quantize_int8(?2))",
  "SELECT vec_quantize_binary(?1), hex(vec_quantize_binary(?2))",
  "SELECT vec_mean(v) FROM (SELECT ?1 AS v UNION ALL SELECT ?2 UNION ALL SELECT NULL)",
  "SELECT vec_to_json(vec_mean(v)) FROM (SELECT ?1 AS v UNION ALL SELECT ?1)",
  "SELECT vec_dims(vec_quantize_int8(?1))",
  "SELECT vec_similarity(vec_quantize_binary(?1), ?2)",
  "SELECT vec_to_json(vec_add(vec_normalize(?1), vec_from_json(?2)))",
  "SELECT vec_distance_l2(vec_from_json(vec_to_json(?1)), ?1)",
  "SELECT typeof(vec_normalize(?1)), typeof(vec_dot(?1, ?2))",
  "SELECT x, vec_mean(?1) FROM (SELECT 1 AS x UNION ALL SELECT 2) GROUP BY x",
  "SELECT vec_slice(?1, vec_dims(?2) - 3, vec_dims(?2)), vec_to_json(vec_slice(?2, 0, vec_dims(?1)))",
  "SELECT vec_distance_hamming(vec_bit(?1), vec_bit(?2)), vec_distance_hamming(vec_quantize_binary(?1), vec_bit(?2))",
  "SELECT vec_distance_hamming(?1, vec_quantize_binary(?2)), hex(vec_bit(?1))",
  "SELECT vec_distance_l1(?1, ?2), vec_length(?1), vec_f32(?2), vec_quantize_int8(?1, ?2)",
  "SELECT vec_distance_l2(vec_int8(?1), vec_int8(?2)), vec_distance_l1(vec_int8(?1), vec_int8(?2)), "
  "vec_distance_cosine(vec_int8(?1), vec_int8(?2)), vec_dot(vec_int8(?1), vec_int8(?2))",
  "SELECT vec_to_json(vec_int8(?1)), vec_type(?1), vec_type(vec_int8(?2)), vec_type(vec_bit(?2)), "
  "vec_to_json(vec_bit(?2)), vec_length(vec_bit(?1))",
  "SELECT hex(vec_add(vec_int8(?1), vec_int8(?2))), hex(vec_sub(vec_int8(?2), vec_int8(?1))), "
  "vec_similarity(vec_int8(?1), ?2)",
  "SELECT hex(vec_slice(vec_int8(?1), 1, vec_length(vec_int8(?2)))), hex(vec_slice(vec_bit(?2), 8, vec_length(?1))), "
  "hex(vec_quantize_binary(vec_int8(?1)))",
  "SELECT rowid, value FROM vec_each(?1) UNION ALL SELECT rowid, value FROM vec_each(vec_int8(?2))",
  "SELECT count(*), sum(value) FROM vec_each(vec_bit(?1)) UNION ALL SELECT max(rowid), min(value) FROM vec_each(?2)",
};
#define NSTMT ((int)(sizeof STMTS / sizeof STMTS[0]))

static sqlite3 *db;
static sqlite3_stmt *stmts[NSTMT];
static sqlite3_stmt *roundtrip;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  sqlite3_auto_extension((void (*)(void))sqlite3_embed_init);
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) abort();
  for (int i = 0; i < NSTMT; i++) {
    if (sqlite3_prepare_v2(db, STMTS[i], -1, &stmts[i], NULL) != SQLITE_OK) {
      fprintf(stderr, "%s: %s\n", STMTS[i], sqlite3_errmsg(db));
      abort();
    }
  }
  if (sqlite3_prepare_v2(db, "SELECT vec_from_json(vec_to_json(?1))", -1, &roundtrip, NULL) != SQLITE_OK) abort();
  return 0;
}

static void bind(sqlite3_stmt *s, int i, int type, const uint8_t *p, size_t n) {
  switch (type) {
    case 0: sqlite3_bind_null(s, i); break;
    case 2: sqlite3_bind_text(s, i, (const char *)p, (int)n, SQLITE_TRANSIENT); break;
    case 3: {
      int64_t v = 0;
      memcpy(&v, p, n < 8 ? n : 8);
      sqlite3_bind_int64(s, i, v);
      break;
    }
    case 4: {
      double v = 0;
      memcpy(&v, p, n < 8 ? n : 8);
      sqlite3_bind_double(s, i, v);
      break;
    }
    default: sqlite3_bind_blob(s, i, p, (int)n, SQLITE_TRANSIENT); break;
  }
}

static void run(sqlite3_stmt *s) {
  while (sqlite3_step(s) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(s); c++) {
      (void)sqlite3_column_blob(s, c);
      (void)sqlite3_column_bytes(s, c);
      (void)sqlite3_column_text(s, c);
    }
  }
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3 || size > 1 << 20) return 0;
  sqlite3_stmt *s = stmts[data[0] % NSTMT];
  const uint8_t *body = data + 3;
  size_t n = size - 3, cut = n * data[2] / 255;
  bind(s, 1, data[1] & 15, body, cut);
  bind(s, 2, data[1] >> 4, body + cut, n - cut);
  run(s);

  /* Round trip: a finite float32 BLOB -> JSON -> the same floats. */
  if ((data[1] & 15) >= 5 && cut >= 4 && cut % 4 == 0 && cut / 4 <= 65536) {
    int finite = 1;
    for (size_t i = 0; i < cut / 4 && finite; i++) {
      float v;
      memcpy(&v, body + 4 * i, 4);
      finite = isfinite(v);
    }
    if (finite) {
      sqlite3_bind_blob(roundtrip, 1, body, (int)cut, SQLITE_TRANSIENT);
      if (sqlite3_step(roundtrip) != SQLITE_ROW || sqlite3_column_bytes(roundtrip, 0) != (int)cut) abort();
      const unsigned char *back = sqlite3_column_blob(roundtrip, 0);
      for (size_t i = 0; i < cut / 4; i++) {
        float a, b;
        memcpy(&a, body + 4 * i, 4);
        memcpy(&b, back + 4 * i, 4);
        if (a != b) abort(); /* vec_to_json must round-trip exactly */
      }
      sqlite3_reset(roundtrip);
    }
  }
  return 0;
}

#!/usr/bin/env bash
# Runs every test of the project and closes with "N passed, N failed".
#
#   BUILD=build bash tests/run.sh      (what `make test` does)
#
# Each unit test program prints one "PASS: ..." or "FAIL: ..." line per
# check; the SQL suite (tests/sql/run_sql_tests.py) prints the same through
# the real sqlite3 CLI.  A program that dies without printing FAIL (a crash,
# a sanitizer report) counts as one failure.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export TEST_MODELS=${TEST_MODELS:-$BUILD/test-models}
LOG_DIR=$BUILD/test-logs
mkdir -p "$LOG_DIR" "$TEST_MODELS"
passed=0
failed=0

count() { # count LOGFILE EXITCODE NAME
  local p f
  p=$(grep -c '^PASS' "$1" || true)
  f=$(grep -c '^FAIL' "$1" || true)
  if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL: $3 exited with status $2 without reporting a failed check (see $1)"
    f=1
  fi
  grep '^FAIL' "$1" | head -20
  passed=$((passed + p))
  failed=$((failed + f))
  echo "-- $3: $p passed, $f failed"
}

# Test models: regenerated from the deterministic generator (the golden
# outputs in tests/fixtures/models/ were computed by PyTorch on the same bytes).
if [ -x "$BUILD/tools/gen_model" ]; then
  for shape in minilm bge multi f16 bf16 odd dense instr distil mpnet xlmr xlmroberta roberta nomic rerank rerank_xlmr modernbert rerank_modernbert gte rerank_gte jina rerank_jina jina_code; do
    if [ ! -f "$TEST_MODELS/$shape/config.json" ] || [ "$BUILD/tools/gen_model" -nt "$TEST_MODELS/$shape/config.json" ]; then
      rm -rf "${TEST_MODELS:?}/$shape"
      if ! "$BUILD/tools/gen_model" --shape "$shape" --out "$TEST_MODELS/$shape" > "$LOG_DIR/gen_model_$shape.log" 2>&1; then
        echo "FAIL: gen_model --shape $shape (see $LOG_DIR/gen_model_$shape.log)"
        failed=$((failed + 1))
      fi
    fi
  done
fi

for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  log="$LOG_DIR/$name.log"
  "$t" > "$log" 2>&1
  count "$log" $? "$name"
done

# Under `make test-asan` the sqlite3 CLI, Python and Node that load the
# extension get the sanitizer runtimes preloaded, through wrappers put first
# on PATH (preloading into every command would also instrument bash, pgrep,
# sleep...).  Leaks are checked in the unit tests, which link the runtimes.
if [ -n "${SANITIZER_PRELOAD:-}" ]; then
  wrap=$BUILD/sanitize-bin
  mkdir -p "$wrap"
  for prog in sqlite3:/usr/bin/sqlite3 python3-ext:/usr/bin/python3 node:$(command -v node || echo /usr/bin/node); do
    printf '#!/bin/sh\nLD_PRELOAD="%s" ASAN_OPTIONS="detect_leaks=0:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" exec %s "$@"\n' \
      "$SANITIZER_PRELOAD" "${prog#*:}" > "$wrap/${prog%%:*}"
    chmod +x "$wrap/${prog%%:*}"
  done
  export PATH="$PWD/$wrap:$PATH"
  export EMBED_TEST_PYTHON="$PWD/$wrap/python3-ext"
fi

for t in tests/scripts/*.sh; do
  name=$(basename "$t" .sh)
  log="$LOG_DIR/$name.log"
  BUILD=$BUILD bash "$t" > "$log" 2>&1
  count "$log" $? "$name"
done

log="$LOG_DIR/sql.log"
python3 tests/sql/run_sql_tests.py --build "$BUILD" > "$log" 2>&1
count "$log" $? "sql"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

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
  for shape in minilm bge multi f16 bf16 odd dense instr distil mpnet xlmr xlmroberta roberta nomic rerank rerank_xlmr modernbert rerank_modernbert gte rerank_gte jina rerank_jina jina_code nomic_moe; do
    if [ ! -f "$TEST_MODELS/$shape/config.json" ] || [ "$BUILD/tools/gen_model" -nt "$TEST_MODELS/$shape/config.json" ]; then
      rm -rf "${TEST_MODELS:?}/$shape"
      if ! "$BUILD/tools/gen_model" --shape "$shape" --out "$TEST_MODELS/$shape" > "$LOG_DIR/gen_model_$shape.log" 2>&1; then
        echo "FAIL: gen_model --shape $shape (see $LOG_DIR/gen_model_$shape.log)"
        failed=$((failed + 1))
      fi
    fi
  done
fi

# Under `make test-asan` the sqlite3 CLI, Python and Node that load the
# extension get the sanitizer runtimes preloaded, through wrappers put first
# on PATH for the scripts and the SQL suite (preloading into every command
# would also instrument bash, pgrep, sleep...).  Leaks are checked in the
# unit tests, which link the runtimes.
script_path=$PATH
if [ -n "${SANITIZER_PRELOAD:-}" ]; then
  wrap=$BUILD/sanitize-bin
  mkdir -p "$wrap"
  for prog in sqlite3:/usr/bin/sqlite3 python3-ext:/usr/bin/python3 node:$(command -v node || echo /usr/bin/node); do
    printf '#!/bin/sh\nLD_PRELOAD="%s" ASAN_OPTIONS="detect_leaks=0:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" exec %s "$@"\n' \
      "$SANITIZER_PRELOAD" "${prog#*:}" > "$wrap/${prog%%:*}"
    chmod +x "$wrap/${prog%%:*}"
  done
  script_path="$PWD/$wrap:$PATH"
  export EMBED_TEST_PYTHON="$PWD/$wrap/python3-ext"
fi

# The unit test programs and the scripts are independent (each works in its
# own mkdtemp directory and only reads the test models), so they run
# TEST_JOBS at a time, longest first; their counts are then read in a fixed
# order.  Wall-clock checks (test_tokenizer's 10 MB inputs) keep a wide
# margin for it.
TEST_JOBS=${TEST_JOBS:-$(nproc 2> /dev/null || echo 1)}
run_one() { # run_one NAME COMMAND...: output in $LOG_DIR/NAME.log, status in .rc
  local name=$1; shift
  "$@" > "$LOG_DIR/$name.log" 2>&1
  echo $? > "$LOG_DIR/$name.rc"
}
order=() # every program, in the order their counts are read
for t in "$BUILD"/tests/test_* tests/scripts/*.sh; do
  case $t in *.sh) order+=("$(basename "$t" .sh)") ;; *) [ -x "$t" ] && order+=("$(basename "$t")") ;; esac
done
# The longest ones start first, so that the last to start is a short one.
first=() rest=()
for name in "${order[@]}"; do
  case $name in test_engine | crash_resume) first+=("$name") ;; *) rest+=("$name") ;; esac
done
for name in "${first[@]}" "${rest[@]}"; do
  rm -f "$LOG_DIR/$name.rc"
  while [ "$(jobs -rp | wc -l)" -ge "$TEST_JOBS" ]; do wait -n; done
  if [ -f "tests/scripts/$name.sh" ]; then
    PATH=$script_path run_one "$name" env BUILD="$BUILD" bash "tests/scripts/$name.sh" &
  else
    run_one "$name" "$BUILD/tests/$name" &
  fi
done
wait
for name in "${order[@]}"; do
  count "$LOG_DIR/$name.log" "$(cat "$LOG_DIR/$name.rc" 2> /dev/null || echo 1)" "$name"
done

log="$LOG_DIR/sql.log"
PATH=$script_path python3 tests/sql/run_sql_tests.py --build "$BUILD" --jobs "$TEST_JOBS" > "$log" 2>&1
count "$log" $? "sql"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

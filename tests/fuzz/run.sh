#!/usr/bin/env bash
# Runs libFuzzer targets for FUZZ_SECONDS each (what `make fuzz` does).
#
#   FUZZ_SECONDS=20 bash tests/fuzz/run.sh fuzz_vec fuzz_sql
#
# Each target runs on build-fuzz/corpus-<target>, into which the committed
# seeds (tests/fuzz/corpus/<target>/) are copied first; inputs the fuzzer
# finds accumulate there across runs.  The dictionary tests/fuzz/<target>.dict
# is used when present.  Crash, leak and timeout inputs are written to
# build-fuzz/artifacts/<target>/; the log of each run to
# build-fuzz/<target>.log.  FUZZ_JOBS targets (default: one per core) run at
# once.  Prints one line per target and exits non-zero if any target failed.
set -u
cd "$(dirname "$0")/../.."
FUZZ_DIR=${FUZZ_DIR:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc 2> /dev/null || echo 1)} # targets run at once, one core each
# fuzz_one TARGET: runs it; its verdict line(s) in $FUZZ_DIR/TARGET.verdict,
# first word PASS or FAIL.
fuzz_one() {
  local t=$1 corpus=$FUZZ_DIR/corpus-$1 art=$FUZZ_DIR/artifacts/$1 rc execs rate cov units
  mkdir -p "$corpus" "$art"
  [ -d "tests/fuzz/corpus/$t" ] && cp tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
  local dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  "$FUZZ_DIR/$t" "${dict[@]}" -max_total_time="$FUZZ_SECONDS" -timeout=25 -rss_limit_mb=4096 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$art/" "$corpus" > "$FUZZ_DIR/$t.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$FUZZ_DIR/$t.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$FUZZ_DIR/$t.log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$FUZZ_DIR/$t.log" | tail -1)
  units=$(ls "$corpus" | wc -l)
  if [ "$rc" -eq 0 ]; then
    echo "PASS: $t: ${execs:-?} executions (${rate:-?}/s), $cov, corpus $units files"
  else
    echo "FAIL: $t exited $rc after ${execs:-?} executions; see $FUZZ_DIR/$t.log and $art/"
    grep -m5 -E 'ERROR|SUMMARY|runtime error|deadly signal' "$FUZZ_DIR/$t.log"
  fi > "$FUZZ_DIR/$t.verdict"
}
mkdir -p "$FUZZ_DIR"
start=$(date +%s)
for t in "$@"; do
  rm -f "$FUZZ_DIR/$t.verdict"
  while [ "$(jobs -rp | wc -l)" -ge "$FUZZ_JOBS" ]; do wait -n; done
  fuzz_one "$t" &
done
wait
failed=0
for t in "$@"; do
  if [ -f "$FUZZ_DIR/$t.verdict" ]; then cat "$FUZZ_DIR/$t.verdict"; else echo "FAIL: $t left no verdict"; fi
  grep -q '^PASS' "$FUZZ_DIR/$t.verdict" 2> /dev/null || failed=$((failed + 1))
done
echo "fuzz: $# targets, $failed failed, $(( $(date +%s) - start )) s"
[ "$failed" -eq 0 ]

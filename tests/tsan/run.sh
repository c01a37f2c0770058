#!/usr/bin/env bash
# Runs the concurrency test under ThreadSanitizer (what `make test-tsan` does).
#
#   TSAN_DIR=build-tsan bash tests/tsan/run.sh MODEL_DIR SECONDS RERANKER_DIR
#
# TSan is told to stop at its first report with exit status 66
# (halt_on_error=1:exitcode=66), so a data race, lock-order inversion or
# other report fails the run even when every check passed.  Suppressions
# (tests/tsan/tsan.supp) cover only reports wholly inside uninstrumented
# Debian libraries, each with its reason.  Prints the test's PASS:/FAIL:
# lines, one FAIL line for a TSan report, and "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
TSAN_DIR=${TSAN_DIR:-build-tsan}
model=$1
seconds=$2
reranker=$3
log=$TSAN_DIR/test_concurrency.log
mkdir -p "$TSAN_DIR/db"
TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$PWD/tests/tsan/tsan.supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
  "$TSAN_DIR/test_concurrency" "$TSAN_DIR/embed0" "$model" "$seconds" "$TSAN_DIR/db" "$reranker" > "$log" 2>&1
rc=$?
grep -E '^(PASS|FAIL)' "$log"
p=$(grep -c '^PASS' "$log")
f=$(grep -c '^FAIL' "$log")
if grep -q 'WARNING: ThreadSanitizer' "$log" || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
  echo "FAIL: test_concurrency exited with status $rc$( [ "$rc" -eq 66 ] && echo ' (a ThreadSanitizer report)'); see $log"
  grep -m1 -A40 'WARNING: ThreadSanitizer' "$log"
  f=$((f + 1))
fi
echo "$p passed, $f failed"
[ "$f" -eq 0 ]

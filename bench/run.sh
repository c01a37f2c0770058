#!/usr/bin/env bash
# sqlite-embed benchmarks (`make bench`): one markdown table per section and a
# closing summary, on stdout and in $BUILD/bench/results.md.  See bench/README.md.
#
#   make bench                      # full run, ~17 min on 2 Zen 5 cores, ~45 on Zen 3
#   BENCH_QUICK=1 make bench        # smoke test: few points, one run each (~3 min)
#   BENCH_ONLY=ce bash bench/run.sh # only some sections (letters a-k)
#
# Peers (ONNX Runtime, HF tokenizers, sqlite-vec) come from ~/.cache/embed-peers
# (../shared/peers/install.sh); without them their columns say "skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
PY=/usr/bin/python3   # Debian's: its sqlite3 module can load extensions
mkdir -p "$BUILD/bench"

# The extension and the bench binaries (make bench has built them already).
need=()
for f in "$BUILD/embed0.so" "$BUILD/bench_engine" "$BUILD/bench_tokenizer"; do
  [ -x "$f" ] || [ -f "$f" ] || need+=("$f")
done
if [ ${#need[@]} -gt 0 ]; then make -s BUILD="$BUILD" "${need[@]}"; fi
[ -f "$BUILD/test-models/minilm/config.json" ] || make -s BUILD="$BUILD" tools >/dev/null
if [ ! -f "$BUILD/test-models/minilm/config.json" ]; then
  "$BUILD/tools/gen_model" --shape minilm --out "$BUILD/test-models/minilm"
fi

# Our fallback peak measurement (the peers' sgemm_peak is preferred when present).
if [ ! -x "$BUILD/bench/sgemm_peak_min" ] || [ bench/sgemm_peak_min.c -nt "$BUILD/bench/sgemm_peak_min" ]; then
  ${CC:-cc} -std=c11 -O2 -march=native -D_GNU_SOURCE $(pkg-config --cflags openblas) \
    -o "$BUILD/bench/sgemm_peak_min" bench/sgemm_peak_min.c $(pkg-config --libs openblas) -lpthread -lm
fi

if [ ! -x "$PY" ]; then
  echo "bench/run.sh: $PY (Debian's python3) is needed" >&2
  exit 1
fi
exec "$PY" bench/run.py

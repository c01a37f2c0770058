#!/usr/bin/env bash
# index.sh — fill an external-content embed_index in committed batches,
# printing progress; safe to interrupt (Ctrl-C, kill -9, power loss): run it
# again and it resumes after the last committed batch.
#
#   sql/index.sh DATABASE INDEX_TABLE MODEL_DIR [BATCH_ROWS]
#
# Each batch is one `INSERT INTO idx(idx, rank) VALUES ('index', BATCH_ROWS)`
# in its own transaction: it embeds the next BATCH_ROWS content rows not yet
# indexed and records where it stopped in the same transaction.  Progress
# lines: rows done / total, rows per second, ETA.  EMBED_EXTENSION overrides
# the extension path (default ./build/embed0).  MODEL_DIR may also be a
# Hugging Face name already in the local cache ("BAAI/bge-small-en-v1.5"), as
# for embed_load.
set -eu
if [ $# -lt 3 ]; then
  echo "usage: $0 DATABASE INDEX_TABLE MODEL_DIR [BATCH_ROWS]" >&2
  exit 2
fi
db=$1 idx=$2 model_dir=$3 batch=${4:-1000}
ext=${EMBED_EXTENSION:-./build/embed0}
case "$idx" in *[!A-Za-z0-9_]*|"") echo "index.sh: INDEX_TABLE must be a plain identifier" >&2; exit 2;; esac
case "$batch" in *[!0-9]*|""|0) echo "index.sh: BATCH_ROWS must be a positive integer" >&2; exit 2;; esac
# Every connection waits up to 60 s for a lock: the application may be
# reading or writing the same database while the index fills.
q() { sqlite3 -batch -bail -cmd ".timeout 60000" "$db" "$@"; }
config() { q "SELECT value FROM \"${idx}_config\" WHERE key = '$1'"; }
content=$(config content)
column=$(config column)
model=$(config model)
if [ -z "$content" ] || [ -z "$model" ]; then
  echo "index.sh: $idx is not an external-content embed_index with a model" >&2
  exit 1
fi
model_sql=$(printf "%s" "$model_dir" | sed "s/'/''/g")
total=$(q "SELECT count(*) FROM \"$content\" WHERE \"$column\" IS NOT NULL")
count() { q "SELECT count(*) FROM \"${idx}_rowids\""; }
done_rows=$(count)
start_rows=$done_rows
start_ns=$(date +%s%N)
echo "index.sh: $idx: $done_rows of $total rows indexed; batches of $batch"
while :; do
  before=$done_rows
  q ".load $ext" "SELECT embed_load('$model', '$model_sql')" \
    "INSERT INTO \"$idx\"(\"$idx\", rank) VALUES ('index', $batch)" > /dev/null
  done_rows=$(count)
  [ "$done_rows" -eq "$before" ] && break
  now_ns=$(date +%s%N)
  awk -v d="$done_rows" -v t="$total" -v s="$start_rows" -v ns=$((now_ns - start_ns)) 'BEGIN {
    rate = (d - s) / (ns / 1e9); eta = rate > 0 ? (t - d) / rate : 0;
    printf "progress: %d / %d rows (%.1f%%), %.1f rows/s, ETA %ds\n", d, t, t ? 100 * d / t : 100, rate, eta }'
done
echo "index.sh: done: $done_rows of $total rows indexed"

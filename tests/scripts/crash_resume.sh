#!/usr/bin/env bash
# kill -9 in the middle of a batched rebuild (sql/index.sh), then: the
# database passes PRAGMA integrity_check, the index holds exactly the
# batches that committed (every content row below the recorded position,
# none above, a multiple of the batch size), and running sql/index.sh again
# finishes the job with vectors equal to embed() of each text.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
MODELS=${TEST_MODELS:-$BUILD/test-models}
model=$MODELS/minilm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/crash.db
check() { if [ "$1" = "$2" ]; then echo "PASS: crash_resume: $3"; else echo "FAIL: crash_resume: $3 (got '$1', expected '$2')"; fi; }
sq() { sqlite3 -batch -bail "$db" ".load ./$BUILD/embed0" "SELECT embed_load('default', '$model')" "$@" | tail -n +2; }

sq "PRAGMA journal_mode=WAL" "CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)" \
   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
    INSERT INTO docs(body) SELECT 'document ' || i || ' is about topic ' || (i % 23) || ' and more' FROM n" \
   "CREATE VIRTUAL TABLE docs_idx USING embed_index(model = 'default', content = 'docs', content_rowid = 'id', column = 'body')" > /dev/null

# Runs a command in its own process group, waits until at least $2 rows are
# indexed (or the command ends), then kills the whole group with SIGKILL.
kill_when_indexed() { # kill_when_indexed LOG MIN_ROWS COMMAND...
  local log=$1 min=$2
  shift 2
  setsid "$@" > "$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 400); do
    n=$(sqlite3 "$db" "SELECT count(*) FROM docs_idx_rowids" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge "$min" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -9 -- "-$pid" 2>/dev/null # the whole process group: the script and its sqlite3
  wait "$pid" 2>/dev/null
  for _ in $(seq 1 100); do pgrep -g "$pid" > /dev/null || break; sleep 0.05; done
}

# Three kills at different points of a batched indexing run, each followed
# by the same consistency checks; each run resumes where the last stopped.
prev=0
for target in 200 600 1000; do
  kill_when_indexed "$tmp/run_$target.log" "$target" env EMBED_EXTENSION=./$BUILD/embed0 bash sql/index.sh "$db" docs_idx "$model" 100
  check "$(sqlite3 "$db" "PRAGMA integrity_check")" "ok" "kill -9 at >= $target rows: integrity_check"
  done_rows=$(sqlite3 "$db" "SELECT count(*) FROM docs_idx_rowids")
  next=$(sqlite3 "$db" "SELECT value FROM docs_idx_config WHERE key = 'index_next'")
  check "$(( done_rows > prev && done_rows < 1500 ))" "1" "kill -9 at >= $target rows: killed part-way ($done_rows of 1500 indexed, more than before)"
  check "$(( done_rows % 100 ))" "0" "kill -9 at >= $target rows: only whole batches committed"
  check "$(sqlite3 "$db" "SELECT count(*) FROM docs WHERE id < $next AND id NOT IN (SELECT rowid FROM docs_idx_rowids)")" "0" \
        "kill -9 at >= $target rows: every row before the resume position is indexed"
  check "$(sqlite3 "$db" "SELECT count(*) FROM docs_idx_rowids WHERE rowid >= $next")" "0" \
        "kill -9 at >= $target rows: no row after the resume position is indexed"
  check "$(sq "SELECT count(*) FROM docs_idx WHERE docs_idx MATCH 'topic' AND k = 100000")" "$done_rows" \
        "kill -9 at >= $target rows: KNN sees exactly the committed vectors"
  check "$(sq "INSERT INTO docs_idx(docs_idx) VALUES ('integrity-check')" 2>&1)" "" "kill -9 at >= $target rows: index integrity-check"
  prev=$done_rows
done

EMBED_EXTENSION=./$BUILD/embed0 bash sql/index.sh "$db" docs_idx "$model" 500 > "$tmp/second.log" 2>&1
rc=$?; [ $rc -eq 0 ] || cat "$tmp/second.log"
check "$rc" "0" "sql/index.sh resumes"
check "$(grep -c '^progress:' "$tmp/second.log")" "$(( (1500 - done_rows + 499) / 500 ))" "resume did only the remaining batches"
check "$(sqlite3 "$db" "SELECT count(*) FROM docs_idx_rowids")" "1500" "all rows indexed after resume"
check "$(sq "SELECT count(*) FROM docs JOIN docs_idx ON docs_idx.rowid = docs.id WHERE docs.id % 97 = 0 AND vec_distance_l2(docs_idx.embedding, embed(docs.body)) < 1e-5")" \
      "15" "resumed vectors equal embed() of their texts (L2 < 1e-5: batch vs single)"
check "$(sqlite3 "$db" "PRAGMA integrity_check")" "ok" "integrity_check after resume"
check "$(sq "INSERT INTO docs_idx(docs_idx) VALUES ('integrity-check')" 2>&1)" "" "index integrity-check after resume"

# A kill in the middle of a one-transaction 'rebuild' leaves the index as it
# was before the rebuild started: all 1500 rows, consistent.
setsid sqlite3 "$db" ".load ./$BUILD/embed0" "SELECT embed_load('default', '$model')" \
  "INSERT INTO docs_idx(docs_idx) VALUES ('rebuild')" > "$tmp/rebuild.log" 2>&1 &
pid=$!
sleep 1 # 1500 texts take several seconds to embed: the kill lands mid-rebuild
kill -9 -- "-$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check "$(sqlite3 "$db" "PRAGMA integrity_check")" "ok" "kill -9 during rebuild: integrity_check"
check "$(sqlite3 "$db" "SELECT count(*) FROM docs_idx_rowids")" "1500" "kill -9 during rebuild: the index is as before the rebuild"
check "$(sq "INSERT INTO docs_idx(docs_idx) VALUES ('integrity-check')" 2>&1)" "" "kill -9 during rebuild: index integrity-check"

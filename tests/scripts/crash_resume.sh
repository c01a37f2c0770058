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

EMBED_EXTENSION=./$BUILD/embed0 setsid bash sql/index.sh "$db" docs_idx "$model" 100 > "$tmp/first.log" 2>&1 &
pid=$!
# wait until at least one batch committed, then kill the whole job hard
for _ in $(seq 1 300); do
  n=$(sqlite3 "$db" "SELECT count(*) FROM docs_idx_rowids" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 200 ] && break
  sleep 0.05
done
kill -9 -- "-$pid" 2>/dev/null # the whole process group: the script and its sqlite3
wait "$pid" 2>/dev/null
for _ in $(seq 1 100); do pgrep -g "$pid" > /dev/null || break; sleep 0.05; done

check "$(sqlite3 "$db" "PRAGMA integrity_check")" "ok" "integrity_check after kill -9"
done_rows=$(sqlite3 "$db" "SELECT count(*) FROM docs_idx_rowids")
next=$(sqlite3 "$db" "SELECT value FROM docs_idx_config WHERE key = 'index_next'")
check "$(( done_rows > 0 && done_rows < 1500 ))" "1" "killed part-way ($done_rows of 1500 rows indexed)"
check "$(( done_rows % 100 ))" "0" "only whole batches committed"
check "$(sqlite3 "$db" "SELECT count(*) FROM docs WHERE id < $next AND id NOT IN (SELECT rowid FROM docs_idx_rowids)")" "0" "every row before the resume position is indexed"
check "$(sqlite3 "$db" "SELECT count(*) FROM docs_idx_rowids WHERE rowid >= $next")" "0" "no row after the resume position is indexed"
check "$(sq "SELECT count(*) FROM docs_idx WHERE docs_idx MATCH 'topic' AND k = 100000")" "$done_rows" "KNN sees exactly the committed vectors"
check "$(sq "INSERT INTO docs_idx(docs_idx) VALUES ('integrity-check')" 2>&1)" "" "index integrity-check after kill -9"

EMBED_EXTENSION=./$BUILD/embed0 bash sql/index.sh "$db" docs_idx "$model" 500 > "$tmp/second.log" 2>&1
rc=$?; [ $rc -eq 0 ] || cat "$tmp/second.log"
check "$rc" "0" "sql/index.sh resumes"
check "$(grep -c '^progress:' "$tmp/second.log")" "$(( (1500 - done_rows + 499) / 500 ))" "resume did only the remaining batches"
check "$(sqlite3 "$db" "SELECT count(*) FROM docs_idx_rowids")" "1500" "all rows indexed after resume"
check "$(sq "SELECT count(*) FROM docs JOIN docs_idx ON docs_idx.rowid = docs.id WHERE docs.id % 97 = 0 AND vec_distance_l2(docs_idx.embedding, embed(docs.body)) < 1e-5")" \
      "15" "resumed vectors equal embed() of their texts (L2 < 1e-5: batch vs single)"
check "$(sqlite3 "$db" "PRAGMA integrity_check")" "ok" "integrity_check after resume"
check "$(sq "INSERT INTO docs_idx(docs_idx) VALUES ('integrity-check')" 2>&1)" "" "index integrity-check after resume"

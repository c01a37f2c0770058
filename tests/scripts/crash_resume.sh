#!/usr/bin/env bash
# Crash consistency: kill -9 at random points (seeded; the seed is printed,
# CRASH_SEED=N repeats a run) while the index is being written, then check
# that the database passes PRAGMA integrity_check, the index passes its own
# 'integrity-check' and holds exactly the last committed state.
#
#   A. batched indexing with sql/index.sh (committed batches of 50 rows):
#      the index holds whole batches, every content row below the recorded
#      resume position and none above; rerunning the script finishes the job.
#   B. a one-transaction 'rebuild': the index is as it was before it.
#   C. transactions of UPDATE/DELETE/INSERT on a content table kept in sync
#      by triggers: the index holds a vector for exactly the committed rows,
#      each equal to embed() of the committed text.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
MODELS=${TEST_MODELS:-$BUILD/test-models}
TRIALS=${CRASH_TRIALS:-6}
model=$MODELS/minilm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seed=${CRASH_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$seed
echo "crash_resume: seed $seed (CRASH_SEED=$seed repeats these kill points), $TRIALS trials per phase"
check() { if [ "$1" = "$2" ]; then echo "PASS: crash_resume: $3"; else echo "FAIL: crash_resume: $3 (got '$1', expected '$2'; seed $seed)"; fi; }
raw() { sqlite3 -batch -cmd ".timeout 10000" "$1" "$2"; }
sq() { # sq DB SQL...: with the extension and the test model loaded
  local d=$1; shift
  sqlite3 -batch -bail -cmd ".timeout 10000" "$d" ".load ./$BUILD/embed0" "SELECT embed_load('default', '$model')" "$@" | tail -n +2
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Kill points are drawn from a range measured on this machine (a full run
# timed first), so they land part-way whether the build is fast or runs
# under a sanitizer.
random_delay() { # random_delay MIN_MS MAX_MS: prints seconds for sleep
  local ms=$(( $1 + RANDOM % ($2 - $1 + 1) ))
  printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}
# Runs a command in its own process group and kills the whole group (the
# script and the sqlite3 it runs) with SIGKILL after DELAY seconds; sets
# was_running to 1 when the command had not finished by then.
kill_after() { # kill_after DELAY LOG COMMAND...
  local delay=$1 log=$2
  shift 2
  setsid "$@" > "$log" 2>&1 &
  local pid=$!
  sleep "$delay"
  was_running=0
  kill -0 "$pid" 2>/dev/null && was_running=1
  kill -9 -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  for _ in $(seq 1 100); do pgrep -g "$pid" > /dev/null || break; sleep 0.05; done
}
consistent() { # consistent DB LABEL: both integrity checks
  check "$(raw "$1" "PRAGMA integrity_check")" "ok" "$2: PRAGMA integrity_check"
  check "$(sq "$1" "INSERT INTO docs_idx(docs_idx) VALUES ('integrity-check')" 2>&1)" "" "$2: index integrity-check"
}

# --- A. batched indexing ------------------------------------------------
db=$tmp/batches.db
sq "$db" "PRAGMA journal_mode=WAL" "CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)" \
   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
    INSERT INTO docs(body) SELECT 'document ' || i || ' is about topic ' || (i % 23) || ' and more' FROM n" \
   "CREATE VIRTUAL TABLE docs_idx USING embed_index(model = 'default', content = 'docs', content_rowid = 'id', column = 'body')" > /dev/null
t0=$(now_ms)
EMBED_EXTENSION=./$BUILD/embed0 bash sql/index.sh "$db" docs_idx "$model" 50 > "$tmp/index_full.log" 2>&1
full_ms=$(( $(now_ms) - t0 ))
echo "crash_resume: a full sql/index.sh run takes $full_ms ms"
killed_between=0
for trial in $(seq 1 "$TRIALS"); do
  # Start from fewer than half the rows, so that a kill in the first 45% of
  # a full run's time always lands part-way; otherwise resume the last run.
  if [ "$(raw "$db" "SELECT count(*) FROM docs_idx_rowids")" -ge 750 ]; then
    sq "$db" "INSERT INTO docs_idx(docs_idx) VALUES ('clear')" > /dev/null
  fi
  # From 10%: `make test` runs other programs beside this one, and a run
  # twice as slow as the timed one still commits a batch in its first 5%.
  delay=$(random_delay $((full_ms / 10)) $((full_ms * 9 / 20)))
  kill_after "$delay" "$tmp/index_$trial.log" env EMBED_EXTENSION=./$BUILD/embed0 bash sql/index.sh "$db" docs_idx "$model" 50
  label="index.sh killed after ${delay}s (trial $trial)"
  consistent "$db" "$label"
  done_rows=$(raw "$db" "SELECT count(*) FROM docs_idx_rowids")
  next=$(raw "$db" "SELECT value FROM docs_idx_config WHERE key = 'index_next'")
  [ "$done_rows" -gt 0 ] && [ "$done_rows" -lt 1500 ] && killed_between=$((killed_between + 1))
  check "$(( done_rows % 50 ))" "0" "$label: only whole batches committed ($done_rows rows)"
  check "$(raw "$db" "SELECT count(*) FROM docs WHERE id < coalesce($next + 0, 0) AND id NOT IN (SELECT rowid FROM docs_idx_rowids)")" "0" \
        "$label: every row before the resume position is indexed"
  check "$(raw "$db" "SELECT count(*) FROM docs_idx_rowids WHERE rowid >= coalesce($next + 0, 1e18)")" "0" \
        "$label: no row after the resume position is indexed"
  check "$(sq "$db" "SELECT count(*) FROM docs_idx WHERE docs_idx MATCH 'topic' AND k = 100000")" "$done_rows" \
        "$label: KNN sees exactly the committed vectors"
done
# The kill points are random; most must land part-way or the test proves little.
check "$(( killed_between * 2 >= TRIALS ))" "1" "at least half the kills landed part-way ($killed_between of $TRIALS)"

done_rows=$(raw "$db" "SELECT count(*) FROM docs_idx_rowids")
EMBED_EXTENSION=./$BUILD/embed0 bash sql/index.sh "$db" docs_idx "$model" 500 > "$tmp/resume.log" 2>&1
rc=$?; [ $rc -eq 0 ] || cat "$tmp/resume.log"
check "$rc" "0" "sql/index.sh resumes"
check "$(grep -c '^progress:' "$tmp/resume.log")" "$(( (1500 - done_rows + 499) / 500 ))" "resume did only the remaining batches"
check "$(raw "$db" "SELECT count(*) FROM docs_idx_rowids")" "1500" "all rows indexed after resume"
check "$(sq "$db" "SELECT count(*) FROM docs JOIN docs_idx ON docs_idx.rowid = docs.id WHERE docs.id % 97 = 0 AND vec_distance_l2(docs_idx.embedding, embed(docs.body)) < 1e-5")" \
      "15" "resumed vectors equal embed() of their texts (L2 < 1e-5: batch vs single)"
consistent "$db" "after resume"

# --- B. one-transaction rebuild -----------------------------------------
t0=$(now_ms)
sq "$db" "INSERT INTO docs_idx(docs_idx) VALUES ('rebuild')" > /dev/null
full_ms=$(( $(now_ms) - t0 ))
echo "crash_resume: a full rebuild takes $full_ms ms"
for trial in $(seq 1 $(( (TRIALS + 1) / 2 ))); do
  delay_ms=$(( full_ms / 20 + RANDOM % (full_ms * 3 / 5) ))
  # A busy machine can make one run much faster or slower than the timed
  # one; when a run finished before its kill, it is checked like the others
  # and the trial is repeated with half the delay, so every trial ends with
  # one kill that did land part-way.
  for attempt in 1 2 3 4; do
    delay=$(random_delay "$delay_ms" "$delay_ms")
    kill_after "$delay" "$tmp/rebuild_$trial.log" sqlite3 "$db" ".load ./$BUILD/embed0" "SELECT embed_load('default', '$model')" \
      "INSERT INTO docs_idx(docs_idx) VALUES ('rebuild')"
    label="rebuild killed after ${delay}s (trial $trial, attempt $attempt)"
    consistent "$db" "$label"
    check "$(raw "$db" "SELECT count(*) FROM docs_idx_rowids")" "1500" "$label: the index is as before the rebuild"
    [ "$was_running" = 1 ] && break
    delay_ms=$(( delay_ms / 2 ))
  done
  check "$was_running" "1" "rebuild trial $trial: a kill landed before the rebuild finished"
done

# --- C. updates through sync triggers ------------------------------------
db=$tmp/sync.db
sq "$db" "PRAGMA journal_mode=WAL" "CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)" \
   "CREATE TABLE commits(g INTEGER PRIMARY KEY)" \
   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
    INSERT INTO docs(body) SELECT 'note ' || i || ' on subject ' || (i % 17) FROM n" \
   "CREATE VIRTUAL TABLE docs_idx USING embed_index(model = 'default', content = 'docs', content_rowid = 'id', column = 'body', sync = 'triggers')" \
   "INSERT INTO docs_idx(docs_idx) VALUES ('rebuild')" > /dev/null
write_script() { # write_script FILE FIRST LAST: one transaction per generation
  for g in $(seq "$2" "$3"); do
    echo "BEGIN;
UPDATE docs SET body = 'revision $g of note ' || id || ' about ' || (id * $g % 31) WHERE id % 13 = $g % 13;
DELETE FROM docs WHERE id = (SELECT id FROM docs ORDER BY (id * $g) % 101 LIMIT 1);
INSERT INTO docs(body) VALUES ('new note $g'), (NULL);
INSERT INTO commits(g) VALUES ($g);
COMMIT;"
  done > "$1"
}
write_script "$tmp/warmup.sql" 1 20
t0=$(now_ms)
sq "$db" ".read $tmp/warmup.sql" > /dev/null
full_ms=$(( $(now_ms) - t0 ))
echo "crash_resume: 20 update transactions take $full_ms ms"
killed_between=0
for trial in $(seq 1 "$TRIALS"); do
  script=$tmp/writes_$trial.sql
  write_script "$script" $((trial * 1000)) $((trial * 1000 + 300))
  before=$(raw "$db" "SELECT count(*) FROM commits")
  delay=$(random_delay $((full_ms / 4)) $((full_ms * 5))) # between ~5 and ~100 of 301 transactions
  kill_after "$delay" "$tmp/writes_$trial.log" sqlite3 "$db" ".load ./$BUILD/embed0" "SELECT embed_load('default', '$model')" ".read $script"
  label="update transactions killed after ${delay}s (trial $trial)"
  after=$(raw "$db" "SELECT count(*) FROM commits")
  [ "$after" -gt "$before" ] && [ "$was_running" = 1 ] && killed_between=$((killed_between + 1))
  echo "crash_resume: $label: $((after - before)) of 301 transactions committed, still running: $was_running"
  consistent "$db" "$label"
  check "$(raw "$db" "SELECT count(*) FROM docs WHERE body IS NOT NULL AND id NOT IN (SELECT rowid FROM docs_idx_rowids)")" "0" \
        "$label: every committed text has a vector"
  check "$(raw "$db" "SELECT count(*) FROM docs_idx_rowids WHERE rowid NOT IN (SELECT id FROM docs WHERE body IS NOT NULL)")" "0" \
        "$label: no vector without a committed text"
  check "$(sq "$db" "SELECT count(*) FROM docs JOIN docs_idx ON docs_idx.rowid = docs.id WHERE vec_distance_l2(docs_idx.embedding, embed(docs.body)) >= 1e-5")" "0" \
        "$label: every vector equals embed() of its committed text"
done
check "$(( killed_between * 2 >= TRIALS ))" "1" "at least half the kills landed part-way, after some transactions committed and before the last ($killed_between of $TRIALS)"

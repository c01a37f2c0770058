#!/usr/bin/env bash
# Memory does not grow with the number of rows embedded: the peak RSS of a
# sqlite3 process that embeds 5x more rows (embed() per row, and a one-
# transaction 'rebuild' of an index) stays within a small margin of the
# smaller run's.  SQLite's own page cache is capped (PRAGMA cache_size) so
# that any growth measured is the extension's.  The larger table repeats the
# smaller one's texts (period $small, more than the result cache holds, so
# every row is embedded): the word-embedding rows of the mmap'd model are
# then the same pages in both runs (RSS counts the mapped pages a run has
# touched, which grows with the vocabulary seen, bounded by the file).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
MODELS=${TEST_MODELS:-$BUILD/test-models}
model=$MODELS/minilm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { if [ "$1" = "$2" ]; then echo "PASS: memory: $3"; else echo "FAIL: memory: $3 (got '$1', expected '$2')"; fi; }
small=500 large=2500 margin_kb=2048
if [ -n "${SANITIZER_PRELOAD:-}" ]; then
  # ASan keeps freed memory in quarantine and maps shadow memory: RSS then
  # measures the sanitizer.  `make test` runs this check.
  echo "memory: not measured under sanitizers (make test runs it)"
  exit 0
fi

make_db() { # make_db DB ROWS
  sqlite3 "$1" "CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)" \
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
     INSERT INTO docs(body) SELECT 'row ' || (i % $small) || ' talks about ' || (i * 7919 % $small) || ' things, ' || substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26) FROM n"
}
peak_kb() { # peak_kb DB SQL: max RSS (KB) of one sqlite3 run; its output in $tmp/out
  /usr/bin/time -f '%M' -o "$tmp/rss" sqlite3 -bail "$1" "PRAGMA cache_size = 64" ".load ./$BUILD/embed0" \
    "SELECT embed_load('default', '$model')" "$2" > "$tmp/out" 2>&1
  tail -n 1 "$tmp/rss"
}

for n in $small $large; do make_db "$tmp/docs_$n.db" "$n"; done

# embed() of every row
for n in $small $large; do
  rss_embed[$n]=$(peak_kb "$tmp/docs_$n.db" "SELECT count(*), sum(vec_dims(embed(body))) FROM docs")
  check "$(tail -n 1 "$tmp/out")" "$n|$((n * 384))" "embed() of $n rows ran"
done
echo "peak RSS: embed() of $small rows ${rss_embed[$small]} KB, of $large rows ${rss_embed[$large]} KB"
check "$(( rss_embed[$large] - rss_embed[$small] < margin_kb ))" "1" \
      "embed() of $large rows peaks within $margin_kb KB of $small rows (${rss_embed[$small]} -> ${rss_embed[$large]} KB)"

# a one-transaction rebuild of an external-content index
for n in $small $large; do
  rss_rebuild[$n]=$(peak_kb "$tmp/docs_$n.db" "CREATE VIRTUAL TABLE docs_idx USING embed_index(model = 'default', content = 'docs', content_rowid = 'id', column = 'body');
    INSERT INTO docs_idx(docs_idx) VALUES ('rebuild'); SELECT count(*) FROM docs_idx_rowids")
  check "$(tail -n 1 "$tmp/out")" "$n" "rebuild of $n rows ran"
done
echo "peak RSS: rebuild of $small rows ${rss_rebuild[$small]} KB, of $large rows ${rss_rebuild[$large]} KB"
check "$(( rss_rebuild[$large] - rss_rebuild[$small] < margin_kb ))" "1" \
      "rebuild of $large rows peaks within $margin_kb KB of $small rows (${rss_rebuild[$small]} -> ${rss_rebuild[$large]} KB)"

# A huge text through a Unigram (SentencePiece) tokenizer: normalisation and
# segmentation work in 64 KB windows, so memory grows with the text's own
# copies in SQLite, not by tens of bytes per character (before the windows,
# 2.3 GB for 20 MB of one word).  One word (cut mid-word) and spaced words.
# The same for a byte-level BPE tokenizer, read and merged in 16 KB windows
# (before them, 400 MB for 20 MB of one word).
for tk in Unigram:xlmr:xl BPE:roberta:rb; do
  IFS=: read -r kind_name shape bind <<< "$tk"
  for kind in word words; do
    for n in 2000000 20000000; do
      if [ $kind = word ]; then text="printf('%.*c', $n, 'a') || ' b'"; else text="replace(printf('%.*c', $n, 'a'), 'aaaaaaa', 'aaaaaa ')"; fi
      /usr/bin/time -f '%M' -o "$tmp/rss" sqlite3 -bail :memory: ".load ./$BUILD/embed0" \
        "SELECT embed_load('$bind', '$MODELS/$shape')" "SELECT vec_dims(embed('$bind', $text))" > "$tmp/out" 2>&1
      rss_uni[$n]=$(tail -n 1 "$tmp/rss")
      check "$(tail -n 1 "$tmp/out")" "64" "$kind_name embed() of $n bytes ($kind) ran"
    done
    grow=$(( rss_uni[20000000] - rss_uni[2000000] ))
    check "$(( grow < 8 * 18000 ))" "1" \
          "$kind_name embed() of 20 MB ($kind) peaks within 8 bytes a byte of 2 MB (${rss_uni[2000000]} -> ${rss_uni[20000000]} KB)"
  done
done

-- index_batch.sql: one resumable indexing step for docs_idx, in the sqlite3 CLI.
--   SQLITE_EMBED_MODEL=/path/to/model sqlite3 docs.db < sql/index_batch.sql
-- Each run embeds the next 1000 rows not yet indexed, commits, and prints
-- progress; run it until 'remaining' is 0 (sql/index.sh loops it for you).
.timeout 60000
.load ./build/embed0
INSERT INTO docs_idx(docs_idx, rank) VALUES ('index', 1000);
SELECT (SELECT count(*) FROM docs_idx_rowids) AS indexed,
       (SELECT count(*) FROM docs WHERE body IS NOT NULL) AS total,
       (SELECT count(*) FROM docs WHERE body IS NOT NULL) - (SELECT count(*) FROM docs_idx_rowids) AS remaining;

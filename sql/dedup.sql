-- dedup.sql: near-duplicate texts, found by meaning rather than by equal
-- bytes ("The cat sat on the mat." and "the cat sat on the mat"; a
-- re-worded copy of a support ticket).  Each text's k nearest neighbours
-- come from the semantic index's stored vectors, joined to itself, so
-- nothing is embedded again; a pair closer than :max_distance is a
-- duplicate.  Cost: one k-nearest search per row (about 4 ms at 100k x 384
-- on one core, so minutes for 100k rows; run it in batches of rowids for
-- more).
--   SQLITE_EMBED_MODEL=/path/to/all-MiniLM-L6-v2 sqlite3 docs.db < sql/dedup.sql
.load ./build/embed0
CREATE TABLE IF NOT EXISTS docs(id INTEGER PRIMARY KEY, body TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_idx USING embed_index(
  model = 'default', content = 'docs', content_rowid = 'id', column = 'body', sync = 'triggers');
INSERT INTO docs(body) VALUES
  ('How do I reset my password?'),
  ('how do I reset my password'),
  ('Invoices are sent on the first day of each month.'),
  ('What is the procedure to reset my password?'),
  ('A kitten needs food, water and a warm place to sleep.'),
  ('Invoices are sent on the first day of every month.');

-- Cosine distance under which two texts count as the same: 0.05 is a
-- cosine similarity of 0.95.  Calibrate it on pairs from your own data.
.parameter set :max_distance 0.05
.parameter set :k 5

-- Each pair once (the later rowid as the copy), closest first.
SELECT a.rowid AS kept, n.rowid AS copy, round(n.distance, 4) AS distance
  FROM docs_idx AS a
  JOIN docs_idx AS n ON n.docs_idx MATCH a.embedding AND n.k = :k
 WHERE n.rowid > a.rowid AND n.distance < :max_distance
 ORDER BY n.distance, a.rowid, n.rowid;

-- To drop the copies (the triggers take them out of the index too):
--   DELETE FROM docs WHERE id IN (
--     SELECT n.rowid FROM docs_idx AS a
--       JOIN docs_idx AS n ON n.docs_idx MATCH a.embedding AND n.k = :k
--      WHERE n.rowid > a.rowid AND n.distance < :max_distance);

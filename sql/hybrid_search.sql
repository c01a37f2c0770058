-- hybrid_search.sql: keyword search (FTS5, bm25) and search by meaning
-- (embed_index) over one documents table, fused by reciprocal rank (RRF):
-- a document's score is the sum over the two lists of 1 / (60 + its rank
-- there), so a document both searches rank well comes first, and one that
-- only one of them finds still shows up.  Keywords catch names, codes and
-- rare words an embedding blurs; the embedding catches paraphrases.
--   SQLITE_EMBED_MODEL=/path/to/all-MiniLM-L6-v2 sqlite3 docs.db < sql/hybrid_search.sql
.load ./build/embed0
CREATE TABLE IF NOT EXISTS docs(id INTEGER PRIMARY KEY, body TEXT);
-- Both indexes read docs.body; FTS5's external-content triggers are
-- written out (its documented recipe), embed_index makes its own.
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(body, content = 'docs', content_rowid = 'id');
CREATE TRIGGER IF NOT EXISTS docs_fts_ai AFTER INSERT ON docs BEGIN
  INSERT INTO docs_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER IF NOT EXISTS docs_fts_ad AFTER DELETE ON docs BEGIN
  INSERT INTO docs_fts(docs_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER IF NOT EXISTS docs_fts_au AFTER UPDATE ON docs BEGIN
  INSERT INTO docs_fts(docs_fts, rowid, body) VALUES ('delete', old.id, old.body);
  INSERT INTO docs_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE VIRTUAL TABLE IF NOT EXISTS docs_idx USING embed_index(
  model = 'default', content = 'docs', content_rowid = 'id', column = 'body', sync = 'triggers');

INSERT INTO docs(body) VALUES
  ('How do I reset my password if I forgot it?'),
  ('Error E1042: the password reset link has expired.'),
  ('I cannot log in to my account any more.'),
  ('Your invoice is sent on the first day of each month.'),
  ('A kitten needs food, water and a warm place to sleep.'),
  ('Two-factor codes arrive by text message.');

-- :q is what the user typed, :terms its words for FTS5 (joined with OR;
-- FTS5 would read punctuation in :q as its own syntax), :k how many each
-- search keeps.  (The CLI evaluates a .parameter value as SQL: hence the
-- quotes inside quotes.)
.parameter set :q "'forgot my password'"
.parameter set :terms "'forgot OR my OR password'"
.parameter set :k 20
WITH
  keyword AS (SELECT rowid AS id, row_number() OVER (ORDER BY rank) AS r
                FROM docs_fts WHERE docs_fts MATCH :terms ORDER BY rank LIMIT :k),
  meaning AS (SELECT rowid AS id, row_number() OVER (ORDER BY distance) AS r
                FROM docs_idx WHERE docs_idx MATCH :q AND k = :k)
SELECT docs.id, keyword.r AS keyword_rank, meaning.r AS meaning_rank,
       round(coalesce(1.0 / (60 + keyword.r), 0) + coalesce(1.0 / (60 + meaning.r), 0), 6) AS score,
       docs.body
  FROM docs
  LEFT JOIN keyword ON keyword.id = docs.id
  LEFT JOIN meaning ON meaning.id = docs.id
 WHERE keyword.id IS NOT NULL OR meaning.id IS NOT NULL
 ORDER BY score DESC, docs.id
 LIMIT 5;

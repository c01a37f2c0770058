-- rerank.sql: retrieve, then rerank.  The semantic index finds the :k
-- documents whose embeddings are closest to the query (one vector per
-- query, fast at any table size); a cross-encoder then reads the query
-- together with each of those candidates and orders them (one encoder pass
-- per pair: slower, and more accurate than comparing two embeddings).
--   SQLITE_EMBED_MODEL=/path/to/all-MiniLM-L6-v2 sqlite3 docs.db < sql/rerank.sql
-- with :reranker below set to a cross-encoder's directory (e.g. a download
-- of cross-encoder/ms-marco-MiniLM-L-6-v2 or BAAI/bge-reranker-base).
.load ./build/embed0
.parameter set :reranker "'/models/ms-marco-MiniLM-L-6-v2'"
SELECT embed_load('rr', :reranker) AS reranker;
CREATE TABLE IF NOT EXISTS docs(id INTEGER PRIMARY KEY, body TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_idx USING embed_index(
  model = 'default', content = 'docs', content_rowid = 'id', column = 'body', sync = 'triggers');

INSERT INTO docs(body) VALUES
  ('How do I reset my password if I forgot it?'),
  ('Error E1042: the password reset link has expired.'),
  ('I cannot log in to my account any more.'),
  ('Your invoice is sent on the first day of each month.'),
  ('A kitten needs food, water and a warm place to sleep.'),
  ('Two-factor codes arrive by text message.');

-- :q is what the user typed, :k how many candidates the index keeps, :n how
-- many the reranker returns.  (The CLI evaluates a .parameter value as SQL:
-- hence the quotes inside quotes.)
.parameter set :q "'forgot my password'"
.parameter set :k 20
.parameter set :n 3
SELECT d.id, round(embed_rerank('rr', :q, d.body), 4) AS score, d.body
  FROM (SELECT rowid FROM docs_idx WHERE docs_idx MATCH :q AND k = :k) AS c
  JOIN docs AS d ON d.id = c.rowid
 ORDER BY score DESC, d.id
 LIMIT :n;

-- example_schema.sql: a documents table kept searchable by meaning.
--   SQLITE_EMBED_MODEL=/path/to/all-MiniLM-L6-v2 sqlite3 docs.db < sql/example_schema.sql
-- then index existing rows in resumable batches with
--   sql/index.sh docs.db docs_idx /path/to/all-MiniLM-L6-v2
.load ./build/embed0
CREATE TABLE IF NOT EXISTS docs(
  id INTEGER PRIMARY KEY,
  title TEXT,
  body TEXT
);
-- The index reads texts from docs.body; sync = 'triggers' creates the
-- AFTER INSERT/UPDATE/DELETE triggers that keep it in step from now on.
CREATE VIRTUAL TABLE IF NOT EXISTS docs_idx USING embed_index(
  model = 'default', content = 'docs', content_rowid = 'id', column = 'body',
  metric = 'cosine', sync = 'triggers'
);
INSERT INTO docs(title, body) VALUES
  ('Password help', 'How do I reset my password if I forgot it?'),
  ('Billing', 'Your invoice is sent on the first day of each month.'),
  ('Pets', 'A kitten needs food, water and a warm place to sleep.');
-- Search: the 3 nearest documents to a question, joined back to their rows.
SELECT docs.id, docs.title, round(idx.distance, 4) AS distance
  FROM docs_idx AS idx JOIN docs ON docs.id = idx.rowid
 WHERE idx.docs_idx MATCH 'I cannot log in' AND idx.k = 3
 ORDER BY idx.distance;

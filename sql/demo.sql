-- demo.sql: a tour of sqlite-embed in the sqlite3 CLI.
-- Run with SQLITE_EMBED_MODEL=/path/to/model sqlite3 :memory: < sql/demo.sql
.load ./build/embed0
.mode box
SELECT embed_tokenize('Hello, world!') AS tokens;
SELECT name, dims, layers, max_length, pooling, normalize, dtype FROM embed_models;
CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT);
CREATE VIRTUAL TABLE docs_idx USING embed_index(
  model = 'default', content = 'docs', content_rowid = 'id', column = 'body', sync = 'triggers');
INSERT INTO docs(body) VALUES
  ('The cat sat on the mat.'),
  ('A kitten is sleeping on a rug.'),
  ('Stock markets fell sharply on Monday.'),
  ('How do I reset my password?');
-- the 3 nearest documents to a query, through the index
SELECT docs.id, docs.body, round(idx.distance, 4) AS distance
  FROM docs_idx AS idx JOIN docs ON docs.id = idx.rowid
 WHERE idx.docs_idx MATCH 'a cat on a carpet' AND idx.k = 3;
-- the same ranking with plain vector functions
SELECT id, round(vec_similarity(embed(body), embed('a cat on a carpet')), 4) AS similarity
  FROM docs ORDER BY similarity DESC;

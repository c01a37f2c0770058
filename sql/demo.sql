-- demo.sql: a tour of sqlite-embed in the sqlite3 CLI.
-- Run with SQLITE_EMBED_MODEL=/path/to/model sqlite3 :memory: < sql/demo.sql
.load ./build/embed0
.mode box
SELECT name, dims, max_length, pooling, normalize FROM embed_models;
SELECT embed_tokenize('Hello, world!') AS tokens;
CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO docs(body) VALUES
  ('The cat sat on the mat.'),
  ('A kitten is sleeping on a rug.'),
  ('Stock markets fell sharply on Monday.'),
  ('How do I reset my password?');
ALTER TABLE docs ADD COLUMN embedding BLOB;
UPDATE docs SET embedding = embed(body);
SELECT id, body, round(vec_similarity(embedding, embed('a cat on a carpet')), 4) AS similarity
  FROM docs ORDER BY similarity DESC;

#!/usr/bin/python3
"""SQL-level benchmarks for bench/run.sh; prints one JSON object per result line.

Run with Debian's /usr/bin/python3: its sqlite3 module can load extensions.

  sql_bench.py knn --ext build/embed0 [--vec0 PATH/vec0] --sizes 10000,100000
               [--dims 384] [--queries 20] [--reps 5] [--dir build/bench/knn]
      N random N(0,1) float32 vectors (numpy seed 42; the same data sqlite-vec's
      peers/vec_bench.sh uses) into embed_index(dims=D) and into a sqlite-vec
      vec0(embedding float[D] distance_metric=cosine) table of one fresh
      database; Q query vectors (seed 7).  Both tables are filled with one
      executemany each, in one transaction (timed: insert rows/s).  The first
      query on each table is timed alone (cold: it reads the table from the
      page cache and builds any in-memory copy).  Then timed: each
      `SELECT rowid, distance FROM t WHERE <col> MATCH ? AND k = 10` including
      fetchall(), after one untimed pass over all queries; REPS passes; the
      median over all Q*REPS timings.  The top-10 rowid lists are compared.
      Up to 512 MB of vectors a third table, embed_index(dims=D, threads=1),
      times the scan on one thread (ours1): the default splits it across the
      CPUs (up to 4); vec0 scans on one.
  sql_bench.py rebuild --ext build/embed0 --model DIR --texts FILE [--rows N] [--threads T]
      N texts into docs(id, body), an embed_index over it (content='docs'),
      one `SELECT embed('warm up')`, then `INSERT INTO idx(idx) VALUES ('rebuild')`
      timed once (wall clock, commit included).
  sql_bench.py per_row --ext EXT --model FILE.gguf --texts FILE --rows N [--threads T]
               [--options JSON] [--lembed PATH/lembed0] [--reps 2]
      `SELECT sum(length(embed('m', x))) FROM t` over the first N texts, one
      call a row as a user's query makes them (embed_load's cache off), after
      five warm-up rows; the best of REPS passes.  With --lembed the same query
      through sqlite-lembed's lembed() on the same GGUF file instead (its own
      thread count: it has no option for one).
  sql_bench.py rerank --ext EXT --model DIR --texts FILE --candidates 10,50,200 [--threads T] [--reps 3]
                      [--words W]
      A cross-encoder scores one query (the first text) against N candidates
      (the next N texts, or their first W words) two ways: `SELECT sum(embed_rerank('rr', ?, body))
      FROM c` (one encoder pass a pair, as a query's result column makes
      them) and `SELECT sum(score) FROM embed_rerank_each(?, ?, 'rr')` with
      the candidates as one JSON array (one batched call).  Best of REPS
      passes each, after one untimed pass; the two sums must be equal (the
      scores are the same bits).  Emits pairs/s of each and the pairs' mean
      token count.
  sql_bench.py lengths --ext build/embed0 --model DIR --texts FILE
      token counts ([CLS] and [SEP] included, capped at the model's max_length)
      of every line, as the engine sees them.
"""
import argparse
import json
import os
import sqlite3
import statistics
import sys
import time


def connect(path, ext, vec0=None):
    c = sqlite3.connect(path, isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(ext)
    if vec0:
        c.load_extension(vec0)
    c.enable_load_extension(False)
    return c


def emit(obj):
    print(json.dumps(obj), flush=True)


def vectors(n, d, seed):
    try:
        import numpy as np
        x = np.random.default_rng(seed).standard_normal((n, d), dtype=np.float32)
        return [x[i].tobytes() for i in range(n)]
    except ImportError:  # slower, same distribution (not the same numbers)
        import random
        import struct
        r = random.Random(seed)
        fmt = "<%df" % d
        return [struct.pack(fmt, *(r.gauss(0, 1) for _ in range(d))) for _ in range(n)]


def cmd_knn(a):
    os.makedirs(a.dir, exist_ok=True)
    queries = vectors(a.queries, a.dims, 7)
    for n in [int(s) for s in a.sizes.split(",") if s]:
        db = os.path.join(a.dir, "knn_%d.db" % n)
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        data = vectors(n, a.dims, 42)
        c = connect(db, a.ext, a.vec0)
        c.execute("PRAGMA page_size=8192")
        c.execute("PRAGMA cache_size=-4000000")   # 4 GB page cache, for both tables alike
        c.execute("PRAGMA mmap_size=8000000000")
        tables = [("ours", "idx", "idx", "CREATE VIRTUAL TABLE idx USING embed_index(dims=%d)" % a.dims),
                  ("int8", "idx8", "idx8", "CREATE VIRTUAL TABLE idx8 USING embed_index(dims=%d, quantize='int8')" % a.dims)]
        if n * a.dims * 4 <= 512 << 20:  # the scan of the in-memory copy is split across threads; vec0 uses one
            tables.append(("ours1", "idx1", "idx1", "CREATE VIRTUAL TABLE idx1 USING embed_index(dims=%d, threads=1)" % a.dims))
        if a.vec0:
            tables.append(("vec0", "v", "embedding",
                           "CREATE VIRTUAL TABLE v USING vec0(embedding float[%d] distance_metric=cosine)" % a.dims))
        res = {"kind": "knn", "n": n, "dims": a.dims, "queries": a.queries, "reps": a.reps}
        for name, table, _, ddl in tables:
            c.execute(ddl)
            col = "embedding"
            t0 = time.perf_counter()
            c.execute("BEGIN")
            c.executemany("INSERT INTO %s(rowid, %s) VALUES (?, ?)" % (table, col),
                          ((i + 1, data[i]) for i in range(n)))
            c.execute("COMMIT")
            res[name + "_insert_s"] = time.perf_counter() - t0
        del data
        res["db_mb"] = os.path.getsize(db) / 1e6
        tops = {}
        for name, table, mcol, _ in tables:
            sql = "SELECT rowid, distance FROM %s WHERE %s MATCH ? AND k = 10" % (table, mcol)
            t0 = time.perf_counter()  # the first query pays for reading the table (and any in-memory copy)
            c.execute(sql, (queries[0],)).fetchall()
            res[name + "_first_ms"] = (time.perf_counter() - t0) * 1e3
            for q in queries:  # warm-up: pages into the cache, in-memory copies built
                c.execute(sql, (q,)).fetchall()
            times, top = [], []
            for _ in range(a.reps):
                for qi, q in enumerate(queries):
                    t0 = time.perf_counter()
                    rows = c.execute(sql, (q,)).fetchall()
                    times.append(time.perf_counter() - t0)
                    if len(top) < len(queries):
                        top.append(rows)
            res[name + "_ms"] = statistics.median(times) * 1e3
            res[name + "_ms_min"] = min(times) * 1e3
            tops[name] = top
        # recall@10 of the int8 search (re-ranked) against our exact search
        if "ours1" in tops:
            res["ours1_same"] = sum(1 for x, y in zip(tops["ours1"], tops["ours"]) if x == y)
        res["int8_recall"] = sum(len({r[0] for r in x} & {r[0] for r in y})
                                 for x, y in zip(tops["int8"], tops["ours"])) / (10.0 * len(queries))
        if "vec0" in tops:
            same = sum(1 for x, y in zip(tops["ours"], tops["vec0"]) if [r[0] for r in x] == [r[0] for r in y])
            res["identical"] = same
            res["max_distance_diff"] = max(abs(p[1] - q[1]) for x, y in zip(tops["ours"], tops["vec0"])
                                           for p, q in zip(x, y))
        c.close()
        if not a.keep:
            os.remove(db)
        emit(res)


def read_texts(path, rows):
    with open(path, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f]
    return texts[:rows] if rows else texts


def cmd_rebuild(a):
    texts = read_texts(a.texts, a.rows)
    db = a.db
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    c = connect(db, a.ext)
    opts = json.dumps({"threads": a.threads}) if a.threads else "{}"
    c.execute("SELECT embed_load('default', ?, ?)", (a.model, opts))
    c.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)")
    c.execute("BEGIN")
    c.executemany("INSERT INTO docs(id, body) VALUES (?, ?)", ((i + 1, t) for i, t in enumerate(texts)))
    c.execute("COMMIT")
    c.execute("CREATE VIRTUAL TABLE idx USING embed_index(model='default', content='docs', "
              "content_rowid='id', column='body')")
    maxlen = c.execute("SELECT max_length FROM embed_models WHERE name = 'default'").fetchone()[0]
    tokens = c.execute("SELECT sum(min(embed_token_count(body) + 2, ?)) FROM docs", (maxlen,)).fetchone()[0]
    c.execute("SELECT embed('warm up')").fetchone()
    t0 = time.perf_counter()
    c.execute("INSERT INTO idx(idx) VALUES ('rebuild')")
    dt = time.perf_counter() - t0
    n = c.execute("SELECT count(*) FROM idx_rowids").fetchone()[0] if has_table(c, "idx_rowids") else None
    got = c.execute("SELECT count(*) FROM idx").fetchone()[0]
    c.close()
    os.remove(db)
    emit({"kind": "rebuild", "rows": len(texts), "indexed": got if n is None else n, "tokens": tokens,
          "seconds": dt, "threads": a.threads, "max_length": maxlen})


def has_table(c, name):
    return c.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


def cmd_per_row(a):
    texts = read_texts(a.texts, a.rows)
    c = connect(":memory:", a.ext, a.lembed)
    c.execute("CREATE TABLE t(x TEXT)")
    c.executemany("INSERT INTO t(x) VALUES (?)", ((x,) for x in texts))
    if a.lembed:
        c.execute("INSERT INTO temp.lembed_models(name, model) SELECT 'm', lembed_model_from_file(?)", (a.model,))
        fn = "lembed"
    else:
        opts = json.loads(a.options)
        opts["cache_size"] = 0
        if a.threads:
            opts["threads"] = a.threads
        c.execute("SELECT embed_load('m', ?, ?)", (a.model, json.dumps(opts)))
        fn = "embed"
    c.execute("SELECT sum(length(%s('m', x))) FROM t WHERE rowid <= 5" % fn).fetchone()
    best = None
    for _ in range(a.reps):
        t0 = time.perf_counter()
        total = c.execute("SELECT sum(length(%s('m', x))) FROM t" % fn).fetchone()[0]
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    c.close()
    emit({"kind": "per_row", "fn": fn, "rows": len(texts), "bytes": total, "seconds": best,
          "sps": len(texts) / best, "threads": a.threads})


def cmd_rerank(a):
    texts = read_texts(a.texts, 0)
    query = texts[0]
    c = connect(":memory:", a.ext)
    opts = json.dumps({"threads": a.threads} if a.threads else {})
    c.execute("SELECT embed_load('rr', ?, ?)", (a.model, opts))
    for n in [int(x) for x in a.candidates.split(",")]:
        docs = texts[1:1 + n]
        if a.words:  # short candidates (titles, FAQ questions): their first W words
            docs = [" ".join(d.split()[:a.words]) for d in docs]
        c.execute("DROP TABLE IF EXISTS c")
        c.execute("CREATE TABLE c(body TEXT)")
        c.executemany("INSERT INTO c VALUES (?)", [(d,) for d in docs])
        arr = json.dumps(docs)
        tokens = statistics.mean(len(json.loads(c.execute("SELECT embed_tokenize('rr', ?)", (query + " " + d,))
                                                .fetchone()[0])["ids"]) for d in docs)
        per_row_sql = "SELECT sum(embed_rerank('rr', ?, body)) FROM c"
        batched_sql = "SELECT sum(score) FROM embed_rerank_each(?, ?, 'rr')"
        times = {}
        sums = {}
        for name, sql, args in (("per_row", per_row_sql, (query,)), ("batched", batched_sql, (query, arr))):
            sums[name] = c.execute(sql, args).fetchone()[0]  # untimed
            best = None
            for _ in range(a.reps):
                t0 = time.perf_counter()
                c.execute(sql, args).fetchone()
                dt = time.perf_counter() - t0
                best = dt if best is None else min(best, dt)
            times[name] = best
        if sums["per_row"] != sums["batched"]:
            raise SystemExit("rerank: per-row and batched scores differ (%r vs %r)" % (sums["per_row"], sums["batched"]))
        emit({"kind": "rerank", "candidates": n, "threads": a.threads, "words": a.words, "tokens": tokens,
              "per_row_pps": n / times["per_row"], "batched_pps": n / times["batched"]})
    c.close()


def cmd_lengths(a):
    texts = read_texts(a.texts, a.rows)
    c = connect(":memory:", a.ext)
    c.execute("SELECT embed_load('default', ?)", (a.model,))
    maxlen = c.execute("SELECT max_length FROM embed_models WHERE name = 'default'").fetchone()[0]
    lens = [min(c.execute("SELECT embed_token_count(?)", (t,)).fetchone()[0] + 2, maxlen) for t in texts]
    emit({"kind": "lengths", "max_length": maxlen, "lengths": lens})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("knn")
    p.add_argument("--ext", required=True)
    p.add_argument("--vec0")
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--dims", type=int, default=384)
    p.add_argument("--queries", type=int, default=20)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--dir", default="build/bench/knn")
    p.add_argument("--keep", action="store_true", help="keep the databases")
    p = sp.add_parser("rebuild")
    p.add_argument("--ext", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--texts", required=True)
    p.add_argument("--rows", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="0: the extension's default (all cores)")
    p.add_argument("--db", default="build/bench/rebuild.db")
    p = sp.add_parser("per_row")
    p.add_argument("--ext", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--texts", required=True)
    p.add_argument("--rows", type=int, default=500)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--options", default="{}")
    p.add_argument("--lembed")
    p.add_argument("--reps", type=int, default=2)
    p = sp.add_parser("rerank")
    p.add_argument("--ext", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--texts", required=True)
    p.add_argument("--candidates", default="10,50,200")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--words", type=int, default=0, help="cut each candidate to its first W words (0: whole)")
    p = sp.add_parser("lengths")
    p.add_argument("--ext", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--texts", required=True)
    p.add_argument("--rows", type=int, default=0)
    a = ap.parse_args()
    {"knn": cmd_knn, "rebuild": cmd_rebuild, "per_row": cmd_per_row, "rerank": cmd_rerank,
     "lengths": cmd_lengths}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())

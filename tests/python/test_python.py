#!/usr/bin/python3
"""sqlite-embed from Python's sqlite3 module (Debian's /usr/bin/python3,
whose sqlite3 has enable_load_extension).

    BUILD=build TEST_MODELS=build/test-models /usr/bin/python3 tests/python/test_python.py

Prints one "PASS: python: ..." or "FAIL: python: ..." line per check:
loading, embed() bytes and norm, vec_similarity, exact error messages
as sqlite3.OperationalError, an embed_index round trip with KNN, a list of
documents scored by embed_rerank_each as one JSON parameter, 8 threads
with their own connections embedding and searching at once (results equal
to the single-threaded ones, one process-wide shared model), and a WAL
database with a writer committing batches while a reader runs KNN.
"""
import math
import os
import random
import shutil
import sqlite3
import struct
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", "build")
MODELS = os.environ.get("TEST_MODELS", os.path.join(BUILD, "test-models"))
EXT = os.path.join(ROOT, BUILD, "embed0") if not os.path.isabs(BUILD) else os.path.join(BUILD, "embed0")
MODEL = MODELS if os.path.isabs(MODELS) else os.path.join(ROOT, MODELS)
MODEL = os.path.join(MODEL, "minilm")
DIMS = 384
THREADS = int(os.environ.get("EMBED_PY_THREADS", "8"))
SECONDS = float(os.environ.get("EMBED_PY_SECONDS", "3"))

TEXTS = [
    "the cat sat on the mat",
    "a kitten sleeps on a rug",
    "stock markets fell sharply today",
    "how do I reset my password",
    "the weather is sunny and warm",
    "Héllo wörld, naïve café",
    "SQLite is a small, fast, self-contained SQL database engine",
    "vectors live in float32 blobs",
    "",
    "one two three four five six seven eight nine ten " * 8,
    "日本語のテキスト",
    "emoji 🙂 and punctuation!?",
]

failures = 0


def report(ok, name, detail=""):
    global failures
    if ok:
        print(f"PASS: python: {name}", flush=True)
    else:
        failures += 1
        print(f"FAIL: python: {name}" + (f" ({detail})" if detail else ""), flush=True)


def check(name):
    """Decorator-free helper: run fn, a raised exception is a FAIL."""
    def wrap(fn):
        try:
            res = fn()
        except Exception as e:  # noqa: BLE001 - any error is a failed check
            report(False, name, f"{type(e).__name__}: {e}")
            traceback.print_exc(file=sys.stderr)
            return None
        if isinstance(res, tuple):
            report(res[0], name, res[1])
        else:
            report(bool(res), name)
        return res
    return wrap


def connect(path=":memory:", load_model=True, **kw):
    db = sqlite3.connect(path, **kw)
    db.enable_load_extension(True)
    db.load_extension(EXT)
    db.enable_load_extension(False)
    if load_model:
        db.execute("SELECT embed_load('default', ?)", (MODEL,)).fetchone()
    return db


def floats(blob):
    return struct.unpack(f"<{len(blob) // 4}f", blob)


def max_abs_diff(a, b):
    if len(a) != len(b):
        return math.inf
    return max((abs(x - y) for x, y in zip(a, b)), default=0.0)


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb)


def expect_error(db, sql, params, message):
    try:
        db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as e:
        return (str(e) == message, f"got {str(e)!r}")
    except Exception as e:  # noqa: BLE001
        return (False, f"raised {type(e).__name__}: {e}")
    return (False, "no error raised")


# ---------------------------------------------------------------- basics
db = None


@check("load the extension with enable_load_extension + load_extension")
def _():
    global db
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(EXT)
    db.enable_load_extension(False)
    v = db.execute("SELECT embed_version()").fetchone()[0]
    return (isinstance(v, str) and v.count(".") == 2, f"embed_version() = {v!r}")


if db is None:
    print("FAIL: python: cannot continue without the extension", flush=True)
    sys.exit(1)


@check("embed_load returns the model name")
def _():
    r = db.execute("SELECT embed_load('default', ?)", (MODEL,)).fetchone()[0]
    return (r == "default", f"got {r!r}")


ref = {}


@check(f"embed() returns bytes of {DIMS}*4 for every test text")
def _():
    for t in TEXTS:
        b = db.execute("SELECT embed(?)", (t,)).fetchone()[0]
        if not isinstance(b, bytes) or len(b) != DIMS * 4:
            return (False, f"{t!r}: {type(b).__name__} of {len(b) if b else 0} bytes")
        ref[t] = b
    return True


@check("struct-unpacked embedding has L2 norm 1 (minilm: mean + normalize)")
def _():
    worst = max(abs(math.sqrt(sum(x * x for x in floats(b))) - 1.0) for b in ref.values())
    return (worst < 1e-5, f"worst |norm - 1| = {worst:g}")


@check("embed(model, text) equals embed(text), and a second call is byte-identical")
def _():
    a, b = db.execute("SELECT embed('default', ?), embed(?)", (TEXTS[0], TEXTS[0])).fetchone()
    return (a == b == ref[TEXTS[0]], "differs")


@check("vec_similarity of bytes parameters equals a cosine computed in Python")
def _():
    worst = 0.0
    for i in range(len(TEXTS)):
        for j in range(i, len(TEXTS)):
            a, b = ref[TEXTS[i]], ref[TEXTS[j]]
            s = db.execute("SELECT vec_similarity(?, ?)", (a, b)).fetchone()[0]
            worst = max(worst, abs(s - cosine(floats(a), floats(b))))
    return (worst < 1e-6, f"worst difference {worst:g}")


@check("vec_similarity ranks a related text above an unrelated one; self-similarity is 1")
def _():
    s_self, s_rel, s_unrel = db.execute(
        "SELECT vec_similarity(embed(?1), embed(?1)), vec_similarity(embed(?1), embed(?2)), "
        "vec_similarity(embed(?1), embed(?3))", (TEXTS[0], TEXTS[0] + " again", TEXTS[2])).fetchone()
    return (abs(s_self - 1) < 1e-6 and s_rel > s_unrel, f"self {s_self}, related {s_rel}, unrelated {s_unrel}")


@check("vec_from_json / vec_to_json round trip through Python floats and json")
def _():
    import json
    v = [0.5, -1.25, 3.0, 1e-3]
    b = db.execute("SELECT vec_from_json(?)", (json.dumps(v),)).fetchone()[0]
    back = json.loads(db.execute("SELECT vec_to_json(?)", (b,)).fetchone()[0])
    return (b == struct.pack("<4f", *v) and max_abs_diff(back, v) < 1e-7, f"{b.hex()} {back}")


@check("a vector made with struct.pack is accepted by vec_distance_l2 and vec_dot")
def _():
    a = struct.pack("<3f", 1, 2, 3)
    b = struct.pack("<3f", 1, 2, 5)
    d, dot = db.execute("SELECT vec_distance_l2(?, ?), vec_dot(?, ?)", (a, b, a, b)).fetchone()
    return (d == 2.0 and dot == 20.0, f"l2 {d}, dot {dot}")


ERRORS = [
    ("SELECT embed(?)", (42,), "embed(): argument 1 (text) must be TEXT, got INTEGER"),
    ("SELECT embed(?)", (b"abc",), "embed(): argument 1 (text) must be TEXT, got BLOB"),
    ("SELECT embed(?, 'x')", (1.5,), "embed(): argument 1 (model) must be TEXT, got REAL"),
    ("SELECT embed('nope', ?)", ("x",), "embed(): no model named 'nope'; loaded: default"),
    ("SELECT vec_dims(?)", (b"\x01\x02\x03",),
     "vec_dims(): argument 1 is a BLOB of 3 bytes, not a float32 vector (4 bytes per dimension, at least one); "
     "vec_int8(b) marks a stored int8 vector"),
    ("SELECT vec_similarity(?, ?)", ("[1,2,3]", "[1,2]"),
     "vec_similarity(): dimension mismatch: argument 1 has 3 dimensions (12 bytes), argument 2 has 2 (8 bytes)"),
    ("SELECT embed_load('bad', ?, ?)", (MODEL, '{"polling": "mean"}'),
     "embed_load(): unknown option 'polling' (known: pooling, normalize, max_length, threads, batch_size, cache_size, precision, prompt, prompt_name, truncate_dim)"),
]
for sql, params, msg in ERRORS:
    check(f"error raises sqlite3.OperationalError {msg!r}")(lambda sql=sql, params=params, msg=msg:
                                                            expect_error(db, sql, params, msg))


@check("the connection is still usable after the errors")
def _():
    return db.execute("SELECT embed(?)", (TEXTS[1],)).fetchone()[0] == ref[TEXTS[1]]


@check("NULL text gives None")
def _():
    return db.execute("SELECT embed(?)", (None,)).fetchone()[0] is None


@check("embed_models row for the model")
def _():
    r = db.execute("SELECT name, loaded, dims, pooling, normalize, shared_by FROM embed_models").fetchall()
    return (r == [("default", 1, DIMS, "mean", 1, 1)], f"got {r}")


# ---------------------------------------------------------------- embed_index
def knn(conn, table, query, k):
    return conn.execute(f"SELECT rowid, distance FROM {table} WHERE {table} MATCH ? AND k = ?", (query, k)).fetchall()


@check("embed_index round trip: executemany texts (one encoder batch), stored vectors equal embed() within 1e-6")
def _():
    db.execute("CREATE VIRTUAL TABLE docs USING embed_index(model = 'default')")
    with db:
        db.executemany("INSERT INTO docs(rowid, text) VALUES (?, ?)", list(enumerate(TEXTS, 1)))
    rows = db.execute("SELECT rowid, text, embedding FROM docs ORDER BY rowid").fetchall()
    # a batch of texts through the encoder is not bit-identical to one at a time
    worst = max(max_abs_diff(floats(e), floats(ref[t])) for _, t, e in rows)
    ok = [(r, t) for r, t, _ in rows] == list(enumerate(TEXTS, 1)) and worst <= 1e-6
    return (ok, f"{len(rows)} rows, worst element difference {worst:g}")


@check("embed_index: a single-row INSERT stores exactly embed() of the text")
def _():
    db.execute("CREATE VIRTUAL TABLE one USING embed_index(model = 'default')")
    db.execute("INSERT INTO one(rowid, text) VALUES (1, ?)", (TEXTS[3],))
    db.commit()
    e = db.execute("SELECT embedding FROM one WHERE rowid = 1").fetchone()[0]
    return e == ref[TEXTS[3]]


@check("embed_index KNN by text: the text itself first at distance 0, k rows, ascending")
def _():
    for i, t in enumerate(TEXTS, 1):
        if t == "":
            continue  # '' and '   ' tie; skip the ambiguous one
        res = knn(db, "docs", t, 5)
        if len(res) != 5 or res[0][0] != i or abs(res[0][1]) > 1e-6:
            return (False, f"{t!r}: {res}")
        if any(res[j][1] > res[j + 1][1] for j in range(4)):
            return (False, f"not ascending: {res}")
    return True


@check("embed_index KNN by bytes parameter equals a brute-force cosine in Python")
def _():
    q = ref[TEXTS[0]]
    res = knn(db, "docs", q, len(TEXTS))
    brute = sorted(((1 - cosine(floats(q), floats(ref[t])), i) for i, t in enumerate(TEXTS, 1)))
    ok = [r for r, _ in res] == [i for _, i in brute] or \
        max(abs(d - bd) for (_, d), (bd, _) in zip(res, brute)) < 1e-6  # ties may swap
    worst = max(abs(d - bd) for (_, d), (bd, _) in zip(res, brute))
    return (ok and worst < 1e-5, f"worst distance difference {worst:g}; {res[:3]} vs {brute[:3]}")


@check("embed_index: a scan reading embeddings while the same connection replaces and deletes rows ahead of it, "
       "and rewrites the chunk rows, returns each row's vector as it is when read")
def _():
    db.execute("CREATE VIRTUAL TABLE w8 USING embed_index(dims = 8)")
    def vec(i, gen):
        return struct.pack("<8f", *[float(i * 10 + gen)] * 8)
    with db:
        db.executemany("INSERT INTO w8(rowid, embedding) VALUES (?, ?)", [(i, vec(i, 0)) for i in range(1, 3001)])
    want, got, bad = {i: 0 for i in range(1, 3001)}, [], []
    for rowid, e in db.execute("SELECT rowid, embedding FROM w8"):  # read through one kept BLOB handle per chunk
        got.append(rowid)
        if e != vec(rowid, want[rowid]):
            bad.append((rowid, floats(e)[0], want[rowid]))
        # Python's cursor has already stepped to the next row (rowid + 1, or + 2 after a
        # delete): change rows after that one
        if rowid + 3 in want:  # rewritten in the chunk the scan reads
            db.execute("UPDATE w8 SET embedding = ? WHERE rowid = ?", (vec(rowid + 3, 1), rowid + 3))
            want[rowid + 3] = 1
        if rowid % 100 == 0 and rowid + 4 in want:
            db.execute("DELETE FROM w8 WHERE rowid = ?", (rowid + 4,))
            del want[rowid + 4]
        if rowid in (500, 1500):  # an SQL write of the chunk rows expires the scan's BLOB handle
            db.execute("UPDATE w8_chunks SET vectors = vectors")
    db.commit()
    ok = not bad and got == sorted(want)
    return (ok, f"{len(got)} rows read, {len(want)} expected, first wrong: {bad[:3]}")


@check("embed_index: KNN results read while the same connection deletes, updates and searches again "
       "return each hit's vector as it is when read")
def _():
    db.execute("CREATE VIRTUAL TABLE w9 USING embed_index(dims = 8, metric = 'l2')")
    def vec(i, gen):
        return struct.pack("<8f", *[float(i + 1000 * gen)] * 8)
    with db:
        db.executemany("INSERT INTO w9(rowid, embedding) VALUES (?, ?)", [(i, vec(i, 0)) for i in range(1, 201)])
    want, got, bad = {i: vec(i, 0) for i in range(1, 201)}, [], []
    # hits 200, 199, ... 171; the search's in-memory copy serves their embeddings
    for n, (rowid, e) in enumerate(db.execute("SELECT rowid, embedding FROM w9 WHERE w9 MATCH ? AND k = 30",
                                              (vec(200, 0),))):
        got.append(rowid)
        if e != want[rowid]:
            bad.append((rowid, floats(e)[0] if e else None, floats(want[rowid])[0]))
        if n == 0:
            # Python has stepped to hit 2 already: change hit 5, drop rowid 1 (every later
            # entry of a new copy moves down one), and search again, which makes that copy
            db.execute("UPDATE w9 SET embedding = ? WHERE rowid = 196", (vec(196, 1),))
            want[196] = vec(196, 1)
            db.execute("DELETE FROM w9 WHERE rowid = 1")
            del want[1]
            knn(db, "w9", vec(5, 0), 3)
    db.commit()
    ok = not bad and got == list(range(200, 170, -1))
    return (ok, f"{len(got)} hits, first wrong: {bad[:3]}")


@check("embed_index with dims and l2 over struct-packed vectors")
def _():
    rnd = random.Random(7)
    vecs = {i: [rnd.uniform(-1, 1) for _ in range(16)] for i in range(1, 301)}
    db.execute("CREATE VIRTUAL TABLE v16 USING embed_index(dims = 16, metric = 'l2')")
    with db:
        db.executemany("INSERT INTO v16(rowid, embedding) VALUES (?, ?)",
                       [(i, struct.pack("<16f", *v)) for i, v in vecs.items()])
    q = [rnd.uniform(-1, 1) for _ in range(16)]
    res = knn(db, "v16", struct.pack("<16f", *q), 10)
    q32 = floats(struct.pack("<16f", *q))
    brute = sorted((math.dist(q32, floats(struct.pack("<16f", *v))), i) for i, v in vecs.items())[:10]
    ok = [r for r, _ in res] == [i for _, i in brute] and max(abs(d - bd) for (_, d), (bd, _) in zip(res, brute)) < 1e-5
    return (ok, f"{res[:3]} vs {brute[:3]}")


@check("embed_index: MATCH without k raises OperationalError with the exact message")
def _():
    return expect_error(db, "SELECT * FROM docs WHERE docs MATCH ?", ("x",),
                        "embed_index: a MATCH query on docs needs k = N (LIMIT N also works on SQLite 3.41 and later)")


@check("embed_index: a vector of the wrong size raises IntegrityError (SQLITE_MISMATCH) with the exact message")
def _():
    try:
        db.execute("INSERT INTO v16(rowid, embedding) VALUES (1000, ?)", (b"\0\0\x80\x3f",))
    except sqlite3.IntegrityError as e:  # Python maps SQLITE_MISMATCH to IntegrityError
        msg = "embed_index: embedding is a BLOB of 4 bytes but table v16 holds 16-dimension float32 vectors (64 bytes)"
        name = getattr(e, "sqlite_errorname", "SQLITE_MISMATCH")
        return (str(e) == msg and name == "SQLITE_MISMATCH", f"{name}: {e}")
    finally:
        db.rollback()
    return (False, "no error raised")


@check("embed_rerank_each: a Python list bound as json.dumps(docs) gets one score per document, each equal to "
       "embed_rerank of its pair, and sorting by them is CrossEncoder.rank's shape")
def _():
    import json
    reranker = os.path.join(os.path.dirname(MODEL), "rerank")
    db.execute("SELECT embed_load('rr', ?)", (reranker,)).fetchone()
    query = "how do I reset my password"
    docs = [t for t in TEXTS if t] + [None]
    rows = db.execute("SELECT i, document, score FROM embed_rerank_each(?, ?, 'rr') ORDER BY i",
                      (query, json.dumps(docs))).fetchall()
    pair = [db.execute("SELECT embed_rerank('rr', ?, ?)", (query, d)).fetchone()[0] for d in docs]
    ranked = [docs[i] for i, _, score in sorted(rows, key=lambda r: 1e9 if r[2] is None else -r[2])]
    ok = ([r[1] for r in rows] == docs and [r[2] for r in rows] == pair and rows[-1][2] is None and
          isinstance(rows[0][2], float) and ranked[-1] is None and len(set(pair[:-1])) > 1)
    return (ok, f"{rows[:2]} vs {pair[:2]}")


# ---------------------------------------------------------------- threads
def thread_checks():
    queries = [t for t in TEXTS if t]
    ref_knn = {t: knn(db, "docs", t, 4) for t in queries}
    ready = threading.Barrier(THREADS + 1)
    done_counting = threading.Event()
    results = [None] * THREADS

    def worker(n):
        out = {"embeds": 0, "searches": 0, "bad": [], "error": None}
        results[n] = out
        conn = None
        try:
            conn = connect()
            conn.execute("CREATE VIRTUAL TABLE docs USING embed_index(model = 'default')")
            with conn:
                conn.executemany("INSERT INTO docs(rowid, text) VALUES (?, ?)", list(enumerate(TEXTS, 1)))
            ready.wait(60)
            done_counting.wait(60)
            rnd = random.Random(n)
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                t = rnd.choice(TEXTS)
                b = conn.execute("SELECT embed(?)", (t,)).fetchone()[0]
                out["embeds"] += 1
                d = max_abs_diff(floats(b), floats(ref[t]))
                if not d <= 1e-6:
                    out["bad"].append(f"embed({t!r}) differs by {d:g}")
                if t:
                    res = knn(conn, "docs", t, 4)
                    out["searches"] += 1
                    exp = ref_knn[t]
                    if [r for r, _ in res] != [r for r, _ in exp] or \
                            max(abs(a[1] - e[1]) for a, e in zip(res, exp)) > 1e-6:
                        out["bad"].append(f"KNN({t!r}) {res} != {exp}")
                if len(out["bad"]) > 5:
                    break
        except Exception as e:  # noqa: BLE001
            out["error"] = f"{type(e).__name__}: {e}"
            try:
                ready.abort()
            except Exception:  # noqa: BLE001
                pass
        finally:
            if conn is not None:
                conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    shared = None
    try:
        ready.wait(120)
        shared = db.execute("SELECT shared_by FROM embed_models WHERE name = 'default'").fetchone()[0]
    except threading.BrokenBarrierError:
        pass
    done_counting.set()
    for th in threads:
        th.join(SECONDS + 120)
    elapsed = time.monotonic() - t0
    alive = [th for th in threads if th.is_alive()]
    report(not alive, f"{THREADS} threads finished (in {elapsed:.1f}s)", f"{len(alive)} still running")
    errors = [f"thread {i}: {r['error']}" for i, r in enumerate(results) if r and r["error"]]
    report(not errors, f"{THREADS} threads each opened a connection, loaded the extension and the model",
           "; ".join(errors))
    report(shared is not None and shared >= THREADS + 1,
           f"one process-wide model: shared_by = {shared} with {THREADS + 1} connections open",
           f"expected >= {THREADS + 1}")
    total_e = sum(r["embeds"] for r in results if r)
    total_s = sum(r["searches"] for r in results if r)
    bad = [b for r in results if r for b in r["bad"]]
    report(total_e >= THREADS and all(r and r["embeds"] > 0 for r in results),
           f"every thread embedded concurrently ({total_e} embeds, {total_s} KNN searches in {SECONDS:g}s)",
           f"per thread: {[r and r['embeds'] for r in results]}")
    report(not bad, "every concurrent embed() equals the single-threaded vector within 1e-6", "; ".join(bad[:3]))
    report(not bad, "every concurrent KNN equals the single-threaded rowids and distances", "; ".join(bad[:3]))
    after = db.execute("SELECT shared_by FROM embed_models WHERE name = 'default'").fetchone()[0]
    report(after == 1, "shared_by drops back to 1 when the threads' connections close", f"got {after}")


try:
    thread_checks()
except Exception as e:  # noqa: BLE001
    report(False, "threads", f"{type(e).__name__}: {e}")
    traceback.print_exc(file=sys.stderr)


# ---------------------------------------------------------------- WAL: writer + reader
def wal_checks(tmp):
    batch = 5
    path = os.path.join(tmp, "wal.db")
    w = connect(path, timeout=30, check_same_thread=False)  # used by the writer thread
    mode = w.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    report(mode == "wal", "file database in WAL mode", f"journal_mode = {mode}")
    w.execute("CREATE VIRTUAL TABLE notes USING embed_index(model = 'default')")
    w.commit()
    stop = threading.Event()
    state = {"written": 0, "werr": None, "reads": 0, "rerr": None, "bad": [], "seen": set()}
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda".split()

    def writer():
        try:
            i = 0
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline and not stop.is_set():
                with w:  # one transaction per batch
                    for _ in range(batch):
                        i += 1
                        w.execute("INSERT INTO notes(rowid, text) VALUES (?, ?)",
                                  (i, f"note {i}: {words[i % len(words)]} {words[(i * 7) % len(words)]}"))
                state["written"] = i
        except Exception as e:  # noqa: BLE001
            state["werr"] = f"{type(e).__name__}: {e}"

    def reader():
        r = None
        try:
            r = connect(path, timeout=30, isolation_level=None)
            last = 0
            while not stop.is_set():
                r.execute("BEGIN")
                n = r.execute("SELECT count(*) FROM notes").fetchone()[0]
                res = knn(r, "notes", "gamma delta", 100000)
                mx = r.execute("SELECT coalesce(max(rowid), 0) FROM notes").fetchone()[0]
                r.execute("COMMIT")
                state["reads"] += 1
                state["seen"].add(n)
                ids = sorted(x for x, _ in res)
                if n % batch != 0:
                    state["bad"].append(f"count {n} is not a multiple of {batch}")
                if len(res) != n or ids != list(range(1, n + 1)) or mx != n:
                    state["bad"].append(f"count {n}, KNN returned {len(res)} rows, max rowid {mx}")
                if any(res[j][1] > res[j + 1][1] + 1e-7 for j in range(len(res) - 1)):
                    state["bad"].append("KNN distances not ascending")
                if n < last:
                    state["bad"].append(f"count went back from {last} to {n}")
                last = n
                if len(state["bad"]) > 5:
                    break
        except Exception as e:  # noqa: BLE001
            state["rerr"] = f"{type(e).__name__}: {e}"
        finally:
            if r is not None:
                r.close()

    tw = threading.Thread(target=writer)
    tr = threading.Thread(target=reader)
    tr.start()
    tw.start()
    tw.join(SECONDS + 120)
    stop.set()
    tr.join(60)
    report(state["werr"] is None and state["written"] >= batch,
           f"writer committed {state['written'] // batch} transactions of {batch} texts", state["werr"] or "")
    report(state["rerr"] is None and state["reads"] > 0,
           f"reader ran {state['reads']} KNN snapshots while the writer wrote ({len(state['seen'])} distinct counts)",
           state["rerr"] or "")
    report(not state["bad"], "reader always saw a committed state (count a multiple of the batch, KNN = all rows)",
           "; ".join(state["bad"][:3]))
    # after the writer is done, a fresh reader sees everything and vectors equal embed()
    r2 = connect(path)
    n, same = r2.execute("SELECT count(*), sum(vec_distance_l2(embedding, embed(text)) < 1e-5) FROM notes").fetchone()
    report(n == state["written"] and same == n, "a new connection sees every committed row, vectors equal embed() (L2 < 1e-5)",
           f"{n} rows, {same} equal, {state['written']} written")
    ic = r2.execute("PRAGMA integrity_check").fetchone()[0]
    report(ic == "ok", "integrity_check after concurrent WAL use", ic)
    r2.close()
    w.close()


WAL_TMP = tempfile.mkdtemp(prefix="embed-py-wal-")
try:
    wal_checks(WAL_TMP)
except Exception as e:  # noqa: BLE001
    report(False, "WAL writer/reader", f"{type(e).__name__}: {e}")
    traceback.print_exc(file=sys.stderr)
finally:
    shutil.rmtree(WAL_TMP, ignore_errors=True)

db.close()
sys.exit(1 if failures else 0)

#!/usr/bin/python3
"""sqlite-embed benchmarks: the driver behind bench/run.sh (`make bench`).

Runs one CPU-heavy step at a time and prints one markdown table per section
(a machine, b encoder, c real length mix, d tokenizer, e KNN, f rebuild,
g scaling, h reduced precision, i architectures, j GGUF vs llama.cpp and sqlite-lembed)
and a closing summary, to stdout and to $BUILD/bench/results.md.
Progress goes to stderr; every tool's raw output to $BUILD/bench/raw/.
What each number means: bench/README.md.

Environment: BUILD (build), BENCH_QUICK=1 (smoke test: few points, one run
each), PEERS (~/.cache/embed-peers), PEERS_SRC (../shared/peers), GGML_REF (section j's llama.cpp and sqlite-lembed:
tests/scripts/ggml_ref/node_modules),
BENCH_TEXT_THREADS (threads for section c, default 1), BENCH_KNN_1M (1: add
a 1M-vector KNN point; default 1 in the full run when the disk has room).
"""
import datetime
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
BUILD = os.environ.get("BUILD", "build")
OUT = os.path.join(BUILD, "bench")
RAW = os.path.join(OUT, "raw")
QUICK = os.environ.get("BENCH_QUICK", "0") not in ("", "0")
# Section b runs ours and ORT in this many interleaved rounds and keeps each
# side's best per point (BENCH_ROUNDS=1 for one pass).
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "2")))
PEERS = os.environ.get("PEERS", os.path.expanduser("~/.cache/embed-peers"))
PEERS_SRC = os.environ.get("PEERS_SRC", os.path.join(os.path.dirname(ROOT), "shared", "peers"))
PY = "/usr/bin/python3"
SKIP = "skipped (install with ../shared/peers/install.sh)"
VOCAB = "tests/fixtures/vocab/bert-base-uncased/vocab.txt"
TEXTS = "bench/data/ag_news_2000.txt"
AG_NEWS_CSV = os.environ.get("AG_NEWS_CSV", os.path.join(os.path.dirname(ROOT), "shared", "data", "ag_news", "test.csv"))
MINILM = os.path.join(BUILD, "test-models", "minilm")
BASE = os.path.join(BUILD, "bench-models", "base")
EXT = os.path.join(BUILD, "embed0")
BENCH_ENGINE = os.path.join(BUILD, "bench_engine")
BENCH_TOKENIZER = os.path.join(BUILD, "bench_tokenizer")
SGEMM_MIN = os.path.join(OUT, "sgemm_peak_min")
PEER_SGEMM = os.path.join(PEERS, "bin", "sgemm_peak")
VEC0_CANDIDATES = [os.path.join(PEERS, "node/node_modules/sqlite-vec-linux-x64/vec0.so"),
                   os.path.expanduser("~/.cache/embed-tests/node/node_modules/sqlite-vec-linux-x64/vec0.so")]

os.makedirs(RAW, exist_ok=True)
RESULTS = open(os.path.join(OUT, "results.md"), "w", encoding="utf-8")
SUMMARY = {}    # closing summary facts
SKIPPED = []    # what was not measured, and why
T_START = time.time()


def out(line=""):
    print(line, flush=True)
    RESULTS.write(line + "\n")
    RESULTS.flush()


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def table(header, rows):
    out("| " + " | ".join(header) + " |")
    out("|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|")
    for r in rows:
        out("| " + " | ".join(str(x) for x in r) + " |")


def run(cmd, raw, env=None, check=True):
    """Runs cmd (a list); its stdout+stderr go to RAW/raw.txt; returns stdout."""
    log("$ " + " ".join(cmd))
    e = dict(os.environ)
    if env:
        for k, v in env.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
    with open(os.path.join(RAW, raw + ".txt"), "w", encoding="utf-8") as f:
        f.write("$ %s\n# %.1f s, exit %d\n%s\n--- stderr ---\n%s" % (" ".join(cmd), time.time() - t0, p.returncode,
                                                                   p.stdout, p.stderr))
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (exit %d; see %s/%s.txt): %s" % (os.path.basename(cmd[0]) if cmd[0] != PY else cmd[1],
                                                                   p.returncode, RAW, raw, p.stderr.strip()[-300:]))
    return p.stdout


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def f1(x):
    return "—" if x is None else ("%.1f" % x)


def fnum(x, digits=3):
    """Roughly `digits` significant digits, no exponent."""
    if x is None:
        return "—"
    if x == 0:
        return "0"
    d = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return ("{:,.%df}" % d).format(x)


def fint(x):
    return "—" if x is None else "{:,}".format(int(round(x)))


def ratio(a, b):
    return "%.2f" % (a / b) if a and b else "—"


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


# ---------------------------------------------------------------- peers --
def have_node_pkg(name):
    return shutil.which("node") is not None and os.path.isdir(os.path.join(PEERS, "node/node_modules", name))


def have_ort():
    return have_node_pkg("onnxruntime-node") and os.path.exists(os.path.join(PEERS_SRC, "ort_bench.js"))


def have_torch():
    return os.path.exists(os.path.join(PEERS_SRC, "bert_ref.py")) and subprocess.run(
        [PY, "-c", "import torch, numpy"], capture_output=True).returncode == 0


def peer_model(shape):
    """~/.cache/embed-peers/models/<shape> with model.onnx, generated if possible; None if not."""
    d = os.path.join(PEERS, "models", shape)
    if os.path.exists(os.path.join(d, "model.onnx")):
        return d
    if not have_torch() or subprocess.run([PY, "-c", "import onnx"], capture_output=True).returncode != 0:
        return None
    log("generating the peers' %s model (with ONNX) into %s" % (shape, d))
    run([PY, os.path.join(PEERS_SRC, "bert_ref.py"), "all", "--shape", shape, "--out", d, "--vocab", VOCAB],
        "gen_peer_" + shape)
    return d if os.path.exists(os.path.join(d, "model.onnx")) else None


def our_base_model():
    """build/bench-models/base: bert-base shape (768/12/12/3072).  gen_model has no such shape, so it is
    the peers' bert_ref.py base model (links to its files when present, else generated) + our vocab.txt."""
    if os.path.exists(os.path.join(BASE, "config.json")):
        return BASE
    src = os.path.join(PEERS, "models", "base")
    if os.path.exists(os.path.join(src, "model.safetensors")):
        os.makedirs(BASE, exist_ok=True)
        for f in ("config.json", "model.safetensors"):
            os.symlink(os.path.abspath(os.path.join(src, f)), os.path.join(BASE, f))
        shutil.copy(VOCAB, os.path.join(BASE, "vocab.txt"))
        return BASE
    if have_torch():
        run([PY, os.path.join(PEERS_SRC, "bert_ref.py"), "make", "--shape", "base", "--out", BASE, "--vocab", VOCAB],
            "gen_base")
        return BASE
    return None


# -------------------------------------------------------------- parsers --
ENGINE_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)(?:\s+(-?[\d.]+))?\s*$")


def parse_engine(text):
    rows = {}
    for line in text.splitlines():
        m = ENGINE_ROW.match(line)
        if m:
            t, b, s = int(m.group(1)), int(m.group(2)), int(m.group(3))
            rows[(t, b, s)] = {"ms": float(m.group(4)), "sps": float(m.group(5)), "gflops": float(m.group(6)),
                               "runs": int(m.group(7)),
                               "extra_mb": float(m.group(8)) if m.group(8) is not None else None}
    return rows


def keep_best(best, rows, field="sps"):
    """Merge one round's rows ({point: row}) into best, keeping each point's faster row: this VM
    has slow phases, so interleaved rounds keep their best rather than their mean."""
    for key, r in rows.items():
        if key not in best or r[field] > best[key][field]:
            best[key] = r


def parse_ort_json(path):
    with open(path) as f:
        j = json.load(f)
    return {(r["threads"], r["batch"], r["seq"]): r for r in j["rows"]}, j


def flops_per_sentence(H, I, L, S):
    return L * (2.0 * S * (4 * H * H + 2 * H * I) + 4.0 * S * S * H)


# ------------------------------------------------------------ sections --
def machine():
    cpu = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            k, _, v = line.partition(":")
            k = k.strip()
            if k in ("model name", "cpu family", "model", "flags") and k not in cpu:
                cpu[k] = v.strip()
    flags = cpu.get("flags", "").split()
    isa = "AVX-512" if "avx512f" in flags else "AVX2+FMA" if "fma" in flags else "no FMA"
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1024 / 1024
    ncpu = os.cpu_count()
    SUMMARY["machine"] = "%s (family %s, model %s), %d cores, %s" % (cpu.get("model name", "?"), cpu.get("cpu family", "?"),
                                                                    cpu.get("model", "?"), ncpu, isa)
    env = ", ".join("%s=%s" % (k, os.environ[k]) for k in sorted(os.environ) if k.startswith(("OPENBLAS_", "OMP_")))
    rows = [["date", datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC") + (" (BENCH_QUICK=1)" if QUICK else "")],
            ["CPU", "%s, %.0f GiB RAM, load average %s at start" % (SUMMARY["machine"], mem,
                                                                    " ".join(open("/proc/loadavg").read().split()[:3]))],
            ["versions", "SQLite %s (Python sqlite3 module), %s" % (
                subprocess.run([PY, "-c", "import sqlite3; print(sqlite3.sqlite_version)"], capture_output=True,
                               text=True).stdout.strip(), blas_version())]]
    # FMA peak and sgemm: the peers' sgemm_peak if it can be had, else ours.
    peak = {}
    sg = {}
    core = "?"
    if not os.path.exists(PEER_SGEMM) and os.path.exists(os.path.join(PEERS_SRC, "sgemm_peak.c")):
        os.makedirs(os.path.dirname(PEER_SGEMM), exist_ok=True)
        try:
            run(["cc", "-O2", "-march=native", "-pthread", "-I/usr/include/x86_64-linux-gnu/openblas-pthread", "-o",
                 PEER_SGEMM, os.path.join(PEERS_SRC, "sgemm_peak.c"), "-lopenblas", "-lm"], "build_sgemm_peak")
        except RuntimeError as e:
            log(str(e))
    tool = None
    if os.path.exists(PEER_SGEMM):
        try:
            txt = run([PEER_SGEMM, "--threads", "1,2", "--quick", "--ms", "128,1024", "--min-time", "0.2"], "sgemm_peak")
            for m in re.finditer(r"FMA peak \(best of 5\) threads=(\d+): avx2-256 ([\d.]+) GFLOP/s, avx512 ([\d.]+)", txt):
                peak[int(m.group(1))] = max(float(m.group(2)), float(m.group(3)))
            for m in re.finditer(r"^(MiniLM FFN up|MiniLM Q/K/V/out)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+NT\s+([\d.]+)", txt, re.M):
                what, t, M = m.group(1), int(m.group(2)), int(m.group(3))
                if (what, M) in (("MiniLM FFN up", 128), ("MiniLM Q/K/V/out", 1024)):
                    sg[("128x384x1536" if M == 128 else "1024x384x384", t)] = float(m.group(6))
            core = re.search(r"openblas_get_corename: (\S+)", txt).group(1)
            tool = "peers' sgemm_peak (best of 5 FMA loops; sgemm best of its repetitions)"
        except (RuntimeError, AttributeError) as e:
            log("sgemm_peak: %s" % e)
            peak, sg = {}, {}
    mine = parse_sgemm_min(run([SGEMM_MIN, "--threads", "1,2"], "sgemm_peak_min"))
    if not peak:
        for t, r in mine.items():
            peak[t] = r["fma"]
            sg[("128x384x1536", t)] = r["sgemm_128x384x1536"]
            sg[("1024x384x384", t)] = r["sgemm_1024x384x384"]
            core = r["core"]
        tool = "bench/sgemm_peak_min (best of 5 FMA loops; sgemm best of >= 0.3 s)"
    one = peak.get(1)
    SUMMARY["peak1"] = one
    rows.append(["OpenBLAS kernel", "%s%s" % (core, " (environment: %s)" % env if env else " (chosen at run time)")])
    rows.append(["FMA peak", "1 thread %s GFLOP/s, 2 threads %s (measured); %%-of-peak below = threads × %s, %s" % (
        f1(peak.get(1)), f1(peak.get(2)), f1(one), tool)])
    for shape, what in (("128x384x1536", "MiniLM FFN up on 128 tokens"), ("1024x384x384", "Q/K/V on 1024 tokens")):
        rows.append(["sgemm %s (M×K×N, %s)" % (shape.replace("x", "×"), what),
                     "1 thread %s GFLOP/s (%s%% of peak), 2 threads %s" % (
                         f1(sg.get((shape, 1))), "%.0f" % (100 * sg[(shape, 1)] / one) if one and sg.get((shape, 1)) else "—",
                         f1(sg.get((shape, 2))))])
    if os.environ.get("OPENBLAS_CORETYPE"):
        auto = parse_sgemm_min(run([SGEMM_MIN, "--threads", "1,2"], "sgemm_peak_min_auto", env={"OPENBLAS_CORETYPE": None}))
        if auto:
            rows.append(["same, OPENBLAS_CORETYPE unset (kernel %s; bench/sgemm_peak_min)" % auto[1]["core"],
                         "128×384×1536: 1 thread %s, 2 threads %s; 1024×384×384: %s, %s GFLOP/s" % (
                             f1(auto[1]["sgemm_128x384x1536"]), f1(auto.get(2, {}).get("sgemm_128x384x1536")),
                             f1(auto[1]["sgemm_1024x384x384"]), f1(auto.get(2, {}).get("sgemm_1024x384x384")))])
            SUMMARY["auto_core"] = auto[1]["core"]
    SUMMARY["core"] = core
    cpu_balance(rows)
    table(["item", "value"], rows)
    return peak


def cpu_balance(rows):
    """The 1-thread encoder pinned to each of the first two CPUs in turn.  On a
    shared VM the two need not be equal, whatever their FMA loops say: a
    neighbour on the host can slow one vCPU's caches without touching its FMA
    pipes, and 2-thread figures can reach at most the sum of the two."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or not shutil.which("taskset"):
        return
    best = {}
    for rnd in range(1 if QUICK else 3):
        for c in cpus[:2]:
            r = parse_engine(run(["taskset", "-c", str(c), BENCH_ENGINE, "--model", MINILM, "--threads", "1", "--batches", "8",
                                  "--seqs", "128", "--runs", "1" if QUICK else "3"], "cpu%d_encoder_%d" % (c, rnd)))
            ms = r[(1, 8, 128)]["ms"]
            best[c] = min(best.get(c, ms), ms)
    (ca, ma), (cb, mb) = sorted(best.items())
    slow = 100.0 * min(ma, mb) / max(ma, mb)
    SUMMARY["cpu_balance"] = (ca, ma, cb, mb, slow)
    rows.append(["encoder per CPU (MiniLM 8×128, 1 thread, `taskset -c N`, best of %d interleaved)" % (1 if QUICK else 3),
                 "CPU %d %.1f ms, CPU %d %.1f ms: the slower at %.0f%% of the faster's speed" % (ca, ma, cb, mb, slow)])


def blas_version():
    try:
        out_ = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libopenblas0-pthread"], capture_output=True,
                              text=True).stdout.strip()
        return "OpenBLAS %s" % out_ if out_ else "OpenBLAS"
    except OSError:
        return "OpenBLAS"


def parse_sgemm_min(text):
    res = {}
    for line in text.splitlines():
        kv = dict(x.split("=", 1) for x in line.split() if "=" in x)
        if "threads" in kv:
            res[int(kv["threads"])] = {k: (v if k == "core" else float(v)) for k, v in kv.items() if k != "threads"}
    return res


def encoder(peak):
    models = [("MiniLM-L6", MINILM, "minilm", 384, 1536, 6)]
    if QUICK:
        grid = {"MiniLM-L6": ("1,2", "1,32", "16,128", 1), "bert-base": ("1", "1", "16,128", 1)}
    else:
        grid = {"MiniLM-L6": ("1,2", "1,8,32", "16,64,128,256", 5), "bert-base": ("1,2", "1,8,32", "16,128", 3)}
    try:
        base = our_base_model()
    except (RuntimeError, OSError) as e:
        log("bert-base model: %s" % e)
        base = None
    if base:
        models.append(("bert-base", base, "base", 768, 3072, 12))
    else:
        SKIPPED.append("encoder, bert-base shape: no model (needs the peers' base model or Debian python3-torch "
                       "for ../shared/peers/bert_ref.py)")
    ort_ok = have_ort()
    rows = []
    # The engine does not link OpenBLAS (its own kernels run every product), so
    # OPENBLAS_CORETYPE cannot change our figures: no second run with it unset.
    auto_col = False
    for name, path, shape, H, I, L in models:
        th, ba, se, runs = grid[name]
        # Rounds of ours then ORT, and each side's best round per point: this
        # VM has phases in which a whole process runs ~40% slower, and one
        # falling on one side only would decide the ratio.  Within a round
        # the two sides alternate per (threads, length) group, a minute or
        # less apart, so both sample the same phase (a whole grid of ours
        # then one of ORT, ~4 minutes each, did not).
        ours, ort = {}, {}
        onnx_dir = peer_model(shape) if ort_ok else None
        groups = [(t_, s_) for t_ in th.split(",") for s_ in se.split(",")]
        for rnd in range(ROUNDS):
            suffix = "" if rnd == 0 else "_r%d" % (rnd + 1)
            log("encoder %s: ours and ONNX Runtime, %d groups (round %d of %d)" % (name, len(groups), rnd + 1, ROUNDS))
            for t_, s_ in groups:
                tag = "%s_t%s_s%s%s" % (shape, t_, s_, suffix)
                got = parse_engine(run([BENCH_ENGINE, "--model", path, "--threads", t_, "--batches", ba,
                                        "--seqs", s_, "--runs", str(runs)], "engine_" + tag))
                keep_best(ours, got)
                if not onnx_dir:
                    continue
                js = os.path.join(RAW, "ort_%s.json" % tag)
                run(["node", os.path.join(PEERS_SRC, "ort_bench.js"), "--model", os.path.join(onnx_dir, "model.onnx"),
                     "--threads", t_, "--batches", ba, "--seqs", s_, "--min-runs", str(runs),
                     "--min-time", "0" if QUICK else "0.5", "--max-runs", str(max(runs, 1) if QUICK else 30),
                     "--json", js], "ort_" + tag)
                keep_best(ort, parse_ort_json(js)[0], "sent_per_s")
        auto = {}
        if auto_col and shape == "minilm":
            log("encoder %s: ours with OPENBLAS_CORETYPE unset" % name)
            auto = parse_engine(run([BENCH_ENGINE, "--model", path, "--threads", th, "--batches", ba, "--seqs", se,
                                     "--runs", str(runs)], "engine_%s_auto" % shape, env={"OPENBLAS_CORETYPE": None}))
        for key in sorted(ours):
            t, b, s = key
            o = ours[key]
            r = ort.get(key)
            pk = peak.get(1) * t if peak.get(1) else None
            row = [name, t, b, s, "%.2f" % o["ms"], fnum(o["sps"]), f1(o["gflops"]),
                   "%.0f%%" % (100 * o["gflops"] / pk) if pk else "—",
                   fnum(r["sent_per_s"]) if r else SKIP if not onnx_dir else "—",
                   ratio(o["sps"], r["sent_per_s"]) if r else SKIP if not onnx_dir else "—",
                   "%.1f" % o["extra_mb"] if o.get("extra_mb") is not None and o["extra_mb"] >= 0 else "—"]
            if auto_col:
                a = auto.get(key)
                row += [fnum(a["sps"]) if a else "—", ratio(a["sps"], r["sent_per_s"]) if a and r else "—"]
            rows.append(row)
            SUMMARY.setdefault("enc", []).append({"model": name, "t": t, "b": b, "s": s, "ours": o["sps"],
                                                 "ort": r["sent_per_s"] if r else None,
                                                 "auto": auto[key]["sps"] if key in auto else None,
                                                 "pct": 100 * o["gflops"] / pk if pk else None})
    if not ort_ok:
        SKIPPED.append("ONNX Runtime columns: peers not installed")
    header = ["model", "threads", "batch", "seq", "ours ms/batch", "ours sent/s", "ours GFLOP/s", "ours % of FMA peak",
              "ORT sent/s", "ours/ORT", "ours extra MB for the batch"]
    if auto_col:
        header += ["ours sent/s, OPENBLAS_CORETYPE unset", "that/ORT"]
    table(header, rows)


def padded_batches(lengths, batch, sort):
    order = sorted(range(len(lengths)), key=lambda i: lengths[i]) if sort else list(range(len(lengths)))
    out_ = []
    for i in range(0, len(order), batch):
        chunk = [lengths[j] for j in order[i:i + batch]]
        out_.append((len(chunk), max(chunk)))
    return out_


def text_mix():
    texts = TEXTS
    if QUICK:
        texts = os.path.join(OUT, "ag_news_quick.txt")
        with open(TEXTS, encoding="utf-8") as f, open(texts, "w", encoding="utf-8") as g:
            g.writelines(f.readlines()[:256])
    n = sum(1 for _ in open(texts, encoding="utf-8"))
    threads = [int(x) for x in os.environ.get("BENCH_TEXT_THREADS", "1").split(",")]
    lens = json_lines(run([PY, "bench/sql_bench.py", "lengths", "--ext", EXT, "--model", MINILM, "--texts", texts],
                          "textmix_lengths"))[0]["lengths"]
    real_tokens = sum(lens)
    plans = {"sorted": padded_batches(lens, 32, True), "file": padded_batches(lens, 32, False)}
    rows = []
    ort_ok = have_ort()
    onnx_dir = peer_model("minilm") if ort_ok else None
    for t in threads:
        # As in section b: rounds of ours then ORT, each side's best round.
        ours_sorted, ours_file, ms = None, None, {}
        for rnd in range(ROUNDS):
            suffix = "" if rnd == 0 else "_r%d" % (rnd + 1)
            log("text mix: ours, %d thread(s) (round %d of %d)" % (t, rnd + 1, ROUNDS))
            txt = run([BENCH_ENGINE, "--model", MINILM, "--threads", str(t), "--batches", "1", "--seqs", "16",
                       "--runs", "1", "--texts", texts], "textmix_engine_t%d%s" % (t, suffix))
            m = re.search(r"texts: threads \d+, (\d+) lines: ([\d.]+) texts/s \(one call.*?\), ([\d.]+) texts/s", txt)
            if m:
                ours_sorted = max(ours_sorted or 0.0, float(m.group(2)))
                ours_file = max(ours_file or 0.0, float(m.group(3)))
            if not onnx_dir:
                continue
            # ORT time for padded batches = sum over batches of ort_bench's median time at (batch, padded length):
            # one ort_bench call per distinct batch size, over the distinct padded lengths it needs.
            need = {}
            for plan in plans.values():
                for b, s in plan:
                    need.setdefault(b, set()).add(s)
            for b, seqs in sorted(need.items()):
                log("text mix: ONNX Runtime, %d thread(s), batch %d at %d padded lengths (round %d of %d)"
                    % (t, b, len(seqs), rnd + 1, ROUNDS))
                js = os.path.join(RAW, "ort_textmix_t%d_b%d%s.json" % (t, b, suffix))
                run(["node", os.path.join(PEERS_SRC, "ort_bench.js"), "--model", os.path.join(onnx_dir, "model.onnx"),
                     "--threads", str(t), "--batches", str(b), "--seqs", ",".join(str(s) for s in sorted(seqs)),
                     "--min-runs", "1", "--max-runs", "1", "--min-time", "0", "--json", js],
                    "ort_textmix_t%d_b%d%s" % (t, b, suffix))
                for key, r in parse_ort_json(js)[0].items():
                    k2 = (key[1], key[2])
                    ms[k2] = min(ms.get(k2, float("inf")), r["ms_median"])
        ort_tps = {}
        if onnx_dir:
            for k, plan in plans.items():
                ort_tps[k] = n / (sum(ms[(b, s)] for b, s in plan) / 1e3)
        na = SKIP if not onnx_dir else "—"
        pad_sorted = sum(b * s for b, s in plans["sorted"])
        pad_file = sum(b * s for b, s in plans["file"])
        rows.append([t, "ours: one call, engine sorts by length, batches of 32 packed without padding",
                     fint(real_tokens), fnum(ours_sorted), ratio(ours_sorted, ort_tps.get("sorted")) if ort_tps else na])
        rows.append([t, "ours: calls of 32 texts in file order", fint(real_tokens), fnum(ours_file),
                     ratio(ours_file, ort_tps.get("file")) if ort_tps else na])
        rows.append([t, "ORT: sorted by length, batches of 32 padded to the longest (sentence-transformers' way)",
                     fint(pad_sorted), fnum(ort_tps.get("sorted")) if ort_tps else na, ""])
        rows.append([t, "ORT: batches of 32 in file order, padded to the longest", fint(pad_file),
                     fnum(ort_tps.get("file")) if ort_tps else na, ""])
        SUMMARY.setdefault("textmix", []).append({"t": t, "ours_sorted": ours_sorted, "ours_file": ours_file,
                                                 "ort_sorted": ort_tps.get("sorted"), "ort_file": ort_tps.get("file")})
    out("%d AG News texts (%s), MiniLM-L6 shape, %d tokens with [CLS]/[SEP] (mean %.1f, max %d)." % (
        n, texts, real_tokens, real_tokens / n, max(lens)))
    out()
    table(["threads", "engine and batching", "tokens computed", "texts/s", "ours/ORT (same batching order)"], rows)


def tokenizer():
    rows = []
    txt = run([BENCH_TOKENIZER, os.path.dirname(VOCAB), TEXTS, "512", "1" if QUICK else "3"], "tokenizer_ours")
    m = re.search(r"([\d.]+) MB/s, (\d+) texts/s, ([\d.]+) M tokens/s", txt)
    ours = (float(m.group(1)), float(m.group(2))) if m else (None, None)
    rows.append(["ours (bench_tokenizer): wp_encode per text", 1, f1(ours[0]), fnum(ours[1]), ""])
    txt = run([BENCH_TOKENIZER, os.path.dirname(VOCAB), TEXTS, "512", "1" if QUICK else "3", "python_lower"],
              "tokenizer_ours_python_lower")
    m = re.search(r"([\d.]+) MB/s, (\d+) texts/s", txt)
    lowered = (float(m.group(1)), float(m.group(2))) if m else (None, None)
    rows.append(["ours, each text through Python's str.lower() first (sentence_bert_config do_lower_case, as bge's)",
                 1, f1(lowered[0]), fnum(lowered[1]), ratio(ours[0], lowered[0])])
    hf = {}
    if have_node_pkg("@anush008/tokenizers"):
        txt = run(["node", "bench/tokenizer_ref.js", TEXTS, "--min-seconds", "1" if QUICK else "3"], "tokenizer_hf",
                  env={"RAYON_NUM_THREADS": "1", "PEERS_NODE": os.path.join(PEERS, "node")})
        for label, key in (("encode() one text at a time", "encode"), ("encodeBatch(all texts)", "batch")):
            m = re.search(re.escape(label) + r"\s+([\d.]+) MB/s\s+(\d+) texts/s", txt)
            if m:
                hf[key] = (float(m.group(1)), float(m.group(2)))
        rows.append(["HF tokenizers (Rust) via node: await encode(text) per text", 1, f1(hf.get("encode", (None,))[0]),
                     fnum(hf.get("encode", (None, None))[1]), ratio(ours[0], hf.get("encode", (None,))[0])])
        rows.append(["HF tokenizers (Rust) via node: encodeBatch(all texts), RAYON_NUM_THREADS=1", 1,
                     f1(hf.get("batch", (None,))[0]), fnum(hf.get("batch", (None, None))[1]),
                     ratio(ours[0], hf.get("batch", (None,))[0])])
    else:
        rows.append(["HF tokenizers (Rust) via node", 1, SKIP, SKIP, SKIP])
        SKIPPED.append("HF tokenizer: peers not installed")
    # The Unigram (XLM-R style) and byte-level BPE (RoBERTa style) tokenizer.json files of the tests.
    fixtures = {}
    for key, label in (("unigram", "Unigram tokenizer.json (XLM-R layout, 4,002 pieces: charsmap, Metaspace, Viterbi)"),
                       ("bpe", "byte-level BPE tokenizer.json (RoBERTa layout, 4,000 tokens: GPT-2 split, merges)")):
        fdir = os.path.join("tests", "fixtures", "tokenizer", key)
        txt = run([BENCH_TOKENIZER, fdir, TEXTS, "512", "1" if QUICK else "3"], "tokenizer_ours_" + key)
        m = re.search(r"([\d.]+) MB/s, (\d+) texts/s", txt)
        mine = (float(m.group(1)), float(m.group(2))) if m else (None, None)
        theirs = (None, None)
        if have_node_pkg("@anush008/tokenizers"):
            txt = run(["node", "bench/tokenizer_ref.js", TEXTS, "--tokenizer-json", os.path.join(fdir, "tokenizer.json"),
                       "--min-seconds", "1" if QUICK else "3"], "tokenizer_hf_" + key,
                      env={"RAYON_NUM_THREADS": "1", "PEERS_NODE": os.path.join(PEERS, "node")})
            m = re.search(r"encodeBatch\(all texts\)\s+([\d.]+) MB/s\s+(\d+) texts/s", txt)
            if m:
                theirs = (float(m.group(1)), float(m.group(2)))
        rows.append(["ours: %s; tests/fixtures/tokenizer/%s" % (label, key), 1, f1(mine[0]), fnum(mine[1]), ""])
        rows.append(["HF tokenizers via node: the same tokenizer.json, encodeBatch, RAYON_NUM_THREADS=1", 1,
                     f1(theirs[0]) if theirs[0] else SKIP, fnum(theirs[1]) if theirs[1] else SKIP,
                     ratio(mine[0], theirs[0]) if theirs[0] else SKIP])
        fixtures[key], fixtures[key + "_hf"] = mine[0], theirs[0]
    SUMMARY["tok"] = {"ours": ours[0], "hf_batch": hf.get("batch", (None,))[0], "hf_encode": hf.get("encode", (None,))[0],
                      **fixtures}
    size = os.path.getsize(TEXTS)
    out("%s: %d texts, %.3f MB UTF-8, bert-base-uncased vocabulary, lowercasing, max_length 512." % (
        TEXTS, sum(1 for _ in open(TEXTS, encoding="utf-8")), size / 1e6))
    out()
    table(["tokenizer", "threads", "MB/s", "texts/s", "ours/this (MB/s)"], rows)


def find_vec0():
    for p in VEC0_CANDIDATES:
        if os.path.exists(p):
            return p[:-3]
    return None


def knn():
    vec0 = find_vec0()
    sizes = [10000] if QUICK else [10000, 100000]
    st = os.statvfs(BUILD)
    room = st.f_bavail * st.f_frsize > 12e9
    big = os.environ.get("BENCH_KNN_1M", "0") not in ("", "0")
    if big and room:
        sizes_big = [1000000]
    else:
        sizes_big = []
        if not QUICK:
            SKIPPED.append("KNN over 1M vectors: %s" % ("opt-in, BENCH_KNN_1M=1 (about 3.5 min and 3.1 GB of disk)"
                                                        if not big else "less than 12 GB free"))
    res = []
    for n in sizes + sizes_big:
        log("KNN: %d vectors" % n)
        cmd = [PY, "bench/sql_bench.py", "knn", "--ext", EXT, "--sizes", str(n), "--queries", "20",
               "--reps", "1" if QUICK else ("2" if n >= 1000000 else "5"), "--dir", os.path.join(OUT, "knn")]
        if vec0:
            cmd += ["--vec0", vec0]
        res += json_lines(run(cmd, "knn_%d" % n))
    if not vec0:
        SKIPPED.append("sqlite-vec: vec0.so not found")
    rows = []
    for r in res:
        v = r.get("vec0_ms")
        rows.append([fint(r["n"]), r["dims"], "%.2f" % r["ours_ms"],
                     ("%.2f (%s, top-10 as threaded %d/%d)" % (r["ours1_ms"], "%.1f× vec0" % (v / r["ours1_ms"]) if v else "no vec0",
                                                                r["ours1_same"], r["queries"]) if "ours1_ms" in r
                      else "— (no in-memory copy: one thread)"),
                     "%.2f (recall@10 %.3f)" % (r["int8_ms"], r["int8_recall"]) if "int8_ms" in r else "—",
                     "%.2f" % v if v else SKIP,
                     "%.2f" % (v / r["ours_ms"]) if v else SKIP,
                     "%d/%d" % (r["identical"], r["queries"]) if "identical" in r else "—",
                     "%.1f" % (r["n"] / r["ours_ms"] / 1e3), "%.1f" % (r["n"] / v / 1e3) if v else "—",
                     "%.1f / %s" % (r["ours_first_ms"], "%.1f" % r["vec0_first_ms"] if v else "—"),
                     fnum(r["n"] / r["ours_insert_s"]), fnum(r["n"] / r["vec0_insert_s"]) if "vec0_insert_s" in r else "—",
                     fnum(r["db_mb"])])
    SUMMARY["knn"] = res
    table(["vectors", "dims", "ours ms/query", "ours ms/query, threads=1", "ours int8 ms/query", "vec0 ms/query", "speed ours/vec0", "identical top-10 rowids",
           "ours M vectors/s", "vec0 M vectors/s", "first query ms ours / vec0", "ours insert rows/s", "vec0 insert rows/s", "DB MB (both)"], rows)


def rebuild_texts():
    """10,000 short texts: title and description of AG News test rows 1-5000 as separate rows."""
    path = os.path.join(OUT, "ag_news_10k_short.txt")
    if os.path.exists(AG_NEWS_CSV):
        import csv
        with open(AG_NEWS_CSV, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))[:5000]
        lines = [" ".join(x.replace("\\", " ").split()) for r in rows for x in (r[1], r[2])]
        src = "AG News test.csv rows 1-5000, title and description as separate texts"
    else:
        with open(TEXTS, encoding="utf-8") as f:
            base = [x.rstrip("\n") for x in f]
        lines = (base * 5)[:10000]
        src = "%s five times (AG News test.csv not found)" % TEXTS
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path, src


def rebuild():
    path, src = rebuild_texts()
    rows_n = 1000 if QUICK else 10000
    log("rebuild: %d rows" % rows_n)
    r = json_lines(run([PY, "bench/sql_bench.py", "rebuild", "--ext", EXT, "--model", MINILM, "--texts", path,
                        "--rows", str(rows_n), "--db", os.path.join(OUT, "rebuild.db")], "rebuild"))[0]
    SUMMARY["rebuild"] = r
    out("Texts: %s." % src)
    out()
    table(["rows", "model", "threads", "tokens (with [CLS]/[SEP])", "seconds", "rows/s", "tokens/s"],
          [[fint(r["rows"]), "MiniLM-L6 test model", "all cores (default)", fint(r["tokens"]), "%.2f" % r["seconds"],
            fnum(r["rows"] / r["seconds"]), fnum(r["tokens"] / r["seconds"])]])


def scaling():
    seqs = "16,64,256,512" if QUICK else "16,32,64,128,192,256,384,512"
    runs = "1" if QUICK else "5"
    log("scaling: batch 1, 1 thread")
    rows = parse_engine(run([BENCH_ENGINE, "--model", MINILM, "--threads", "1", "--batches", "1", "--seqs", seqs,
                             "--runs", runs], "scaling"))
    H, I, L = 384, 1536, 6
    pts = sorted((k[2], v) for k, v in rows.items())
    if not pts:
        out("(no data)")
        return
    per_tok = {s: v["ms"] / s for s, v in pts}
    best = min(per_tok.values())
    ref_s = 64 if 64 in per_tok else pts[0][0]
    tab, departs = [], None
    for s, v in pts:
        f = flops_per_sentence(H, I, L, s)
        attn = L * 4.0 * s * s * H / f
        rel = per_tok[s] / per_tok[ref_s]
        flop_rel = (f / s) / (flops_per_sentence(H, I, L, ref_s) / ref_s)
        if departs is None and s > ref_s and per_tok[s] > 1.15 * best:
            departs = s
        tab.append([s, "%.3f" % v["ms"], "%.1f" % (1e3 * per_tok[s]), "%.2f" % rel, "%.2f" % flop_rel,
                    "%.1f%%" % (100 * attn), f1(v["gflops"])])
    SUMMARY["scaling"] = {"departs": departs, "pts": [(s, v["ms"]) for s, v in pts], "ref": ref_s}
    table(["seq", "ms/sentence", "µs/token", "time/token vs seq %d" % ref_s, "FLOPs/token vs seq %d" % ref_s,
           "attention share of FLOPs (4·S²·H)", "GFLOP/s"], tab)
    out()
    if departs:
        out("Time per token stays within 15%% of its best up to seq %d and departs from linear from seq %d on: "
            "attention's S² terms (Q·Kᵀ, softmax over S×S per head, P·V) grow while the dense layers stay per-token." % (
                max(s for s, _ in pts if s < departs), departs))
    else:
        out("Time per token stays within 15% of its best over the whole range (the S² attention terms stay small).")
    k = SUMMARY.get("knn") or []
    if len(k) > 1:
        out("KNN time vs index size (section e): " + ", ".join(
            "%s vectors %.2f ms (ours) / %s ms (vec0)" % (fint(r["n"]), r["ours_ms"],
                                                          "%.2f" % r["vec0_ms"] if r.get("vec0_ms") else "—") for r in k) +
            "; both are exact scans, linear work in N.")
        # Per vector, ours: the scan reads dims x 4 bytes a vector; once the
        # copy no longer fits the CPU's caches it streams from memory.
        per = [(r["n"], r["ours_ms"] * 1e6 / r["n"], r["n"] * r["dims"] * 4 / 1e6, r["dims"] * 4 / (r["ours_ms"] * 1e6 / r["n"]))
               for r in k if r.get("ours_ms")]
        best = min(ns for _, ns, _, _ in per)
        slow = [(n, mb) for n, ns, mb, _ in per if ns > 1.15 * best]
        line = "Ours per vector: " + ", ".join("%.1f ns at %s (%.1f GB/s of vectors)" % (ns, fint(n), gbs)
                                               for n, ns, _, gbs in per)
        if slow and slow[0][1] > 512 * 1.048576:
            line += (". Time departs from linear from %s vectors (%.0f MB of float32) on: past the in-memory copy's "
                     "default budget (cache_mb = 512) the search reads the chunks through SQLite on one thread."
                     % (fint(slow[0][0]), slow[0][1]))
        elif slow:
            line += (". Time departs from linear from %s vectors (%.0f MB of float32) on: the copy the scan reads no "
                     "longer fits the CPU's caches and streams from memory." % (fint(slow[0][0]), slow[0][1]))
        else:
            line += ": linear over this range."
        out(line)


PREC_ROW = re.compile(r"^precision (\w+): kernel (\w+), packed weights (\d+) bytes")
COSINE_ROW = re.compile(r"^cosine vs fp32: mean ([\d.]+) min ([\d.]+) over (\d+) texts")
TEXTS_ROW = re.compile(r"texts: threads \d+, (\d+) lines: ([\d.]+) texts/s")


def precision():
    """fp32 / bf16 / int8 (ee_params.precision) at MiniLM batch 8 x seq 128 and 1 x 16, 1 and 2 threads,
    and the cosine of each text's vector to fp32's over the AG News texts (1 thread)."""
    runs = "1" if QUICK else "5"
    points = [(t, b, s_) for t in (1, 2) for b, s_ in ((1, 16), (8, 128))]
    texts = TEXTS
    if QUICK:
        texts = os.path.join(OUT, "ag_news_quick.txt")
        with open(TEXTS, encoding="utf-8") as f, open(texts, "w", encoding="utf-8") as g:
            g.writelines(f.readlines()[:256])
    res = {}
    # The encoder points: short runs, interleaved fp32, bf16, int8 for three rounds, each point's best
    # kept, so a slow phase of the VM (up to ~40%, minutes long) does not land on one precision only.
    best, kern = {}, {}
    for rnd in range(1 if QUICK else 3):
        for prec in ("fp32", "bf16", "int8"):
            log("precision %s: encoder (round %d)" % (prec, rnd + 1))
            txt = run([BENCH_ENGINE, "--model", MINILM, "--threads", "1,2", "--batches", "1,8", "--seqs", "16,128",
                       "--runs", runs, "--precision", prec], "precision_%s_r%d" % (prec, rnd + 1))
            m = next((PREC_ROW.match(l) for l in txt.splitlines() if PREC_ROW.match(l)), None)
            if m:
                kern[prec] = m
            keep_best(best.setdefault(prec, {}), parse_engine(txt))
    # The AG News texts likewise: interleaved rounds, each precision's best texts/s.  The cosines are
    # the same every round (the vectors are deterministic), so only the first round computes them.
    text_best, text_cos, text_n = {}, {}, {}
    for rnd in range(1 if QUICK else 2):
        for prec in ("fp32", "bf16", "int8"):
            cos_now = prec != "fp32" and rnd == 0
            log("precision %s: AG News texts%s (round %d)" % (prec, ", cosine vs fp32" if cos_now else "", rnd + 1))
            txt2 = run([BENCH_ENGINE, "--model", MINILM, "--threads", "1", "--batches", "1", "--seqs", "16",
                        "--runs", "1", "--texts", texts, "--precision", prec, "--cosine", "yes" if cos_now else "no"],
                       "precision_texts_%s_r%d" % (prec, rnd + 1))
            c = next((COSINE_ROW.match(l) for l in txt2.splitlines() if COSINE_ROW.match(l)), None)
            t = TEXTS_ROW.search(txt2)
            if c:
                text_cos[prec] = (float(c.group(1)), float(c.group(2)), int(c.group(3)))
            if t:
                text_n[prec] = int(t.group(1))
                text_best[prec] = max(text_best.get(prec, 0.0), float(t.group(2)))
    for prec in ("fp32", "bf16", "int8"):
        m, rows = kern.get(prec), best.get(prec, {})
        res[prec] = {"kernel": m.group(2) if m else "?", "bytes": int(m.group(3)) if m else None,
                     "sps": {k: rows[k]["sps"] for k in points if k in rows},
                     "texts_s": text_best.get(prec), "n_texts": text_n.get(prec), "cos": text_cos.get(prec)}
    # ONNX Runtime at the same points: section b's figures when it ran them, else measured here
    ort = {}
    for e in SUMMARY.get("enc", []):
        if e["model"] == "MiniLM-L6" and (e["t"], e["b"], e["s"]) in points and e["ort"]:
            ort[(e["t"], e["b"], e["s"])] = e["ort"]
    onnx_dir = peer_model("minilm") if have_ort() and len(ort) < len(points) else None
    if onnx_dir:
        log("precision: ONNX Runtime (fp32) at the same points")
        js = os.path.join(RAW, "ort_precision.json")
        run(["node", os.path.join(PEERS_SRC, "ort_bench.js"), "--model", os.path.join(onnx_dir, "model.onnx"),
             "--threads", "1,2", "--batches", "1,8", "--seqs", "16,128", "--min-runs", runs,
             "--min-time", "0" if QUICK else "0.5", "--max-runs", runs if QUICK else "30", "--json", js], "ort_precision")
        for key, r in parse_ort_json(js)[0].items():
            if key in points:
                ort[key] = r["sent_per_s"]
    na = SKIP if not have_ort() else "—"
    rows = []
    for prec in ("fp32", "bf16", "int8"):
        r = res[prec]
        for k in points:
            v = r["sps"].get(k)
            f32 = res["fp32"]["sps"].get(k)
            rows.append([prec, r["kernel"], "%.1f" % (r["bytes"] / 1e6) if r["bytes"] else "—", k[0],
                         "%d × %d" % (k[1], k[2]), fnum(v), ratio(v, f32), ratio(v, ort.get(k)) if ort.get(k) else na])
    out("MiniLM-L6 shape (`build/test-models/minilm`), 1 and 2 threads, `bench_engine --precision P`, %s; ORT runs fp32. " % (
        "one round" if QUICK else "best of 3 interleaved rounds (fp32, bf16, int8, fp32, ...)") +
        "The four dense products per layer change in both modes; bf16 also runs attention's two products (Q·Kᵀ, P·V) in bfloat16, int8 keeps them fp32; softmax, LayerNorm, GELU and pooling stay fp32.")
    out()
    table(["precision", "kernel", "packed weights MB", "threads", "batch × seq", "sent/s", "× fp32", "× ORT (fp32)"], rows)
    out()
    rows = []
    for prec in ("fp32", "bf16", "int8"):
        r = res[prec]
        cos = r["cos"]
        rows.append([prec, fnum(r["texts_s"]), ratio(r["texts_s"], res["fp32"]["texts_s"]),
                     "%.6f" % cos[0] if cos else "1 (reference)", "%.6f" % cos[1] if cos else "1 (reference)",
                     fint(cos[2]) if cos else fint(r["n_texts"])])
    out("AG News texts (%s), one `ee_embed_texts` call (length-sorted batches of 32), tokenizer included, %s; cosine "
        "similarity of each text's pooled vector to the fp32 one. The model has random weights (no pretrained "
        "weights on this machine): a real checkpoint's activation outliers may cost int8 more." % (
            texts, "one round" if QUICK else "best of 2 interleaved rounds"))
    out()
    table(["precision", "texts/s", "× fp32", "cosine vs fp32, mean", "min", "texts"], rows)
    SUMMARY["precision"] = {"res": res, "ort": ort}


def summary():
    out("## Summary")
    out()
    lines = []
    enc = SUMMARY.get("enc", [])
    for model in ("MiniLM-L6", "bert-base"):
        for t in (1, 2):
            pts = [e for e in enc if e["model"] == model and e["t"] == t]
            if not pts:
                continue
            g = geomean([e["ours"] / e["ort"] for e in pts if e["ort"]])
            pct = [e["pct"] for e in pts if e["pct"]]
            s = "- Encoder %s, %d thread%s: ours/ORT %s (geometric mean of %d points, range %s–%s)" % (
                model, t, "s" if t > 1 else "", "%.2f" % g if g else "n/a", len(pts),
                "%.2f" % min(e["ours"] / e["ort"] for e in pts if e["ort"]) if g else "",
                "%.2f" % max(e["ours"] / e["ort"] for e in pts if e["ort"]) if g else "")
            if pct:
                s += "; ours at %.0f–%.0f%% of the FMA peak" % (min(pct), max(pct))
            if t == 2 and SUMMARY.get("cpu_balance") and SUMMARY["cpu_balance"][4] < 95:
                s += " (one CPU ran the encoder at %.0f%% of the other's speed, section a)" % SUMMARY["cpu_balance"][4]
            ga = geomean([e["auto"] / e["ort"] for e in pts if e["ort"] and e["auto"]])
            if ga:
                s += "; with OPENBLAS_CORETYPE unset (%s kernel) ours/ORT %.2f" % (SUMMARY.get("auto_core", "?"), ga)
            lines.append(s + ".")
    for tm in SUMMARY.get("textmix", []):
        if tm["ours_sorted"]:
            lines.append("- AG News length mix, %d thread(s): ours %s texts/s (one call) vs ORT %s (sorted, padded): %s; "
                         "file-order batches of 32: ours %s vs ORT %s: %s." % (
                             tm["t"], fnum(tm["ours_sorted"]), fnum(tm["ort_sorted"]), ratio(tm["ours_sorted"], tm["ort_sorted"]),
                             fnum(tm["ours_file"]), fnum(tm["ort_file"]), ratio(tm["ours_file"], tm["ort_file"])))
    tk = SUMMARY.get("tok")
    if tk and tk["ours"]:
        lines.append("- Tokenizer: ours %.1f MB/s vs HF Rust %s MB/s (encodeBatch, 1 thread): %s." % (
            tk["ours"], f1(tk["hf_batch"]), ratio(tk["ours"], tk["hf_batch"])))
    for r in SUMMARY.get("knn", []):
        lines.append("- KNN k=10 over %s × %d: ours %.2f ms/query, vec0 %s ms/query (ours %s× as fast), top-10 identical "
                     "for %s of %d queries." % (fint(r["n"]), r["dims"], r["ours_ms"],
                                                "%.2f" % r["vec0_ms"] if r.get("vec0_ms") else "n/a",
                                                "%.1f" % (r["vec0_ms"] / r["ours_ms"]) if r.get("vec0_ms") else "n/a",
                                                r.get("identical", "n/a"), r["queries"]))
    pr = SUMMARY.get("precision")
    if pr:
        r = pr["res"]
        parts = []
        def speedups(prec, threads):
            return " and ".join("%s× (%d×%d)" % (ratio(r[prec]["sps"].get(k), r["fp32"]["sps"].get(k)), k[1], k[2])
                                for k in sorted(r[prec]["sps"]) if k[0] == threads)
        for prec in ("bf16", "int8"):
            sp, sp2 = speedups(prec, 1), speedups(prec, 2)
            if sp2:
                sp += ", on 2 threads " + sp2
            cos = r[prec]["cos"]
            parts.append("%s %s fp32's speed (%s kernel)%s" % (prec, sp, r[prec]["kernel"],
                                                                ", cosine to fp32 mean %.6f / min %.6f" % cos[:2] if cos else ""))
        lines.append("- Reduced precision, MiniLM-L6 shape, 1 thread (then 2): " + "; ".join(parts) +
                     " (generated random-weight model).")
    rb = SUMMARY.get("rebuild")
    if rb:
        lines.append("- embed_index rebuild: %s rows/s (%s rows, MiniLM-L6 test model, all cores)." % (
            fnum(rb["rows"] / rb["seconds"]), fint(rb["rows"])))
    sc = SUMMARY.get("scaling")
    if sc:
        lines.append("- Batch 1, 1 thread: time per token departs from linear at seq %s." % (sc["departs"] or "> %d" % sc["pts"][-1][0]))
    gg = SUMMARY.get("gguf", {})
    vs = ["%s %s thread%s %s" % (f, t, "s" if t > 1 else "", ratio(gg.get(("ours", f, t)), gg.get(("llama", f, t))))
          for f in ("F32", "Q4_K_M") for t in (1, 2) if gg.get(("llama", f, t))]
    if vs:
        lines.append("- GGUF one text per call, ours / llama.cpp: " + ", ".join(vs) +
                     (("; ours (2 threads) / sqlite-lembed %s" % ratio(gg.get(("ours", "F32", 2)), gg.get("lembed")))
                      if gg.get("lembed") else "") + ".")
    if SUMMARY.get("core") and os.environ.get("OPENBLAS_CORETYPE"):
        lines.append("- OpenBLAS ran the %s kernel because OPENBLAS_CORETYPE=%s is set in this environment%s." % (
            SUMMARY["core"], os.environ["OPENBLAS_CORETYPE"],
            "; unset, it picks %s" % SUMMARY["auto_core"] if SUMMARY.get("auto_core") else ""))
    for s in SKIPPED:
        lines.append("- Skipped: %s." % s)
    lines.append("- Total run time %.1f min; load average at the end %s." % (
        (time.time() - T_START) / 60, " ".join(open("/proc/loadavg").read().split()[:3])))
    for line in lines:
        out(line)


def architectures():
    """MPNet (all-mpnet-base-v2's size) and NomicBert (nomic-embed-text-v1.5's) against BERT-base in
    the same run.  MPNet adds a relative position bias to every attention score and numbers its
    positions otherwise; NomicBert turns queries and keys by rotary angles, has no biases, and its
    gated FFN makes three (I,H) products where BERT has two, so it does 1.33x BERT's FLOPs at these
    lengths: its GFLOP/s against BERT's says what its extra stages cost.  ModernBERT-base (22 layers,
    GeGLU of 1152, two of every three layers attending to 64 keys on either side) the same way, and
    against NomicBert at long texts, where its windowed layers pay off.  GTE v1.5 (NTK rotary, GeGLU,
    BERT's biases) and JinaBert (ALiBi, GeGLU) at base size in a second table, and NomicBert with
    Mixture-of-Experts layers (nomic-embed-text-v2-moe's) in a third, from the same rounds."""
    dirs = {}
    shapes = ("bert-base", "mpnet-base", "nomic-base", "modernbert-base", "gte-base", "jina-base", "nomic-moe-base")
    for shape in shapes:  # all from gen_model: same generator, no peers needed
        dirs[shape] = os.path.join(BUILD, "bench-models", "gen-" + shape)
        if not os.path.exists(os.path.join(dirs[shape], "config.json")):
            run([os.path.join(BUILD, "tools", "gen_model"), "--shape", shape, "--out", dirs[shape]], "gen_" + shape)
    th, ba, se, runs = ("1", "1", "16", "1") if QUICK else ("1,2", "1,8", "16,128", "3")
    best = {shape: {} for shape in shapes}
    for rnd in range(1 if QUICK else 2):  # alternate them, best of each (the VM has slow phases)
        for shape in shapes:
            keep_best(best[shape], parse_engine(run([BENCH_ENGINE, "--model", dirs[shape], "--threads", th,
                                                     "--batches", ba, "--seqs", se, "--runs", runs],
                                                    "arch_%s_r%d" % (shape, rnd + 1))))
    rows = []
    for key in sorted(best["bert-base"]):
        b, m, n, mb = (best[shape].get(key) for shape in shapes[:4])
        rows.append([key[0], key[1], key[2], fnum(b["sps"]),
                     fnum(m["sps"]) if m else "—", ratio(m["sps"], b["sps"]) if m else "—",
                     fnum(n["sps"]) if n else "—", ratio(n["sps"], b["sps"]) if n else "—",
                     ratio(n["gflops"], b["gflops"]) if n else "—",
                     fnum(mb["sps"]) if mb else "—", ratio(mb["sps"], b["sps"]) if mb else "—",
                     ratio(mb["gflops"], b["gflops"]) if mb else "—"])
    out("768/12/12/3072 the first three, from `gen_model --shape bert-base|mpnet-base|nomic-base`, and "
        "ModernBERT-base's 768/22/12/1152 from `--shape modernbert-base` (random weights, random ids, "
        "full-length rows); best of %d alternating rounds. NomicBert's and ModernBERT's GFLOP/s count their "
        "gated FFN's three products, and ModernBERT's local layers only the keys in their window."
        % (1 if QUICK else 2))
    out()
    table(["threads", "batch", "seq", "BERT-base sent/s", "MPNet-base sent/s", "MPNet/BERT",
           "NomicBert-base sent/s", "Nomic/BERT", "Nomic/BERT GFLOP/s", "ModernBERT-base sent/s",
           "Modern/BERT", "Modern/BERT GFLOP/s"], rows)
    # GTE v1.5 and JinaBert at base size: BERT-base's attention (rotary or
    # ALiBi for the position table) and a gated FFN of 3072 (1.5x BERT's FFN).
    rows = []
    for key in sorted(best["bert-base"]):
        b, g, j = (best[shape].get(key) for shape in ("bert-base", "gte-base", "jina-base"))
        rows.append([key[0], key[1], key[2], fnum(b["sps"]),
                     fnum(g["sps"]) if g else "—", ratio(g["sps"], b["sps"]) if g else "—",
                     ratio(g["gflops"], b["gflops"]) if g else "—",
                     fnum(j["sps"]) if j else "—", ratio(j["sps"], b["sps"]) if j else "—",
                     ratio(j["gflops"], b["gflops"]) if j else "—"])
    out()
    out("GTE v1.5 (gte-base-en-v1.5's 768/12/12/3072: NTK-scaled rotary, GeGLU `up_gate_proj`, BERT's biases; "
        "`--shape gte-base`) and JinaBert (jina-embeddings-v2-base-en's: ALiBi, GeGLU; `--shape jina-base`) "
        "against BERT-base in the same rounds. Their gated FFN makes three (I,H) products where BERT has two, "
        "about 1.3x BERT's FLOPs at these lengths; the GFLOP/s ratio says what their extra stages cost.")
    out()
    table(["threads", "batch", "seq", "BERT-base sent/s", "GTE-base sent/s", "GTE/BERT", "GTE/BERT GFLOP/s",
           "Jina-base sent/s", "Jina/BERT", "Jina/BERT GFLOP/s"], rows)
    # nomic-embed-text-v2-moe's size: every other layer's FFN a Mixture of 8
    # experts, each token through 2 (1.33x BERT's FLOPs at these lengths)
    rows = []
    for key in sorted(best["bert-base"]):
        b, e = best["bert-base"].get(key), best["nomic-moe-base"].get(key)
        rows.append([key[0], key[1], key[2], fnum(b["sps"]), fnum(e["sps"]) if e else "—",
                     ratio(e["sps"], b["sps"]) if e else "—", ratio(e["gflops"], b["gflops"]) if e else "—"])
    out()
    out("NomicBert with Mixture-of-Experts layers (nomic-embed-text-v2-moe's 768/12/12/3072: layers 1, 3, ..., 11 "
        "route each token to 2 of 8 experts; `--shape nomic-moe-base`) against BERT-base in the same rounds. Its "
        "GFLOP/s count each token's two experts (1.33x BERT's FLOPs): their ratio says what gathering each "
        "expert's tokens costs; at 16 tokens a pass reads most experts' weights for a few rows each.")
    out()
    table(["threads", "batch", "seq", "BERT-base sent/s", "MoE-base sent/s", "MoE/BERT", "MoE/BERT GFLOP/s"], rows)
    # Long texts (both models take 8,192 tokens): one text, 2 threads.
    long_seqs = "512" if QUICK else "512,2048,8192"
    got = {}
    for shape in ("nomic-base", "modernbert-base"):
        got[shape] = parse_engine(run([BENCH_ENGINE, "--model", dirs[shape], "--threads", "2", "--batches", "1",
                                       "--seqs", long_seqs, "--runs", "1"], "arch_long_%s" % shape))
    rows = []
    for key in sorted(got["nomic-base"]):
        n, mb = got["nomic-base"][key], got["modernbert-base"].get(key)
        rows.append([key[2], fnum(n["ms"]), fnum(mb["ms"]) if mb else "—",
                     ratio(n["ms"], mb["ms"]) if mb else "—", fnum(mb["gflops"]) if mb else "—"])
    out()
    out("One text of each length on 2 threads (a single run): NomicBert-base's 12 layers attend to every "
        "token; of ModernBERT-base's 22, the 8 global ones do and the other 14 to 129 tokens, whose cost grows "
        "with the length, not its square.")
    out()
    table(["seq", "NomicBert-base ms", "ModernBERT-base ms", "Modern/Nomic speed", "ModernBERT-base GFLOP/s"],
          rows)


def rerank():
    """A cross-encoder over the candidates of one query, as sql/rerank.sql reranks them: embed_rerank in the
    result columns (one encoder pass a pair) against embed_rerank_each (all pairs in one call, which the
    engine sorts by length and batches).  ms-marco-MiniLM-L-6-v2's size, AG News texts as the candidates."""
    model = os.path.join(BUILD, "bench-models", "gen-rerank-minilm")
    if not os.path.exists(os.path.join(model, "config.json")):
        run([os.path.join(BUILD, "tools", "gen_model"), "--shape", "rerank-minilm", "--out", model], "gen_rerank")
    cands, threads, reps = ("10", ("1",), "1") if QUICK else ("10,50,200", ("1", "2"), "3")
    rows = []
    for words in ("0",) if QUICK else ("0", "6"):
        for th in threads:
            for r in json_lines(run([PY, "bench/sql_bench.py", "rerank", "--ext", EXT, "--model", model, "--texts",
                                     TEXTS, "--candidates", cands, "--threads", th, "--reps", reps, "--words", words],
                                    "rerank_t%s_w%s" % (th, words))):
                rows.append(["whole" if words == "0" else "first " + words + " words", th, str(r["candidates"]),
                             "%.0f" % r["tokens"], fnum(r["per_row_pps"]), fnum(r["batched_pps"]),
                             ratio(r["batched_pps"], r["per_row_pps"])])
    out("`gen_model --shape rerank-minilm` (cross-encoder/ms-marco-MiniLM-L-6-v2's 384/6/12/1536 with its "
        "head, random weights); the query is the first AG News text of `%s`, the candidates the next N. "
        "Per row: `SELECT sum(embed_rerank('rr', ?, body)) FROM c`; batched: `SELECT sum(score) FROM "
        "embed_rerank_each(?, ?, 'rr')` with the N texts as a JSON array (the same scores, bit for bit: the "
        "run stops if the sums differ). Whole texts, then each candidate's first 6 words (titles, FAQ questions; "
        "the query is whole). Best of %s passes after one untimed pass; the time includes SQLite and the "
        "tokenizer." % (TEXTS, reps))
    out()
    table(["candidates' text", "threads", "candidates", "tokens/pair", "per row pairs/s", "batched pairs/s", "batched/per row"], rows)


GGML_REF = os.environ.get("GGML_REF", os.path.join("tests", "scripts", "ggml_ref", "node_modules"))
LEMBED = os.path.join(GGML_REF, "sqlite-lembed-linux-x64", "lembed0")


def gguf_peers():
    """j: one text per call over AG News, the same GGUF file through embed(), llama.cpp and sqlite-lembed."""
    have_llama = shutil.which("node") is not None and os.path.isdir(os.path.join(GGML_REF, "node-llama-cpp"))
    have_lembed = os.path.exists(LEMBED + ".so")
    ggufs = os.path.join(BUILD, "bench-models")
    os.makedirs(ggufs, exist_ok=True)
    f32 = os.path.join(ggufs, "minilm-f32.gguf")
    q4 = os.path.join(ggufs, "minilm-q4_k_m.gguf")
    if not os.path.exists(f32):
        run([PY, "tests/scripts/make_gguf.py", MINILM, f32, "--type", "f32"], "gguf_f32")
    if have_llama and not os.path.exists(q4):
        run([PY, "tests/scripts/make_gguf.py", MINILM, q4, "--type", "q4_k_m"], "gguf_q4_k_m")
    rows_n = 50 if QUICK else 500
    reps = "1" if QUICK else "2"
    sql_base = ["bench/sql_bench.py", "per_row", "--ext", EXT, "--texts", TEXTS]
    sql = sql_base + ["--reps", reps]
    rows, got = [], {}
    files = [("F32", f32)] + ([("Q4_K_M", q4)] if os.path.exists(q4) else [])
    for label, path in files:
        for threads in (1, 2):
            r = json_lines(run([PY] + sql + ["--model", path, "--rows", str(rows_n), "--threads", str(threads)],
                               "per_row_ours_%s_%d" % (label, threads)))[0]
            got[("ours", label, threads)] = r["sps"]
            rows.append(["ours: `embed()` (weights dequantised to fp32)" if label != "F32" else "ours: `embed()`",
                         label, threads, rows_n, f1(r["sps"]), ""])
            if label != "F32":
                r = json_lines(run([PY] + sql + ["--model", path, "--rows", str(rows_n), "--threads", str(threads),
                                                 "--options", '{"precision": "int8"}'],
                                   "per_row_ours_%s_int8_%d" % (label, threads)))[0]
                got[("ours_int8", label, threads)] = r["sps"]
                rows.append(["ours: `embed()`, `precision: int8`", label, threads, rows_n, f1(r["sps"]), ""])
            if have_llama:
                r = json_lines(run(["node", "bench/llama_cpp_bench.mjs", GGML_REF, path, TEXTS, str(rows_n),
                                    str(threads), reps], "per_row_llama_%s_%d" % (label, threads)))[0]
                got[("llama", label, threads)] = r["sps"]
                rows.append(["llama.cpp v0.5.0 (node-llama-cpp 3.22.1), `getEmbeddingFor` per text", label, threads,
                             rows_n, f1(r["sps"]), ratio(got[("ours", label, threads)], r["sps"])])
            else:
                rows.append(["llama.cpp (node-llama-cpp)", label, threads, rows_n, "skipped", "skipped"])
    if have_lembed:
        n = 5 if QUICK else 20
        r = json_lines(run([PY] + sql_base + ["--reps", "1", "--model", f32, "--rows", str(n), "--lembed", LEMBED],
                           "per_row_lembed"))[0]
        got["lembed"] = r["sps"]
        rows.append(["sqlite-lembed 0.0.1-alpha.8 (npm), `lembed()` (its own threads)", "F32", "its own", n,
                     fnum(r["sps"]), ratio(got[("ours", "F32", 2)], r["sps"]) + " (vs ours on 2)"])
    else:
        rows.append(["sqlite-lembed", "F32", "", "", "skipped", "skipped"])
    if not (have_llama and have_lembed):
        SKIPPED.append("section j: llama.cpp / sqlite-lembed not installed (tests/scripts/ggml_ref/install.sh)")
    SUMMARY["gguf"] = got
    out("The MiniLM-L6-shape test model written as GGUF by tests/scripts/make_gguf.py (F32, and Q4_K_M through "
        "llama.cpp's own quantizer); the first %d AG News texts (%s), one call a text as a `SELECT ... FROM t` "
        "makes them; best of %s passes after 5 warm-up texts. The last column is ours (same file, same threads, "
        "fp32) over this." % (rows_n, TEXTS, reps))
    out()
    table(["engine", "file", "threads", "texts", "sentences/s", "ours/this"], rows)


SECTIONS = [
    ("a. Machine and peak", machine),
    ("b. Encoder throughput (random ids, full-length rows, median batch time)", encoder),
    ("c. Real length mix: AG News through the engine vs ONNX Runtime", text_mix),
    ("d. Tokenizer throughput", tokenizer),
    ("e. KNN: embed_index vs sqlite-vec vec0 (k = 10, cosine, random float32)", knn),
    ("f. Rebuild throughput: INSERT INTO idx(idx) VALUES ('rebuild')", rebuild),
    ("g. Scaling: time per sentence vs length (MiniLM-L6, batch 1, 1 thread)", scaling),
    ("h. Reduced precision: bf16 and int8 dense layers vs fp32", precision),
    ("i. MPNet, NomicBert and ModernBERT (all-mpnet-base-v2's, nomic-embed-text-v1.5's and ModernBERT-base's "
     "sizes) vs BERT-base, ours",
     architectures),
    ("j. GGUF files: ours vs llama.cpp and sqlite-lembed (one text per call)", gguf_peers),
    ("k. Reranking: embed_rerank per row vs embed_rerank_each (one batched call)", rerank),
]


def busy_others():
    """Other processes using > 50% CPU right now (a warning only)."""
    try:
        p = subprocess.run(["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True)
        me = {os.getpid(), os.getppid()}
        busy = []
        for line in p.stdout.splitlines()[1:6]:
            pid, cpu, comm = line.split(None, 2)
            if int(pid) not in me and float(cpu) > 50 and comm not in ("ps",):
                busy.append("%s (%s%%)" % (comm, cpu))
        return busy
    except (OSError, ValueError):
        return []


def main():
    only = os.environ.get("BENCH_ONLY", "")
    out("# sqlite-embed benchmarks%s" % (" (BENCH_QUICK=1: smoke test, few points, one run each)" if QUICK else ""))
    out()
    busy = busy_others()
    if busy:
        out("**Warning: other CPU-heavy processes were running at the start: %s. Numbers may be low.**" % ", ".join(busy))
        out()
    peak = {}
    for title, fn in SECTIONS:
        letter = title[0]
        if only and letter not in only:
            continue
        out("## " + title)
        out()
        t0 = time.time()
        try:
            if fn is machine:
                peak = fn()
            elif fn is encoder:
                fn(peak)
            else:
                fn()
        except Exception as e:  # a failing section is reported, the others still run
            out("**failed:** %s" % e)
            SKIPPED.append("section %s failed" % letter)
            log("section %s failed: %r" % (letter, e))
        log("section %s: %.0f s" % (letter, time.time() - t0))
        busy = busy_others()
        if busy:  # ps's %CPU is over each process's lifetime: these ran during most of their life
            out()
            out("*Other CPU-heavy processes were running at the end of this section: %s; its numbers may be low "
                "(2-thread ones most).*" % ", ".join(busy))
        out()
    summary()
    RESULTS.close()
    print("\nwritten to %s" % os.path.join(OUT, "results.md"), file=sys.stderr)


if __name__ == "__main__":
    main()

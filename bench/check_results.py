#!/usr/bin/python3
"""Check a `make bench` results file for the shape the README promises.

    python3 bench/check_results.py build/bench/results.md [--peers no|any]

`make bench-smoke` (run by .ci/run) runs the benchmark with BENCH_QUICK=1 and
no peers, then this: the point is that bench/run.py still parses every tool's
output, not what the numbers are.  It checks that each section a-k is there
and did not fail, that each has a table whose "ours" figures are positive
numbers, that the FMA peak line and the Summary are there, and (with
--peers no) that every skipped item is a peer.  Prints one line per problem
and exits 1 if there is any.
"""
import re
import sys

SECTIONS = "abcdefghijk"
# The columns whose cells are our own measurements, per section.
OURS_COLUMN = {
    "b": ("ours sent/s",), "c": ("texts/s",), "d": ("MB/s",), "e": ("ours ms/query",),
    "f": ("rows/s",), "g": ("ms/sentence",), "h": ("sent/s",),
    "i": ("MPNet-base sent/s", "NomicBert-base sent/s", "ModernBERT-base sent/s"), "j": ("sentences/s",),
    "k": ("per row pairs/s", "batched pairs/s"),
}
PEER_SKIPS = ("ONNX Runtime", "HF tokenizer", "sqlite-vec", "encoder, bert-base shape", "KNN over 1M",
              "section j: llama.cpp")


def number(cell):
    """The leading number of a cell ("1,349", "0.26 (recall@10 1.000)"), or None."""
    m = re.match(r"\s*([0-9][0-9,]*(?:\.[0-9]+)?)", cell)
    return float(m.group(1).replace(",", "")) if m else None


def tables(lines):
    """Each markdown table in lines as (header cells, rows of cells)."""
    found, i = [], 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-:| ]+\|$", lines[i + 1]):
            head = [c.strip() for c in lines[i].strip("|").split("|")]
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append([c.strip() for c in lines[i].strip("|").split("|")])
                i += 1
            found.append((head, rows))
        else:
            i += 1
    return found


def check(text, peers):
    problems = []
    parts = re.split(r"^## ", text, flags=re.M)
    body = {p[0]: p.split("\n") for p in parts[1:] if p[:1] in SECTIONS and p[1:3] == ". "}
    summary = next((p for p in parts[1:] if p.startswith("Summary")), None)
    for s in SECTIONS:
        if s not in body:
            problems.append("section %s is missing" % s)
            continue
        lines = body[s]
        if any(l.startswith("**failed:**") for l in lines):
            problems.append("section %s failed: %s" % (s, next(l for l in lines if l.startswith("**failed:**"))))
            continue
        tabs = tables(lines)
        if not tabs:
            problems.append("section %s has no table" % s)
            continue
        if s == "a":
            items = {r[0]: r[1] for _, rows in tabs for r in rows if len(r) >= 2}
            peak = items.get("FMA peak", "")
            if not re.search(r"1 thread [0-9.]+ GFLOP/s", peak):
                problems.append("section a: no measured FMA peak (%r)" % peak)
            continue
        for col in OURS_COLUMN[s]:
            values = [number(r[h.index(col)]) for h, rows in tabs if col in h for r in rows if len(r) == len(h)]
            ours = [v for v in values if v is not None]
            if not ours:
                problems.append("section %s: no row with a number under %r" % (s, col))
            elif min(ours) <= 0:
                problems.append("section %s: a non-positive %r: %s" % (s, col, ours))
    if summary is None:
        problems.append("no Summary")
    elif peers == "no":
        for line in summary.split("\n"):
            if line.startswith("- Skipped: ") and not line[len("- Skipped: "):].startswith(PEER_SKIPS):
                problems.append("skipped something other than a peer: %s" % line)
    return problems


def main():
    args = sys.argv[1:]
    peers = "any"
    if "--peers" in args:
        i = args.index("--peers")
        peers = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1 or peers not in ("no", "any"):
        sys.exit("usage: check_results.py RESULTS.md [--peers no|any]")
    with open(args[0], encoding="utf-8") as f:
        problems = check(f.read(), peers)
    for p in problems:
        print("bench results: " + p)
    print("bench results %s: %s" % (args[0], "%d problem(s)" % len(problems) if problems else "every section measured"))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

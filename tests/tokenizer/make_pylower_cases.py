#!/usr/bin/env python3
"""make_pylower_cases.py - what Python's str.lower() does, for tokenizer/pylower.c.

sentence-transformers lowers every text with str.lower() before its tokenizer
when sentence_bert_config.json says "do_lower_case": true.  The reference here
is Python itself (any CPython 3; the fixture records which), never our code:

    python3 tests/tokenizer/make_pylower_cases.py     (from the repository root)

writes, under tests/fixtures/tokenizer/:

  pylower-unicode.json  {"python", "unicode_version",
                         "assigned": [[first, last], ...]  code points this Python assigns,
                         "lower": [[cp, [cp, ...]], ...]  every cp whose chr(cp).lower() differs,
                         "ignorable": [[first, last], ...],
                         "cased": [[first, last], ...],
                         "corpus_fnv1a": [h, ...]}
        "ignorable" and "cased" are what the Final_Sigma rule sees, found by
        probing str.lower() itself around a capital sigma (see classes()):
        "cased" lists the cased characters that are not case-ignorable (a
        cased one that is also ignorable is skipped, so never consulted).
        corpus_fnv1a: FNV-1a 32 of corpus.jsonl line n's text.lower() in UTF-8.
  pylower-cases.jsonl   {"text", "lower", "bounds": [[src_byte, lower_byte], ...]}
        chosen sigma contexts, characters whose lowercase changes length,
        typed special tokens, and seeded random mixes; bounds pair each
        character's start in the text with the start of its lowercase.
  pylower-ids.jsonl     {"tokenizer", "text", "ids"}: the ids Hugging Face's
        tokenizer (tests/models/tokenize_texts.js, node) gives text.lower(),
        for all-MiniLM-L6-v2's tokenizer.json (uncased, as bge's) and
        bert-base-cased's vocab.txt (cased: there the lowering shows everywhere).
"""
import json
import os
import random
import subprocess
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizer")
VOCAB = os.path.join(ROOT, "tests", "fixtures", "vocab")
TOKENIZE_JS = os.path.join(ROOT, "tests", "models", "tokenize_texts.js")
SIGMA = "\u03a3"


def ranges_of(pred):
    out = []
    for cp in range(0x110000):
        if pred(cp):
            if out and out[-1][1] == cp - 1:
                out[-1][1] = cp
            else:
                out.append([cp, cp])
    return out


def assigned(cp):
    return not (0xD800 <= cp <= 0xDFFF) and unicodedata.category(chr(cp)) != "Cn"


def classes(cp):
    """(ignorable, cased and not ignorable) as str.lower()'s sigma rule sees cp:
    "cΣ" ends in final sigma only if c is cased and not skipped; "AcΣ" does
    too when c is skipped (case-ignorable)."""
    c = chr(cp)
    alone = (c + SIGMA).lower().endswith("\u03c2")
    after_a = ("A" + c + SIGMA).lower().endswith("\u03c2")
    return (after_a and not alone), alone


def fnv1a(b):
    h = 2166136261
    for x in b:
        h = ((h ^ x) * 16777619) & 0xFFFFFFFF
    return h


def bounds(text):
    out, s, lo = [], 0, 0
    for c in text:
        out.append([s, lo])
        s += len(c.encode())
        lo += 2 if c == SIGMA else len(c.lower().encode())
    out.append([s, lo])
    assert lo == len(text.lower().encode()), text
    return out


CHOSEN = [
    "[CLS] literal [SEP] tokens [MASK]", "[PAD][UNK][sep]", "Hello [SEP] World",
    SIGMA, "\u0391" + SIGMA, SIGMA + "\u0391", "\u039f\u0394\u039f\u03a3", "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3",
    "\u0391\u03a3'\u03a3", "\u0391'\u03a3", "\u0391\u03a3'", "\u0391\u03a3'\u0391", "\u0391.\u03a3.", "\u0391\u03a3\u0301",
    "\u0391\u0301\u03a3", "\u0391\u03a3\u00ad\u0392", "1\u03a3", "\u0391\u03a31", "\u03a3\u03a3\u03a3", "\u0391\u03a3 \u03a3",
    "\u0391\u03a3\u0345", "\u0345\u03a3", "a\u03a3", "a\u02b0\u03a3", "\u02b0\u03a3", "\u0391\u03a3\u2019s",
    "\u0391\u03a3:\u03a3", "\u0391\u03a3\u200b", "\u0391\u03a3 \u0301", "\u0391\u03a3\U0001F600",
    "\u0130stanbul", "\u0130\u0130", "\u212a\u212b \u2126", "\u1e9e", "\u01c5\u01c8", "\u1fbc\u1f88",
    "\u023a\u023e \u2c62\u2c64", "\u10a0\u1c90", "\U00010400\U00010428", "\u13a0\u13f5", "\uff21\uff3a",
    "MIXED Case And UPPER CASE words", "Caf\u00c9 D\u00c9J\u00c0 VU", "\u0130STANBUL'DA \u0391\u0398\u0397\u039d\u0391\u03a3",
    "", "   ", "\t\n", "\u0000A\u0000\u03a3\u0000", "\u6771\u4eac \u03a3 \u0417\u0414\u0420\u0410\u0412\u0421\u0422\u0412\u0423\u0419",
]

POOL = [SIGMA, "\u03c3", "\u03c2", "A", "a", "Z", " ", "'", ".", ":", "\u0301", "\u00ad", "\u0345", "\u0130",
        "\u212a", "\u023a", "\u2c62", "1", "-", "\u2126", "\u02b0", "\u2019", "\u01c5", "\u65e5", "[SEP]",
        "[sep]", "\t", "\u0391", "\u039f", "\u00c9", "\U00010400", "\u200b", "\u0000"]


def random_texts(n, seed=20261206):
    rng = random.Random(seed)
    return ["".join(rng.choice(POOL) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def hf_ids(texts, args):
    cmd = ["node", TOKENIZE_JS, "--max-length", "512"] + args
    r = subprocess.run(cmd, input=json.dumps(texts).encode(), capture_output=True, check=True)
    return json.loads(r.stdout)["ids"]


def main():
    uni = {
        "python": sys.version.split()[0],
        "unicode_version": unicodedata.unidata_version,
        "assigned": ranges_of(assigned),
        "lower": [],
        "ignorable": [],
        "cased": [],
    }
    cls = {}
    for cp in range(0x110000):
        if not assigned(cp):
            continue
        c = chr(cp)
        if c.lower() != c:
            uni["lower"].append([cp, [ord(x) for x in c.lower()]])
        cls[cp] = classes(cp)
    uni["ignorable"] = ranges_of(lambda cp: cp in cls and cls[cp][0])
    uni["cased"] = ranges_of(lambda cp: cp in cls and cls[cp][1])
    with open(os.path.join(FIX, "corpus.jsonl"), encoding="utf-8") as f:
        corpus = [json.loads(line) for line in f]
    uni["corpus_fnv1a"] = [fnv1a(t.lower().encode("utf-8", "surrogatepass")) for t in corpus]
    with open(os.path.join(FIX, "pylower-unicode.json"), "w", encoding="ascii") as f:
        f.write("{\n")
        keys = list(uni)
        for i, k in enumerate(keys):
            f.write(" %s: %s%s\n" % (json.dumps(k), json.dumps(uni[k], separators=(",", ":")),
                                     "," if i + 1 < len(keys) else ""))
        f.write("}\n")

    texts = CHOSEN + random_texts(400)
    with open(os.path.join(FIX, "pylower-cases.jsonl"), "w", encoding="ascii") as f:
        for t in texts:
            f.write(json.dumps({"text": t, "lower": t.lower(), "bounds": bounds(t)},
                               separators=(",", ":")) + "\n")

    lowered = [t.lower() for t in texts]
    refs = [("all-MiniLM-L6-v2", ["--tokenizer-json", os.path.join(VOCAB, "all-MiniLM-L6-v2", "tokenizer.json")]),
            ("bert-base-cased", ["--vocab", os.path.join(VOCAB, "bert-base-cased", "vocab.txt"), "--cased"])]
    with open(os.path.join(FIX, "pylower-ids.jsonl"), "w", encoding="ascii") as f:
        for name, args in refs:
            for t, ids in zip(texts, hf_ids(lowered, args)):
                f.write(json.dumps({"tokenizer": name, "text": t, "ids": ids}, separators=(",", ":")) + "\n")
    print("python %s, Unicode %s: %d lowercase mappings, %d ignorable and %d cased ranges, "
          "%d corpus hashes, %d texts"
          % (uni["python"], uni["unicode_version"], len(uni["lower"]), len(uni["ignorable"]),
             len(uni["cased"]), len(corpus), len(texts)))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""What sqlite-lembed itself answers for a GGUF file: the reference for sqlite-embed's
sqlite-lembed functions (lembed, lembed_tokenize_json, lembed_token_to_piece,
lembed_token_score; tests/sql/lembed.test).

    /usr/bin/python3 tests/scripts/ggml_ref/lembed_ref.py MODEL.gguf TEXTS.json OUT.json [--pieces N_VOCAB | --hex-pieces N_VOCAB]

Runs sqlite-lembed 0.0.1-alpha.8 (npm's sqlite-lembed-linux-x64, installed by
tests/scripts/ggml_ref/install.sh) through Python's sqlite3 module, so it needs an
interpreter whose sqlite3 can load extensions (Debian's /usr/bin/python3 can; pyenv builds
often cannot). Nothing of sqlite-embed is loaded here.

OUT.json: "reference" (lembed_debug()), "texts" (TEXTS.json), "vectors" (lembed(name, text):
float32 values, L2-normalised by sqlite-lembed), "tokens" (lembed_tokenize_json), and with
--pieces "pieces": [id, lembed_token_to_piece, lembed_token_score] for ids 0..1099 (the
specials, [unusedN], single characters) and every 37th id after, below N_VOCAB (the model's
vocabulary size: sqlite-lembed does not check an id against it). --hex-pieces writes each piece
as hex(lembed_token_to_piece('m', id)) instead: a byte-level BPE token's piece is its bytes, and
one byte of a multi-byte character is no UTF-8 text.
"""
import json
import os
import sqlite3
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LEMBED = os.path.join(HERE, "node_modules", "sqlite-lembed-linux-x64", "lembed0")


def short_float32(v):
    """v (a float32 value) as the shortest decimal that reads back as the same float32."""
    for digits in range(6, 10):
        d = float("%.*g" % (digits, v))
        if struct.unpack("<f", struct.pack("<f", d))[0] == v:
            return d
    return v


def main():
    args = sys.argv[1:]
    n_vocab = 0
    piece = "lembed_token_to_piece('m', ?)"
    if len(args) == 5 and args[3] in ("--pieces", "--hex-pieces"):
        n_vocab = int(args[4])
        if args[3] == "--hex-pieces":
            piece = "hex(%s)" % piece
    elif len(args) != 3:
        sys.exit(__doc__)
    model, texts_path, out_path = args[:3]
    if not os.path.exists(LEMBED + ".so"):
        sys.exit("lembed_ref.py: %s.so missing; run tests/scripts/ggml_ref/install.sh" % LEMBED)
    texts = json.load(open(texts_path, encoding="utf-8"))
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(LEMBED)
    db.execute("INSERT INTO temp.lembed_models(name, model) SELECT 'm', lembed_model_from_file(?)", (model,))
    out = {"reference": db.execute("SELECT lembed_debug()").fetchone()[0].strip().split("\n"),
           "model": os.path.basename(model), "texts": texts, "vectors": [], "tokens": []}
    for t in texts:
        blob = db.execute("SELECT lembed('m', ?)", (t,)).fetchone()[0]
        out["vectors"].append([short_float32(v) for v in struct.unpack("<%df" % (len(blob) // 4), blob)])
        out["tokens"].append(json.loads(db.execute("SELECT lembed_tokenize_json('m', ?)", (t,)).fetchone()[0]))
    if n_vocab:
        ids = list(range(min(1100, n_vocab))) + list(range(1100, n_vocab, 37))
        out["pieces"] = [[i] + list(db.execute("SELECT %s, lembed_token_score('m', ?)" % piece,
                                               (i, i)).fetchone()) for i in ids]
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()

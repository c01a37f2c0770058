#!/usr/bin/env python3
"""Turn a one-label cross-encoder directory into a three-label one, in place.

    python3 tests/scripts/widen_classifier.py DIR

The classifier's weight [1, H] becomes [3, H] (row 0 kept, rows 1 and 2 its
negation and its half) and its bias [1] becomes [3] likewise; config.json
gets three labels and Identity as its activation.  The first score of the
result is then the one-label model's logit, the second its negation and the
third half of it: what embed_rerank's vector for several labels must hold.
Stdlib only (the SQL tests run it with the sqlite3 CLI's .shell).
"""
import json
import os
import struct
import sys


def main(d):
    path = os.path.join(d, "model.safetensors")
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    names = [k for k in header if k != "__metadata__"]
    weight = next(k for k in names if k in ("classifier.weight", "classifier.out_proj.weight"))
    bias = weight[:-len("weight")] + "bias"
    out, new = bytearray(), {}
    for k in sorted(names, key=lambda k: header[k]["data_offsets"][0]):
        t = header[k]
        b, e = t["data_offsets"]
        chunk = data[b:e]
        shape = t["shape"]
        if k in (weight, bias):
            assert t["dtype"] == "F32" and shape[0] == 1, (k, t)
            vals = struct.unpack("<%df" % (len(chunk) // 4), chunk)
            rows = [vals, [-v for v in vals], [v / 2 for v in vals]]
            chunk = b"".join(struct.pack("<%df" % len(r), *r) for r in rows)
            shape = [3] + shape[1:]
        new[k] = {"dtype": t["dtype"], "shape": shape, "data_offsets": [len(out), len(out) + len(chunk)]}
        out += chunk
    if "__metadata__" in header:
        new["__metadata__"] = header["__metadata__"]
    h = json.dumps(new).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + bytes(out))
    cpath = os.path.join(d, "config.json")
    with open(cpath) as f:
        cfg = json.load(f)
    cfg["id2label"] = {"0": "a", "1": "b", "2": "c"}
    cfg["label2id"] = {"a": 0, "b": 1, "c": 2}
    cfg["sbert_ce_default_activation_function"] = "torch.nn.modules.linear.Identity"
    cfg.pop("sentence_transformers", None)
    with open(cpath, "w") as f:
        json.dump(cfg, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])

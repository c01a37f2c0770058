#!/usr/bin/env python3
"""Write tests/fixtures/ggml_blocks/: for each GGML block type the engine reads, a
matrix quantized by llama.cpp's own ggml_quantize_chunk and the floats llama.cpp's own
dequantize_row_<type> gives back (both through tests/scripts/ggml_lib.py).  The engine's
dequantizers (engine/ggml_blocks.c) must reproduce TYPE.f32 from TYPE.q bit for bit
(tests/unit/test_ggml_blocks.c).

    tests/scripts/ggml_ref/install.sh          # once: llama.cpp's libraries from npm
    python3 tests/scripts/make_ggml_blocks.py  # deterministic: same bytes every run

Files: TYPE.q (ROWS x COLS values as blocks, row after row), TYPE.f32 (ROWS x COLS
little-endian float32), and manifest.txt ("TYPE ggml_type_id ROWS COLS" per line).
The rows are chosen to reach each format's corners: weights of an ordinary spread,
a tiny spread, large values, zeros, one outlier among small values, values of one
sign, and a row whose halves differ a thousandfold (sub-block scales far apart).
"""
import array
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ggml_lib  # noqa: E402

TYPES = ["q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K",
         "iq4_nl", "iq4_xs"]
COLS = 512
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "ggml_blocks")


def rows():
    rnd = random.Random(20261206)
    out = [
        [rnd.gauss(0, 1) for _ in range(COLS)],
        [rnd.gauss(0, 0.02) for _ in range(COLS)],
        [rnd.uniform(-300, 300) for _ in range(COLS)],
        [0.0] * COLS,
        [1000.0 if i == 77 else rnd.gauss(0, 0.01) for i in range(COLS)],
        [-abs(rnd.gauss(0.5, 0.3)) for _ in range(COLS)],
        [rnd.gauss(0, 1e-3 if (i // 32) % 2 else 1.0) for i in range(COLS)],
        [abs(rnd.gauss(0, 2)) + 0.25 for _ in range(COLS)],
    ]
    assert all(math.isfinite(v) for r in out for v in r)
    return out


def main():
    g = ggml_lib.Ggml()
    data = [v for r in rows() for v in r]
    nrows = len(data) // COLS
    os.makedirs(OUT, exist_ok=True)
    manifest = []
    for t in TYPES:
        q = g.quantize(t, data, nrows, COLS)
        f = g.dequantize(t, q, len(data))
        with open(os.path.join(OUT, t + ".q"), "wb") as fh:
            fh.write(q)
        with open(os.path.join(OUT, t + ".f32"), "wb") as fh:
            assert sys.byteorder == "little"
            fh.write(array.array("f", f).tobytes())
        manifest.append(f"{t} {g.type_id(t)} {nrows} {COLS}")
    with open(os.path.join(OUT, "manifest.txt"), "w") as fh:
        fh.write("\n".join(manifest) + "\n")
    print(f"wrote {len(TYPES)} types x {nrows} rows x {COLS} to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()

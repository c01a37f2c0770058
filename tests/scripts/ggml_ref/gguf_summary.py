#!/usr/bin/env python3
"""Summarise the tensors of GGUF files: ggml type of each tensor and counts by type.

    python3 tests/scripts/ggml_ref/gguf_summary.py [--markdown] FILE.gguf...

Reads only the header (standard library); ggml type names come from ggml itself
(ggml_type_name through tests/scripts/ggml_lib.py), general.file_type is printed as stored.
Used by make_fixtures.sh to write the tables of tests/fixtures/gguf_quants/README.md.
"""
import argparse
import collections
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ggml_lib  # noqa: E402

SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
          11: "<q", 12: "<d"}


def read_header(path):
    with open(path, "rb") as f:
        data = f.read(1 << 24)
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("<Q")
        s = data[pos:pos + n].decode("utf-8")
        pos += n
        return s

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("<I"), take("<Q")
            return [value(et) for _ in range(n)]
        return take(SCALAR[t])

    assert data[:4] == b"GGUF", path
    pos = 4
    version, n_tensors, n_kv = take("<I"), take("<Q"), take("<Q")
    kv = {}
    for _ in range(n_kv):
        k = string()
        kv[k] = value(take("<I"))
    tensors = []
    for _ in range(n_tensors):
        name = string()
        nd = take("<I")
        ne = [take("<Q") for _ in range(nd)]
        tensors.append((name, ne, take("<I"), take("<Q")))
    return version, kv, tensors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    g = ggml_lib.Ggml()
    tname = {v: k for k, v in g.ids.items()}
    for path in args.files:
        _, kv, tensors = read_header(path)
        counts = collections.Counter(tname[t] for _, _, t, _ in tensors)
        size = os.path.getsize(path)
        if args.markdown:
            print("#### %s\n" % os.path.basename(path))
            print("%d bytes; general.file_type = %s; general.quantization_version = %s; %d tensors: %s\n"
                  % (size, kv.get("general.file_type"), kv.get("general.quantization_version"),
                     len(tensors), ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items()))))
            print("| tensor | ne | type |")
            print("|---|---|---|")
            for name, ne, t, _ in tensors:
                print("| %s | %s | %s |" % (name, " x ".join(str(d) for d in ne), tname[t]))
            print()
        else:
            print("%s: %d bytes, file_type %s, %s" % (path, size, kv.get("general.file_type"),
                                                     dict(sorted(counts.items()))))
            for name, ne, t, _ in tensors:
                print("  %-34s %-14s %s" % (name, "x".join(str(d) for d in ne), tname[t]))


if __name__ == "__main__":
    main()

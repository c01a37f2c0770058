#!/usr/bin/env python3
"""Turn gen_model's "jina" test model into JinaBert's qk-post-norm variant, for llama.cpp.

    python3 tests/scripts/jina_code_from_jina.py JINADIR OUTDIR

jina-embeddings-v2-base-code (jinaai/jina-bert-v2-qk-post-norm) has a byte-level BPE
tokenizer, which a jina-bert-v2 GGUF records as tokenizer.ggml.model "gpt2": the engine does
not read that vocabulary from a GGUF file, so the generated jina_code shape (BPE, like the
real model) cannot be compared with llama.cpp through one. This keeps the jina shape's
WordPiece vocabulary and weights and gives them the variant's layout:

  mlp.gated_layers -> mlp.up_gated_layer   (the same rows; the variant reads its SECOND half
                                            as the gate, so the model computes something else)
  mlp.wo           -> mlp.down_layer
  mlp.layernorm    -> layer_norm_2
  new, per layer:  attention.self.layer_norm_q, attention.self.layer_norm_k, layer_norm_1
                   (weight and bias of hidden_size each: weights uniform in [0.5, 1.5), biases
                   in [-0.3, 0.3), from splitmix64 seeded 36, in that order)

Everything else (config.json, vocab.txt, the sentence-transformers files) is copied as is.
Standard library only: tests/unit/test_gguf_llama.c runs it in CI.
"""
import json
import os
import shutil
import struct
import sys

RENAME = (("mlp.gated_layers.", "mlp.up_gated_layer."), ("mlp.wo.", "mlp.down_layer."),
          ("mlp.layernorm.", "layer_norm_2."))
NORMS = ("attention.self.layer_norm_q", "attention.self.layer_norm_k", "layer_norm_1")


def splitmix64(state):
    """The next state and its output, as Vigna's splitmix64.c."""
    state = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return state, z ^ (z >> 31)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    path = os.path.join(dst, "model.safetensors")
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack_from("<Q", raw)[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    cfg = json.load(open(os.path.join(src, "config.json")))
    hidden, layers = cfg["hidden_size"], cfg["num_hidden_layers"]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            sys.exit("jina_code_from_jina.py: %s is %s, not F32" % (name, info["dtype"]))
        start, end = info["data_offsets"]
        for old, new in RENAME:
            name = name.replace(old, new)
        tensors[name] = (info["shape"], data[start:end])
    state = 36
    for layer in range(layers):
        for norm in NORMS:
            for kind, lo, width in (("weight", 0.5, 1.0), ("bias", -0.3, 0.6)):
                values = []
                for _ in range(hidden):
                    state, z = splitmix64(state)
                    values.append(lo + width * (z >> 11) / float(1 << 53))
                tensors["encoder.layer.%d.%s.%s" % (layer, norm, kind)] = (
                    [hidden], struct.pack("<%df" % hidden, *values))
    out_header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        shape, blob = tensors[name]
        out_header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(out_header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


if __name__ == "__main__":
    main()

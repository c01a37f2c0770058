#!/usr/bin/env python3
"""Write fuzz_gguf's byte-level BPE seed: a GGUF file's vocabulary replaced by a tiny "gpt2" one.

    python3 tests/scripts/gguf_bpe_seed.py tests/fuzz/corpus/fuzz_gguf/tiny_jina_code_f32.gguf \
        tests/fuzz/corpus/fuzz_gguf/tiny_jina_code_bpe_f32.gguf

The input's tokenizer.ggml.* keys are replaced, in place, by a 16-token byte-level BPE vocabulary
as convert_hf_to_gguf.py's _set_vocab_gpt2 writes one (model "gpt2", pre "jina-v2-code", tokens
as tokenizer.json's byte-level strings, token types, merges, bos/eos ids, add_bos/add_eos true);
every other key, the tensor infos and the tensor data are copied as they are. The input must
have 16 rows of token_embd. Standard library only (make_gguf.py's serialisation).
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_gguf as mg  # noqa: E402

# <s> <pad> </s> <unk>, a few letters, the space (U+0120), what the merges make, <mask>
TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "a", "b", "c", "\u0120", "ab", "\u0120a", "\u0120ab",
          "x", "y", "\u0120\u0120", "z", "<mask>"]
TYPES = [3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3]
MERGES = ["a b", "\u0120 a", "\u0120a b", "\u0120 \u0120"]


def read_kvs(data):
    """(version, n_tensors, [(key, vtype, raw value bytes)], end of the metadata)."""
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, 4)
    pos = 24

    def skip(t, pos):
        if t == mg.T_STR:
            (n,) = struct.unpack_from("<Q", data, pos)
            return pos + 8 + n
        if t == mg.T_ARR:
            et, n = struct.unpack_from("<IQ", data, pos)
            pos += 12
            for _ in range(n):
                pos = skip(et, pos)
            return pos
        return pos + struct.calcsize(mg._SCALAR_FMT[t])

    kvs = []
    for _ in range(n_kv):
        (n,) = struct.unpack_from("<Q", data, pos)
        key = data[pos + 8:pos + 8 + n].decode("utf-8")
        pos += 8 + n
        (t,) = struct.unpack_from("<I", data, pos)
        end = skip(t, pos + 4)
        kvs.append((key, t, data[pos + 4:end]))
        pos = end
    return version, n_tensors, kvs, pos


def tensor_infos_end(data, pos, n_tensors):
    for _ in range(n_tensors):
        (n,) = struct.unpack_from("<Q", data, pos)
        pos += 8 + n
        (nd,) = struct.unpack_from("<I", data, pos)
        pos += 4 + 8 * nd + 4 + 8
    return pos


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = open(sys.argv[1], "rb").read()
    version, n_tensors, kvs, meta_end = read_kvs(data)
    infos_end = tensor_infos_end(data, meta_end, n_tensors)
    vocab = mg.KV()
    vocab.add("tokenizer.ggml.model", mg.T_STR, "gpt2")
    vocab.add("tokenizer.ggml.pre", mg.T_STR, "jina-v2-code")
    vocab.add("tokenizer.ggml.tokens", mg.T_ARR, TOKENS, mg.T_STR)
    vocab.add("tokenizer.ggml.token_type", mg.T_ARR, TYPES, mg.T_I32)
    vocab.add("tokenizer.ggml.merges", mg.T_ARR, MERGES, mg.T_STR)
    vocab.add("tokenizer.ggml.bos_token_id", mg.T_U32, 0)
    vocab.add("tokenizer.ggml.eos_token_id", mg.T_U32, 2)
    vocab.add("tokenizer.ggml.add_bos_token", mg.T_BOOL, True)
    vocab.add("tokenizer.ggml.add_eos_token", mg.T_BOOL, True)
    out, placed = [], False
    for key, t, raw in kvs:
        if key.startswith("tokenizer.ggml.") and key != "tokenizer.ggml.token_type_count":
            if not placed:                  # where the old vocabulary began
                out.append(vocab.encode())
                placed = True
            continue
        out.append(mg.p_str(key) + struct.pack("<I", t) + raw)
    n_kv = sum(1 for k, _, _ in kvs if not k.startswith("tokenizer.ggml.") or k == "tokenizer.ggml.token_type_count")
    head = b"GGUF" + struct.pack("<IQQ", version, n_tensors, n_kv + len(vocab.items)) + b"".join(out)
    head += data[meta_end:infos_end]
    body = data[mg.pad_to(infos_end):]
    with open(sys.argv[2], "wb") as f:
        f.write(head + b"\0" * (mg.pad_to(len(head)) - len(head)) + body)


if __name__ == "__main__":
    main()

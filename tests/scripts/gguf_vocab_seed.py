#!/usr/bin/env python3
"""Write fuzz_gguf's seeds of the other vocabularies: a GGUF file's vocabulary replaced by a tiny one.

    python3 tests/scripts/gguf_vocab_seed.py tests/fuzz/corpus/fuzz_gguf/tiny_jina_code_f32.gguf \
        tests/fuzz/corpus/fuzz_gguf/tiny_jina_code_bpe_f32.gguf
    python3 tests/scripts/gguf_vocab_seed.py --unigram tests/fuzz/corpus/fuzz_gguf/tiny_jina_code_f32.gguf \
        tests/fuzz/corpus/fuzz_gguf/tiny_unigram_f32.gguf

The input's tokenizer.ggml.* keys are replaced, in place, by a 16-token vocabulary: byte-level
BPE as convert_hf_to_gguf.py's _set_vocab_gpt2 writes one (model "gpt2", pre "jina-v2-code",
tokens as tokenizer.json's byte-level strings, token types, merges), or with --unigram a
SentencePiece Unigram one as _xlmroberta_set_vocab writes XLM-R's (model "t5", pieces, scores,
types, add_space_prefix and remove_extra_whitespaces true; no precompiled_charsmap, which is
optional and 237 KB for XLM-R); both with bos/eos ids and add_bos/add_eos true. Every other
key, the tensor infos and the tensor data are copied as they are. The input must have 16 rows
of token_embd. Standard library only (make_gguf.py's serialisation).
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
# <s> <pad> </s> <unk> (UNKNOWN), pieces with their log probabilities, <mask>
PIECES = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0), ("a", -3.0),
          ("b", -3.5), ("c", -4.0), ("\u2581a", -3.2), ("\u2581ab", -5.0), ("ab", -4.5), ("x", -6.0),
          ("y", -6.5), ("z", -7.0), ("\u2581x", -6.2), ("<mask>", 0.0)]
PIECE_TYPES = [3, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3]


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
    args = sys.argv[1:]
    unigram = bool(args) and args[0] == "--unigram"
    if unigram:
        args = args[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    data = open(args[0], "rb").read()
    version, n_tensors, kvs, meta_end = read_kvs(data)
    infos_end = tensor_infos_end(data, meta_end, n_tensors)
    vocab = mg.KV()
    if unigram:
        vocab.add("tokenizer.ggml.model", mg.T_STR, "t5")
        vocab.add("tokenizer.ggml.pre", mg.T_STR, "default")
        vocab.add("tokenizer.ggml.tokens", mg.T_ARR, [p for p, _ in PIECES], mg.T_STR)
        vocab.add("tokenizer.ggml.scores", mg.T_ARR, [s for _, s in PIECES], mg.T_F32)
        vocab.add("tokenizer.ggml.token_type", mg.T_ARR, PIECE_TYPES, mg.T_I32)
        vocab.add("tokenizer.ggml.add_space_prefix", mg.T_BOOL, True)
        vocab.add("tokenizer.ggml.remove_extra_whitespaces", mg.T_BOOL, True)
        vocab.add("tokenizer.ggml.unknown_token_id", mg.T_U32, 3)
    else:
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
    with open(args[1], "wb") as f:
        f.write(head + b"\0" * (mg.pad_to(len(head)) - len(head)) + body)


if __name__ == "__main__":
    main()

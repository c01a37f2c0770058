#!/bin/sh
# Regenerate tests/fixtures/gguf_quants/ (quantized GGUF files of the "f16" test model and
# llama.cpp's embeddings of them) from a clean build.
#
#   make                                   # builds build/tools/gen_model
#   sh tests/scripts/ggml_ref/install.sh   # node-llama-cpp 3.22.1 = llama.cpp v0.5.0 (CPU)
#   sh tests/scripts/ggml_ref/make_fixtures.sh
#
# QUANT_TYPES (default "q4_k_m") lists the make_gguf.py --type values to write, each as
# f16-<type>.gguf + f16-<type>.json; every file is ~2.8 MB (the 30522 x 64 token_embd is Q8_0
# in every mix, plus the vocabulary), so one is kept to stay near the ~4 MB budget.
# Steps:
#  1. gen_model --shape f16 (deterministic) into a temporary directory;
#  2. make_gguf.py --type f32 (not kept: tests regenerate it) and llama_embed.mjs on it
#     -> f16-f32.json;
#  2b. the same for the nomic test model (n_inner 256) -> nomic256-f32.json and the jina test
#     model (JinaBert, general.architecture jina-bert-v2) -> jina-f32.json, and its qk-post-norm
#     variant (jina_code_from_jina.py) -> jina_code-f32.json, pooling from the file; and the
#     jina_code test model itself, whose vocabulary is byte-level BPE (a GGUF "gpt2" vocabulary,
#     pre jina-v2-code) -> jina_code_bpe-f32.json over fixture_texts_bpe.json; and the
#     xlmroberta test model (XLM-R as bge-m3 has it: a "t5" Unigram vocabulary with its
#     Precompiled charsmap) -> xlmroberta-f32.json over fixture_texts_unigram.json;
#  3. per type: make_gguf.py --type <type> -> f16-<type>.gguf, checked byte for byte against
#     llama.cpp's own llama_model_quantize run on the F32 file (llama_quantize.py), then
#     llama_embed.mjs -> f16-<type>.json;
#  4. README.md with the commands, versions and per-tensor types (gguf_summary.py).
# Embeddings use --pooling cls: the f16 test model has no sentence-transformers Pooling module,
# so its GGUF has no bert.pooling_type (llama.cpp would pool NONE = last token; sqlite-embed
# defaults to CLS).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$root/tests/fixtures/gguf_quants"
types=${QUANT_TYPES:-q4_k_m}
gen="$root/build/tools/gen_model"
texts="$here/fixture_texts.json"

[ -x "$gen" ] || { echo "make_fixtures.sh: $gen missing; run make" >&2; exit 1; }
[ -d "$here/node_modules/node-llama-cpp" ] || { echo "make_fixtures.sh: run $here/install.sh" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$out"

cd "$root"                                   # gen_model reads tests/fixtures/vocab relative to it
"$gen" --shape f16 --out "$tmp/f16" > /dev/null

python3 tests/scripts/make_gguf.py "$tmp/f16" "$tmp/f16-f32.gguf" --type f32
node "$here/llama_embed.mjs" "$tmp/f16-f32.gguf" "$texts" "$out/f16-f32.json" --pooling cls \
    2> "$tmp/embed-f32.log"

# NomicBert (nomic-embed-text's architecture): the nomic test model with n_inner 256, the width
# its MLP tensors already have (HF's NomicBert rounds n_inner 200 up to 256), so the converter's
# feed_forward_length matches them and llama.cpp loads the file (with 200 it refuses it); the
# weights and the vectors are the nomic model's. Pooling from the file (mean).
"$gen" --shape nomic --out "$tmp/nomic" > /dev/null
python3 -c "import json, sys; p = sys.argv[1]; c = json.load(open(p)); c['n_inner'] = 256; json.dump(c, open(p, 'w'), indent=2)" \
    "$tmp/nomic/config.json"
python3 tests/scripts/make_gguf.py "$tmp/nomic" "$tmp/nomic256-f32.gguf" --type f32
node "$here/llama_embed.mjs" "$tmp/nomic256-f32.gguf" "$texts" "$out/nomic256-f32.json" \
    2> "$tmp/embed-nomic.log"

# JinaBert (jina-embeddings-v2's architecture: ALiBi, GeGLU; llama.cpp's jina-bert-v2): the jina
# test model as gen_model writes it, each mlp.gated_layers split into ffn_gate (rows 0-127, the
# GELU-ed half) and ffn_up (rows 128-255) as the converter does. Pooling from the file (mean).
"$gen" --shape jina --out "$tmp/jina" > /dev/null
python3 tests/scripts/make_gguf.py "$tmp/jina" "$tmp/jina-f32.gguf" --type f32
node "$here/llama_embed.mjs" "$tmp/jina-f32.gguf" "$texts" "$out/jina-f32.json" \
    2> "$tmp/embed-jina.log"
# Its qk-post-norm variant (jina-embeddings-v2-base-code's architecture) with the jina model's
# weights and WordPiece vocabulary: tests/scripts/jina_code_from_jina.py. Pooling from the file.
python3 tests/scripts/jina_code_from_jina.py "$tmp/jina" "$tmp/jina_code"
python3 tests/scripts/make_gguf.py "$tmp/jina_code" "$tmp/jina_code-f32.gguf" --type f32
node "$here/llama_embed.mjs" "$tmp/jina_code-f32.gguf" "$texts" "$out/jina_code-f32.json" \
    2> "$tmp/embed-jina_code.log"
# The jina_code test model as it is: the variant with a RoBERTa-style byte-level BPE tokenizer,
# written as _set_vocab_gpt2 does (tokenizer.ggml.model "gpt2", tokens, merges); make_gguf.py
# computes no BPE pre-tokenizer hash, so the name the converter gives the real model is passed.
"$gen" --shape jina_code --out "$tmp/jina_code_bpe" > /dev/null
python3 tests/scripts/make_gguf.py "$tmp/jina_code_bpe" "$tmp/jina_code_bpe-f32.gguf" --type f32 --pre jina-v2-code
node "$here/llama_embed.mjs" "$tmp/jina_code_bpe-f32.gguf" "$here/fixture_texts_bpe.json" \
    "$out/jina_code_bpe-f32.json" 2> "$tmp/embed-jina_code_bpe.log"
# llama.cpp's ids, special tokens parsed (sqlite-lembed's call), for every case of the tokenizer
# fixtures this vocabulary came from, and for one 300 KB text made of them
node "$here/llama_tokenize.mjs" "$tmp/jina_code_bpe-f32.gguf" tests/fixtures/tokenizer/bpe/cases.jsonl \
    "$out/jina_code_bpe-cases.jsonl" "$out/jina_code_bpe-long.json" 300000 2>> "$tmp/embed-jina_code_bpe.log"
# XLM-RoBERTa (bge-m3's and multilingual-e5's layout) as the converter's XLMRobertaModel writes
# it: the position table cut to start at pad_token_id + 1, a "t5" (Unigram) vocabulary with
# scores and the Precompiled charsmap, add_bos/add_eos true. llama_embed.mjs puts <s> before each
# text as llama_tokenize does for such a file (node-llama-cpp would not). Pooling from the file.
"$gen" --shape xlmroberta --out "$tmp/xlmroberta" > /dev/null
python3 tests/scripts/make_gguf.py "$tmp/xlmroberta" "$tmp/xlmroberta-f32.gguf" --type f32
node "$here/llama_embed.mjs" "$tmp/xlmroberta-f32.gguf" "$here/fixture_texts_unigram.json" \
    "$out/xlmroberta-f32.json" 2> "$tmp/embed-xlmroberta.log"
node "$here/llama_tokenize.mjs" "$tmp/xlmroberta-f32.gguf" tests/fixtures/tokenizer/unigram/cases.jsonl \
    "$out/xlmroberta-cases.jsonl" "$out/xlmroberta-long.json" 300000 2>> "$tmp/embed-xlmroberta.log"
for t in $types; do
    python3 tests/scripts/make_gguf.py "$tmp/f16" "$out/f16-$t.gguf" --type "$t" 2> "$tmp/make-$t.log"
    python3 "$here/llama_quantize.py" "$tmp/f16-f32.gguf" "$tmp/ref-$t.gguf" "$t" > "$tmp/quantize-$t.log" 2>&1
    if ! cmp "$out/f16-$t.gguf" "$tmp/ref-$t.gguf"; then
        echo "make_fixtures.sh: make_gguf.py --type $t differs from llama_model_quantize" >&2
        exit 1
    fi
    node "$here/llama_embed.mjs" "$out/f16-$t.gguf" "$texts" "$out/f16-$t.json" --pooling cls \
        2> "$tmp/embed-$t.log"
done

nlc=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$here/node_modules/node-llama-cpp/package.json" | head -n 1)
rel=$(sed -n 's/.*"release": *"\([^"]*\)".*/\1/p' "$here/node_modules/node-llama-cpp/llama/binariesGithubRelease.json")

{
cat <<EOF
# Quantized GGUF fixtures (llama-quantize types)

Generated by \`tests/scripts/ggml_ref/make_fixtures.sh\`; do not edit by hand (this README
too). Regenerate with \`make && sh tests/scripts/ggml_ref/install.sh &&
sh tests/scripts/ggml_ref/make_fixtures.sh\` (\`QUANT_TYPES="q4_k_m q5_k_m" sh ...\` for more
files; each is ~2.8 MB).

Reference: llama.cpp ${rel} (ggml-org/llama.cpp, as built by node-llama-cpp ${nlc}, prebuilt
linux-x64 CPU binaries from npm). Every quantized byte comes from its libggml-base.so
(ggml_quantize_chunk), and each file is byte-identical to what llama.cpp's own
\`llama_model_quantize\` (the \`llama-quantize\` tool) writes from the F32 GGUF (checked by
make_fixtures.sh through tests/scripts/ggml_ref/llama_quantize.py).

## How each file was made

The model is the "f16" test model (\`build/tools/gen_model --shape f16\`: BERT, hidden 64,
2 layers, 4 heads, intermediate 256, vocab 30522, max_position_embeddings 128, F16
safetensors, no sentence-transformers modules).

    build/tools/gen_model --shape f16 --out F16DIR
    python3 tests/scripts/make_gguf.py F16DIR f16-f32.gguf --type f32          # not kept
    node tests/scripts/ggml_ref/llama_embed.mjs f16-f32.gguf tests/scripts/ggml_ref/fixture_texts.json f16-f32.json --pooling cls
EOF
for t in $types; do
cat <<EOF
    python3 tests/scripts/make_gguf.py F16DIR f16-$t.gguf --type $t
    python3 tests/scripts/ggml_ref/llama_quantize.py f16-f32.gguf ref.gguf $t && cmp f16-$t.gguf ref.gguf
    node tests/scripts/ggml_ref/llama_embed.mjs f16-$t.gguf tests/scripts/ggml_ref/fixture_texts.json f16-$t.json --pooling cls
EOF
done
cat <<EOF

\`f16-f32.json\` has no GGUF here: a test regenerates \`f16-f32.gguf\` with make_gguf.py
(standard library only) from \`build/test-models/f16\`.

\`nomic256-f32.json\`: the "nomic" test model (NomicBert: n_embd 64, 2 layers, rotary, fused
QKV, SwiGLU; mean pooling from its sentence-transformers Pooling module) with \`n_inner\` set to
256 in a copy of its config.json. HF's NomicBert rounds n_inner 200 up to a multiple of 256, so
its MLP tensors are 256 wide either way; the converter writes n_inner as feed_forward_length,
and llama.cpp refuses a file whose 200 disagrees with its tensors. Its GGUF is not kept either:

    build/tools/gen_model --shape nomic --out NOMICDIR      # then n_inner 256 in NOMICDIR/config.json
    python3 tests/scripts/make_gguf.py NOMICDIR nomic256-f32.gguf --type f32   # not kept
    node tests/scripts/ggml_ref/llama_embed.mjs nomic256-f32.gguf tests/scripts/ggml_ref/fixture_texts.json nomic256-f32.json

\`jina-f32.json\`: the "jina" test model (JinaBert, jina-embeddings-v2's architecture: hidden 96,
2 layers, 6 heads (ALiBi, no position table; 6 is not a power of two), intermediate 128, GeGLU;
mean pooling from its sentence-transformers Pooling module) as llama.cpp's converter writes it
for \`JinaBertForMaskedLM\`: general.architecture \`jina-bert-v2\`, each \`mlp.gated_layers\`
[256, 96] split into \`ffn_gate\` (rows 0-127, the half that goes through GELU) and \`ffn_up\`
(rows 128-255), \`tokenizer.ggml.add_bos_token\` / \`add_eos_token\` true. Pooling from the file
(mean), \`context_size\` 1024. Its GGUF is not kept either:

    build/tools/gen_model --shape jina --out JINADIR
    python3 tests/scripts/make_gguf.py JINADIR jina-f32.gguf --type f32        # not kept
    node tests/scripts/ggml_ref/llama_embed.mjs jina-f32.gguf tests/scripts/ggml_ref/fixture_texts.json jina-f32.json

Its vectors are further from an exact computation than the BERT and NomicBert ones: against a
float64 forward pass of the same model with the exact (erf) GELU (the computation of the
PyTorch reference in tests/fixtures/models/jina), they differ by up to 6.5e-4 (values up to
2.3). That is ggml's CPU GELU: the tanh form, looked up in a table over fp16 inputs (an fp16
result). The same float64 pass with that GELU is within 2.8e-4 of these vectors, and within
4.2e-6 of llama.cpp's without flash attention (node-llama-cpp's default, "auto", turns it on for
the CPU, and it rounds Q, K and V to fp16).

\`jina_code-f32.json\`: JinaBert's qk-post-norm variant (jinaai/jina-bert-v2-qk-post-norm, the
architecture of jina-embeddings-v2-base-code): the "jina" test model's weights and WordPiece
vocabulary with the variant's layout, made by \`tests/scripts/jina_code_from_jina.py\`
(\`mlp.gated_layers\` renamed \`mlp.up_gated_layer\`, whose SECOND half is the gate, \`mlp.wo\`
\`mlp.down_layer\`, \`mlp.layernorm\` \`layer_norm_2\`, and seeded \`attention.self.layer_norm_q\`,
\`layer_norm_k\` and \`layer_norm_1\` added to each layer), as llama.cpp's converter writes it: \`attn_q_norm\`, \`attn_k_norm\`, \`attn_norm_2\`, each
\`up_gated_layer\` split into \`ffn_up\` (rows 0-127) and \`ffn_gate\` (rows 128-255, the half that
goes through GELU). llama.cpp normalises the queries and keys after their projections and adds
the layer input a second time before \`attn_norm_2\`. Pooling from the file (mean), \`context_size\`
1024. Its GGUF is not kept either:

    build/tools/gen_model --shape jina --out JINADIR
    python3 tests/scripts/jina_code_from_jina.py JINADIR CODEDIR
    python3 tests/scripts/make_gguf.py CODEDIR jina_code-f32.gguf --type f32  # not kept
    node tests/scripts/ggml_ref/llama_embed.mjs jina_code-f32.gguf tests/scripts/ggml_ref/fixture_texts.json jina_code-f32.json

The engine (from the GGUF or from CODEDIR, the same bits) is within 5.5e-4 of these vectors
(values up to 2.3), as for jina-f32.json; the jina model's own vectors are 1.6 away.

\`jina_code_bpe-f32.json\`: the "jina_code" test model itself (the qk-post-norm variant, hidden 96,
3 layers, 6 heads, intermediate 128, mean pooling) with its RoBERTa-style byte-level BPE
tokenizer (4000 ids, \`<s>\` 0, \`</s>\` 2; jina-embeddings-v2-base-code's tokenizer is one too),
written as the converter's \`_set_vocab_gpt2\` does: \`tokenizer.ggml.model\` \`gpt2\`, the
byte-level tokens, \`tokenizer.ggml.merges\`, token types (the five special tokens CONTROL), bos
0 / eos 2 with \`add_bos_token\` / \`add_eos_token\` true, \`token_type_count\` 2. The converter
names the pre-tokenizer from a hash of what the HF tokenizer makes of a check text; that hash
is the real model's, so the name it gives it, \`jina-v2-code\`, is passed with \`--pre\`
(llama.cpp splits such text with GPT-2's pattern). Over \`fixture_texts_bpe.json\` (code,
whitespace runs, contractions, emoji, CJK, Arabic digits, a URL; no special token typed:
node-llama-cpp tokenizes with special tokens unparsed, sqlite-lembed parses them, see
tests/fixtures/lembed). Its GGUF is not kept either:

    build/tools/gen_model --shape jina_code --out CODEDIR
    python3 tests/scripts/make_gguf.py CODEDIR jina_code_bpe-f32.gguf --type f32 --pre jina-v2-code   # not kept
    node tests/scripts/ggml_ref/llama_embed.mjs jina_code_bpe-f32.gguf tests/scripts/ggml_ref/fixture_texts_bpe.json jina_code_bpe-f32.json

\`xlmroberta-f32.json\`: the "xlmroberta" test model (XLM-RoBERTa as bge-m3 has it: BERT's
encoder under \`roberta.\`, 514 positions starting at pad_token_id + 1, layer_norm_eps 1e-5, one
token type, CLS pooling) with the XLM-R style Unigram tokenizer of tests/fixtures/tokenizer/unigram
(4002 ids, XLM-R's own 237 KB Precompiled charsmap), as the converter's \`XLMRobertaModel\` writes
it from a tokenizer.json: general.architecture \`bert\`, \`position_embd\` without its first 2 rows
(context_length 512), \`tokenizer.ggml.model\` \`t5\` with the pieces, their scores and types
(\`<unk>\` UNKNOWN, the other specials CONTROL), add_space_prefix and remove_extra_whitespaces true,
the charsmap, and add_bos_token / add_eos_token true (what SpecialVocab writes once it reads the
post_processor; llama.cpp's Unigram default is no \`<s>\`). node-llama-cpp never puts \`<s>\` before a
UGM text, so llama_embed.mjs does, as llama_tokenize does for this file. Over
\`fixture_texts_unigram.json\` (spaces at the ends and in runs, tabs and newlines, NFKC cases,
a fullwidth \`<s>\`, a doubled combining accent). Its GGUF is not kept either:

    build/tools/gen_model --shape xlmroberta --out XLMRDIR
    python3 tests/scripts/make_gguf.py XLMRDIR xlmroberta-f32.gguf --type f32   # not kept
    node tests/scripts/ggml_ref/llama_embed.mjs xlmroberta-f32.gguf tests/scripts/ggml_ref/fixture_texts_unigram.json xlmroberta-f32.json

\`jina_code_bpe-cases.jsonl\` and \`xlmroberta-cases.jsonl\`: llama.cpp's ids for every text of
tests/fixtures/tokenizer/bpe/cases.jsonl (6,312) and tests/fixtures/tokenizer/unigram/cases.jsonl
(646), the files their tokenizer.json files came from, by \`llama_tokenize.mjs\`: llama_tokenize
with special tokens parsed, as sqlite-lembed calls it, and the file's \`<s>\` ... \`</s>\`. Where
they differ from the Hugging Face ids of those files, llama.cpp is what a GGUF file means:
\`<mask>\`'s lstrip takes ASCII white space only (5 BPE cases); the Precompiled charsmap's longest
key over the text, not per grapheme, and only \`' '\` dropped at the ends (150 Unigram cases).
\`jina_code_bpe-long.json\` and \`xlmroberta-long.json\`: llama.cpp's ids for one 300 KB text made of
those cases (its \`rule\`), longer than the tokenizers' windows here: their count, FNV-1a 64 hash,
head and tail.

    node tests/scripts/ggml_ref/llama_tokenize.mjs jina_code_bpe-f32.gguf tests/fixtures/tokenizer/bpe/cases.jsonl jina_code_bpe-cases.jsonl jina_code_bpe-long.json 300000
    node tests/scripts/ggml_ref/llama_tokenize.mjs xlmroberta-f32.gguf tests/fixtures/tokenizer/unigram/cases.jsonl xlmroberta-cases.jsonl xlmroberta-long.json 300000

## The JSON files

\`llama_embed.mjs\` output: \`texts\` (tests/scripts/ggml_ref/fixture_texts.json), \`tokens\`
(the token ids llama.cpp evaluated, [CLS]=101 ... [SEP]=102 included), \`vectors\` (llama.cpp's
pooled embedding, NOT normalized, float32 values written in full), \`pooling\` (file: the
GGUF's bert.pooling_type, null = absent; used: 2 = CLS, forced with a load-time kv override
because the file has none and sqlite-embed defaults to CLS), \`context_size\` (128 = the
model's training context), \`threads\` 1, \`llama_cpp\` (versions and the CPU features of the
machine that ran it: llama.cpp picks a CPU-specific ggml build, so the last bits of the
vectors may differ on another machine).

llama.cpp computes quantized matrix products with the activations quantized too (Q8_0 / Q8_K
dot products on the CPU), so its vectors for a quantized file differ from an exact float
product with the dequantized weights by more than float rounding; compare with a tolerance.

## Tensor types
EOF
echo
(cd "$out" && for t in $types; do python3 "$here/gguf_summary.py" --markdown "f16-$t.gguf"; done)
cat <<EOF
## What llama.cpp printed

EOF
for t in $types; do
    echo "\`llama_model_quantize\` ($t) warnings:"
    echo
    grep -E "warning|WARNING" "$tmp/quantize-$t.log" | sed 's/^/    /' || true
    echo
done
echo "\`llama_embed.mjs\` (llama.cpp / node-llama-cpp warnings while embedding, paths cut to"
echo "the file name; llama.cpp pads the context to a multiple of 256, hence the n_ctx_seq warning,"
echo "harmless here: no text is longer than 128 tokens):"
echo
sed 's|("[^"]*/\([^/"]*\)")|("\1")|' "$tmp"/embed-*.log | sort -u | sed 's/^/    /'
} > "$out/README.md"

ls -l "$out"

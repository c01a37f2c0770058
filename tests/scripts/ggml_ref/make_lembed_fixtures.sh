#!/bin/sh
# Regenerate tests/fixtures/lembed/: what sqlite-lembed itself answers for GGUF files of the
# test models, the reference for sqlite-embed's sqlite-lembed functions (tests/sql/lembed.test).
#
#   make                                           # builds build/tools/gen_model
#   sh tests/scripts/ggml_ref/install.sh           # sqlite-lembed 0.0.1-alpha.8 from npm
#   sh tests/scripts/ggml_ref/make_lembed_fixtures.sh
#
# The GGUF files are not kept (the test writes them again with make_gguf.py, standard library
# only, byte for byte the same): the minilm test model as F32 and as Q8_0 (the quantisation of
# sqlite-lembed's own example file, all-MiniLM-L6-v2.e4ce9877.q8_0.gguf), and the nomic test
# model (NomicBert) with n_inner 256 as F32 (see tests/fixtures/gguf_quants/README.md for why
# 256). LEMBED_PYTHON: an interpreter whose sqlite3 module loads extensions (default
# /usr/bin/python3, Debian's).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$root/tests/fixtures/lembed"
gen="$root/build/tools/gen_model"
py=${LEMBED_PYTHON:-/usr/bin/python3}
texts="$here/lembed_texts.json"

[ -x "$gen" ] || { echo "make_lembed_fixtures.sh: $gen missing; run make" >&2; exit 1; }
[ -f "$here/node_modules/sqlite-lembed-linux-x64/lembed0.so" ] || { echo "make_lembed_fixtures.sh: run $here/install.sh" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$out"
cd "$root"                                   # gen_model reads tests/fixtures/vocab relative to it
"$gen" --shape minilm --out "$tmp/minilm" > /dev/null
"$gen" --shape nomic --out "$tmp/nomic" > /dev/null
python3 -c "import json, sys; p = sys.argv[1]; c = json.load(open(p)); c['n_inner'] = 256; json.dump(c, open(p, 'w'), indent=2)" \
    "$tmp/nomic/config.json"
python3 tests/scripts/make_gguf.py "$tmp/minilm" "$tmp/minilm-f32.gguf" --type f32
python3 tests/scripts/make_gguf.py "$tmp/minilm" "$tmp/minilm-q8_0.gguf" --type q8_0
python3 tests/scripts/make_gguf.py "$tmp/nomic" "$tmp/nomic256-f32.gguf" --type f32
# llama.cpp's log goes to stderr; kept out of the way
"$py" "$here/lembed_ref.py" "$tmp/minilm-f32.gguf" "$texts" "$out/minilm-f32.json" --pieces 30522 2> "$tmp/log"
"$py" "$here/lembed_ref.py" "$tmp/minilm-q8_0.gguf" "$texts" "$out/minilm-q8_0.json" 2>> "$tmp/log"
"$py" "$here/lembed_ref.py" "$tmp/nomic256-f32.gguf" "$texts" "$out/nomic256-f32.json" 2>> "$tmp/log"
# A byte-level BPE (GGUF "gpt2") vocabulary: sqlite-lembed's llama.cpp (2024) reads jina-bert-v2
# but not the qk-post-norm variant, so the jina test model's weights with the jina_code test
# model's tokenizer files (RoBERTa-style BPE, 4000 ids; the converter pads the vocabulary to the
# 30522 rows of token_embd with [PADn] tokens), pre jina-v2-de (GPT-2's pattern, <mask> lstrip).
"$gen" --shape jina --out "$tmp/jina_bpe" > /dev/null
"$gen" --shape jina_code --out "$tmp/jina_code" > /dev/null
rm -f "$tmp/jina_bpe/vocab.txt" "$tmp/jina_bpe/tokenizer.json" "$tmp/jina_bpe/special_tokens_map.json"
cp "$tmp/jina_code/tokenizer.json" "$tmp/jina_code/tokenizer_config.json" "$tmp/jina_code/special_tokens_map.json" "$tmp/jina_bpe/"
python3 tests/scripts/make_gguf.py "$tmp/jina_bpe" "$tmp/jina_bpe-f32.gguf" --type f32 --pre jina-v2-de
"$py" "$here/lembed_ref.py" "$tmp/jina_bpe-f32.gguf" "$here/lembed_texts_bpe.json" "$out/jina_bpe-f32.json" --hex-pieces 4000 2>> "$tmp/log"
ls -l "$out"

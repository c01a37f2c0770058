#!/usr/bin/python3
"""Golden outputs for sqlite-embed's BERT encoder, from an independent reference.

Run from the repository root with Debian's interpreter (torch + numpy):

    make build/tools/gen_model      # or: cc -std=c11 -O2 -o build/tools/gen_model tests/tools/gen_model.c -lm
    /usr/bin/python3 tests/models/make_golden.py [--shapes minilm,bge,...] [--keep]

For every shape it
  1. writes the model directory with its own Python implementation of the
     generator spec (header comment of tests/tools/gen_model.c, restated in
     tests/models/README.md) into build/golden-work/py/<shape>;
  2. runs build/tools/gen_model into build/golden-work/c/<shape> and checks
     that both directories hold the same files, byte for byte (sha256): this
     proves that the C generator CI runs reproduces the reference's weights;
  3. computes the reference outputs in float64 with a BERT forward written
     from torch primitives (HF BertModel math, "A"), cross-checked against a
     second implementation built from torch.nn.TransformerEncoderLayer ("B",
     python path and fused fast path); |A - B| must be < 1e-9;
  4. writes tests/fixtures/models/<shape>/golden.json + golden.bin
     (format in tests/models/README.md).
Shapes with sentence-transformers Dense modules (dense) apply them after
pooling and before the normalisation, with torch.nn.functional.linear +
torch.tanh, cross-checked against torch.nn.Linear + nn.Tanh modules and an
explicit matmul (|diff| < 1e-9).
Shapes whose Pooling config sets include_prompt false (instr) join each text
case's prompt to its texts before tokenizing (prompt + text, as
SentenceTransformer.encode does) and pool with attention_mask[:, :prompt_length]
= 0, prompt_length being the prompt tokenized alone less its [SEP], as
sentence-transformers' Pooling does; cross-checked against slicing the hidden
states (|diff| < 1e-9).
DistilBERT shapes (distil) store DistilBertModel's tensors ("distilbert."
prefix, no token types, no pooler) and a DistilBertConfig; the reference maps
DistilBERT's names onto BERT's (q_lin -> query, sa_layer_norm ->
attention.output.LayerNorm, ...: the same post-LayerNorm encoder, as HF's
modeling_distilbert computes it) and leaves out the token-type term, in A
and B alike.
MPNet shapes (mpnet) store MPNetModel's tensors and an MPNetConfig.  A
follows HF's modeling_mpnet from torch primitives: position ids from the
input ids (create_position_ids_from_input_ids, padding_idx 1), no token
types, LayerNorm eps 1e-5, and one relative position bias (the buckets of
MPNetEncoder.relative_position_bucket, computed in torch as HF does: float32
log, truncation) added to every layer's scores after the 1/sqrt(head_dim)
scaling and before the mask.  B is nn.Embedding + nn.TransformerEncoderLayer
with the bias given as a float attn_mask [batch * heads, S, S], its position
ids counted in a Python loop and its buckets from exact integer arithmetic
(asserted equal to A's torch buckets for every relative position of
-511..511).  The fused fast path of B refuses an attn_mask, so mpnet has no
"B fast" figures.
NomicBert shapes (nomic) store nomic-embed-text-v1.5's tensors (no position
table, a fused Wqkv, SwiGLU fc11/fc12/fc2, no Linear biases, emb_ln / norm1 /
norm2) and its NomicBertConfig.  A follows nomic-ai's modeling_hf_nomic_bert
(postnorm) from torch primitives: rotary positions 0..len-1 on q and k
(GPT-NeoX halves, base 1000, the cos/sin table computed in float32 as
NomicBertRotaryEmbedding does even in a float64 model, then cast), scores /
sqrt(head_dim) + the finfo.min mask, out_proj, norm1, fc11(x) *
F.silu(fc12(x)), fc2, norm2.  B is nn.Embedding + nn.LayerNorm + nn.Linear
(Q, K, V sliced out of Wqkv) + nn.MultiheadAttention (identity in-projection,
key padding mask) with the rotation done as a complex multiplication by
e^{i theta} (numpy float32 angles, asserted bit-identical to A's; their
float32 cos and sin by torch, as HF), and SwiGLU as a * g / (1 + exp(-g));
no fused path.  For information, how far the outputs move without rotary,
with GPT-J (interleaved) rotary, with fc11 and fc12 swapped, with float64
angles, with GELU for SiLU, with the correctly rounded inv_freq and with
glibc's float32 cos/sin (what the C engine's table holds).
nomic_moe (NomicBertModel with moe_every_n_layers 2, as
nomic-ai/nomic-embed-text-v2-moe) stores v2-moe's tensors: nomic's with
biases on Wqkv and out_proj, one token type, per layer either the dense MLP
fc1 / fc2 (with biases) or, where i % 2 == 1, the MoE's router.layer (no
bias), experts.mlp.w1 / w2 ([E * I, H], expert outer) and experts.bias;
its config is v2-moe's NomicBertConfig, its tokenizer files xlmr's.  A is
nomic's with the biases, LayerNorm eps 1e-5, GELU_erf MLPs, and the MoE as
NomicMoELayer computes it (nomic_moe_mlp_a: softmax over all experts in
float64, torch.topk, the weights not renormalised, each expert's tokens
gathered and index_add_'ed, the one bias after the sum).  B is NomicB with
biases, nn.Linear + nn.GELU MLPs, and the MoE in the dense form
(NomicMoeB: nn.Softmax, the chosen experts by rank, every token through
every expert by einsum, a dense [T, E] weight matrix).  Every valid
token's gap between its moe_top_k-th and next router logit must exceed
MOE_MIN_GAP (float32 must route as float64 does).  For information,
how far the outputs move without rotary, with GPT-J rotary, with glibc's
float32 cos/sin, with the top-k weights renormalised, with top-1, with the
bias inside each expert's term, with w2 taken as [E, H, I], with w1 and w2
swapped and with tanh GELU.
ModernBERT shapes (modernbert) store ModernBertModel's tensors as
sentence-transformers saves them (no prefix: embeddings.tok_embeddings /
embeddings.norm, layers.<i>.attn_norm (none in layer 0) / attn.Wqkv /
attn.Wo / mlp_norm / mlp.Wi / mlp.Wo, final_norm; no biases at all) and a
ModernBertConfig as transformers 4.48.0 saves it.  A follows HF's
modeling_modernbert (4.48, eager attention) from torch primitives: pre-norm
(layer 0 without attn_norm), rotary on q and k with the float32 table of
ModernBertRotaryEmbedding (inv_freq and inv_freq @ positions in float32,
cos / sin in float32, then cast), base global_rope_theta on the global
layers (i % global_attn_every_n_layers == 0) and local_rope_theta on the
others, which also see only keys with |i - j| <= local_attention // 2 (the
finfo.min sliding-window mask, masked_fill over the padding mask), scores *
head_dim^-0.5, a float64 max-subtracted softmax (HF's eager path upcasts to
float32, for half precision), Wo; GELU(input) * gate from Wi's two halves,
mlp.Wo; final_norm.  B is nn.Embedding + nn.LayerNorm (zero bias: torch
1.13's LayerNorm has no bias=False) + per layer nn.Linear Q, K, V (Wqkv's
row blocks), the rotation as a complex multiplication (numpy float32
angles per base, asserted bit-identical to A's), nn.MultiheadAttention
with a boolean band attn_mask on the local layers and key_padding_mask,
nn.Linear input / gate / out with nn.GELU; no fused path.  For
information, how far the outputs move without the window, with the windows
on the wrong layers, with one theta, with a window one token short, with
SiLU for GELU, with input and gate swapped, post-norm instead of pre-norm,
without final_norm and without rotary.
GTE v1.5 shapes (gte: NewModel as Alibaba-NLP/gte-base-en-v1.5;
rerank_gte: NewForSequenceClassification as
Alibaba-NLP/gte-multilingual-reranker-base) store NewModel's tensors
(embeddings.word_embeddings, a token-type table only when type_vocab_size >
0, embeddings.LayerNorm; encoder.layer.<i>.attention.qkv_proj (with bias) /
o_proj (with bias), attn_ln, mlp.up_gate_proj (no bias), mlp.down_proj,
mlp_ln) and a NewConfig.  A follows Alibaba-NLP/new-impl's modeling.py
(post-LayerNorm, pack_qkv, eval) from torch primitives: LayerNorm(word +
token type), qkv_proj split into q, k, v, rotary on q and k (GPT-NeoX
halves) with NTKScalingRotaryEmbedding's float32 table (base rope_theta *
factor, inv_freq / factor ** (2 / d), einsum, cos / sin in float32, then
cast), scores / sqrt(d) + the finfo.min mask, softmax, o_proj, attn_ln;
GELU(gate) * up from up_gate_proj's halves, down_proj, mlp_ln.  B is
nn.Embedding + nn.LayerNorm + per layer nn.Linear Q, K, V (qkv_proj's row
blocks and bias thirds), the rotation as a complex multiplication (numpy
float32 angles, asserted bit-identical to A's), nn.MultiheadAttention
(identity in-projection, out_proj = o_proj, key padding mask), nn.LayerNorm,
nn.Linear up / gate / down with nn.GELU; no fused path.  rerank_gte's head
is BertPooler (tanh of token 0, NewModel's pooler under "new.") and
classifier, then Sigmoid, as rerank's with rerank_xlmr's activation.  For
information, how far the outputs move without rotary, without the NTK
scaling, with the activation on the up half, with SiLU for GELU, without
the attention biases, pre-norm instead of post-norm and (rerank_gte)
without the token-type row.
JinaBert shapes (jina: JinaBertModel as jinaai/jina-embeddings-v2-base-en;
rerank_jina: JinaBertForSequenceClassification as
jinaai/jina-reranker-v1-turbo-en; config.json's model_type "bert" with
position_embedding_type "alibi", so the shapes say arch "jina") store
JinaBertModel's tensors (BERT's embeddings without the position table and
BERT's attention; per layer mlp.gated_layers (no bias), mlp.wo,
mlp.layernorm) and a JinaBertConfig.  A follows
jinaai/jina-bert-implementation's modeling_bert.py from torch primitives:
LayerNorm(word + token type), BERT's attention with scores / sqrt(d) +
(the finfo.min mask + ALiBi), the ALiBi table built as
rebuild_alibi_tensor does in float32 (int64 |j - i|, torch.Tensor of
_get_alibi_head_slopes' Python floats, the float32 product) and then cast;
GeGLU: GELU_erf(first half of gated_layers) * second half, wo, layernorm(+
the attention block's output).  B is nn.Embedding + nn.LayerNorm +
nn.MultiheadAttention (Q/K/V as its in-projection) given the ALiBi bias as
a float attn_mask [batch * heads, S, S] (distances from numpy, slopes from
their closed form, asserted bit-identical to A's table) with the key
padding mask, nn.LayerNorm, nn.Linear gate / up / wo with nn.GELU; no fused
path.  rerank_jina's head is BertPooler (tanh of token 0, under "bert.")
and classifier, then Sigmoid.  For information, how far the outputs move
without ALiBi, with one-sided (causal) ALiBi, with the next power of two's
slopes, with the GELU on the second half, with tanh-GELU and with
mlp.layernorm missing its residual.
jina_code (JinaBertModel of jinaai/jina-bert-v2-qk-post-norm, the
architecture of jina-embeddings-v2-base-code; arch "jina_code") stores jina's
embeddings and attention tensors plus, per layer,
attention.self.layer_norm_q / layer_norm_k, layer_norm_1,
mlp.up_gated_layer (no bias), mlp.down_layer and layer_norm_2, and a
JinaBertConfig naming that code; roberta's byte-level BPE tokenizer files.
A (jina_code_a) is jina's embeddings and ALiBi bias, then per layer (x the
layer input) q = layer_norm_q(query(x)), k = layer_norm_k(key(x)) over the
whole width, BERT's attention on them with attention.output.LayerNorm(+ x),
b = layer_norm_1(that + x) (the input added a second time), u =
up_gated_layer(b), u[..., :I] * GELU_erf(u[..., I:]) (the second half
activated), down_layer, layer_norm_2(+ b).  B (JinaCodeB) is JinaB's
embeddings and ALiBi attn_mask with nn.Linear query / key / value,
nn.LayerNorm on the first two, nn.MultiheadAttention with an identity
in-projection fed the normed q, k and v, nn.LayerNorm x3, nn.Linear up /
gate / down with nn.GELU; no fused path.  For information, how far the
outputs move without ALiBi, without the q/k LayerNorms, without the second
residual and with the GELU on the first half.
Cross-encoders (rerank: BertForSequenceClassification as
cross-encoder/ms-marco-MiniLM-L-6-v2; rerank_xlmr:
XLMRobertaForSequenceClassification as BAAI/bge-reranker-base) store the
head next to the encoder (CLASSIFIERS) and have no sentence-transformers
files.  A's score of a sequence is activation(W2 tanh(W1 h0 + b1) + b2) from
torch primitives, h0 the last hidden state of token 0 (BertPooler +
classifier; RobertaClassificationHead's dense + out_proj), the activation
CrossEncoder's (Identity, named in rerank's config.json; Sigmoid for one
label without it).  B is nn.Linear + nn.Tanh + nn.Linear (+ nn.Sigmoid) on
B's hidden states; C explicit sums on A's.  The golden "pooled" vector is
the score (dims 1); each case also lists its logits.  The text cases are
[a, b] pairs, tokenized by the HF tokenizer as pairs, raw (no strip, no
lowercasing) and truncated longest_first to 512, as CrossEncoder does;
make_golden.py checks every row against the two texts tokenized alone, in
the pair template, cut by the tokenizers crate's LongestFirst rule
(longest_first below).  For information, how far the scores move without
the tanh, with mean pooling, with the other activation, without the first
Linear, and (rerank) with the second text's type ids 0.
rerank_modernbert (ModernBertForSequenceClassification as
Alibaba-NLP/gte-reranker-modernbert-base) stores modernbert's encoder under
"model." and ModernBertPredictionHead (head.dense without bias, head.norm)
and classifier at the top level; A's score is sigmoid(classifier(
head.norm(GELU(head.dense(x))))), x the mean of the last hidden states over
every token of the pair (classifier_pooling "mean"); B is nn.Linear +
nn.GELU + nn.LayerNorm + nn.Linear + nn.Sigmoid after a mean by boolean
indexing; C explicit sums.  The encoder gets no token type ids (ModernBERT
takes none; the golden type_ids are the tokenizer's).  For information,
how far the scores move without head.norm, with token 0 for the mean, with
tanh for GELU, without the sigmoid, and with the type ids used (a type-1
row added to the second segment's embeddings).
Texts are tokenized by the HF Rust tokenizer (tests/models/tokenize_texts.js, node),
after what sentence-transformers' Transformer module does first for the
shapes with its files: str.strip(), then str.lower() where
sentence_bert_config.json says do_lower_case (every uncased st shape but
nomic, whose tokenizer lowercases on its own).
Weights for the reference are decoded from the Python-written safetensors
files (so F16/BF16 shapes use the rounded weights).
"""
import argparse
import functools
import hashlib
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import time

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VOCAB_DIR = os.path.join(ROOT, "tests", "fixtures", "vocab")
OUT_DIR = os.path.join(ROOT, "tests", "fixtures", "models")
WORK = os.path.join(ROOT, "build", "golden-work")
GEN = os.path.join(ROOT, "build", "tools", "gen_model")
TOKENIZE_JS = os.path.join(ROOT, "tests", "models", "tokenize_texts.js")
DATA = "/work/shared/data"

# ---------------------------------------------------------------------------
# shapes (must match SHAPES[] in tests/tools/gen_model.c)
# ---------------------------------------------------------------------------
SHAPES = {
    "minilm": dict(hidden=384, layers=6, heads=12, inter=1536, vocab=30522, maxpos=512, seed=1,
                   dtype="F32", prefix="", shards=1, vocab_fixture="bert-base-uncased",
                   tokjson_fixture=None, lower=True, st=True, pooling="mean", normalize=True,
                   max_seq=256),
    "bge": dict(hidden=384, layers=12, heads=12, inter=1536, vocab=30522, maxpos=512, seed=2,
                dtype="F32", prefix="bert.", shards=2, vocab_fixture=None,
                tokjson_fixture="all-MiniLM-L6-v2", lower=True, st=True, pooling="cls",
                normalize=True, max_seq=512),
    "multi": dict(hidden=128, layers=2, heads=4, inter=512, vocab=119547, maxpos=512, seed=3,
                  dtype="F32", prefix="", shards=1, vocab_fixture="bert-base-multilingual-cased",
                  tokjson_fixture=None, lower=False, st=True, pooling="mean", normalize=False,
                  max_seq=128),
    "f16": dict(hidden=64, layers=2, heads=4, inter=256, vocab=30522, maxpos=128, seed=4,
                dtype="F16", prefix="", shards=1, vocab_fixture="bert-base-uncased",
                tokjson_fixture=None, lower=True, st=False, pooling="cls", normalize=False,
                max_seq=None),
    "bf16": dict(hidden=64, layers=2, heads=4, inter=256, vocab=30522, maxpos=128, seed=5,
                 dtype="BF16", prefix="", shards=1, vocab_fixture="bert-base-uncased",
                 tokjson_fixture=None, lower=True, st=True, pooling="mean", normalize=True,
                 max_seq=128),
    # two sentence-transformers Dense modules after cls pooling (DENSE_MODS in gen_model.c)
    "dense": dict(hidden=64, layers=2, heads=4, inter=256, vocab=30522, maxpos=128, seed=7,
                  dtype="F32", prefix="", shards=1, vocab_fixture="bert-base-uncased",
                  tokjson_fixture=None, lower=True, st=True, pooling="cls", normalize=True,
                  max_seq=128,
                  dense=[dict(path="2_Dense", inp=64, out=48, bias=True, act="tanh",
                              act_fn="torch.nn.modules.activation.Tanh", dtype="F32", io_names=True),
                         dict(path="3_Dense", inp=48, out=40, bias=False, act="identity",
                              act_fn="torch.nn.modules.linear.Identity", dtype="F16", io_names=False)]),
    # INSTRUCTOR-style (INSTR_PROMPTS in gen_model.c): mean pooling leaves the
    # prompt's tokens out (1_Pooling "include_prompt": false); named prompts
    # in config_sentence_transformers.json
    "instr": dict(hidden=64, layers=2, heads=4, inter=256, vocab=30522, maxpos=128, seed=8,
                  dtype="F32", prefix="", shards=1, vocab_fixture="bert-base-uncased",
                  tokjson_fixture=None, lower=True, st=True, pooling="mean", normalize=True,
                  max_seq=128, include_prompt=False,
                  prompts=[("query", "Represent this question for retrieving documents: "),
                           ("passage", "")],
                  default_prompt="query"),
    # DistilBERT as distiluse-base-multilingual has it (DISTIL_DENSE_MODS in
    # gen_model.c): DistilBertModel's tensors under "distilbert." (as a
    # DistilBertForXxx checkpoint stores them), mean pooling, a Dense with
    # tanh, no Normalize
    "distil": dict(hidden=64, layers=2, heads=4, inter=256, vocab=30522, maxpos=128, seed=9,
                   dtype="F32", prefix="distilbert.", shards=1, vocab_fixture="bert-base-uncased",
                   tokjson_fixture=None, lower=True, st=True, pooling="mean", normalize=False,
                   max_seq=128, model_type="distilbert",
                   dense=[dict(path="2_Dense", inp=64, out=32, bias=True, act="tanh",
                               act_fn="torch.nn.modules.activation.Tanh", dtype="F32", io_names=True)]),
    # MPNet as sentence-transformers/all-mpnet-base-v2 has it (MPNET_NAMES in
    # gen_model.c): MPNetModel's tensors without prefix, the tokenizer files
    # of tests/fixtures/vocab/mpnet-style (tokenizer_config.json and
    # special_tokens_map.json copied too), mean pooling, Normalize
    "mpnet": dict(hidden=64, layers=2, heads=4, inter=256, vocab=30527, maxpos=514, seed=10,
                  dtype="F32", prefix="", shards=1, vocab_fixture="mpnet-style",
                  tokjson_fixture="mpnet-style", tokcfg_fixture="mpnet-style", lower=False, st=True,
                  pooling="mean", normalize=True, max_seq=384, model_type="mpnet"),
    # BertModel with an XLM-R (SentencePiece Unigram) tokenizer, as
    # paraphrase-multilingual-MiniLM-L12-v2 and multilingual-e5-small have
    # it: the tokenizer files of tests/fixtures/tokenizer/unigram (written by
    # tests/tokenizer/make_unigram_fixtures.py; tokenizer.json,
    # tokenizer_config.json and special_tokens_map.json copied), config.json's
    # pad_token_id 1, <s> ... </s> rows, mean pooling without Normalize,
    # sentence_bert_config.json without do_lower_case
    "xlmr": dict(hidden=64, layers=2, heads=4, inter=256, vocab=4002, maxpos=512, seed=13,
                 dtype="F32", prefix="", shards=1, vocab_fixture=None,
                 tokjson_fixture="../tokenizer/unigram", tokcfg_fixture="../tokenizer/unigram",
                 lower=False, st=True, pooling="mean", normalize=False, max_seq=128,
                 pad_id=1, st_lower_key=False, cls_sep=(0, 2)),
    # XLM-RoBERTa as bge-m3 has it (XLMR config writer in gen_model.c):
    # BertModel's tensors under "roberta." (an XLMRobertaForXxx checkpoint),
    # one token type, an XLMRobertaConfig (layer_norm_eps 1e-5, pad 1), the
    # xlmr tokenizer files, cls pooling, Normalize, 512 tokens (all 514
    # positions, which start at pad_token_id + 1)
    "xlmroberta": dict(hidden=64, layers=2, heads=4, inter=256, vocab=4002, maxpos=514, seed=14,
                       dtype="F32", prefix="roberta.", shards=1, vocab_fixture=None,
                       tokjson_fixture="../tokenizer/unigram", tokcfg_fixture="../tokenizer/unigram",
                       lower=False, st=True, pooling="cls", normalize=True, max_seq=512,
                       model_type="xlm-roberta", typevocab=1, cls_sep=(0, 2)),
    # RoBERTa as all-distilroberta-v1 has it (the same writer in gen_model.c):
    # BertModel's tensors without prefix, a RobertaConfig, the byte-level BPE
    # tokenizer files of tests/fixtures/tokenizer/bpe (written by
    # tests/tokenizer/make_bpe_fixtures.py), mean pooling, Normalize, 512 tokens
    "roberta": dict(hidden=64, layers=2, heads=4, inter=256, vocab=4000, maxpos=514, seed=15,
                    dtype="F32", prefix="", shards=1, vocab_fixture=None,
                    tokjson_fixture="../tokenizer/bpe", tokcfg_fixture="../tokenizer/bpe",
                    lower=False, st=True, pooling="mean", normalize=True, max_seq=512,
                    model_type="roberta", typevocab=1, cls_sep=(0, 2)),
    # NomicBert as nomic-ai/nomic-embed-text-v1.5 has it (nomic config
    # writer in gen_model.c): rotary positions (no position table), fused
    # Wqkv, SwiGLU, no Linear biases, n_inner 200 (the tensors 256: see
    # nomic_inner), bert-base-uncased's 30522 ids in 30528 embedding rows,
    # mean pooling, Normalize, 2048 tokens; sentence_bert_config.json's
    # do_lower_case false (st_lower) while the tokenizer lowercases
    "nomic": dict(hidden=64, layers=2, heads=4, inter=200, vocab=30528, maxpos=2048, seed=16,
                  dtype="F32", prefix="", shards=1, vocab_fixture="bert-base-uncased",
                  tokjson_fixture=None, lower=True, st=True, pooling="mean", normalize=True,
                  max_seq=2048, model_type="nomic_bert", st_lower=False, tok_vocab=30522),
    # ModernBERT as nomic-ai/modernbert-embed-base has it (ModernBertModel,
    # modernbert config writer in gen_model.c): pre-norm, rotary (global
    # layers 0 and 3 with base 160000, local layers 1 and 2 with base 10000
    # and a +-8 window), gated GELU MLP, no biases, no position or token-type
    # table, the modernbert-style byte-level BPE tokenizer files
    # (tests/fixtures/vocab/modernbert-style, written by
    # tests/models/make_modernbert_vocab.py: [CLS] 4000, [SEP] 4001, [PAD]
    # 4002; 4005 ids in 4032 rows), mean pooling, Normalize, 512 tokens,
    # config_sentence_transformers.json with search_query / search_document
    # prompts (no default) and similarity_fn_name cosine.  Random ids below
    # 3999 (the tokenizer's ordinary tokens: [UNK] 3999 and up are special).
    "modernbert": dict(hidden=64, layers=4, heads=4, inter=96, vocab=4032, maxpos=1024, seed=20,
                       dtype="F32", prefix="", shards=1, vocab_fixture=None,
                       tokjson_fixture="modernbert-style", tokcfg_fixture="modernbert-style",
                       lower=False, st=True, pooling="mean", normalize=True, max_seq=512,
                       model_type="modernbert", pad_id=4002, cls_sep=(4000, 4001), tok_vocab=3999,
                       prompts=[("query", "search_query: "), ("document", "search_document: ")],
                       default_prompt=None, similarity="cosine"),
    # cross-encoders (rerankers; sentence-transformers' CrossEncoder, HF's
    # *ForSequenceClassification with one label): no sentence-transformers
    # files; the score of a pair is activation(W2 tanh(W1 h0 + b1) + b2), h0
    # the last hidden state of token 0 (CLASSIFIERS; the head tensors take
    # K_HEAD, std 0.3).  max_seq: the tokenizer's model_max_length, what
    # CrossEncoder truncates pairs to (longest_first).
    # cross-encoder/ms-marco-MiniLM-L-6-v2's layout (BertForSequenceClassification):
    # BertModel's tensors under "bert." (the pooler is the head's first
    # Linear), classifier.weight [1, H], classifier.bias [1], config.json's
    # sbert_ce_default_activation_function Identity
    "rerank": dict(hidden=64, layers=2, heads=4, inter=256, vocab=30522, maxpos=512, seed=18,
                   dtype="F32", prefix="bert.", shards=1, vocab_fixture="bert-base-uncased",
                   tokjson_fixture=None, lower=True, st=False, pooling="cls", normalize=False,
                   max_seq=512, classifier="bert"),
    # BAAI/bge-reranker-base's layout (XLMRobertaForSequenceClassification):
    # xlmroberta's encoder under "roberta." without the pooler
    # (add_pooling_layer=False), RobertaClassificationHead's classifier.dense
    # [H, H] and classifier.out_proj [1, H], no activation key in config.json
    # (CrossEncoder then applies Sigmoid: num_labels == 1)
    "rerank_xlmr": dict(hidden=64, layers=2, heads=4, inter=256, vocab=4002, maxpos=514, seed=19,
                        dtype="F32", prefix="roberta.", shards=1, vocab_fixture=None,
                        tokjson_fixture="../tokenizer/unigram", tokcfg_fixture="../tokenizer/unigram",
                        lower=False, st=False, pooling="cls", normalize=False, max_seq=512,
                        model_type="xlm-roberta", typevocab=1, cls_sep=(0, 2), classifier="roberta"),
    # Alibaba-NLP/gte-reranker-modernbert-base's layout
    # (ModernBertForSequenceClassification): modernbert's encoder under
    # "model.", ModernBertPredictionHead's head.dense [H, H] (no bias) and
    # head.norm [H] (LayerNorm without bias), classifier [1, H];
    # classifier_pooling "mean" (every token of the pair), GELU; no
    # activation key (Sigmoid).  max_seq 1024: the engine's limit,
    # max_position_embeddings (the tokenizer's model_max_length is 8192,
    # which HF's rotary model would accept; see tests/models/README.md)
    "rerank_modernbert": dict(hidden=64, layers=4, heads=4, inter=96, vocab=4032, maxpos=1024, seed=21,
                              dtype="F32", prefix="model.", shards=1, vocab_fixture=None,
                              tokjson_fixture="modernbert-style", tokcfg_fixture="modernbert-style",
                              lower=False, st=False, pooling="mean", normalize=False, max_seq=1024,
                              model_type="modernbert", pad_id=4002, cls_sep=(4000, 4001), tok_vocab=3999,
                              classifier="modernbert"),
    # GTE v1.5 as Alibaba-NLP/gte-base-en-v1.5 has it (the trust_remote_code
    # NewModel, model_type "new"; gte config writer in gen_model.c): post-
    # LayerNorm, rotary positions (no position table) with NTK scaling
    # (rope_theta 20000, factor 2), fused qkv_proj with bias, gated GELU MLP
    # (up_gate_proj without bias), no token-type table (type_vocab_size 0),
    # bert-base-uncased's 30522 ids in 30528 embedding rows, cls pooling,
    # Normalize, 1024 tokens; sentence_bert_config.json's do_lower_case
    # false while the tokenizer lowercases (as nomic)
    "gte": dict(hidden=64, layers=3, heads=4, inter=96, vocab=30528, maxpos=1024, seed=22,
                dtype="F32", prefix="", shards=1, vocab_fixture="bert-base-uncased",
                tokjson_fixture=None, lower=True, st=True, pooling="cls", normalize=True,
                max_seq=1024, model_type="new", st_lower=False, tok_vocab=30522, typevocab=0,
                rope_theta=20000.0, rope_factor=2.0),
    # Alibaba-NLP/gte-multilingual-reranker-base's layout
    # (NewForSequenceClassification): the gte encoder (2 layers, one token
    # type, rope_theta 160000, NTK factor 8) under "new.", with the pooler
    # (BertPooler: tanh of token 0) as the head's first Linear, classifier
    # [1, H] without prefix; no activation key (Sigmoid); xlmroberta's XLM-R
    # Unigram tokenizer files (pairs <s> a </s></s> b </s>, type ids 0).
    # max_seq 1024: the engine's limit, max_position_embeddings, as for
    # rerank_modernbert (the copied tokenizer_config.json says 512, the
    # fixture's; see tests/models/README.md)
    "rerank_gte": dict(hidden=64, layers=2, heads=4, inter=96, vocab=4002, maxpos=1024, seed=23,
                       dtype="F32", prefix="new.", shards=1, vocab_fixture=None,
                       tokjson_fixture="../tokenizer/unigram", tokcfg_fixture="../tokenizer/unigram",
                       lower=False, st=False, pooling="cls", normalize=False, max_seq=1024,
                       model_type="new", typevocab=1, pad_id=1, cls_sep=(0, 2), classifier="gte",
                       rope_theta=160000.0, rope_factor=8.0),
    # JinaBert as jinaai/jina-embeddings-v2-base-en has it (the
    # trust_remote_code JinaBertModel of jinaai/jina-bert-implementation:
    # config.json's model_type "bert", so the shape says arch "jina"; jina
    # config writer in gen_model.c): BERT's post-LayerNorm encoder with ALiBi
    # instead of a position table, 6 heads (not a power of two: the slope
    # recursion), a GeGLU FFN (mlp.gated_layers without bias, mlp.wo,
    # mlp.layernorm), two token types, bert-base-uncased's 30522 ids in 30528
    # embedding rows, mean pooling, Normalize, 1024 tokens;
    # sentence_bert_config.json's do_lower_case false while the tokenizer
    # lowercases (as nomic)
    "jina": dict(hidden=96, layers=2, heads=6, inter=128, vocab=30528, maxpos=1024, seed=24,
                 dtype="F32", prefix="", shards=1, vocab_fixture="bert-base-uncased",
                 tokjson_fixture=None, lower=True, st=True, pooling="mean", normalize=True,
                 max_seq=1024, arch="jina", st_lower=False, tok_vocab=30522, typevocab=2),
    # jinaai/jina-reranker-v1-turbo-en's layout
    # (JinaBertForSequenceClassification): the jina encoder (64/2/4/96: 4
    # heads, a power of two) under "bert.", with BERT's pooler (tanh of token
    # 0) as the head's first Linear, classifier [1, H] without prefix; no
    # activation key (Sigmoid); bert-base-uncased's vocab.txt (pairs [CLS] a
    # [SEP] b [SEP], type ids 0 / 1).  max_seq 1024: the engine's limit,
    # max_position_embeddings, as for rerank_modernbert and rerank_gte (the
    # generated tokenizer_config.json says the same)
    "rerank_jina": dict(hidden=64, layers=2, heads=4, inter=96, vocab=30528, maxpos=1024, seed=25,
                        dtype="F32", prefix="bert.", shards=1, vocab_fixture="bert-base-uncased",
                        tokjson_fixture=None, lower=True, st=False, pooling="cls", normalize=False,
                        max_seq=1024, arch="jina", tok_vocab=30522, typevocab=2, classifier="jina"),
    # JinaBert v2 QK-post-norm as jinaai/jina-embeddings-v2-base-code has it
    # (the trust_remote_code JinaBertModel of jinaai/jina-bert-v2-qk-post-norm;
    # config.json's model_type "bert", so the shape says arch "jina_code";
    # jina config writer in gen_model.c): jina's encoder with LayerNorms on
    # the query and key projections, the layer input added a second time
    # before layer_norm_1, and a GeGLU FFN whose second half goes through GELU
    # (mlp.up_gated_layer without bias, mlp.down_layer, layer_norm_2); 3
    # layers, 6 heads, two token types; roberta's byte-level BPE tokenizer
    # files (4000 ids, <s> ... </s>, pad_token_id 1: base-code's tokenizer is
    # a RoBERTa-style BPE too), mean pooling, Normalize, 1024 tokens (the
    # copied tokenizer_config.json says 512, the fixture's, as for rerank_gte)
    "jina_code": dict(hidden=96, layers=3, heads=6, inter=128, vocab=4000, maxpos=1024, seed=26,
                      dtype="F32", prefix="", shards=1, vocab_fixture=None,
                      tokjson_fixture="../tokenizer/bpe", tokcfg_fixture="../tokenizer/bpe",
                      lower=False, st=True, pooling="mean", normalize=True, max_seq=1024,
                      arch="jina_code", typevocab=2, pad_id=1, cls_sep=(0, 2)),
    # NomicBert with Mixture-of-Experts FFNs as nomic-ai/nomic-embed-text-v2-moe
    # has it (nomic_moe config writer in gen_model.c): nomic's rotary
    # attention with biases, a GELU MLP with biases (fc1 / fc2, n_inner 96
    # not rounded: the MLP is not gated) on layers 0 and 2, an MoE on layer 1
    # (i % moe_every_n_layers == 1: num_experts 4, moe_top_k 2, the raw
    # softmax weights), LayerNorm eps 1e-5, one token type, the xlmr
    # tokenizer files (4002 ids in 4032 embedding rows, pad_token_id 1, <s>
    # ... </s> rows), mean pooling, Normalize, 512 tokens
    "nomic_moe": dict(hidden=64, layers=3, heads=4, inter=96, vocab=4032, maxpos=2048, seed=30,
                      dtype="F32", prefix="", shards=1, vocab_fixture=None,
                      tokjson_fixture="../tokenizer/unigram", tokcfg_fixture="../tokenizer/unigram",
                      lower=False, st=True, pooling="mean", normalize=True, max_seq=512,
                      model_type="nomic_bert", typevocab=1, pad_id=1, cls_sep=(0, 2), tok_vocab=4002,
                      num_experts=4, moe_top_k=2, moe_every_n_layers=2),
}
# The cross-encoders' heads (shapes with "classifier"): the architecture
# config.json names, the head's two Linears (unprefixed names; BERT's first
# one is the encoder's pooler, under the prefix), config.json's
# sbert_ce_default_activation_function (None: no key) and the activation
# sentence-transformers' CrossEncoder applies to the one logit (Identity
# where the config says so, else Sigmoid, because num_labels == 1).
CLASSIFIERS = {
    "bert": dict(architecture="BertForSequenceClassification", dense="pooler.dense", out="classifier",
                 ce_act="torch.nn.modules.linear.Identity", activation="identity"),
    "roberta": dict(architecture="XLMRobertaForSequenceClassification", dense="classifier.dense",
                    out="classifier.out_proj", ce_act=None, activation="sigmoid"),
    # ModernBertPredictionHead: norm(act(dense(x))), x the pooled last hidden
    # state (classifier_pooling), dense without bias (classifier_bias false),
    # act GELU (erf; classifier_activation "gelu"), norm a LayerNorm without
    # bias (eps norm_eps); then classifier
    "modernbert": dict(architecture="ModernBertForSequenceClassification", dense="head.dense",
                       out="classifier", ce_act=None, activation="sigmoid", pooling="mean",
                       head_act="gelu", norm="head.norm", dense_bias=False),
    # NewForSequenceClassification (GTE): NewModel's pooler (BertPooler,
    # under the encoder's prefix "new."), then classifier; no activation key
    # (Sigmoid, one label)
    "gte": dict(architecture="NewForSequenceClassification", dense="pooler.dense", out="classifier",
                ce_act=None, activation="sigmoid"),
    # JinaBertForSequenceClassification: JinaBertModel's pooler (BertPooler,
    # under the encoder's prefix "bert."), then classifier; no activation key
    # (Sigmoid, one label)
    "jina": dict(architecture="JinaBertForSequenceClassification", dense="pooler.dense", out="classifier",
                 ce_act=None, activation="sigmoid"),
}
CLS_LABELS = 1      # num_labels: id2label {"0": "LABEL_0"}
# Seeds of the id cases' random ids: 1000 + this index.  The first five are
# the indices the shapes had in sorted(SHAPES) before dense was added, fixed
# so that a new shape never changes another shape's cases.
RNG_INDEX = {"bf16": 0, "bge": 1, "f16": 2, "minilm": 3, "multi": 4, "dense": 5, "instr": 6,
             "distil": 7, "mpnet": 8, "xlmr": 9, "xlmroberta": 10, "roberta": 11, "nomic": 12,
             "rerank": 13, "rerank_xlmr": 14, "modernbert": 15, "rerank_modernbert": 16, "gte": 17,
             "rerank_gte": 18, "jina": 19, "rerank_jina": 20, "jina_code": 21, "nomic_moe": 22}
TORCH_DTYPE = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}
K_STD, K_LN_W, K_LN_B, K_DENSE, K_RELB, K_QKV, K_HEAD, K_NORM_W = 0, 1, 2, 3, 4, 5, 6, 7
# MPNet: MPNetConfig.relative_attention_num_buckets, and the max_distance
# MPNetEncoder.relative_position_bucket is called with (its default)
MPNET_BUCKETS, MPNET_MAX_DISTANCE = 32, 128
MPNET_PAD = 1       # MPNetConfig.pad_token_id, MPNetEmbeddings.padding_idx
# NomicBertConfig.rotary_emb_base (rotary_emb_fraction 1.0: every dimension of a head rotates)
NOMIC_ROTARY_BASE = 1000
# ModernBertConfig: global_rope_theta / local_rope_theta, local_attention (the
# window: |i - j| <= local_attention // 2), global_attn_every_n_layers, norm_eps
MODERNBERT_THETA = {"global": 160000.0, "local": 10000.0}
MODERNBERT_LOCAL_ATTENTION = 16
MODERNBERT_GLOBAL_EVERY = 3
MODERNBERT_EPS = 1e-5
# nomic_moe: the smallest gap between a token's moe_top_k-th and next
# routing logit (log-probability, float64) the goldens accept.  float32
# rounds the logits, not the probabilities (A in float32 is within about
# 2.3e-6 of float64 there), so the logit gap is the margin that decides
# whether a float32 engine picks the reference's experts; a probability
# gap would be small wherever the softmax saturates, with the logits far
# apart
MOE_MIN_GAP = 1e-4
M64 = (1 << 64) - 1


# ---------------------------------------------------------------------------
# generator (spec: header of tests/tools/gen_model.c)
# ---------------------------------------------------------------------------
def fnv1a64(s):
    h = 0xcbf29ce484222325
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x100000001b3) & M64
    return h


def gen_values(name, seed, kind, n):
    """float32 array of n values: splitmix64 stream seeded with seed ^ fnv1a64(name)."""
    s0 = np.uint64(seed ^ fnv1a64(name))
    with np.errstate(over="ignore"):
        z = s0 + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9e3779b97f4a7c15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xbf58476d1ce4e5b9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94d049bb133111eb)
        x = z ^ (z >> np.uint64(31))
    sd = (0.02 if kind == K_STD else 0.2 if kind == K_DENSE else 0.5 if kind == K_RELB
          else 0.1 if kind in (K_QKV, K_NORM_W) else 0.3 if kind == K_HEAD else 0.05)
    scale = sd * math.sqrt(3.0) / 8388608.0
    t = ((x >> np.uint64(40)).astype(np.int64) - 8388608).astype(np.float64) + 0.5
    u = t * scale
    if kind in (K_LN_W, K_NORM_W):
        u = 1.0 + u
    return u.astype(np.float32)


def is_distil(sh):
    return sh.get("model_type", "bert") == "distilbert"


def is_mpnet(sh):
    return sh.get("model_type", "bert") == "mpnet"


def is_roberta(sh):
    """RoBERTa and XLM-RoBERTa (transformers' two classes compute alike):
    BERT's encoder and names, positions numbered as MPNet's
    (create_position_ids_from_input_ids, padding_idx = pad_token_id 1),
    LayerNorm eps 1e-5, one token type."""
    return sh.get("model_type", "bert") in ("xlm-roberta", "roberta")


def is_nomic(sh):
    return sh.get("model_type", "bert") == "nomic_bert"


def is_nomic_moe(sh):
    """NomicBert with MoE layers (nomic-embed-text-v2-moe): model_type
    "nomic_bert" too, so is_nomic holds; the shape says num_experts."""
    return is_nomic(sh) and "num_experts" in sh


def nomic_moe_layer(sh, i):
    """NomicBertModel's choice: layer i's MLP is an MoE where i % moe_every_n_layers == 1."""
    return is_nomic_moe(sh) and i % sh["moe_every_n_layers"] == 1


def is_modernbert(sh):
    return sh.get("model_type", "bert") == "modernbert"


def is_gte(sh):
    """GTE v1.5's NewModel (Alibaba-NLP/new-impl, trust_remote_code)."""
    return sh.get("model_type", "bert") == "new"


def is_jina(sh):
    """JinaBert (jinaai/jina-bert-implementation, trust_remote_code; or
    jinaai/jina-bert-v2-qk-post-norm, is_jina_code): its config.json says
    model_type "bert" (with position_embedding_type "alibi"), so the shape
    names the architecture in "arch"."""
    return sh.get("arch") in ("jina", "jina_code")


def is_jina_code(sh):
    """JinaBert v2 QK-post-norm (jinaai/jina-bert-v2-qk-post-norm,
    jina-embeddings-v2-base-code's code): jina's embeddings, attention and
    ALiBi, with q/k LayerNorms, a second residual and other MLP names."""
    return sh.get("arch") == "jina_code"


def nomic_inner(sh):
    """NomciBertGatedMLP's width: n_inner (config.json) rounded up to a multiple of 256."""
    return (sh["inter"] + 255) // 256 * 256


def ln_eps(sh):
    # nomic: layer_norm_epsilon 1e-12; nomic_moe (v2-moe's config) 1e-5
    return 1e-5 if is_roberta(sh) or is_nomic_moe(sh) else 1e-12


# Tensor names of each architecture (as tests/tools/gen_model.c's ArchNames):
# per layer, after "<layer>%d.", query, key, value, attention output, its
# LayerNorm, FFN up, down and the output LayerNorm (".weight"/".bias" added);
# which of token types, pooler and MPNet's relative bias the model has.
ARCH_NAMES = {
    "bert": dict(layer="encoder.layer.%d.", q="attention.self.query", k="attention.self.key",
                 v="attention.self.value", o="attention.output.dense",
                 ln1="attention.output.LayerNorm", up="intermediate.dense", down="output.dense",
                 ln2="output.LayerNorm", token_types=True, pooler=True, rel_bias=False),
    "distilbert": dict(layer="transformer.layer.%d.", q="attention.q_lin", k="attention.k_lin",
                       v="attention.v_lin", o="attention.out_lin", ln1="sa_layer_norm",
                       up="ffn.lin1", down="ffn.lin2", ln2="output_layer_norm",
                       token_types=False, pooler=False, rel_bias=False),
    "mpnet": dict(layer="encoder.layer.%d.", q="attention.attn.q", k="attention.attn.k",
                  v="attention.attn.v", o="attention.attn.o", ln1="attention.LayerNorm",
                  up="intermediate.dense", down="output.dense", ln2="output.LayerNorm",
                  token_types=False, pooler=True, rel_bias=True),
}
# XLMRobertaModel's names are BertModel's
ARCH_NAMES["xlm-roberta"] = ARCH_NAMES["roberta"] = ARCH_NAMES["bert"]


def arch_tensor_list(sh, arch=None):
    """[(name, shape, kind, layer)] of HF BertModel, DistilBertModel or
    MPNetModel (arch, default the shape's model_type), unprefixed, in model
    order (unsorted)."""
    if (arch or sh.get("model_type", "bert")) == "nomic_bert":
        return nomic_tensor_list(sh)
    if (arch or sh.get("model_type", "bert")) == "modernbert":
        return modernbert_tensor_list(sh)
    if (arch or sh.get("model_type", "bert")) == "new":
        return gte_tensor_list(sh)
    if arch is None and is_jina(sh):
        return jina_tensor_list(sh)
    a = ARCH_NAMES[arch or sh.get("model_type", "bert")]
    H, I = sh["hidden"], sh["inter"]
    t = [("embeddings.word_embeddings.weight", (sh["vocab"], H), K_STD, -1),
         ("embeddings.position_embeddings.weight", (sh["maxpos"], H), K_STD, -1)]
    if a["token_types"]:
        t.append(("embeddings.token_type_embeddings.weight", (sh.get("typevocab", 2), H), K_STD, -1))
    t += [("embeddings.LayerNorm.weight", (H,), K_LN_W, -1),
          ("embeddings.LayerNorm.bias", (H,), K_LN_B, -1)]
    for i in range(sh["layers"]):
        p = a["layer"] % i

        def part(key, shape):  # a Linear (2-D) or a LayerNorm (1-D)
            ln = len(shape) == 1
            return [(p + a[key] + ".weight", shape, K_LN_W if ln else K_STD, i),
                    (p + a[key] + ".bias", shape[:1], K_LN_B if ln else K_STD, i)]
        for key in ("q", "k", "v", "o"):
            t += part(key, (H, H))
        t += part("ln1", (H,)) + part("up", (I, H)) + part("down", (H, I)) + part("ln2", (H,))
    if a["rel_bias"]:
        t.append(("encoder.relative_attention_bias.weight", (MPNET_BUCKETS, sh["heads"]), K_RELB, -1))
    cl = sh.get("classifier")
    if a["pooler"] and cl != "roberta":
        # BertForSequenceClassification's pooler is its head's first Linear
        # (K_HEAD); XLMRobertaForSequenceClassification has none
        k = K_HEAD if cl == "bert" else K_STD
        t += [("pooler.dense.weight", (H, H), k, -1), ("pooler.dense.bias", (H,), k, -1)]
    return t


def head_tensor_list(sh):
    """[(name, shape, kind, layer)] of a cross-encoder's classifier tensors
    that are stored without the encoder's prefix (BertForSequenceClassification:
    classifier [1, H]; XLMRobertaForSequenceClassification:
    RobertaClassificationHead's classifier.dense [H, H] and
    classifier.out_proj [1, H]), all K_HEAD (std 0.3: the head's
    pre-activations and the logits are O(1))."""
    cl = sh.get("classifier")
    if cl is None:
        return []
    H = sh["hidden"]
    t = []
    if cl == "modernbert":
        # ModernBertPredictionHead: head.dense without bias, head.norm (a
        # LayerNorm weight: K_NORM_W, as the encoder's)
        t += [("head.dense.weight", (H, H), K_HEAD, -1), ("head.norm.weight", (H,), K_NORM_W, -1)]
    if cl == "roberta":
        t += [("classifier.dense.weight", (H, H), K_HEAD, -1), ("classifier.dense.bias", (H,), K_HEAD, -1)]
    out = CLASSIFIERS[cl]["out"]
    t += [(out + ".weight", (CLS_LABELS, H), K_HEAD, -1), (out + ".bias", (CLS_LABELS,), K_HEAD, -1)]
    return t


def nomic_tensor_list(sh):
    """NomicBertModel's tensors as nomic-embed-text-v1.5's model.safetensors
    holds them (no pooler): no position table, Wqkv [3H, H] (rows Q, K, V),
    out_proj, SwiGLU fc11 (value) / fc12 (gate) [I, H] and fc2 [H, I], no
    Linear biases, LayerNorms emb_ln, norm1, norm2.  Wqkv takes its own
    value kind K_QKV (std 0.1), the other weights K_STD.
    nomic_moe (nomic-embed-text-v2-moe's): Wqkv and out_proj with biases,
    one token type, and per layer either the dense MLP fc1 [I, H] / fc2
    [H, I] with biases, or (nomic_moe_layer) the MoE's bias-free router
    [E, H] (K_HEAD, std 0.3: the routing gaps stay far above float32
    rounding), experts.mlp.w1 and w2 [E * I, H] (expert e's rows e*I ..
    (e+1)*I - 1) and experts.bias [H]; I = n_inner, not rounded."""
    if is_nomic_moe(sh):
        return nomic_moe_tensor_list(sh)
    H, I = sh["hidden"], nomic_inner(sh)
    t = [("embeddings.word_embeddings.weight", (sh["vocab"], H), K_STD, -1),
         ("embeddings.token_type_embeddings.weight", (sh.get("typevocab", 2), H), K_STD, -1),
         ("emb_ln.weight", (H,), K_LN_W, -1), ("emb_ln.bias", (H,), K_LN_B, -1)]
    for i in range(sh["layers"]):
        p = "encoder.layers.%d." % i
        # Wqkv: std 0.1 (K_QKV), so that the attention is sharp enough for
        # the rotary positions to matter (std 0.02: nearly uniform)
        t += [(p + "attn.Wqkv.weight", (3 * H, H), K_QKV, i),
              (p + "attn.out_proj.weight", (H, H), K_STD, i),
              (p + "mlp.fc11.weight", (I, H), K_STD, i),
              (p + "mlp.fc12.weight", (I, H), K_STD, i),
              (p + "mlp.fc2.weight", (H, I), K_STD, i)]
        for n in ("norm1", "norm2"):
            t += [(p + n + ".weight", (H,), K_LN_W, i), (p + n + ".bias", (H,), K_LN_B, i)]
    return t


def nomic_moe_tensor_list(sh):
    H, I, E = sh["hidden"], sh["inter"], sh["num_experts"]
    t = [("embeddings.word_embeddings.weight", (sh["vocab"], H), K_STD, -1),
         ("embeddings.token_type_embeddings.weight", (sh["typevocab"], H), K_STD, -1),
         ("emb_ln.weight", (H,), K_LN_W, -1), ("emb_ln.bias", (H,), K_LN_B, -1)]
    for i in range(sh["layers"]):
        p = "encoder.layers.%d." % i
        t += [(p + "attn.Wqkv.weight", (3 * H, H), K_QKV, i), (p + "attn.Wqkv.bias", (3 * H,), K_STD, i),
              (p + "attn.out_proj.weight", (H, H), K_STD, i), (p + "attn.out_proj.bias", (H,), K_STD, i)]
        for n in ("norm1", "norm2"):
            t += [(p + n + ".weight", (H,), K_LN_W, i), (p + n + ".bias", (H,), K_LN_B, i)]
        if nomic_moe_layer(sh, i):
            t += [(p + "mlp.router.layer.weight", (E, H), K_HEAD, i),
                  (p + "mlp.experts.mlp.w1", (E * I, H), K_STD, i),
                  (p + "mlp.experts.mlp.w2", (E * I, H), K_STD, i),
                  (p + "mlp.experts.bias", (H,), K_STD, i)]
        else:
            t += [(p + "mlp.fc1.weight", (I, H), K_STD, i), (p + "mlp.fc1.bias", (I,), K_STD, i),
                  (p + "mlp.fc2.weight", (H, I), K_STD, i), (p + "mlp.fc2.bias", (H,), K_STD, i)]
    return t


def modernbert_tensor_list(sh):
    """ModernBertModel's tensors as sentence-transformers saves them (no
    prefix): tok_embeddings and embeddings.norm; per layer attn_norm (not in
    layer 0: nn.Identity there), attn.Wqkv [3H, H] (rows Q, K, V), attn.Wo,
    mlp_norm, mlp.Wi [2I, H] (rows input, then gate), mlp.Wo [H, I];
    final_norm.  No biases.  Wqkv takes K_QKV (std 0.1, as NomicBert's), the
    LayerNorm weights K_NORM_W (1 + u, std 0.1), the rest K_STD."""
    H, I = sh["hidden"], sh["inter"]
    t = [("embeddings.tok_embeddings.weight", (sh["vocab"], H), K_STD, -1),
         ("embeddings.norm.weight", (H,), K_NORM_W, -1)]
    for i in range(sh["layers"]):
        p = "layers.%d." % i
        if i > 0:
            t.append((p + "attn_norm.weight", (H,), K_NORM_W, i))
        t += [(p + "attn.Wqkv.weight", (3 * H, H), K_QKV, i),
              (p + "attn.Wo.weight", (H, H), K_STD, i),
              (p + "mlp_norm.weight", (H,), K_NORM_W, i),
              (p + "mlp.Wi.weight", (2 * I, H), K_STD, i),
              (p + "mlp.Wo.weight", (H, I), K_STD, i)]
    t.append(("final_norm.weight", (H,), K_NORM_W, -1))
    return t


def gte_tensor_list(sh):
    """GTE v1.5's NewModel tensors (pack_qkv; no pooler, as
    sentence-transformers saves it): word embeddings, a token-type table
    only when type_vocab_size > 0, the embeddings' LayerNorm; per layer
    attention.qkv_proj [3H, H] (rows Q, K, V) with bias, attention.o_proj
    with bias, attn_ln, mlp.up_gate_proj [2I, H] (rows up, then the gate;
    no bias), mlp.down_proj with bias, mlp_ln.  qkv_proj.weight takes K_QKV
    (std 0.1, as NomicBert's Wqkv: sharp attention, so that rotary mistakes
    show), the rest K_STD and the LayerNorm kinds.  Inside
    NewForSequenceClassification (classifier "gte"), NewModel's pooler too
    (the head's first Linear: K_HEAD)."""
    H, I = sh["hidden"], sh["inter"]
    t = [("embeddings.word_embeddings.weight", (sh["vocab"], H), K_STD, -1)]
    if sh["typevocab"] > 0:
        t.append(("embeddings.token_type_embeddings.weight", (sh["typevocab"], H), K_STD, -1))
    t += [("embeddings.LayerNorm.weight", (H,), K_LN_W, -1), ("embeddings.LayerNorm.bias", (H,), K_LN_B, -1)]
    for i in range(sh["layers"]):
        p = "encoder.layer.%d." % i
        t += [(p + "attention.qkv_proj.weight", (3 * H, H), K_QKV, i),
              (p + "attention.qkv_proj.bias", (3 * H,), K_STD, i),
              (p + "attention.o_proj.weight", (H, H), K_STD, i),
              (p + "attention.o_proj.bias", (H,), K_STD, i),
              (p + "attn_ln.weight", (H,), K_LN_W, i), (p + "attn_ln.bias", (H,), K_LN_B, i),
              (p + "mlp.up_gate_proj.weight", (2 * I, H), K_STD, i),
              (p + "mlp.down_proj.weight", (H, I), K_STD, i),
              (p + "mlp.down_proj.bias", (H,), K_STD, i),
              (p + "mlp_ln.weight", (H,), K_LN_W, i), (p + "mlp_ln.bias", (H,), K_LN_B, i)]
    if sh.get("classifier") == "gte":
        t += [("pooler.dense.weight", (H, H), K_HEAD, -1), ("pooler.dense.bias", (H,), K_HEAD, -1)]
    return t


def jina_tensor_list(sh):
    """JinaBertModel's tensors (no pooler, as jina-embeddings-v2 stores
    them): word and token-type embeddings and their LayerNorm (no position
    table: ALiBi); per layer BERT's attention (attention.self.query / key /
    value and attention.output.dense with biases, attention.output.LayerNorm),
    then JinaBertGLUMLP's mlp.gated_layers [2I, H] (no bias; rows 0..I-1 go
    through GELU, I..2I-1 multiply them), mlp.wo with bias and
    mlp.layernorm.  The query, key and value weights take K_QKV (std 0.1,
    as NomicBert's Wqkv: sharp attention, so that ALiBi mistakes show), and
    so do mlp.gated_layers and mlp.wo (the GeGLU's pre-activations O(1),
    where erf and tanh GELU part: with std 0.02 tanh-GELU moves the hidden
    states by about 1.6e-6); the rest K_STD and the LayerNorm kinds.  Inside
    JinaBertForSequenceClassification (classifier "jina"), JinaBertModel's
    pooler too (the head's first Linear: K_HEAD).
    jina_code (JinaBert v2 QK-post-norm): the same embeddings and
    attention, plus attention.self.layer_norm_q / layer_norm_k (over the
    whole query / key projection) and layer_norm_1; its MLP is
    mlp.up_gated_layer [2I, H] (no bias; rows 0..I-1 multiply, I..2I-1 go
    through GELU), mlp.down_layer with bias and layer_norm_2, the two
    weights K_QKV as jina's gated_layers and wo."""
    H, I = sh["hidden"], sh["inter"]
    t = [("embeddings.word_embeddings.weight", (sh["vocab"], H), K_STD, -1),
         ("embeddings.token_type_embeddings.weight", (sh["typevocab"], H), K_STD, -1),
         ("embeddings.LayerNorm.weight", (H,), K_LN_W, -1), ("embeddings.LayerNorm.bias", (H,), K_LN_B, -1)]

    def ln(name, i):
        return [(name + ".weight", (H,), K_LN_W, i), (name + ".bias", (H,), K_LN_B, i)]
    for i in range(sh["layers"]):
        p = "encoder.layer.%d." % i
        for n in ("query", "key", "value"):
            t += [(p + "attention.self.%s.weight" % n, (H, H), K_QKV, i),
                  (p + "attention.self.%s.bias" % n, (H,), K_STD, i)]
        t += [(p + "attention.output.dense.weight", (H, H), K_STD, i),
              (p + "attention.output.dense.bias", (H,), K_STD, i)]
        t += ln(p + "attention.output.LayerNorm", i)
        if is_jina_code(sh):
            t += ln(p + "attention.self.layer_norm_q", i) + ln(p + "attention.self.layer_norm_k", i)
            t += ln(p + "layer_norm_1", i)
            t += [(p + "mlp.up_gated_layer.weight", (2 * I, H), K_QKV, i),
                  (p + "mlp.down_layer.weight", (H, I), K_QKV, i), (p + "mlp.down_layer.bias", (H,), K_STD, i)]
            t += ln(p + "layer_norm_2", i)
        else:
            t += [(p + "mlp.gated_layers.weight", (2 * I, H), K_QKV, i),
                  (p + "mlp.wo.weight", (H, I), K_QKV, i), (p + "mlp.wo.bias", (H,), K_STD, i)]
            t += ln(p + "mlp.layernorm", i)
    if sh.get("classifier") == "jina":
        t += [("pooler.dense.weight", (H, H), K_HEAD, -1), ("pooler.dense.bias", (H,), K_HEAD, -1)]
    return t


def is_layer_norm_name(name):
    """BERT's LayerNorm, DistilBERT's sa_layer_norm / output_layer_norm,
    NomicBert's emb_ln / norm1 / norm2, ModernBERT's embeddings.norm /
    attn_norm / mlp_norm / final_norm, GTE's attn_ln / mlp_ln, JinaBert's
    mlp.layernorm (jina_code's layer_norm_q / layer_norm_k / layer_norm_1 /
    layer_norm_2: "layer_norm")."""
    parts = name.split(".")
    return "LayerNorm" in name or "layer_norm" in name or (
        len(parts) >= 2 and parts[-2] in ("emb_ln", "norm1", "norm2", "norm", "attn_norm", "mlp_norm",
                                          "final_norm", "attn_ln", "mlp_ln", "layernorm"))


def tensor_list(sh):
    """[(name, shape, kind, shard)]: HF BertModel's tensors (DistilBertModel's
    for distil, MPNetModel's for mpnet), prefixed, in model order (unsorted)."""
    out = []
    for name, shape, kind, layer in arch_tensor_list(sh):
        # every LayerNorm (BERT's LayerNorm, DistilBERT's sa_layer_norm /
        # output_layer_norm, NomicBert's emb_ln / norm1 / norm2) has gamma ~ 1
        # and noisy beta, nothing else has
        ln = is_layer_norm_name(name)
        assert (kind in (K_LN_W, K_LN_B, K_NORM_W)) == ln and \
            (kind not in (K_LN_W, K_NORM_W) or name.endswith(".weight")), name
        shard = 0
        if sh["shards"] == 2 and ((layer < 0 and name.startswith("pooler")) or layer >= sh["layers"] // 2):
            shard = 1
        out.append((sh["prefix"] + name, shape, kind, shard))
    for name, shape, kind, _ in head_tensor_list(sh):
        out.append((name, shape, kind, 0))          # no prefix: outside the base model
    return out


def f32_to_f16_bytes(a):
    return a.astype("<f2").tobytes()          # numpy: IEEE RNE, subnormals


def f32_to_bf16_bytes(a):
    b = a.astype("<f4").view("<u4").astype(np.uint64)
    b = (b + 0x7fff + ((b >> 16) & 1)) >> 16  # RNE (no NaN/inf in our data)
    return b.astype("<u2").tobytes()


def shard_name(sh, k):
    if sh["shards"] == 1:
        return "model.safetensors"
    return "model-%05d-of-%05d.safetensors" % (k + 1, sh["shards"])


def write_shard(path, sh, tensors):
    return write_safetensors(path, sh["dtype"], sh["seed"], tensors)


def write_safetensors(path, dtype, seed, tensors, seed_prefix=""):
    """tensors: [(name, shape, kind, shard)], sorted; stream seeded with seed_prefix + name."""
    esz = 4 if dtype == "F32" else 2
    parts = ['{"__metadata__":{"format":"pt"}']
    off = 0
    for name, shape, kind, _ in tensors:
        n = int(np.prod(shape))
        parts.append(',"%s":{"dtype":"%s","shape":[%s],"data_offsets":[%d,%d]}'
                     % (name, dtype, ",".join(str(d) for d in shape), off, off + n * esz))
        off += n * esz
    hj = "".join(parts) + "}"
    hj += " " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj.encode("ascii"))
        for name, shape, kind, _ in tensors:
            v = gen_values(seed_prefix + name, seed, kind, int(np.prod(shape)))
            if dtype == "F32":
                f.write(v.astype("<f4").tobytes())
            elif dtype == "F16":
                f.write(f32_to_f16_bytes(v))
            else:
                f.write(f32_to_bf16_bytes(v))
    return off


def dump(obj):
    return json.dumps(obj, indent=2) + "\n"


def write_model_dir(shape, d):
    sh = SHAPES[shape]
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    tl = sorted(tensor_list(sh), key=lambda t: t[0].encode())
    total = 0
    for k in range(sh["shards"]):
        total += write_shard(os.path.join(d, shard_name(sh, k)), sh, [t for t in tl if t[3] == k])
    if sh["shards"] > 1:
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            f.write(dump({"metadata": {"total_size": total},
                          "weight_map": {t[0]: shard_name(sh, t[3]) for t in tl}}))
    if is_distil(sh):
        # DistilBertConfig as transformers 4.41.2 saves it
        cfg = {"activation": "gelu", "architectures": ["DistilBertModel"], "attention_dropout": 0.1,
               "dim": sh["hidden"], "dropout": 0.1, "hidden_dim": sh["inter"], "initializer_range": 0.02,
               "max_position_embeddings": sh["maxpos"], "model_type": "distilbert",
               "n_heads": sh["heads"], "n_layers": sh["layers"], "pad_token_id": 0, "qa_dropout": 0.1,
               "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": False, "tie_weights_": True,
               "torch_dtype": TORCH_DTYPE[sh["dtype"]], "transformers_version": "4.41.2",
               "vocab_size": sh["vocab"]}
    elif is_mpnet(sh):
        # MPNetConfig as transformers 4.41.2 saves it
        cfg = {"architectures": ["MPNetModel"], "attention_probs_dropout_prob": 0.1, "bos_token_id": 0,
               "eos_token_id": 2, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
               "hidden_size": sh["hidden"], "initializer_range": 0.02, "intermediate_size": sh["inter"],
               "layer_norm_eps": 1e-05, "max_position_embeddings": sh["maxpos"], "model_type": "mpnet",
               "num_attention_heads": sh["heads"], "num_hidden_layers": sh["layers"],
               "pad_token_id": MPNET_PAD, "relative_attention_num_buckets": MPNET_BUCKETS,
               "torch_dtype": TORCH_DTYPE[sh["dtype"]], "transformers_version": "4.41.2",
               "vocab_size": sh["vocab"]}
    elif is_roberta(sh):
        # XLMRobertaConfig or RobertaConfig as transformers 4.41.2 saves it
        # (output_past as in xlm-roberta-base's file)
        xlmr = sh["model_type"] == "xlm-roberta"
        cfg = {"architectures": ["XLMRobertaModel" if xlmr else "RobertaModel"], "attention_probs_dropout_prob": 0.1,
               "bos_token_id": 0, "classifier_dropout": None, "eos_token_id": 2, "hidden_act": "gelu",
               "hidden_dropout_prob": 0.1, "hidden_size": sh["hidden"], "initializer_range": 0.02,
               "intermediate_size": sh["inter"], "layer_norm_eps": 1e-05,
               "max_position_embeddings": sh["maxpos"], "model_type": sh["model_type"],
               "num_attention_heads": sh["heads"], "num_hidden_layers": sh["layers"],
               "pad_token_id": 1, "position_embedding_type": "absolute",
               "torch_dtype": TORCH_DTYPE[sh["dtype"]], "transformers_version": "4.41.2",
               "type_vocab_size": sh["typevocab"], "use_cache": True, "vocab_size": sh["vocab"]}
        if xlmr:
            cfg["output_past"] = True
    elif is_nomic(sh):
        # nomic-embed-text-v1.5's NomicBertConfig (a GPT2Config) as
        # transformers 4.37.2 saved it, at the test width
        code = "nomic-ai/nomic-bert-2048--"
        cfg = {"_name_or_path": "nomic-ai/nomic-bert-2048", "activation_function": "swiglu",
               "architectures": ["NomicBertModel"], "attn_pdrop": 0.0,
               "auto_map": {"AutoConfig": code + "configuration_hf_nomic_bert.NomicBertConfig",
                            "AutoModel": code + "modeling_hf_nomic_bert.NomicBertModel",
                            "AutoModelForMaskedLM": code + "modeling_hf_nomic_bert.NomicBertForPreTraining"},
               "bos_token_id": None, "causal": False, "dense_seq_output": True, "embd_pdrop": 0.0,
               "eos_token_id": None, "fused_bias_fc": True, "fused_dropout_add_ln": True,
               "initializer_range": 0.02, "layer_norm_epsilon": 1e-12,
               "max_trained_positions": sh["maxpos"], "mlp_fc1_bias": False, "mlp_fc2_bias": False,
               "model_type": "nomic_bert", "n_embd": sh["hidden"], "n_head": sh["heads"],
               "n_inner": sh["inter"], "n_layer": sh["layers"], "n_positions": sh["maxpos"],
               "pad_vocab_size_multiple": 64, "parallel_block": False, "parallel_block_tied_norm": False,
               "prenorm": False, "qkv_proj_bias": False, "reorder_and_upcast_attn": False,
               "resid_pdrop": 0.0, "rotary_emb_base": NOMIC_ROTARY_BASE, "rotary_emb_fraction": 1.0,
               "rotary_emb_interleaved": False, "rotary_emb_scale_base": None,
               "rotary_scaling_factor": None, "scale_attn_by_inverse_layer_idx": False,
               "scale_attn_weights": True, "summary_activation": None, "summary_first_dropout": 0.0,
               "summary_proj_to_labels": True, "summary_type": "cls_index", "summary_use_proj": True,
               "torch_dtype": TORCH_DTYPE[sh["dtype"]], "transformers_version": "4.37.2",
               "type_vocab_size": sh.get("typevocab", 2), "use_cache": True, "use_flash_attn": True,
               "use_rms_norm": False, "use_xentropy": True, "vocab_size": sh["vocab"]}
        if is_nomic_moe(sh):
            # nomic-embed-text-v2-moe's (transformers 4.44.2): biases, GELU,
            # eps 1e-5, the MoE keys, pad_token_id 1, one token type, and the
            # keys its file has beyond v1.5's (add_pooling_layer, ffn_div,
            # auto_map's seven classes, _name_or_path nomic-xlm-2048, the
            # training dropouts 0.1); rotary_emb_base stays nomic's (the
            # released file says 10000)
            cfg.update({"_name_or_path": "nomic-ai/nomic-xlm-2048", "activation_function": "gelu",
                        "add_pooling_layer": False, "embd_pdrop": 0.1, "expert_choice_router": False, "ffn_div": 1,
                        "layer_norm_epsilon": 1e-05, "mlp_fc1_bias": True, "mlp_fc2_bias": True,
                        "moe_every_n_layers": sh["moe_every_n_layers"], "moe_impl": "megablocks",
                        "moe_normalize_expert_weights": False, "moe_resid_pdrop": 0.0, "moe_top_k": sh["moe_top_k"],
                        "num_experts": sh["num_experts"], "num_shared_experts": 0, "pad_token_id": sh["pad_id"],
                        "qkv_proj_bias": True, "router_aux_loss_coef": 0.1, "summary_first_dropout": 0.1,
                        "transformers_version": "4.44.2"})
            for c in ("MultipleChoice", "QuestionAnswering", "SequenceClassification", "TokenClassification"):
                cfg["auto_map"]["AutoModelFor" + c] = code + "modeling_hf_nomic_bert.NomicBertFor" + c
        # NomicBertModel pads vocab_size to a multiple of pad_vocab_size_multiple
        assert sh["vocab"] % 64 == 0 and sh["vocab"] - 64 < sh.get("tok_vocab", sh["vocab"]) <= sh["vocab"]
    elif is_modernbert(sh):
        # ModernBertConfig as transformers 4.48.0 saves it (layer_norm_eps and
        # classifier_pooling "mean" as the released checkpoints have them)
        cls, sep = sh["cls_sep"]
        cfg = {"architectures": ["ModernBertModel"], "attention_bias": False, "attention_dropout": 0.0,
               "bos_token_id": cls, "classifier_activation": "gelu", "classifier_bias": False,
               "classifier_dropout": 0.0, "classifier_pooling": "mean", "cls_token_id": cls,
               "decoder_bias": True, "deterministic_flash_attn": False, "embedding_dropout": 0.0,
               "eos_token_id": sep, "global_attn_every_n_layers": MODERNBERT_GLOBAL_EVERY,
               "global_rope_theta": MODERNBERT_THETA["global"], "hidden_activation": "gelu",
               "hidden_size": sh["hidden"], "initializer_cutoff_factor": 2.0, "initializer_range": 0.02,
               "intermediate_size": sh["inter"], "layer_norm_eps": MODERNBERT_EPS,
               "local_attention": MODERNBERT_LOCAL_ATTENTION, "local_rope_theta": MODERNBERT_THETA["local"],
               "max_position_embeddings": sh["maxpos"], "mlp_bias": False, "mlp_dropout": 0.0,
               "model_type": "modernbert", "norm_bias": False, "norm_eps": MODERNBERT_EPS,
               "num_attention_heads": sh["heads"], "num_hidden_layers": sh["layers"],
               "pad_token_id": sh["pad_id"], "reference_compile": None, "repad_logits_with_grad": False,
               "sep_token_id": sep, "sparse_pred_ignore_index": -100, "sparse_prediction": False,
               "torch_dtype": TORCH_DTYPE[sh["dtype"]], "transformers_version": "4.48.0",
               "vocab_size": sh["vocab"]}
    elif is_gte(sh):
        # GTE v1.5's NewConfig as transformers 4.39.1 saves it
        # (gte-base-en-v1.5's keys); a reranker's auto_map also names
        # NewForSequenceClassification, which CrossEncoder loads
        code = "Alibaba-NLP/new-impl--"
        auto_map = {"AutoConfig": code + "configuration.NewConfig", "AutoModel": code + "modeling.NewModel"}
        if sh.get("classifier"):
            auto_map["AutoModelForSequenceClassification"] = code + "modeling.NewForSequenceClassification"
        cfg = {"architectures": ["NewModel"], "attention_probs_dropout_prob": 0.0, "auto_map": auto_map,
               "classifier_dropout": None, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
               "hidden_size": sh["hidden"], "initializer_range": 0.02, "intermediate_size": sh["inter"],
               "layer_norm_eps": 1e-12, "layer_norm_type": "layer_norm", "logn_attention_clip1": False,
               "logn_attention_scale": False, "max_position_embeddings": sh["maxpos"], "model_type": "new",
               "num_attention_heads": sh["heads"], "num_hidden_layers": sh["layers"], "pack_qkv": True,
               "pad_token_id": sh.get("pad_id", 0), "position_embedding_type": "rope",
               "rope_scaling": {"factor": sh["rope_factor"], "type": "ntk"}, "rope_theta": sh["rope_theta"],
               "torch_dtype": TORCH_DTYPE[sh["dtype"]], "transformers_version": "4.39.1",
               "type_vocab_size": sh["typevocab"], "unpad_inputs": False, "use_memory_efficient_attention": False,
               "vocab_size": sh["vocab"]}
    elif is_jina(sh):
        # JinaBertConfig as transformers 4.26.0 saves it
        # (jina-embeddings-v2-base-en's keys; auto_map names the
        # implementation's four classes, the classifier among them);
        # jina_code: jina-embeddings-v2-base-code's architectures and
        # auto_map (AutoConfig and AutoModel of jina-bert-v2-qk-post-norm)
        if is_jina_code(sh):
            code = "jinaai/jina-bert-v2-qk-post-norm--"
            auto_map = {"AutoConfig": code + "configuration_bert.JinaBertConfig",
                        "AutoModel": code + "modeling_bert.JinaBertModel"}
        else:
            code = "jinaai/jina-bert-implementation--"
            auto_map = {"AutoConfig": code + "configuration_bert.JinaBertConfig",
                        "AutoModel": code + "modeling_bert.JinaBertModel",
                        "AutoModelForMaskedLM": code + "modeling_bert.JinaBertForMaskedLM",
                        "AutoModelForSequenceClassification":
                            code + "modeling_bert.JinaBertForSequenceClassification"}
        cfg = {"architectures": ["JinaBertModel" if is_jina_code(sh) else "JinaBertForMaskedLM"],
               "attention_probs_dropout_prob": 0.0,
               "attn_implementation": "torch", "auto_map": auto_map, "classifier_dropout": None,
               "emb_pooler": "mean", "feed_forward_type": "geglu", "gradient_checkpointing": False,
               "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": sh["hidden"],
               "initializer_range": 0.02, "intermediate_size": sh["inter"], "layer_norm_eps": 1e-12,
               "max_position_embeddings": sh["maxpos"], "model_max_length": sh["maxpos"], "model_type": "bert",
               "num_attention_heads": sh["heads"], "num_hidden_layers": sh["layers"],
               "pad_token_id": sh.get("pad_id", 0), "position_embedding_type": "alibi",
               "torch_dtype": TORCH_DTYPE[sh["dtype"]], "transformers_version": "4.26.0",
               "type_vocab_size": sh["typevocab"], "use_cache": True, "vocab_size": sh["vocab"]}
    else:
        cfg = {"architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1,
               "classifier_dropout": None, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
               "hidden_size": sh["hidden"], "initializer_range": 0.02,
               "intermediate_size": sh["inter"], "layer_norm_eps": 1e-12,
               "max_position_embeddings": sh["maxpos"], "model_type": "bert",
               "num_attention_heads": sh["heads"], "num_hidden_layers": sh["layers"],
               "pad_token_id": sh.get("pad_id", 0), "position_embedding_type": "absolute",
               "torch_dtype": TORCH_DTYPE[sh["dtype"]], "transformers_version": "4.41.2",
               "type_vocab_size": 2, "use_cache": True, "vocab_size": sh["vocab"]}
    if sh.get("classifier"):
        # a *ForSequenceClassification checkpoint's config: its architecture,
        # one label (id2label / label2id differ from PretrainedConfig's two,
        # so save_pretrained writes them) and, for CrossEncoder's BERT
        # rerankers, the activation sentence-transformers saved
        cl = CLASSIFIERS[sh["classifier"]]
        cfg["architectures"] = [cl["architecture"]]
        cfg["id2label"] = {str(i): "LABEL_%d" % i for i in range(CLS_LABELS)}
        cfg["label2id"] = {"LABEL_%d" % i: i for i in range(CLS_LABELS)}
        if cl["ce_act"]:
            cfg["sbert_ce_default_activation_function"] = cl["ce_act"]
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    tc = {"clean_up_tokenization_spaces": True, "cls_token": "[CLS]", "do_basic_tokenize": True,
          "do_lower_case": sh["lower"], "mask_token": "[MASK]", "model_max_length": sh["maxpos"],
          "never_split": None, "pad_token": "[PAD]", "sep_token": "[SEP]", "strip_accents": None,
          "tokenize_chinese_chars": True,
          "tokenizer_class": "DistilBertTokenizer" if is_distil(sh) else "BertTokenizer", "unk_token": "[UNK]"}
    if sh.get("tokcfg_fixture"):
        # the fixture's own tokenizer_config.json (MPNetTokenizer) and special_tokens_map.json
        for fn in ("tokenizer_config.json", "special_tokens_map.json"):
            shutil.copyfile(os.path.join(VOCAB_DIR, sh["tokcfg_fixture"], fn), os.path.join(d, fn))
    else:
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            f.write(dump(tc))
    if sh["vocab_fixture"]:
        shutil.copyfile(os.path.join(VOCAB_DIR, sh["vocab_fixture"], "vocab.txt"),
                        os.path.join(d, "vocab.txt"))
    if sh["tokjson_fixture"]:
        shutil.copyfile(os.path.join(VOCAB_DIR, sh["tokjson_fixture"], "tokenizer.json"),
                        os.path.join(d, "tokenizer.json"))
    if sh["st"]:
        mods = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
        for dm in sh.get("dense", []):
            i = len(mods)
            mods.append({"idx": i, "name": str(i), "path": dm["path"],
                         "type": "sentence_transformers.models.Dense"})
        if sh["normalize"]:
            i = len(mods)
            mods.append({"idx": i, "name": str(i), "path": "%d_Normalize" % i,
                         "type": "sentence_transformers.models.Normalize"})
        with open(os.path.join(d, "modules.json"), "w") as f:
            f.write(dump(mods))
        with open(os.path.join(d, "sentence_bert_config.json"), "w") as f:
            # xlmr: no do_lower_case key (sentence-transformers' default, false);
            # nomic: false, though its tokenizer lowercases
            f.write(dump({"max_seq_length": sh["max_seq"], "do_lower_case": st_lower(sh)}
                         if sh.get("st_lower_key", True) else {"max_seq_length": sh["max_seq"]}))
        os.makedirs(os.path.join(d, "1_Pooling"))
        pc = {"word_embedding_dimension": sh["hidden"],
              "pooling_mode_cls_token": sh["pooling"] == "cls",
              "pooling_mode_mean_tokens": sh["pooling"] == "mean",
              "pooling_mode_max_tokens": sh["pooling"] == "max",
              "pooling_mode_mean_sqrt_len_tokens": False}
        if not sh.get("include_prompt", True):
            # only where false, so that the other shapes' files stay as they were
            pc["include_prompt"] = False
        with open(os.path.join(d, "1_Pooling", "config.json"), "w") as f:
            f.write(dump(pc))
        if sh.get("prompts") is not None:
            with open(os.path.join(d, "config_sentence_transformers.json"), "w") as f:
                stc = {"prompts": dict(sh["prompts"]), "default_prompt_name": sh.get("default_prompt")}
                if sh.get("similarity"):
                    stc["similarity_fn_name"] = sh["similarity"]      # modernbert only
                f.write(dump(stc))
    for dm in sh.get("dense", []):
        dd = os.path.join(d, dm["path"])
        os.makedirs(dd)
        tl = [("linear.weight", (dm["out"], dm["inp"]), K_DENSE, 0)]
        if dm["bias"]:
            tl.append(("linear.bias", (dm["out"],), K_DENSE, 0))
        tl.sort(key=lambda t: t[0].encode())
        write_safetensors(os.path.join(dd, "model.safetensors"), dm["dtype"], sh["seed"], tl,
                          seed_prefix=dm["path"] + "/")
        cfg = {"in_features": dm["inp"], "out_features": dm["out"], "bias": dm["bias"],
               "activation_function": dm["act_fn"]}
        if dm["io_names"]:
            cfg["module_input_name"] = "sentence_embedding"
            cfg["module_output_name"] = "sentence_embedding"
        with open(os.path.join(dd, "config.json"), "w") as f:
            f.write(dump(cfg))


def sha256_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def dir_hashes(d):
    out = {}
    for r, _, fs in os.walk(d):
        for fn in fs:
            p = os.path.join(r, fn)
            out[os.path.relpath(p, d)] = sha256_file(p)
    return out


# ---------------------------------------------------------------------------
# safetensors reader (for the reference: decode what was written)
# ---------------------------------------------------------------------------
def load_safetensors(path):
    """{stored name: float64 tensor}"""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    hdr = json.loads(data[8:8 + n])
    hdr.pop("__metadata__", None)
    base = 8 + n
    w = {}
    for name, h in hdr.items():
        b, e = h["data_offsets"]
        raw = data[base + b:base + e]
        if h["dtype"] == "F32":
            a = np.frombuffer(raw, "<f4")
        elif h["dtype"] == "F16":
            a = np.frombuffer(raw, "<f2").astype(np.float32)
        elif h["dtype"] == "BF16":
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(h["dtype"])
        w[name] = torch.from_numpy(a.reshape(h["shape"]).astype(np.float64))
    return w


# DistilBERT's names for BERT's tensors, per layer (HF modeling_distilbert:
# TransformerBlock is BERT's post-LayerNorm layer, sa_layer_norm after the
# attention's residual, output_layer_norm after the FFN's)
DISTIL_TO_BERT = {
    "attention.q_lin": "attention.self.query",
    "attention.k_lin": "attention.self.key",
    "attention.v_lin": "attention.self.value",
    "attention.out_lin": "attention.output.dense",
    "sa_layer_norm": "attention.output.LayerNorm",
    "ffn.lin1": "intermediate.dense",
    "ffn.lin2": "output.dense",
    "output_layer_norm": "output.LayerNorm",
}


def distil_to_bert_name(name):
    if name.startswith("embeddings."):
        return name                     # word/position embeddings and LayerNorm: same names
    p = name.split(".", 3)          # transformer, layer, <i>, <part>.<weight|bias>
    assert p[:2] == ["transformer", "layer"], name
    part, leaf = p[3].rsplit(".", 1)
    return "encoder.layer.%s.%s.%s" % (p[2], DISTIL_TO_BERT[part], leaf)


def load_model_weights(d, sh):
    """{BERT name: float64 tensor}, prefix stripped; DistilBERT's names mapped
    to BERT's (it has no token_type_embeddings and no pooler).  A
    cross-encoder's classifier tensors keep their (unprefixed) names."""
    files = sorted(f for f in os.listdir(d) if f.endswith(".safetensors"))
    heads = {n for n, _, _, _ in head_tensor_list(sh)}
    w = {}
    for fn in files:
        for name, t in load_safetensors(os.path.join(d, fn)).items():
            if name in heads:
                pass
            elif sh["prefix"]:
                assert name.startswith(sh["prefix"]), name
                name = name[len(sh["prefix"]):]
            if is_distil(sh):
                name = distil_to_bert_name(name)
            assert name not in w, name
            w[name] = t
    if is_distil(sh):
        want = {n for n, _, _, _ in arch_tensor_list(sh, "bert")} - {
            "embeddings.token_type_embeddings.weight", "pooler.dense.weight", "pooler.dense.bias"}
        assert set(w) == want, sorted(set(w) ^ want)
    if (is_mpnet(sh) or is_roberta(sh) or is_nomic(sh) or is_modernbert(sh) or is_gte(sh) or is_jina(sh)
            or sh.get("classifier")):
        want = {n for n, _, _, _ in arch_tensor_list(sh)} | heads
        assert set(w) == want, sorted(set(w) ^ want)
    return w


# ---------------------------------------------------------------------------
# cross-encoders: the sequence-classification head (one label)
# ---------------------------------------------------------------------------
def head_weights(w, sh):
    """(W1 [H, H], b1 [H] or None, W2 [labels, H], b2 [labels], G [H] or
    None) of the head: BertForSequenceClassification: BertPooler's dense,
    then classifier; XLMRobertaForSequenceClassification:
    RobertaClassificationHead's dense, then out_proj;
    ModernBertForSequenceClassification: head.dense (no bias), head.norm's
    weight G (no bias), then classifier."""
    cl = CLASSIFIERS[sh["classifier"]]
    return (w[cl["dense"] + ".weight"], w[cl["dense"] + ".bias"] if cl.get("dense_bias", True) else None,
            w[cl["out"] + ".weight"], w[cl["out"] + ".bias"], w[cl["norm"] + ".weight"] if cl.get("norm") else None)


def classify_a(h, mask, hw, sh, variant=None):
    """A: the head from torch primitives.  h0 = h[:, 0] (BertPooler and
    RobertaClassificationHead both take token 0; dropout is off),
    pooled = tanh(W1 h0 + b1), logit = W2 pooled + b2, score =
    activation(logit) (CrossEncoder's: Identity for "rerank", which its
    config.json names, Sigmoid for "rerank_xlmr": num_labels 1 and no
    activation key).  Returns (logits, scores), [B, labels] each.
    variant (information only, to see that the goldens notice):
    "no_tanh" leaves the tanh out, "mean_pooling" feeds the masked mean of
    the hidden states instead of token 0, "other_activation" swaps identity
    and sigmoid, "no_dense" skips the first Linear and its tanh.
    ModernBertForSequenceClassification (transformers 4.48): x = the
    masked mean of the last hidden states over every token of the pair
    (classifier_pooling "mean": (h * mask).sum(1) / mask.sum(1)), then
    head.norm(GELU_erf(head.dense(x))) (LayerNorm without bias, eps
    norm_eps), classifier, Sigmoid.  Its variants: "cls_pooling" takes
    token 0, "tanh_for_gelu" tanh for the GELU, "no_head_norm" leaves
    head.norm out."""
    W1, b1, W2, b2, G = hw
    cl = CLASSIFIERS[sh["classifier"]]
    pooling = cl.get("pooling", "cls")
    if variant == "mean_pooling":
        pooling = "mean"
    elif variant == "cls_pooling":
        pooling = "cls"
    if pooling == "mean":
        m = mask.to(h.dtype).unsqueeze(-1)
        x = (h * m).sum(1) / m.sum(1)           # every row has a token: no clamp (HF has none)
    else:
        x = h[:, 0]
    if variant != "no_dense":
        x = torch.matmul(x, W1.t())
        if b1 is not None:
            x = x + b1
        act = cl.get("head_act", "tanh")
        if variant == "tanh_for_gelu":
            act = "tanh"
        if variant == "no_tanh":
            pass
        elif act == "gelu":
            x = 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
        else:
            x = torch.tanh(x)
        if G is not None and variant != "no_head_norm":
            x = layer_norm(x, G, 0.0, MODERNBERT_EPS)
    logit = torch.matmul(x, W2.t()) + b2
    act = CLASSIFIERS[sh["classifier"]]["activation"]
    if variant == "other_activation":
        act = "identity" if act == "sigmoid" else "sigmoid"
    return logit, (torch.sigmoid(logit) if act == "sigmoid" else logit)


def classify_b(hw, sh):
    """B: nn.Linear + nn.Tanh + nn.Linear (+ nn.Sigmoid / nn.Identity)
    holding the same weights, as HF's BertPooler + classifier and
    RobertaClassificationHead are built (and CrossEncoder's activation).
    Returns (logits module, activation module)."""
    W1, b1, W2, b2, G = hw
    H, L = W1.shape[1], W2.shape[0]
    cl = CLASSIFIERS[sh["classifier"]]
    with torch.no_grad():
        d = torch.nn.Linear(H, H, bias=b1 is not None, dtype=torch.float64)
        o = torch.nn.Linear(H, L, dtype=torch.float64)
        d.weight.copy_(W1)
        if b1 is not None:
            d.bias.copy_(b1)
        o.weight.copy_(W2)
        o.bias.copy_(b2)
        mods = [d, torch.nn.GELU() if cl.get("head_act", "tanh") == "gelu" else torch.nn.Tanh()]
        if G is not None:
            # ModernBertPredictionHead's norm: nn.LayerNorm without bias
            # (torch 1.13: an affine one whose bias is zeroed and frozen)
            n = torch.nn.LayerNorm(H, eps=MODERNBERT_EPS, dtype=torch.float64)
            n.weight.copy_(G)
            n.bias.zero_()
            n.bias.requires_grad_(False)
            mods.append(n)
    act = torch.nn.Sigmoid() if cl["activation"] == "sigmoid" else torch.nn.Identity()
    return torch.nn.Sequential(*mods, o).eval(), act


def pool_b(h, mask, sh):
    """B's pooling for the head: token 0, or (classifier_pooling "mean")
    each row's valid positions selected by boolean indexing and averaged
    with Tensor.mean."""
    if CLASSIFIERS[sh["classifier"]].get("pooling", "cls") == "cls":
        return h[:, 0]
    return torch.stack([h[b][mask[b] != 0].mean(0) for b in range(h.shape[0])])


def pool_matmul(h, mask, sh):
    """C's pooling: token 0, or the mean as an explicit running sum over
    each row's valid positions divided by their count."""
    if CLASSIFIERS[sh["classifier"]].get("pooling", "cls") == "cls":
        return h[:, 0]
    out = torch.zeros(h.shape[0], h.shape[2], dtype=h.dtype)
    for b in range(h.shape[0]):
        n = int(mask[b].sum())
        for t in range(n):
            out[b] += h[b, t]
        out[b] /= n
    return out


def classify_matmul(h0, hw, sh):
    """C: explicit row-by-column sums, tanh = 1 - 2 / (exp(2y) + 1) and the
    sigmoid as (1 + tanh(x / 2)) / 2 in that form; ModernBERT's GELU as
    y * Phi(y) with Phi = erfc(-y / sqrt 2) / 2 and its LayerNorm from
    explicit sums; returns (logits, scores).  h0: the pooled hidden states
    (pool_matmul)."""
    W1, b1, W2, b2, G = hw
    y = (h0[:, None, :] * W1[None, :, :]).sum(-1)
    if b1 is not None:
        y = y + b1
    if CLASSIFIERS[sh["classifier"]].get("head_act", "tanh") == "gelu":
        x = y * 0.5 * torch.erfc(-y / math.sqrt(2.0))
    else:
        x = 1.0 - 2.0 / (torch.exp(2.0 * y) + 1.0)
    if G is not None:
        H = x.shape[-1]
        mu = x.sum(-1, keepdim=True) / H
        var = ((x - mu) ** 2).sum(-1, keepdim=True) / H
        x = (x - mu) / torch.sqrt(var + MODERNBERT_EPS) * G
    logit = (x[:, None, :] * W2[None, :, :]).sum(-1) + b2
    if CLASSIFIERS[sh["classifier"]]["activation"] == "sigmoid":
        return logit, 0.5 * (2.0 - 2.0 / (torch.exp(logit) + 1.0))
    return logit, logit


def load_dense_weights(d, sh):
    """[(weight [out, in], bias [out] or None)] per Dense module, decoded from its file
    (so the F16 module computes with its rounded weights)."""
    out = []
    for dm in sh.get("dense", []):
        w = load_safetensors(os.path.join(d, dm["path"], "model.safetensors"))
        assert sorted(w) == sorted(["linear.weight"] + (["linear.bias"] if dm["bias"] else [])), sorted(w)
        assert tuple(w["linear.weight"].shape) == (dm["out"], dm["inp"])
        out.append((w["linear.weight"], w.get("linear.bias")))
    return out


# ---------------------------------------------------------------------------
# reference A: HF BertModel forward from torch primitives (float64)
# ---------------------------------------------------------------------------
def layer_norm(x, g, b, eps=1e-12):
    mu = x.mean(-1, keepdim=True)
    d = x - mu
    var = (d * d).mean(-1, keepdim=True)
    return d / torch.sqrt(var + eps) * g + b


def linear(x, w, b):
    return torch.matmul(x, w.t()) + b


def bert_attention(w, p, h, bias, nh, eps, qk_norm=False):
    """BertSelfAttention + BertSelfOutput of the layer whose tensors start with
    p, from torch primitives: scores q k^T / sqrt(head size) + bias (the
    extended mask, plus JinaBert's ALiBi), a max-subtracted softmax, . v,
    attention.output.dense, attention.output.LayerNorm(+ h).  qk_norm
    (jina-bert-v2-qk-post-norm's JinaBertSelfAttention): q and k are
    attention.self.layer_norm_q / layer_norm_k of their projections, over
    the whole width, before the heads split."""
    B, S, H = h.shape
    hd = H // nh
    L = lambda n, t: linear(t, w[p + n + ".weight"], w[p + n + ".bias"])  # noqa: E731

    def heads(t):
        return t.view(B, S, nh, hd).permute(0, 2, 1, 3)
    q = L("attention.self.query", h)
    k = L("attention.self.key", h)
    if qk_norm:
        q = layer_norm(q, w[p + "attention.self.layer_norm_q.weight"], w[p + "attention.self.layer_norm_q.bias"], eps)
        k = layer_norm(k, w[p + "attention.self.layer_norm_k.weight"], w[p + "attention.self.layer_norm_k.bias"], eps)
    q, k = heads(q), heads(k)
    v = heads(L("attention.self.value", h))
    sc = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + bias
    sc = sc - sc.max(-1, keepdim=True).values
    e = torch.exp(sc)
    pr = e / e.sum(-1, keepdim=True)
    ctx = torch.matmul(pr, v).permute(0, 2, 1, 3).reshape(B, S, H)
    return layer_norm(L("attention.output.dense", ctx) + h,
                      w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)


def bert_a(w, sh, ids, mask, tt, variant=None):
    """HF BertModel's forward (DistilBertModel's, XLMRobertaModel's: see
    is_roberta) from torch primitives.  variant (xlm-roberta, information
    only): "bert_positions" numbers positions 0, 1, ... as BERT does,
    "bert_eps" takes BERT's LayerNorm eps 1e-12."""
    B, S = ids.shape
    nh = sh["heads"]
    eps = 1e-12 if variant == "bert_eps" else ln_eps(sh)
    if is_roberta(sh) and variant != "bert_positions":
        pos = mpnet_position_ids(ids)           # RoBERTa numbers them as MPNet does
    else:
        pos = torch.arange(S)[None].expand(B, S)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][pos]
    if is_distil(sh):
        assert not bool(tt.any()), "DistilBERT has no token types"
    else:
        x = x + w["embeddings.token_type_embeddings.weight"][tt]
    h = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    dt = h.dtype
    ext = (1.0 - mask[:, None, None, :].to(dt)) * torch.finfo(dt).min
    for i in range(sh["layers"]):
        p = "encoder.layer.%d." % i
        L = lambda n, t: linear(t, w[p + n + ".weight"], w[p + n + ".bias"])  # noqa: E731
        h1 = bert_attention(w, p, h, ext, nh, eps)
        f = L("intermediate.dense", h1)
        f = 0.5 * f * (1.0 + torch.erf(f / math.sqrt(2.0)))
        h = layer_norm(L("output.dense", f) + h1, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
                       eps)
    return h


# ---------------------------------------------------------------------------
# reference B: nn.Embedding + nn.LayerNorm + nn.TransformerEncoderLayer stack
# ---------------------------------------------------------------------------
def copy_bert_attention(a, w, p):
    """Loads BERT's attention of the layer whose tensors start with p into
    the nn.MultiheadAttention a (under no_grad): the in-projection = query,
    key and value (weights and biases, in that order), out_proj =
    attention.output.dense."""
    a.in_proj_weight.copy_(torch.cat([w[p + "attention.self.%s.weight" % n] for n in ("query", "key", "value")]))
    a.in_proj_bias.copy_(torch.cat([w[p + "attention.self.%s.bias" % n] for n in ("query", "key", "value")]))
    a.out_proj.weight.copy_(w[p + "attention.output.dense.weight"])
    a.out_proj.bias.copy_(w[p + "attention.output.dense.bias"])


class BertB(torch.nn.Module):
    def __init__(self, w, sh):
        super().__init__()
        H, I, nh = sh["hidden"], sh["inter"], sh["heads"]
        self.word = torch.nn.Embedding(sh["vocab"], H, dtype=torch.float64)
        self.pos = torch.nn.Embedding(sh["maxpos"], H, dtype=torch.float64)
        # DistilBERT: no token-type embedding at all
        self.typ = None if is_distil(sh) else torch.nn.Embedding(sh.get("typevocab", 2), H, dtype=torch.float64)
        self.eln = torch.nn.LayerNorm(H, eps=ln_eps(sh), dtype=torch.float64)
        self.roberta = is_roberta(sh)
        self.layers = torch.nn.ModuleList()
        with torch.no_grad():
            self.word.weight.copy_(w["embeddings.word_embeddings.weight"])
            self.pos.weight.copy_(w["embeddings.position_embeddings.weight"])
            if self.typ is not None:
                self.typ.weight.copy_(w["embeddings.token_type_embeddings.weight"])
            self.eln.weight.copy_(w["embeddings.LayerNorm.weight"])
            self.eln.bias.copy_(w["embeddings.LayerNorm.bias"])
            for i in range(sh["layers"]):
                p = "encoder.layer.%d." % i
                m = torch.nn.TransformerEncoderLayer(H, nh, I, dropout=0.0, activation="gelu",
                                                     layer_norm_eps=ln_eps(sh), batch_first=True,
                                                     norm_first=False, dtype=torch.float64)
                copy_bert_attention(m.self_attn, w, p)
                m.norm1.weight.copy_(w[p + "attention.output.LayerNorm.weight"])
                m.norm1.bias.copy_(w[p + "attention.output.LayerNorm.bias"])
                m.linear1.weight.copy_(w[p + "intermediate.dense.weight"])
                m.linear1.bias.copy_(w[p + "intermediate.dense.bias"])
                m.linear2.weight.copy_(w[p + "output.dense.weight"])
                m.linear2.bias.copy_(w[p + "output.dense.bias"])
                m.norm2.weight.copy_(w[p + "output.LayerNorm.weight"])
                m.norm2.bias.copy_(w[p + "output.LayerNorm.bias"])
                self.layers.append(m)
        self.eval()

    def forward(self, ids, mask, tt):
        if self.roberta:
            pos = loop_position_ids(ids)
        else:
            pos = torch.arange(ids.shape[1])[None]
        x = self.word(ids) + self.pos(pos)
        if self.typ is not None:
            x = x + self.typ(tt)
        h = self.eln(x)
        kpm = mask == 0
        for m in self.layers:
            h = m(h, src_key_padding_mask=kpm)
        return h


# ---------------------------------------------------------------------------
# MPNet (HF modeling_mpnet): reference A from primitives, B from nn modules
# ---------------------------------------------------------------------------
def mpnet_bucket_torch(rel, num_buckets=MPNET_BUCKETS, max_distance=MPNET_MAX_DISTANCE):
    """MPNetEncoder.relative_position_bucket's semantics, op for op in torch:
    rel = key - query; half the buckets for keys after the query, distances
    below a quarter of the buckets exact, beyond that
    exact + trunc(log(float32(d) / exact) / log(max_distance / exact) * (half - exact))
    in float32 (the Python double log(8) enters as a scalar of a float32 op),
    at most half - 1."""
    half = num_buckets // 2
    exact = half // 2
    d = -rel
    side = (d < 0).long() * half
    d = d.abs()
    lg = torch.log(d.float() / exact) / math.log(max_distance / exact) * (half - exact)
    far = torch.minimum(exact + lg.long(), torch.full_like(d, half - 1))
    return side + torch.where(d < exact, d, far)


def mpnet_bucket_exact(r, num_buckets=MPNET_BUCKETS, max_distance=MPNET_MAX_DISTANCE):
    """The same bucket from integers only (for B): for d >= exact it is
    exact + the largest k <= half - 1 - exact with
    log(d / exact) / log(max_distance / exact) * (half - exact) >= k, i.e.
    (d / exact)^(half - exact) >= (max_distance / exact)^k, tested exactly as
    d^(half - exact) * exact^k >= max_distance^k * exact^(half - exact)."""
    half = num_buckets // 2
    exact = half // 2
    d = -r
    side = half if d < 0 else 0
    d = abs(d)
    if d < exact:
        return side + d
    k = 0
    # d^(half-exact) * exact^k >= max^k * exact^(half-exact)  <=>  term >= k
    while k + 1 <= half - 1 - exact and \
            d ** (half - exact) * exact ** (k + 1) >= max_distance ** (k + 1) * exact ** (half - exact):
        k += 1
    return side + exact + k


@functools.lru_cache(maxsize=None)
def mpnet_bucket_table(S):
    """[S, S] buckets of key j for query i (relative position j - i), from mpnet_bucket_exact."""
    return torch.tensor([[mpnet_bucket_exact(j - i) for j in range(S)] for i in range(S)], dtype=torch.long)


def mpnet_bucket_double(r, num_buckets=MPNET_BUCKETS, max_distance=MPNET_MAX_DISTANCE):
    """The same formula in double precision (math.log), for the report only."""
    half = num_buckets // 2
    exact = half // 2
    d = -r
    side = half if d < 0 else 0
    d = abs(d)
    if d < exact:
        return side + d
    return side + min(exact + int(math.log(d / exact) / math.log(max_distance / exact) * (half - exact)),
                      half - 1)


def mpnet_position_ids(ids):
    """create_position_ids_from_input_ids(ids, padding_idx=1): every non-pad
    token gets padding_idx + its count of non-pad tokens so far (2, 3, ...);
    a pad token, inside a text or padding the batch, gets padding_idx."""
    real = (ids != MPNET_PAD).long()
    return torch.cumsum(real, dim=1) * real + MPNET_PAD


def mpnet_a(w, sh, ids, mask, tt, variant=None):
    """HF MPNetModel forward from torch primitives.  variant (information
    only, to see that the checks notice): "no_bias" leaves the relative
    position bias out, "transposed_bias" uses query - key, "boundary_bucket"
    puts distances 16, 32 and 64 one bucket lower (what a float rounding
    below 2, 4, 6 before the truncation would do), "bert_positions" numbers
    positions 0, 1, ... as BERT does."""
    assert not bool(tt.any()), "MPNet has no token types"
    B, S = ids.shape
    H, nh = sh["hidden"], sh["heads"]
    hd = H // nh
    pos = torch.arange(S)[None].expand(B, S) if variant == "bert_positions" else mpnet_position_ids(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][pos]
    h = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps=1e-5)
    dt = h.dtype
    # MPNetEncoder.compute_position_bias (no position_ids): memory - context
    # positions over arange(S), once for all layers -> [heads, S, S]
    q_pos = torch.arange(S, dtype=torch.long)[:, None]
    k_pos = torch.arange(S, dtype=torch.long)[None, :]
    rel = (q_pos - k_pos) if variant == "transposed_bias" else (k_pos - q_pos)
    bk = mpnet_bucket_torch(rel)
    if variant == "boundary_bucket":
        d = rel.abs()
        bk = torch.where((d == 16) | (d == 32) | (d == 64), bk - 1, bk)
    bias = w["encoder.relative_attention_bias.weight"][bk].permute(2, 0, 1)
    if variant == "no_bias":
        bias = torch.zeros_like(bias)
    ext = (1.0 - mask[:, None, None, :].to(dt)) * torch.finfo(dt).min
    for i in range(sh["layers"]):
        p = "encoder.layer.%d." % i
        L = lambda n, t: linear(t, w[p + n + ".weight"], w[p + n + ".bias"])  # noqa: E731

        def heads(t):
            return t.view(B, S, nh, hd).permute(0, 2, 1, 3)
        q = heads(L("attention.attn.q", h))
        k = heads(L("attention.attn.k", h))
        v = heads(L("attention.attn.v", h))
        sc = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd)
        sc = sc + bias[None]
        sc = sc + ext
        sc = sc - sc.max(-1, keepdim=True).values
        e = torch.exp(sc)
        pr = e / e.sum(-1, keepdim=True)
        ctx = torch.matmul(pr, v).permute(0, 2, 1, 3).reshape(B, S, H)
        h1 = layer_norm(L("attention.attn.o", ctx) + h,
                        w[p + "attention.LayerNorm.weight"], w[p + "attention.LayerNorm.bias"], eps=1e-5)
        f = L("intermediate.dense", h1)
        f = 0.5 * f * (1.0 + torch.erf(f / math.sqrt(2.0)))
        h = layer_norm(L("output.dense", f) + h1, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
                       eps=1e-5)
    return h


def loop_position_ids(ids):
    """B's positions (MPNet, XLM-RoBERTa), counted in a Python loop: a pad
    token (padding_idx 1) takes position 1 and does not advance the count,
    the others are 1 + their count of non-pad tokens so far."""
    pos = []
    for row in ids.tolist():
        n, r = 0, []
        for t in row:
            if t == MPNET_PAD:
                r.append(MPNET_PAD)         # padding_idx: does not advance
            else:
                n += 1
                r.append(MPNET_PAD + n)
        pos.append(r)
    return torch.tensor(pos, dtype=torch.long)


class MPNetB(torch.nn.Module):
    """nn.Embedding + nn.LayerNorm + nn.TransformerEncoderLayer (post-LN,
    eps 1e-5) with MPNet's relative position bias as a float attn_mask
    [batch * heads, S, S] (MultiheadAttention adds it to q/sqrt(d) . k and
    turns the key padding mask into -inf), positions counted in Python and
    buckets from mpnet_bucket_exact."""

    def __init__(self, w, sh):
        super().__init__()
        H, I, nh = sh["hidden"], sh["inter"], sh["heads"]
        self.nh = nh
        self.word = torch.nn.Embedding(sh["vocab"], H, dtype=torch.float64)
        self.pos = torch.nn.Embedding(sh["maxpos"], H, dtype=torch.float64)
        self.rel = torch.nn.Embedding(MPNET_BUCKETS, nh, dtype=torch.float64)
        self.eln = torch.nn.LayerNorm(H, eps=1e-5, dtype=torch.float64)
        self.layers = torch.nn.ModuleList()
        with torch.no_grad():
            self.word.weight.copy_(w["embeddings.word_embeddings.weight"])
            self.pos.weight.copy_(w["embeddings.position_embeddings.weight"])
            self.rel.weight.copy_(w["encoder.relative_attention_bias.weight"])
            self.eln.weight.copy_(w["embeddings.LayerNorm.weight"])
            self.eln.bias.copy_(w["embeddings.LayerNorm.bias"])
            for i in range(sh["layers"]):
                p = "encoder.layer.%d." % i
                m = torch.nn.TransformerEncoderLayer(H, nh, I, dropout=0.0, activation="gelu",
                                                     layer_norm_eps=1e-5, batch_first=True,
                                                     norm_first=False, dtype=torch.float64)
                a = m.self_attn
                a.in_proj_weight.copy_(torch.cat([w[p + "attention.attn.%s.weight" % n] for n in "qkv"]))
                a.in_proj_bias.copy_(torch.cat([w[p + "attention.attn.%s.bias" % n] for n in "qkv"]))
                a.out_proj.weight.copy_(w[p + "attention.attn.o.weight"])
                a.out_proj.bias.copy_(w[p + "attention.attn.o.bias"])
                m.norm1.weight.copy_(w[p + "attention.LayerNorm.weight"])
                m.norm1.bias.copy_(w[p + "attention.LayerNorm.bias"])
                m.linear1.weight.copy_(w[p + "intermediate.dense.weight"])
                m.linear1.bias.copy_(w[p + "intermediate.dense.bias"])
                m.linear2.weight.copy_(w[p + "output.dense.weight"])
                m.linear2.bias.copy_(w[p + "output.dense.bias"])
                m.norm2.weight.copy_(w[p + "output.LayerNorm.weight"])
                m.norm2.bias.copy_(w[p + "output.LayerNorm.bias"])
                self.layers.append(m)
        self.eval()

    def forward(self, ids, mask, tt):
        assert not bool(tt.any()), "MPNet has no token types"
        B, S = ids.shape
        h = self.eln(self.word(ids) + self.pos(loop_position_ids(ids)))
        bias = self.rel(mpnet_bucket_table(S)).permute(2, 0, 1)          # [heads, S, S]
        am = bias.unsqueeze(0).expand(B, self.nh, S, S).reshape(B * self.nh, S, S)
        kpm = mask == 0
        for m in self.layers:
            h = m(h, src_mask=am, src_key_padding_mask=kpm)
        return h


# ---------------------------------------------------------------------------
# NomicBert (nomic-ai's modeling_hf_nomic_bert, postnorm): reference A from
# primitives, B from nn modules and complex rotation
# ---------------------------------------------------------------------------
def nomic_rotary_cos_sin(S, d, variant=None, base=NOMIC_ROTARY_BASE):
    """NomicBertRotaryEmbedding._update_cos_sin_cache (pos_idx_in_fp32, no
    scale_base): inv_freq = 1 / (base ** (arange(0, dim, 2) / dim)), t =
    arange(S) and freqs = outer(t, inv_freq), all in float32 (HF recomputes
    inv_freq in float32 when the model was cast to float64), cos and sin of
    freqs in float32: [S, d / 2] each, float32.  dim is head_dim *
    rotary_emb_fraction, a float in HF.  Variants (information only):
    "float64_angles" does it all in float64; "inv_freq_correctly_rounded"
    takes float32(base^(-j/d)) rounded once (torch's 1 / base^(j/d) rounds
    twice); "glibc_cos_sin" takes the cos and sin of the float32 angles from
    numpy's complex64 exp, i.e. glibc's cosf / sinf (nomic_rotary_info
    compares them), as the C engine's table."""
    dt = torch.float64 if variant == "float64_angles" else torch.float32
    dim = d * 1.0
    if variant == "inv_freq_correctly_rounded":
        inv_freq = torch.from_numpy(nomic_inv_freq_correctly_rounded(d, base))
    else:
        inv_freq = 1.0 / (float(base) ** (torch.arange(0, dim, 2, dtype=dt) / dim))
    freqs = torch.outer(torch.arange(S, dtype=dt), inv_freq)
    if variant == "glibc_cos_sin":
        e = np.exp(1j * freqs.numpy())
        assert e.dtype == np.complex64
        return torch.from_numpy(e.real.copy()), torch.from_numpy(e.imag.copy())
    return torch.cos(freqs), torch.sin(freqs)


def nomic_inv_freq_correctly_rounded(d, base=NOMIC_ROTARY_BASE):
    """float32 base^(-j/d), j = 0, 2, ..., d - 2, rounded once (from float64)."""
    return np.array([base ** (-j / d) for j in range(0, d, 2)]).astype(np.float32)


def nomic_rotate_half(x, interleaved=False):
    """modeling_hf_nomic_bert.rotate_half: (x1, x2) -> (-x2, x1), halves (GPT-NeoX) or pairs (GPT-J)."""
    if not interleaved:
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((-x2, x1), dim=-1).flatten(-2)


def nomic_apply_rotary(x, cos, sin, interleaved=False):
    """apply_rotary_emb on x [B, S, heads, d] with cos, sin [S, d / 2]
    (repeated "... d -> ... 1 (2 d)", or "(d 2)" when interleaved)."""
    if interleaved:
        c, s = cos.repeat_interleave(2, dim=-1), sin.repeat_interleave(2, dim=-1)
    else:
        c, s = torch.cat((cos, cos), dim=-1), torch.cat((sin, sin), dim=-1)
    return x * c[:, None, :] + nomic_rotate_half(x, interleaved) * s[:, None, :]


def nomic_a(w, sh, ids, mask, tt, variant=None, routing=None):
    """NomicBertModel's forward (prenorm false) from torch primitives.
    variant (information only, to see that the checks notice):
    "no_rotary" leaves q and k unrotated, "interleaved_rotary" rotates GPT-J
    style pairs, "swapped_fc11_fc12" gates fc11 with fc12's roles exchanged,
    "float64_angles" computes the cos/sin table in float64, "gelu" takes the
    erf GELU for SiLU, "inv_freq_correctly_rounded" and "glibc_cos_sin"
    change the float32 table as nomic_rotary_cos_sin says.
    nomic_moe (v2-moe): Wqkv and out_proj add their biases, LayerNorm eps
    1e-5, and the MLP is nomic_moe_mlp_a's (its variants there); routing, a
    list, receives each MoE layer's routing probabilities [B, S, E]."""
    B, S = ids.shape
    H, nh = sh["hidden"], sh["heads"]
    hd = H // nh
    eps = ln_eps(sh)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][tt]
    h = layer_norm(x, w["emb_ln.weight"], w["emb_ln.bias"], eps)
    dt = h.dtype
    cos, sin = nomic_rotary_cos_sin(S, hd, variant)
    cos, sin = cos.to(dt), sin.to(dt)           # _cos_cached = torch.cos(freqs).to(dtype)
    ext = (1.0 - mask[:, None, None, :].to(dt)) * torch.finfo(dt).min
    for i in range(sh["layers"]):
        p = "encoder.layers.%d." % i
        qkv = torch.matmul(h, w[p + "attn.Wqkv.weight"].t())
        if p + "attn.Wqkv.bias" in w:           # qkv_proj_bias (v2-moe)
            qkv = qkv + w[p + "attn.Wqkv.bias"]
        qkv = qkv.view(B, S, 3, nh, hd)         # "... (three h d) -> ... three h d"
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
        if variant != "no_rotary":
            q = nomic_apply_rotary(q, cos, sin, variant == "interleaved_rotary")
            k = nomic_apply_rotary(k, cos, sin, variant == "interleaved_rotary")
        q, k, v = (t.permute(0, 2, 1, 3) for t in (q, k, v))
        sc = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + ext
        sc = sc - sc.max(-1, keepdim=True).values
        e = torch.exp(sc)
        pr = e / e.sum(-1, keepdim=True)
        ctx = torch.matmul(pr, v).permute(0, 2, 1, 3).reshape(B, S, H)
        o = torch.matmul(ctx, w[p + "attn.out_proj.weight"].t())
        if p + "attn.out_proj.bias" in w:
            o = o + w[p + "attn.out_proj.bias"]
        h1 = layer_norm(o + h, w[p + "norm1.weight"], w[p + "norm1.bias"], eps)
        if is_nomic_moe(sh):
            f = nomic_moe_mlp_a(w, sh, i, h1, variant, routing)
        else:
            up, gate = "mlp.fc11.weight", "mlp.fc12.weight"
            if variant == "swapped_fc11_fc12":
                up, gate = gate, up
            y = torch.matmul(h1, w[p + up].t())
            g = torch.matmul(h1, w[p + gate].t())
            y = y * (torch.nn.functional.gelu(g) if variant == "gelu" else torch.nn.functional.silu(g))
            f = torch.matmul(y, w[p + "mlp.fc2.weight"].t())
        h = layer_norm(f + h1, w[p + "norm2.weight"], w[p + "norm2.bias"], eps)
    return h


def nomic_moe_gelu(t, variant=None):
    """nn.GELU(approximate="none") from torch.erf (activation_function
    "gelu"); variant "tanh_gelu" takes the tanh approximation instead."""
    if variant == "tanh_gelu":
        return torch.nn.functional.gelu(t, approximate="tanh")
    return 0.5 * t * (1.0 + torch.erf(t / math.sqrt(2.0)))


def nomic_moe_mlp_a(w, sh, i, x, variant=None, routing=None):
    """Layer i's MLP of nomic-embed-text-v2-moe from torch primitives, on x
    [B, S, H].  A dense layer: NomicBertMLP, fc2(GELU_erf(fc1(x))) with
    biases.  An MoE layer (nomic_moe_layer): NomicMoELayer over the T = B * S
    tokens (padding too, as HF): NomicRouter's probabilities softmax(x
    router^T) over all E experts (max-subtracted, float64: HF's
    softmax(dtype=float32) is meant for half precision, as ModernBERT's
    upcast) and torch.topk's k largest, not renormalised
    (moe_normalize_expert_weights false); NomicExperts: for each expert e,
    the tokens that chose it (in either slot, torch.where on the one-hot
    mask), GELU_erf(x_t w1_e^T) w2_e times that slot's weight (w1_e, w2_e
    the [I, H] blocks of the [E, I, H] views: w1 applied transposed, w2
    not), index_add_ into the output; then + experts.bias once.
    routing: a list that receives the probabilities [B, S, E].
    variants (information only): "normalized_expert_weights" divides the k
    weights by their sum, "top_1" keeps one expert, "bias_scaled_by_weights"
    adds experts.bias inside each expert's term (so it is scaled by the
    weights' sum), "w2_viewed_e_h_i" takes w2 as [E, H, I] blocks applied
    transposed (a Linear weight's layout), "swapped_w1_w2" exchanges the two,
    "tanh_gelu" the tanh GELU (dense layers too)."""
    p = "encoder.layers.%d." % i
    B, S, H = x.shape
    if not nomic_moe_layer(sh, i):
        f = nomic_moe_gelu(linear(x, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"]), variant)
        return linear(f, w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
    E, I = sh["num_experts"], sh["inter"]
    k = 1 if variant == "top_1" else sh["moe_top_k"]
    xt = x.reshape(B * S, H)
    z = torch.matmul(xt, w[p + "mlp.router.layer.weight"].t())
    z = z - z.max(-1, keepdim=True).values
    e = torch.exp(z)
    probs = e / e.sum(-1, keepdim=True)
    if routing is not None:
        routing.append(probs.view(B, S, E))
    top_w, top_e = torch.topk(probs, k, dim=-1)
    if variant == "normalized_expert_weights":
        top_w = top_w / top_w.sum(-1, keepdim=True)
    w1 = w[p + "mlp.experts.mlp.w1"].view(E, I, H)
    w2 = w[p + "mlp.experts.mlp.w2"].view(E, I, H)
    if variant == "w2_viewed_e_h_i":
        w2 = w[p + "mlp.experts.mlp.w2"].view(E, H, I).transpose(1, 2)
    if variant == "swapped_w1_w2":
        w1, w2 = w2, w1
    bias = w[p + "mlp.experts.bias"]
    out = torch.zeros_like(xt)
    chosen = torch.nn.functional.one_hot(top_e, E).permute(2, 1, 0)     # [E, k, T]
    for ex in range(E):
        slot, tok = torch.where(chosen[ex])
        if tok.numel() == 0:
            continue
        y = torch.matmul(nomic_moe_gelu(torch.matmul(xt[tok], w1[ex].t()), variant), w2[ex])
        if variant == "bias_scaled_by_weights":
            y = y + bias
        out.index_add_(0, tok, y * top_w[tok, slot, None])
    if variant != "bias_scaled_by_weights":
        out = out + bias
    return out.view(B, S, H)


def nomic_angles_numpy(S, d, base=NOMIC_ROTARY_BASE):
    """B's rotation angles theta[t, j] = t * inv_freq_j, in numpy float32
    (np.power, np.outer): the same float32 values as HF's torch table
    (asserted), computed apart from it."""
    inv = (np.float32(1.0) / (np.float32(base) **
                              (np.arange(0, d, 2, dtype=np.float32) / np.float32(d)))).astype(np.float32)
    return np.outer(np.arange(S, dtype=np.float32), inv).astype(np.float32)


def complex_rotate(x, rot, nh, hd):
    """x [B, S, nh * hd]: each head's (x_j, x_{j + hd/2}) as one complex number, times rot [S, hd/2]
    (reference B's rotary, for NomicBert and ModernBERT)."""
    B, S, H = x.shape
    x = x.reshape(B, S, nh, hd)
    half = hd // 2
    z = torch.complex(x[..., :half], x[..., half:]) * rot[None, :, None, :]
    return torch.cat((z.real, z.imag), dim=-1).reshape(B, S, H)


class NomicB(torch.nn.Module):
    """nn.Embedding + nn.LayerNorm; per layer nn.Linear Q, K, V (the three
    row blocks of Wqkv), the rotation as a complex multiplication of
    (x_j + i x_{j + d/2}) by e^{i theta} (theta from nomic_angles_numpy;
    e^{i theta} = cos theta + i sin theta by torch in float32, as HF's table,
    then complex128: numpy's complex64 exp, glibc's cosf / sinf, differs from
    torch's by one ulp in about 5% of the entries, which Wqkv's std 0.1 makes
    worth about 4e-9 on the hidden states: see "glibc_cos_sin"), attention by
    nn.MultiheadAttention (identity in-projection, no biases, out_proj =
    out_proj, key_padding_mask), nn.LayerNorm, nn.Linear fc11 / fc12 / fc2
    with a * g / (1 + exp(-g)).
    nomic_moe: the nn.Linear Q, K, V with Wqkv's bias thirds,
    nn.MultiheadAttention's out_proj with out_proj's bias (its in-projection
    bias zero), LayerNorm eps 1e-5, and per layer nn.Linear fc1 + nn.GELU +
    nn.Linear fc2, or the MoE as NomicMoeB computes it."""

    def __init__(self, w, sh):
        super().__init__()
        moe = is_nomic_moe(sh)
        H, I, nh = sh["hidden"], sh["inter"] if moe else nomic_inner(sh), sh["heads"]
        eps = ln_eps(sh)
        self.nh, self.hd = nh, H // nh
        self.word = torch.nn.Embedding(sh["vocab"], H, dtype=torch.float64)
        self.typ = torch.nn.Embedding(sh.get("typevocab", 2), H, dtype=torch.float64)
        self.eln = torch.nn.LayerNorm(H, eps=eps, dtype=torch.float64)
        self.layers = torch.nn.ModuleList()
        f64 = dict(dtype=torch.float64)
        with torch.no_grad():
            self.word.weight.copy_(w["embeddings.word_embeddings.weight"])
            self.typ.weight.copy_(w["embeddings.token_type_embeddings.weight"])
            self.eln.weight.copy_(w["emb_ln.weight"])
            self.eln.bias.copy_(w["emb_ln.bias"])
            for i in range(sh["layers"]):
                p = "encoder.layers.%d." % i
                m = torch.nn.ModuleDict({
                    "q": torch.nn.Linear(H, H, bias=moe, **f64), "k": torch.nn.Linear(H, H, bias=moe, **f64),
                    "v": torch.nn.Linear(H, H, bias=moe, **f64),
                    "attn": torch.nn.MultiheadAttention(H, nh, dropout=0.0, bias=moe, batch_first=True, **f64),
                    "norm1": torch.nn.LayerNorm(H, eps=eps, **f64),
                    "norm2": torch.nn.LayerNorm(H, eps=eps, **f64)})
                if nomic_moe_layer(sh, i):
                    m["moe"] = NomicMoeB(w, sh, p)
                elif moe:
                    m.update({"fc1": torch.nn.Linear(H, I, **f64), "act": torch.nn.GELU(),
                              "fc2": torch.nn.Linear(I, H, **f64)})
                else:
                    m.update({"fc11": torch.nn.Linear(H, I, bias=False, **f64),
                              "fc12": torch.nn.Linear(H, I, bias=False, **f64),
                              "fc2": torch.nn.Linear(I, H, bias=False, **f64)})
                wqkv = w[p + "attn.Wqkv.weight"]
                for j, n in enumerate("qkv"):
                    m[n].weight.copy_(wqkv[j * H:(j + 1) * H])
                    if moe:
                        m[n].bias.copy_(w[p + "attn.Wqkv.bias"][j * H:(j + 1) * H])
                m["attn"].in_proj_weight.copy_(torch.eye(H, dtype=torch.float64).repeat(3, 1))
                m["attn"].out_proj.weight.copy_(w[p + "attn.out_proj.weight"])
                if moe:
                    m["attn"].in_proj_bias.zero_()
                    m["attn"].out_proj.bias.copy_(w[p + "attn.out_proj.bias"])
                for n in ("norm1", "norm2"):
                    m[n].weight.copy_(w[p + n + ".weight"])
                    m[n].bias.copy_(w[p + n + ".bias"])
                for n in ("fc11", "fc12", "fc1", "fc2"):
                    if n in m:
                        m[n].weight.copy_(w[p + "mlp." + n + ".weight"])
                        if moe:
                            m[n].bias.copy_(w[p + "mlp." + n + ".bias"])
                self.layers.append(m)
        self.eval()

    def rotate(self, x, rot):
        return complex_rotate(x, rot, self.nh, self.hd)

    def forward(self, ids, mask, tt):
        S = ids.shape[1]
        th = torch.from_numpy(nomic_angles_numpy(S, self.hd))
        rot = torch.complex(torch.cos(th), torch.sin(th)).to(torch.complex128)
        h = self.eln(self.word(ids) + self.typ(tt))
        kpm = mask == 0
        for m in self.layers:
            q, k = self.rotate(m["q"](h), rot), self.rotate(m["k"](h), rot)
            a, _ = m["attn"](q, k, m["v"](h), key_padding_mask=kpm, need_weights=False)
            h1 = m["norm1"](a + h)
            if "moe" in m:
                f = m["moe"](h1)
            elif "fc1" in m:
                f = m["fc2"](m["act"](m["fc1"](h1)))
            else:
                g = m["fc12"](h1)
                f = m["fc2"](m["fc11"](h1) * (g / (1.0 + torch.exp(-g))))
            h = m["norm2"](f + h1)
        return h


class NomicMoeB(torch.nn.Module):
    """B's MoE layer (nomic-embed-text-v2-moe), the dense formulation apart
    from A's gather / index_add_: nn.Linear router (no bias) + nn.Softmax;
    the k chosen experts of a token by rank (expert e is kept where fewer
    than k experts have a larger probability: no topk, no sort) and a dense
    [T, E] weight matrix, the probability where kept and 0 elsewhere; every
    token through every expert with torch.einsum over the [E, I, H] blocks
    ([E, T, I], nn.GELU, [E, T, H]); the weighted sum over E, + the bias."""

    def __init__(self, w, sh, p):
        super().__init__()
        H, I, E = sh["hidden"], sh["inter"], sh["num_experts"]
        self.k = sh["moe_top_k"]
        self.router = torch.nn.Linear(H, E, bias=False, dtype=torch.float64)
        self.softmax = torch.nn.Softmax(dim=-1)
        self.act = torch.nn.GELU()
        with torch.no_grad():
            self.router.weight.copy_(w[p + "mlp.router.layer.weight"])
            self.w1 = torch.nn.Parameter(w[p + "mlp.experts.mlp.w1"].reshape(E, I, H).clone())
            self.w2 = torch.nn.Parameter(w[p + "mlp.experts.mlp.w2"].reshape(E, I, H).clone())
            self.bias = torch.nn.Parameter(w[p + "mlp.experts.bias"].clone())

    def forward(self, x):
        B, S, H = x.shape
        xt = x.reshape(B * S, H)
        pr = self.softmax(self.router(xt))                              # [T, E]
        above = (pr[:, None, :] > pr[:, :, None]).sum(-1)               # [T, E]: experts ranked above e
        dense = torch.where(above < self.k, pr, torch.zeros_like(pr))
        y = torch.einsum("eti,eih->eth", self.act(torch.einsum("th,eih->eti", xt, self.w1)), self.w2)
        return ((dense.t()[:, :, None] * y).sum(0) + self.bias).view(B, S, H)


def nomic_rotary_info(sh, S, base=NOMIC_ROTARY_BASE, angles_numpy=None):
    """The float32 tables, for the report: HF's inv_freq against the
    correctly rounded 1000^(-2j/d) and against the C engine's 1.0f /
    powf(base, (float)j / (float)d) with glibc's powf; B's numpy angles
    against A's torch ones (must be equal); torch's float32 cos/sin against
    the correctly rounded ones, against numpy's complex64 exp
    ("glibc_cos_sin") and against glibc's cosf / sinf (the engine's), in
    entries and ulps.  The glibc figures need libm through ctypes (None
    without it)."""
    d = sh["hidden"] // sh["heads"]
    dim = d * 1.0
    inv_t = (1.0 / (float(base) ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))).numpy()
    inv_cr = nomic_inv_freq_correctly_rounded(d, base)
    th_t = torch.outer(torch.arange(S, dtype=torch.float32), torch.from_numpy(inv_t)).numpy()
    th_n = (angles_numpy or nomic_angles_numpy)(S, d, base)
    assert th_t.dtype == th_n.dtype == np.float32 and (th_t.view(np.uint32) == th_n.view(np.uint32)).all()
    c_t, s_t = nomic_rotary_cos_sin(S, d, base=base)
    c_t, s_t = c_t.numpy(), s_t.numpy()
    c_cr, s_cr = np.cos(th_t.astype(np.float64)), np.sin(th_t.astype(np.float64))
    e = np.exp(1j * th_n)
    assert e.dtype == np.complex64

    def ulps(a, b):         # float32 arrays: distance in units in the last place
        return int(np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64)).max())
    # the float64 angles' distance from the float32 ones (what "float64_angles" changes)
    th64 = np.outer(np.arange(S, dtype=np.float64), base ** (-np.arange(0, d, 2) / d))
    # the C engine's expressions with glibc's powf, cosf and sinf
    inv_g = glibc = None
    try:
        import ctypes
        import ctypes.util
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        for fn, nargs in (("powf", 2), ("cosf", 1), ("sinf", 1)):
            getattr(libm, fn).restype = ctypes.c_float
            getattr(libm, fn).argtypes = [ctypes.c_float] * nargs
        inv_g = np.array([np.float32(1.0) / np.float32(libm.powf(float(base),
                                                                  float(np.float32(j) / np.float32(d))))
                          for j in range(0, d, 2)], dtype=np.float32)
        c_g = np.array([libm.cosf(float(x)) for x in th_t.ravel()], dtype=np.float32).reshape(th_t.shape)
        s_g = np.array([libm.sinf(float(x)) for x in th_t.ravel()], dtype=np.float32).reshape(th_t.shape)
        glibc = {"cos_sin_torch_vs_glibc_entries": int((c_t != c_g).sum() + (s_t != s_g).sum()),
                 "cos_sin_glibc_vs_numpy_cexpf_entries": int((c_g != e.real).sum() + (s_g != e.imag).sum())}
    except (OSError, AttributeError):
        pass
    return {"S": S, "inv_freq_float32": [float(x) for x in inv_t],
            "inv_freq_vs_correctly_rounded_ulps": [int(a) - int(b) for a, b in
                                                   zip(inv_t.view(np.int32), inv_cr.view(np.int32))],
            "inv_freq_vs_glibc_powf_ulps": None if inv_g is None else
            [int(a) - int(b) for a, b in zip(inv_t.view(np.int32), inv_g.view(np.int32))],
            "glibc": glibc,
            "angles_torch_vs_numpy_float32": "identical",
            "float32_angles_vs_float64_max_rad": float(np.abs(th_t.astype(np.float64) - th64).max()),
            "cos_sin_torch_vs_correctly_rounded_entries": int((c_t != c_cr.astype(np.float32)).sum() +
                                                             (s_t != s_cr.astype(np.float32)).sum()),
            "cos_sin_torch_vs_correctly_rounded_max_ulps": max(ulps(c_t, c_cr.astype(np.float32)),
                                                               ulps(s_t, s_cr.astype(np.float32))),
            "cos_sin_torch_vs_numpy_cexpf_entries": int((c_t != e.real).sum() + (s_t != e.imag).sum()),
            "cos_sin_torch_vs_numpy_cexpf_max_ulps": max(ulps(c_t, e.real), ulps(s_t, e.imag)),
            "entries": 2 * c_t.size}


# ---------------------------------------------------------------------------
# ModernBERT (transformers 4.48 modeling_modernbert, eager attention):
# reference A from primitives, B from nn modules and complex rotation
# ---------------------------------------------------------------------------
def modernbert_is_global(i, variant=None):
    """ModernBertAttention: global attention (and global_rope_theta) where
    layer_id % global_attn_every_n_layers == 0, else the sliding window (and
    local_rope_theta).  variant "window_layers_shifted" (information only)
    takes i % 3 == 2 instead."""
    if variant == "window_layers_shifted":
        return i % MODERNBERT_GLOBAL_EVERY == MODERNBERT_GLOBAL_EVERY - 1
    return i % MODERNBERT_GLOBAL_EVERY == 0


def modernbert_rotary_cos_sin(S, d, base):
    """ModernBertRotaryEmbedding (rope_type "default", attention_scaling 1)
    for position_ids arange(S)[None]: inv_freq = 1 / (base ** (arange(0, d,
    2, int64).float() / d)), freqs = (inv_freq[None, :, None].float() @
    position_ids[:, None, :].float()).transpose(1, 2), emb = cat(freqs,
    freqs), cos and sin, all float32: [S, d] each."""
    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    pos = torch.arange(S)[None]
    freqs = (inv_freq[None, :, None].float().expand(1, -1, 1) @ pos[:, None, :].float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos()[0], emb.sin()[0]


def modernbert_a(w, sh, ids, mask, tt, variant=None):
    """ModernBertModel's forward from torch primitives.  variant (information
    only, to see that the checks notice): "no_window" lets every layer
    attend globally (thetas unchanged), "window_layers_shifted" puts the
    global layers at i % 3 == 2 (windows and thetas follow), "one_theta"
    takes global_rope_theta on every layer, "window_one_short" takes |i - j|
    <= 7, "silu" takes SiLU for GELU, "swapped_input_gate" exchanges Wi's
    halves, "postnorm" applies attn_norm / mlp_norm after each residual
    instead of before the sublayer, "no_final_norm" leaves final_norm out,
    "no_rotary" leaves q and k unrotated.  "type_ids_used" (a cross-encoder
    mistake: ModernBERT takes no token type ids) adds to the embeddings of
    the tokens of type 1 a row of std 0.02 (K_STD, seeded as
    "model.embeddings.token_type_embeddings.weight" would be: row 1 of a
    BERT-style table) before embeddings.norm."""
    assert variant == "type_ids_used" or not bool(tt.any()), "ModernBERT has no token types"
    B, S = ids.shape
    H, nh = sh["hidden"], sh["heads"]
    hd = H // nh
    eps = MODERNBERT_EPS

    def ln(t, name):                            # nn.LayerNorm(bias=False)
        return layer_norm(t, w[name], 0.0, eps)
    e = w["embeddings.tok_embeddings.weight"][ids]
    if variant == "type_ids_used":
        row = torch.from_numpy(gen_values(sh["prefix"] + "embeddings.token_type_embeddings.weight", sh["seed"],
                                          K_STD, 2 * H).reshape(2, H)[1].astype(np.float64)).to(e.dtype)
        e = e + tt.to(e.dtype).unsqueeze(-1) * row
    x = ln(e, "embeddings.norm.weight")
    dt = x.dtype
    tables = {}
    for kind in ("global", "local"):
        base = MODERNBERT_THETA["global" if variant == "one_theta" else kind]
        c, s_ = modernbert_rotary_cos_sin(S, hd, base)
        tables[kind] = (c.to(dt), s_.to(dt))    # cos.to(dtype=x.dtype)
    neg = torch.finfo(dt).min
    # _prepare_4d_attention_mask: 0 where attended, finfo.min on padding;
    # _update_attention_mask's sliding-window mask: masked_fill(finfo.min)
    # outside |i - j| <= local_attention // 2
    inv = 1.0 - mask[:, None, None, :].expand(B, 1, S, S).to(dt)
    gmask = inv.masked_fill(inv.to(torch.bool), neg)
    half = MODERNBERT_LOCAL_ATTENTION // 2 - (1 if variant == "window_one_short" else 0)
    rows = torch.arange(S).unsqueeze(0)
    window = (torch.abs(rows - rows.T) <= half)[None, None]
    smask = gmask.masked_fill(window.logical_not(), neg)
    postnorm = variant == "postnorm"
    for i in range(sh["layers"]):
        p = "layers.%d." % i
        glob = modernbert_is_global(i, variant)
        a = x if i == 0 or postnorm else ln(x, p + "attn_norm.weight")      # layer 0: nn.Identity
        qkv = torch.matmul(a, w[p + "attn.Wqkv.weight"].t()).view(B, S, 3, nh, hd)
        q, k, v = qkv.transpose(3, 1).unbind(dim=2)          # [B, heads, S, hd]
        if variant != "no_rotary":
            c, s_ = tables["global" if glob else "local"]
            q = q * c + nomic_rotate_half(q) * s_
            k = k * c + nomic_rotate_half(k) * s_
        sc = torch.matmul(q, k.transpose(2, 3)) * hd ** -0.5
        sc = sc + (gmask if glob or variant == "no_window" else smask)
        sc = sc - sc.max(-1, keepdim=True).values
        e = torch.exp(sc)
        pr = e / e.sum(-1, keepdim=True)
        ctx = torch.matmul(pr, v).transpose(1, 2).reshape(B, S, H)
        x = x + torch.matmul(ctx, w[p + "attn.Wo.weight"].t())
        if postnorm and i > 0:
            x = ln(x, p + "attn_norm.weight")
        m = x if postnorm else ln(x, p + "mlp_norm.weight")
        inp, gate = torch.matmul(m, w[p + "mlp.Wi.weight"].t()).chunk(2, dim=-1)
        if variant == "swapped_input_gate":
            inp, gate = gate, inp
        if variant == "silu":
            act = inp * torch.sigmoid(inp)
        else:
            act = 0.5 * inp * (1.0 + torch.erf(inp / math.sqrt(2.0)))
        x = x + torch.matmul(act * gate, w[p + "mlp.Wo.weight"].t())
        if postnorm:
            x = ln(x, p + "mlp_norm.weight")
    if variant != "no_final_norm":
        x = ln(x, "final_norm.weight")
    return x


def modernbert_angles_numpy(S, d, base):
    """B's rotation angles theta[t, j] = t * inv_freq_j in numpy float32
    (np.outer), inv_freq_j = float32(1) / float32(base ** (j / d)), the power
    in double and rounded once: asserted bit-identical to HF's torch table.
    (numpy's own float32 power, nomic_angles_numpy's, is one ulp off torch's
    and glibc's powf at j = 14 for base 160000; torch's and glibc's are the
    correctly rounded values there.)"""
    inv = np.float32(1.0) / np.array([base ** (j / d) for j in range(0, d, 2)]).astype(np.float32)
    return np.outer(np.arange(S, dtype=np.float32), inv.astype(np.float32)).astype(np.float32)


class ModernBertB(torch.nn.Module):
    """nn.Embedding + nn.LayerNorm (bias zeroed: torch 1.13 has no
    bias=False); per layer nn.Identity / nn.LayerNorm, nn.Linear Q, K, V
    (Wqkv's three row blocks), the rotation as a complex multiplication of
    (x_j + i x_{j + d/2}) by e^{i theta} (theta from nomic_angles_numpy with
    the layer's base; cos and sin by torch in float32, as HF's table),
    nn.MultiheadAttention (identity in-projection, out_proj = attn.Wo,
    key_padding_mask, and on the local layers a boolean attn_mask blocking
    |i - j| > 8, built in numpy), nn.LayerNorm, nn.Linear input / gate
    (Wi's two row blocks) and out with nn.GELU.  A padded query whose whole
    band is padding has no key left on a local layer (torch gives NaN
    there): its attention output is set to zero, which no valid position
    reads."""

    def __init__(self, w, sh):
        super().__init__()
        H, I, nh = sh["hidden"], sh["inter"], sh["heads"]
        self.nh, self.hd = nh, H // nh
        f64 = dict(dtype=torch.float64)

        def norm(name):
            n = torch.nn.LayerNorm(H, eps=MODERNBERT_EPS, **f64)
            n.weight.copy_(w[name])
            n.bias.zero_()
            n.bias.requires_grad_(False)
            return n
        with torch.no_grad():
            self.tok = torch.nn.Embedding(sh["vocab"], H, **f64)
            self.tok.weight.copy_(w["embeddings.tok_embeddings.weight"])
            self.enorm = norm("embeddings.norm.weight")
            self.fnorm = norm("final_norm.weight")
            self.layers = torch.nn.ModuleList()
            self.is_global = []
            for i in range(sh["layers"]):
                p = "layers.%d." % i
                m = torch.nn.ModuleDict({
                    "attn_norm": torch.nn.Identity() if i == 0 else norm(p + "attn_norm.weight"),
                    "q": torch.nn.Linear(H, H, bias=False, **f64), "k": torch.nn.Linear(H, H, bias=False, **f64),
                    "v": torch.nn.Linear(H, H, bias=False, **f64),
                    "attn": torch.nn.MultiheadAttention(H, nh, dropout=0.0, bias=False, batch_first=True, **f64),
                    "mlp_norm": norm(p + "mlp_norm.weight"),
                    "inp": torch.nn.Linear(H, I, bias=False, **f64), "gate": torch.nn.Linear(H, I, bias=False, **f64),
                    "act": torch.nn.GELU(), "out": torch.nn.Linear(I, H, bias=False, **f64)})
                wqkv = w[p + "attn.Wqkv.weight"]
                for j, n in enumerate("qkv"):
                    m[n].weight.copy_(wqkv[j * H:(j + 1) * H])
                m["attn"].in_proj_weight.copy_(torch.eye(H, dtype=torch.float64).repeat(3, 1))
                m["attn"].out_proj.weight.copy_(w[p + "attn.Wo.weight"])
                wi = w[p + "mlp.Wi.weight"]
                m["inp"].weight.copy_(wi[:I])
                m["gate"].weight.copy_(wi[I:])
                m["out"].weight.copy_(w[p + "mlp.Wo.weight"])
                self.layers.append(m)
                self.is_global.append(i % MODERNBERT_GLOBAL_EVERY == 0)
        self.eval()

    def rotate(self, x, rot):
        return complex_rotate(x, rot, self.nh, self.hd)

    def forward(self, ids, mask, tt):
        assert not bool(tt.any()), "ModernBERT has no token types"
        S = ids.shape[1]
        rot = {}
        for kind, base in MODERNBERT_THETA.items():
            th = torch.from_numpy(modernbert_angles_numpy(S, self.hd, base))
            rot[kind] = torch.complex(torch.cos(th), torch.sin(th)).to(torch.complex128)
        ar = np.arange(S)
        band = torch.from_numpy(np.abs(ar[:, None] - ar[None, :]) > MODERNBERT_LOCAL_ATTENTION // 2)
        kpm = mask == 0
        valid = (mask != 0).unsqueeze(-1)
        h = self.enorm(self.tok(ids))
        for m, glob in zip(self.layers, self.is_global):
            r = rot["global" if glob else "local"]
            a = m["attn_norm"](h)
            q, k = self.rotate(m["q"](a), r), self.rotate(m["k"](a), r)
            o, _ = m["attn"](q, k, m["v"](a), key_padding_mask=kpm, attn_mask=None if glob else band,
                             need_weights=False)
            h = h + torch.where(valid, o, torch.zeros_like(o))
            n = m["mlp_norm"](h)
            h = h + m["out"](m["act"](m["inp"](n)) * m["gate"](n))
        return self.fnorm(h)


# ---------------------------------------------------------------------------
# GTE v1.5 (Alibaba-NLP/new-impl's modeling.py, NewModel, pack_qkv,
# post-LayerNorm): reference A from primitives, B from nn modules and complex
# rotation
# ---------------------------------------------------------------------------
def gte_inv_freq(sh, variant=None):
    """NTKScalingRotaryEmbedding's inv_freq (mixed_b None), float32 [d / 2]:
    RotaryEmbedding.__init__'s 1 / (rope_theta ** (arange(0, d, 2).float() /
    d)), then, because the __init__ rebuilds its table for
    max_position_embeddings * factor > max_position_embeddings (factor > 1),
    base = rope_theta * factor (a Python float product), inv_freq = 1 /
    (base ** (arange(0, d, 2).float() / d)), inv_freq / factor ** (2 / d)
    (a Python float), all float32 tensor ops.  variant "no_ntk"
    (information only) keeps the plain table of rope_theta."""
    d = sh["hidden"] // sh["heads"]
    theta, f = sh["rope_theta"], sh["rope_factor"]
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2).float() / d))
    if f > 1 and variant != "no_ntk":
        base = theta * f
        inv_freq = 1.0 / (base ** (torch.arange(0, d, 2).float() / d))
        inv_freq = inv_freq / f ** (2 / d)
    assert inv_freq.dtype == torch.float32
    return inv_freq


def gte_rotary_cos_sin(sh, S, variant=None):
    """NTKScalingRotaryEmbedding._set_cos_sin_cache for the rows the model
    reads (position_ids arange(S)): t = arange(max_seq_len_cached,
    float32) (max_position_embeddings * factor rows, or S if more), freqs =
    einsum("i,j->ij", t, inv_freq), emb = cat(freqs, freqs), cos and sin,
    all float32 (then cast to the model's dtype by the caller): [S, d]
    each."""
    f = sh["rope_factor"]
    n = sh["maxpos"] * f if f > 1 and variant != "no_ntk" else sh["maxpos"]
    t = torch.arange(max(n, S), dtype=torch.float32)
    freqs = torch.einsum("i,j->ij", t, gte_inv_freq(sh, variant))
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos()[:S], emb.sin()[:S]


def gte_a(w, sh, ids, mask, tt, variant=None):
    """NewModel's forward (pack_qkv, rope, layer_norm, no logn scaling,
    unpad_inputs false, eval) from torch primitives: x = LayerNorm(word +
    token type (only with type_vocab_size > 0)); per layer qkv = x ·
    qkv_projᵀ + b split into q, k, v (H each), heads of d, rotary on q and k
    (q·cos + rotate_half(q)·sin, GPT-NeoX halves, the float32 table of
    gte_rotary_cos_sin cast to float64), scores / √d + the finfo.min mask,
    softmax, · v, o_proj (with bias); h = attn_ln(x + o); up, gate =
    split(h · up_gate_projᵀ, I); h = mlp_ln(h + down_proj(GELU_erf(gate) ·
    up)).  variant (information only, to see that the checks notice):
    "no_rotary" leaves q and k unrotated, "no_ntk" takes the plain rope_theta
    table, "swapped_up_gate" applies the activation to the up half,
    "silu" takes SiLU for GELU, "no_attention_bias" drops qkv_proj's and
    o_proj's biases, "prenorm" applies attn_ln / mlp_ln before each
    sublayer instead of after its residual, "no_token_types" (type_vocab_size
    > 0) leaves the token-type row out."""
    B, S = ids.shape
    H, nh, I = sh["hidden"], sh["heads"], sh["inter"]
    hd = H // nh
    eps = 1e-12
    x = w["embeddings.word_embeddings.weight"][ids]
    if sh["typevocab"] > 0:
        assert int(tt.max()) < sh["typevocab"]
        if variant != "no_token_types":
            x = x + w["embeddings.token_type_embeddings.weight"][tt]
    else:
        assert not bool(tt.any()), "type_vocab_size 0: no token types"
    h = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    dt = h.dtype
    cos, sin = gte_rotary_cos_sin(sh, S, variant)
    cos, sin = cos.to(dt)[None, :, None, :], sin.to(dt)[None, :, None, :]     # [1, S, 1, d]
    ext = (1.0 - mask[:, None, None, :].to(dt)) * torch.finfo(dt).min
    prenorm = variant == "prenorm"
    nobias = variant == "no_attention_bias"
    for i in range(sh["layers"]):
        p = "encoder.layer.%d." % i

        def ln(t, n):
            return layer_norm(t, w[p + n + ".weight"], w[p + n + ".bias"], eps)
        a = ln(h, "attn_ln") if prenorm else h
        qkv = torch.matmul(a, w[p + "attention.qkv_proj.weight"].t())
        if not nobias:
            qkv = qkv + w[p + "attention.qkv_proj.bias"]
        q, k, v = (t.reshape(B, S, nh, hd) for t in qkv.split(H, dim=-1))
        if variant != "no_rotary":
            q = q * cos + nomic_rotate_half(q) * sin
            k = k * cos + nomic_rotate_half(k) * sin
        q, k, v = (t.permute(0, 2, 1, 3) for t in (q, k, v))
        sc = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + ext
        sc = sc - sc.max(-1, keepdim=True).values
        e = torch.exp(sc)
        pr = e / e.sum(-1, keepdim=True)
        ctx = torch.matmul(pr, v).permute(0, 2, 1, 3).reshape(B, S, H)
        o = torch.matmul(ctx, w[p + "attention.o_proj.weight"].t())
        if not nobias:
            o = o + w[p + "attention.o_proj.bias"]
        if prenorm:
            h = h + o
            m = ln(h, "mlp_ln")
        else:
            h = ln(h + o, "attn_ln")
            m = h
        up, gate = torch.matmul(m, w[p + "mlp.up_gate_proj.weight"].t()).split(I, dim=-1)
        if variant == "swapped_up_gate":
            up, gate = gate, up
        if variant == "silu":
            g = gate * torch.sigmoid(gate)
        else:
            g = 0.5 * gate * (1.0 + torch.erf(gate / math.sqrt(2.0)))
        d = torch.matmul(g * up, w[p + "mlp.down_proj.weight"].t()) + w[p + "mlp.down_proj.bias"]
        h = h + d if prenorm else ln(h + d, "mlp_ln")
    return h


def gte_angles_numpy(sh, S):
    """B's rotation angles theta[t, j] = t * inv_freq_j in numpy float32
    (np.outer), inv_freq_j = float32(1) / float32(base ** (j / d)) with base
    = rope_theta * factor and the power in double, rounded once, then
    divided in float32 by float32(factor ** (2 / d)): asserted bit-identical
    to A's torch table (gte_rotary_info)."""
    d = sh["hidden"] // sh["heads"]
    theta, f = sh["rope_theta"], sh["rope_factor"]
    base = theta * f if f > 1 else theta
    inv = np.float32(1.0) / np.array([base ** (j / d) for j in range(0, d, 2)]).astype(np.float32)
    if f > 1:
        inv = inv / np.float32(f ** (2 / d))
    assert inv.dtype == np.float32
    return np.outer(np.arange(S, dtype=np.float32), inv).astype(np.float32)


class GteB(torch.nn.Module):
    """nn.Embedding (word; token type where type_vocab_size > 0) +
    nn.LayerNorm; per layer nn.Linear Q, K, V with bias (qkv_proj's three
    row blocks and bias thirds), the rotation as a complex multiplication of
    (x_j + i x_{j + d/2}) by e^{i theta} (theta from gte_angles_numpy; cos
    and sin by torch in float32, as HF's table), nn.MultiheadAttention
    (identity in-projection with zero bias, out_proj = o_proj with its bias,
    key_padding_mask), nn.LayerNorm attn_ln, nn.Linear up and gate
    (up_gate_proj's two row blocks, no bias) with nn.GELU on the gate,
    nn.Linear down, nn.LayerNorm mlp_ln."""

    def __init__(self, w, sh):
        super().__init__()
        H, I, nh = sh["hidden"], sh["inter"], sh["heads"]
        self.sh, self.nh, self.hd = sh, nh, H // nh
        f64 = dict(dtype=torch.float64)
        with torch.no_grad():
            self.word = torch.nn.Embedding(sh["vocab"], H, **f64)
            self.word.weight.copy_(w["embeddings.word_embeddings.weight"])
            self.typ = None
            if sh["typevocab"] > 0:
                self.typ = torch.nn.Embedding(sh["typevocab"], H, **f64)
                self.typ.weight.copy_(w["embeddings.token_type_embeddings.weight"])
            self.eln = torch.nn.LayerNorm(H, eps=1e-12, **f64)
            self.eln.weight.copy_(w["embeddings.LayerNorm.weight"])
            self.eln.bias.copy_(w["embeddings.LayerNorm.bias"])
            self.layers = torch.nn.ModuleList()
            for i in range(sh["layers"]):
                p = "encoder.layer.%d." % i
                m = torch.nn.ModuleDict({
                    "q": torch.nn.Linear(H, H, **f64), "k": torch.nn.Linear(H, H, **f64),
                    "v": torch.nn.Linear(H, H, **f64),
                    "attn": torch.nn.MultiheadAttention(H, nh, dropout=0.0, bias=True, batch_first=True, **f64),
                    "attn_ln": torch.nn.LayerNorm(H, eps=1e-12, **f64),
                    "up": torch.nn.Linear(H, I, bias=False, **f64), "gate": torch.nn.Linear(H, I, bias=False, **f64),
                    "act": torch.nn.GELU(), "down": torch.nn.Linear(I, H, **f64),
                    "mlp_ln": torch.nn.LayerNorm(H, eps=1e-12, **f64)})
                wqkv, bqkv = w[p + "attention.qkv_proj.weight"], w[p + "attention.qkv_proj.bias"]
                for j, n in enumerate("qkv"):
                    m[n].weight.copy_(wqkv[j * H:(j + 1) * H])
                    m[n].bias.copy_(bqkv[j * H:(j + 1) * H])
                m["attn"].in_proj_weight.copy_(torch.eye(H, dtype=torch.float64).repeat(3, 1))
                m["attn"].in_proj_bias.zero_()
                m["attn"].out_proj.weight.copy_(w[p + "attention.o_proj.weight"])
                m["attn"].out_proj.bias.copy_(w[p + "attention.o_proj.bias"])
                for n in ("attn_ln", "mlp_ln"):
                    m[n].weight.copy_(w[p + n + ".weight"])
                    m[n].bias.copy_(w[p + n + ".bias"])
                wug = w[p + "mlp.up_gate_proj.weight"]
                m["up"].weight.copy_(wug[:I])
                m["gate"].weight.copy_(wug[I:])
                m["down"].weight.copy_(w[p + "mlp.down_proj.weight"])
                m["down"].bias.copy_(w[p + "mlp.down_proj.bias"])
                self.layers.append(m)
        self.eval()

    def rotate(self, x, rot):
        return complex_rotate(x, rot, self.nh, self.hd)

    def forward(self, ids, mask, tt):
        S = ids.shape[1]
        th = torch.from_numpy(gte_angles_numpy(self.sh, S))
        rot = torch.complex(torch.cos(th), torch.sin(th)).to(torch.complex128)
        x = self.word(ids)
        if self.typ is not None:
            x = x + self.typ(tt)
        else:
            assert not bool(tt.any())
        h = self.eln(x)
        kpm = mask == 0
        for m in self.layers:
            q, k = self.rotate(m["q"](h), rot), self.rotate(m["k"](h), rot)
            a, _ = m["attn"](q, k, m["v"](h), key_padding_mask=kpm, need_weights=False)
            h = m["attn_ln"](h + a)
            h = m["mlp_ln"](h + m["down"](m["act"](m["gate"](h)) * m["up"](h)))
        return h


def gte_rotary_info(sh):
    """The float32 rotary table over every position (max_position_embeddings),
    for the report: B's numpy angles against A's torch ones (must be
    equal), the inv_freq values with and without the NTK scaling, the
    table's distance from the plain (unscaled) one, and, with glibc through
    ctypes (None without it), the C engine's expression 1.0f /
    powf((float)(theta * f), (float)(2i) / (float)d) / (float)pow(f, 2.0 / d)
    against torch's inv_freq, and glibc's cosf / sinf against torch's
    cos / sin."""
    S = sh["maxpos"]
    d = sh["hidden"] // sh["heads"]
    theta, f = sh["rope_theta"], sh["rope_factor"]
    inv_t = gte_inv_freq(sh).numpy()
    inv_plain = gte_inv_freq(sh, "no_ntk").numpy()
    th_t = torch.einsum("i,j->ij", torch.arange(S, dtype=torch.float32), torch.from_numpy(inv_t)).numpy()
    th_n = gte_angles_numpy(sh, S)
    assert th_t.dtype == th_n.dtype == np.float32 and (th_t.view(np.uint32) == th_n.view(np.uint32)).all()
    c_t, s_t = gte_rotary_cos_sin(sh, S)
    c_t, s_t = c_t.numpy(), s_t.numpy()
    half = d // 2
    assert (c_t[:, :half] == c_t[:, half:]).all() and (s_t[:, :half] == s_t[:, half:]).all()
    c_t, s_t = c_t[:, :half], s_t[:, :half]
    assert (c_t == torch.cos(torch.from_numpy(th_n)).numpy()).all() and \
        (s_t == torch.sin(torch.from_numpy(th_n)).numpy()).all()
    engine = None
    try:
        import ctypes
        import ctypes.util
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        for fn, nargs in (("powf", 2), ("cosf", 1), ("sinf", 1)):
            getattr(libm, fn).restype = ctypes.c_float
            getattr(libm, fn).argtypes = [ctypes.c_float] * nargs
        div = np.float32(f ** (2.0 / d)) if f > 1 else np.float32(1.0)
        inv_e = np.array([np.float32(np.float32(1.0) / np.float32(libm.powf(float(np.float32(theta * f)),
                                                                              float(np.float32(j) / np.float32(d)))))
                          / div for j in range(0, d, 2)], dtype=np.float32)
        c_g = np.array([libm.cosf(float(x)) for x in th_t.ravel()], dtype=np.float32).reshape(th_t.shape)
        s_g = np.array([libm.sinf(float(x)) for x in th_t.ravel()], dtype=np.float32).reshape(th_t.shape)
        engine = {"inv_freq_engine_expression_vs_torch_ulps":
                  [int(a) - int(b) for a, b in zip(inv_e.view(np.int32), inv_t.view(np.int32))],
                  "cos_sin_torch_vs_glibc_entries": int((c_t != c_g).sum() + (s_t != s_g).sum())}
    except (OSError, AttributeError):
        pass
    th_p = np.outer(np.arange(S, dtype=np.float64), inv_plain.astype(np.float64))
    return {"S": S, "rope_theta": theta, "factor": f, "ntk_base": theta * f,
            "ntk_divisor": f ** (2 / d), "inv_freq_float32": [float(x) for x in inv_t],
            "inv_freq_plain_float32": [float(x) for x in inv_plain],
            "angles_torch_vs_numpy_float32": "identical",
            "max_angle_ntk_vs_plain_rad": float(np.abs(th_t.astype(np.float64) - th_p).max()),
            "engine_glibc": engine, "entries": 2 * c_t.size}


# ---------------------------------------------------------------------------
# JinaBert (jinaai/jina-bert-implementation's modeling_bert.py,
# JinaBertModel, post-LayerNorm, ALiBi, GeGLU; and jina_code,
# jinaai/jina-bert-v2-qk-post-norm's): reference A from primitives, B from
# nn modules
# ---------------------------------------------------------------------------
# the variants (information only) that change the ALiBi table
JINA_ALIBI_VARIANTS = ("no_alibi", "causal_alibi", "next_pow2_slopes")


def jina_alibi_head_slopes(n):
    """JinaBertEncoder._get_alibi_head_slopes in Python floats: for n a
    power of two, start = 2 ** (-2 ** -(log2(n) - 3)) and [start * start **
    i for i in range(n)]; else the slopes of the power of two below n, then
    every other slope of twice that power, as many as are missing."""
    def power_of_2(m):
        start = 2 ** (-2 ** -(math.log2(m) - 3))
        return [start * start ** i for i in range(m)]
    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + jina_alibi_head_slopes(2 * closest)[0::2][: n - closest]


@functools.lru_cache(maxsize=None)
def jina_alibi(n_heads, size, variant=None):
    """JinaBertEncoder.rebuild_alibi_tensor(size) as torch computes it:
    relative_position = |arange(size)[None, :] - arange(size)[:, None]|
    (int64) expanded over the heads, slopes = torch.Tensor(the Python
    slopes) (float32), alibi = slopes[:, None, None] * -relative_position (a
    float32 tensor), unsqueezed to [1, heads, size, size]; the forward slices
    [:, :, :L, :L] and adds it to the extended attention mask.  Variants
    (information only): "no_alibi" zeros, "causal_alibi" the one-sided
    distance max(i - j, 0) (keys after the query get no bias, nothing is
    masked), "next_pow2_slopes" the first n_heads slopes of the next power
    of two (8 heads' for 6 or 4)."""
    context_position = torch.arange(size)[:, None]
    memory_position = torch.arange(size)[None, :]
    if variant == "causal_alibi":
        relative_position = (context_position - memory_position).clamp(min=0)
    else:
        relative_position = torch.abs(memory_position - context_position)
    relative_position = relative_position.unsqueeze(0).expand(n_heads, -1, -1)
    if variant == "next_pow2_slopes":
        slopes = torch.Tensor(jina_alibi_head_slopes(2 ** (math.floor(math.log2(n_heads)) + 1))[:n_heads])
    else:
        slopes = torch.Tensor(jina_alibi_head_slopes(n_heads))
    alibi = slopes.unsqueeze(1).unsqueeze(1) * -relative_position
    assert alibi.dtype == torch.float32
    if variant == "no_alibi":
        alibi = torch.zeros_like(alibi)
    return alibi.unsqueeze(0)


def jina_embeddings_bias(w, sh, ids, mask, tt, variant=None):
    """JinaBertModel's embeddings and attention bias, from torch
    primitives: x = LayerNorm(word + token type) (no position table), and
    the extended mask (finfo.min on padded keys) + alibi[:, :, :L, :L] (the
    float32 table of jina_alibi, variant one of JINA_ALIBI_VARIANTS or
    anything else for none, cast to the model's dtype), [B, heads, S, S].
    Returns (x, bias)."""
    S = ids.shape[1]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][tt]
    h = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], 1e-12)
    dt = h.dtype
    alibi = jina_alibi(sh["heads"], max(sh["maxpos"], S), variant if variant in JINA_ALIBI_VARIANTS else None)
    alibi = alibi[:, :, :S, :S].to(dt)
    ext = (1.0 - mask[:, None, None, :].to(dt)) * torch.finfo(dt).min
    return h, ext + alibi


def jina_a(w, sh, ids, mask, tt, variant=None):
    """JinaBertModel's forward (position_embedding_type alibi,
    feed_forward_type geglu, eval) from torch primitives: x =
    LayerNorm(word + token type) (no position table); per layer BERT's
    attention with scores / sqrt(d) + (extended mask (finfo.min on padded
    keys) + alibi[:, :, :L, :L], the float32 table of jina_alibi cast to the
    model's dtype), softmax, . v, attention.output.dense,
    attention.output.LayerNorm(+ x) -> h1; JinaBertGLUMLP: g = h1 .
    gated_layersT, GELU_erf(g[..., :I]) * g[..., I:], mlp.wo,
    mlp.layernorm(+ h1).  variant (information only, to see that the checks
    notice): the ALiBi ones of jina_alibi, "swapped_glu_halves" the GELU on
    the second half, "tanh_gelu" the tanh approximation for erf GELU,
    "no_mlp_residual" mlp.layernorm without the residual h1."""
    nh, I = sh["heads"], sh["inter"]
    eps = 1e-12
    h, bias = jina_embeddings_bias(w, sh, ids, mask, tt, variant)
    for i in range(sh["layers"]):
        p = "encoder.layer.%d." % i
        h1 = bert_attention(w, p, h, bias, nh, eps)
        g = torch.matmul(h1, w[p + "mlp.gated_layers.weight"].t())
        gated, non_gated = g[..., :I], g[..., I:]
        if variant == "swapped_glu_halves":
            gated, non_gated = non_gated, gated
        if variant == "tanh_gelu":
            a = 0.5 * gated * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (gated + 0.044715 * gated ** 3)))
        else:
            a = 0.5 * gated * (1.0 + torch.erf(gated / math.sqrt(2.0)))
        out = linear(a * non_gated, w[p + "mlp.wo.weight"], w[p + "mlp.wo.bias"])
        h = layer_norm(out if variant == "no_mlp_residual" else out + h1,
                       w[p + "mlp.layernorm.weight"], w[p + "mlp.layernorm.bias"], eps)
    return h


# jina_code's variants (information only): no ALiBi, and its three
# differences from jina's layer each undone
JINA_CODE_VARIANTS = ("no_alibi", "no_qk_norm", "no_second_residual", "gelu_first_half")


def jina_code_a(w, sh, ids, mask, tt, variant=None):
    """JinaBertModel of jinaai/jina-bert-v2-qk-post-norm (jina-embeddings-
    v2-base-code; eval) from torch primitives: jina's embeddings and
    attention bias (jina_embeddings_bias); per layer, x the layer input,
    q = layer_norm_q(x . queryT + b), k = layer_norm_k(x . keyT + b) over the
    whole width (bert_attention's qk_norm), softmax(q_h k_hT / sqrt(d) +
    bias) v_h, a = attention.output.LayerNorm(dense + x); b =
    layer_norm_1(a + x) (JinaBertLayer adds its input again); JinaBertGLUMLP:
    u = b . up_gated_layerT (no bias), u[..., :I] * GELU_erf(u[..., I:]) (the
    second half activated), down_layer; x = layer_norm_2(down + b).
    variant (information only): "no_alibi", "no_qk_norm" (q and k
    unnormalised), "no_second_residual" (layer_norm_1(a)), "gelu_first_half"
    (the GELU on u[..., :I], as jina's gated_layers)."""
    nh, I = sh["heads"], sh["inter"]
    eps = 1e-12
    h, bias = jina_embeddings_bias(w, sh, ids, mask, tt, variant)
    for i in range(sh["layers"]):
        p = "encoder.layer.%d." % i
        a = bert_attention(w, p, h, bias, nh, eps, qk_norm=variant != "no_qk_norm")
        b = layer_norm(a if variant == "no_second_residual" else a + h,
                       w[p + "layer_norm_1.weight"], w[p + "layer_norm_1.bias"], eps)
        u = torch.matmul(b, w[p + "mlp.up_gated_layer.weight"].t())
        up, gated = u[..., :I], u[..., I:]
        if variant == "gelu_first_half":
            up, gated = gated, up
        f = up * (0.5 * gated * (1.0 + torch.erf(gated / math.sqrt(2.0))))
        h = layer_norm(linear(f, w[p + "mlp.down_layer.weight"], w[p + "mlp.down_layer.bias"]) + b,
                       w[p + "layer_norm_2.weight"], w[p + "layer_norm_2.bias"], eps)
    return h


def jina_slopes_closed_form(n):
    """B's slopes, float32: with p the power of two at or below n, head h < p
    has 2^(-8 (h + 1) / p), head h >= p the odd-numbered slopes of 2p heads,
    2^(-8 (2 (h - p) + 1) / (2 p)), from np.exp2 (the closed form of the
    recursion; asserted bit-identical to A's torch slopes)."""
    p = 1 << (n.bit_length() - 1)
    e = [-8.0 * (h + 1) / p if h < p else -8.0 * (2 * (h - p) + 1) / (2 * p) for h in range(n)]
    return np.exp2(np.array(e, dtype=np.float64)).astype(np.float32)


def jina_alibi_numpy(n_heads, S):
    """B's ALiBi bias [heads, S, S], numpy float32: -slope_h * |i - j| with
    the distances from np.subtract.outer and the closed-form slopes."""
    ar = np.arange(S, dtype=np.int64)
    # negated as integers, as torch's -relative_position (a float -0.0 on
    # the diagonal would differ from A's +0.0 in its bits)
    neg_dist = (-np.abs(np.subtract.outer(ar, ar))).astype(np.float32)
    out = jina_slopes_closed_form(n_heads)[:, None, None] * neg_dist[None]
    assert out.dtype == np.float32
    return out


class JinaB(torch.nn.Module):
    """nn.Embedding (word, token type) + nn.LayerNorm; per layer
    nn.MultiheadAttention (in-projection = query, key, value with their
    biases, out_proj = attention.output.dense) given the ALiBi bias of
    jina_alibi_numpy as a float attn_mask [batch * heads, S, S] (added to
    q/sqrt(d) . k) and the padding as key_padding_mask, nn.LayerNorm, then
    nn.Linear gate and up (mlp.gated_layers' two row blocks, no bias) with
    nn.GELU on the gate, nn.Linear wo, nn.LayerNorm (mlp.layernorm)."""

    def __init__(self, w, sh):
        super().__init__()
        H = sh["hidden"]
        self.nh, self.maxpos = sh["heads"], sh["maxpos"]
        with torch.no_grad():
            self.word = torch.nn.Embedding(sh["vocab"], H, dtype=torch.float64)
            self.word.weight.copy_(w["embeddings.word_embeddings.weight"])
            self.typ = torch.nn.Embedding(sh["typevocab"], H, dtype=torch.float64)
            self.typ.weight.copy_(w["embeddings.token_type_embeddings.weight"])
            self.eln = self.layer_norm(w, "embeddings.LayerNorm", H)
            self.layers = torch.nn.ModuleList(self.make_layer(w, sh, "encoder.layer.%d." % i)
                                              for i in range(sh["layers"]))
        self.eval()

    @staticmethod
    def layer_norm(w, name, H):
        """nn.LayerNorm (eps 1e-12) holding name's weight and bias (under no_grad)."""
        n = torch.nn.LayerNorm(H, eps=1e-12, dtype=torch.float64)
        n.weight.copy_(w[name + ".weight"])
        n.bias.copy_(w[name + ".bias"])
        return n

    @classmethod
    def make_layer(cls, w, sh, p):
        H, I, nh = sh["hidden"], sh["inter"], sh["heads"]
        f64 = dict(dtype=torch.float64)
        m = torch.nn.ModuleDict({
            "attn": torch.nn.MultiheadAttention(H, nh, dropout=0.0, bias=True, batch_first=True, **f64),
            "ln1": cls.layer_norm(w, p + "attention.output.LayerNorm", H),
            "gate": torch.nn.Linear(H, I, bias=False, **f64), "up": torch.nn.Linear(H, I, bias=False, **f64),
            "act": torch.nn.GELU(), "wo": torch.nn.Linear(I, H, **f64),
            "ln2": cls.layer_norm(w, p + "mlp.layernorm", H)})
        copy_bert_attention(m["attn"], w, p)
        gl = w[p + "mlp.gated_layers.weight"]
        m["gate"].weight.copy_(gl[:I])
        m["up"].weight.copy_(gl[I:])
        m["wo"].weight.copy_(w[p + "mlp.wo.weight"])
        m["wo"].bias.copy_(w[p + "mlp.wo.bias"])
        return m

    @staticmethod
    def layer(m, h, kpm, am):
        a, _ = m["attn"](h, h, h, key_padding_mask=kpm, attn_mask=am, need_weights=False)
        h1 = m["ln1"](h + a)
        return m["ln2"](h1 + m["wo"](m["act"](m["gate"](h1)) * m["up"](h1)))

    def forward(self, ids, mask, tt):
        B, S = ids.shape
        bias = torch.from_numpy(jina_alibi_numpy(self.nh, S))
        # the same float32 values as A's torch table (for these S positions)
        assert torch.equal(bias, jina_alibi(self.nh, max(self.maxpos, S))[0, :, :S, :S])
        am = bias.to(torch.float64).unsqueeze(0).expand(B, self.nh, S, S).reshape(B * self.nh, S, S)
        kpm = mask == 0
        h = self.eln(self.word(ids) + self.typ(tt))
        for m in self.layers:
            h = self.layer(m, h, kpm, am)
        return h


class JinaCodeB(JinaB):
    """JinaB's embeddings and ALiBi attn_mask with jina_code's layer: per
    layer nn.Linear query, key and value, nn.LayerNorm layer_norm_q /
    layer_norm_k on the first two, nn.MultiheadAttention with an identity
    in-projection (zero in-projection bias: it gets the normed q and k and
    the v as they are) and out_proj = attention.output.dense, nn.LayerNorm
    (attention.output.LayerNorm) of the layer input + its output, nn.LayerNorm
    layer_norm_1 of that + the layer input, nn.Linear up and gate
    (mlp.up_gated_layer's two row blocks, no bias) with nn.GELU on the gate,
    nn.Linear down_layer, nn.LayerNorm layer_norm_2."""

    @classmethod
    def make_layer(cls, w, sh, p):
        H, I, nh = sh["hidden"], sh["inter"], sh["heads"]
        f64 = dict(dtype=torch.float64)

        def lin(name, n_in, n_out):
            t = torch.nn.Linear(n_in, n_out, **f64)
            t.weight.copy_(w[name + ".weight"])
            t.bias.copy_(w[name + ".bias"])
            return t
        m = torch.nn.ModuleDict({
            "q": lin(p + "attention.self.query", H, H), "k": lin(p + "attention.self.key", H, H),
            "v": lin(p + "attention.self.value", H, H),
            "lnq": cls.layer_norm(w, p + "attention.self.layer_norm_q", H),
            "lnk": cls.layer_norm(w, p + "attention.self.layer_norm_k", H),
            "attn": torch.nn.MultiheadAttention(H, nh, dropout=0.0, bias=True, batch_first=True, **f64),
            "lno": cls.layer_norm(w, p + "attention.output.LayerNorm", H),
            "ln1": cls.layer_norm(w, p + "layer_norm_1", H),
            "up": torch.nn.Linear(H, I, bias=False, **f64), "gate": torch.nn.Linear(H, I, bias=False, **f64),
            "act": torch.nn.GELU(), "down": lin(p + "mlp.down_layer", I, H),
            "ln2": cls.layer_norm(w, p + "layer_norm_2", H)})
        a = m["attn"]
        a.in_proj_weight.copy_(torch.eye(H, **f64).repeat(3, 1))
        a.in_proj_bias.zero_()
        a.out_proj.weight.copy_(w[p + "attention.output.dense.weight"])
        a.out_proj.bias.copy_(w[p + "attention.output.dense.bias"])
        ug = w[p + "mlp.up_gated_layer.weight"]
        m["up"].weight.copy_(ug[:I])
        m["gate"].weight.copy_(ug[I:])
        return m

    @staticmethod
    def layer(m, h, kpm, am):
        q, k = m["lnq"](m["q"](h)), m["lnk"](m["k"](h))
        a, _ = m["attn"](q, k, m["v"](h), key_padding_mask=kpm, attn_mask=am, need_weights=False)
        a = m["lno"](h + a)
        b = m["ln1"](a + h)
        return m["ln2"](b + m["down"](m["up"](b) * m["act"](m["gate"](b))))


def jina_alibi_info(sh):
    """The ALiBi table over every position (max_position_embeddings), for the
    report: the slopes (Python floats, then torch's float32), B's
    closed-form float32 slopes and numpy table against A's torch ones (must
    be equal), the C engine's expression (float)(start * pow(start, i)) with
    start = pow(2, -pow(2, -(log2(n) - 3))) in double (libm's pow, as Python's
    math.pow), the slopes of the next power of two, and the bias at the
    largest distance."""
    nh, S = sh["heads"], sh["maxpos"]
    py = jina_alibi_head_slopes(nh)
    t32 = torch.Tensor(py).numpy()
    cf = jina_slopes_closed_form(nh)
    assert (t32.view(np.uint32) == cf.view(np.uint32)).all(), (t32, cf)
    tab = jina_alibi(nh, S)[0].numpy()
    assert (tab.view(np.uint32) == jina_alibi_numpy(nh, S).view(np.uint32)).all()
    p2 = 1 << (nh.bit_length() - 1)
    eng = []
    for h in range(nh):
        n, i = (p2, h) if h < p2 else (2 * p2, 2 * (h - p2))
        start = math.pow(2.0, -math.pow(2.0, -(math.log2(n) - 3.0)))
        eng.append(float(np.float32(start * math.pow(start, i))))
    nxt = jina_alibi_head_slopes(2 ** (math.floor(math.log2(nh)) + 1))[:nh]
    return {"S": S, "heads": nh, "slopes_python": py, "slopes_float32": [float(x) for x in t32],
            "slopes_as_powers_of_2": [float(np.log2(x)) for x in t32],
            "closed_form_and_numpy_table_vs_torch": "identical",
            "engine_expression_vs_torch": "identical" if eng == [float(x) for x in t32] else eng,
            "next_power_of_2_slopes": nxt,
            "bias_at_distance_%d" % (S - 1): [float(x) for x in tab[:, 0, S - 1]]}


def pool(h, mask, pooling, normalize):
    m = mask.to(h.dtype).unsqueeze(-1)
    if pooling == "cls":
        x = h[:, 0]
    elif pooling == "mean":
        x = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
    elif pooling == "max":
        x = h.masked_fill(m == 0, -float("inf")).max(1).values
    else:
        raise ValueError(pooling)
    if normalize:
        x = x / x.norm(dim=-1, keepdim=True).clamp(min=1e-12)
    return x


# ---------------------------------------------------------------------------
# sentence-transformers Dense modules (after pooling, before Normalize)
# ---------------------------------------------------------------------------
def dense_a(x, dws, sh):
    """A: torch.nn.functional.linear + torch.tanh, module after module."""
    for dm, (W, b) in zip(sh["dense"], dws):
        x = torch.nn.functional.linear(x, W, b)
        if dm["act"] == "tanh":
            x = torch.tanh(x)
        elif dm["act"] != "identity":
            raise ValueError(dm["act"])
    return x


def dense_b(dws, sh):
    """B: torch.nn.Linear + nn.Tanh / nn.Identity modules holding the same weights."""
    mods = []
    with torch.no_grad():
        for dm, (W, b) in zip(sh["dense"], dws):
            lin = torch.nn.Linear(dm["inp"], dm["out"], bias=dm["bias"], dtype=torch.float64)
            lin.weight.copy_(W)
            if dm["bias"]:
                lin.bias.copy_(b)
            mods += [lin, torch.nn.Tanh() if dm["act"] == "tanh" else torch.nn.Identity()]
    return torch.nn.Sequential(*mods).eval()


def dense_matmul(x, dws, sh):
    """C: explicit row-by-column sums and tanh = 1 - 2 / (exp(2y) + 1)."""
    for dm, (W, b) in zip(sh["dense"], dws):
        y = (x[:, None, :] * W[None, :, :]).sum(-1)
        if b is not None:
            y = y + b
        x = 1.0 - 2.0 / (torch.exp(2.0 * y) + 1.0) if dm["act"] == "tanh" else y
    return x


def prompt_pool_mask(mask, prompt_length):
    """The mask pooling uses when the Pooling config sets include_prompt false:
    sentence-transformers' Pooling.forward sets attention_mask[:, :prompt_length]
    = 0 after the transformer ran with the full mask, so [CLS] and the prompt's
    own tokens are left out of mean/max pooling (but were attended to)."""
    m = mask.clone()
    m[:, :prompt_length] = 0
    return m


def pool_sliced(h, rows, prompt_length, normalize):
    """The same mean pooling without a mask: each sequence's hidden states
    h[b, prompt_length:len] averaged in numpy (zeros when none is left), then
    x / max(||x||, 1e-12).  A cross-check of prompt_pool_mask + pool."""
    out = np.zeros((len(rows), h.shape[-1]))
    for b, r in enumerate(rows):
        seg = h[b, prompt_length:len(r)].numpy()
        if len(seg):
            out[b] = seg.sum(0) / len(seg)
        if normalize:
            out[b] /= max(float(np.sqrt((out[b] * out[b]).sum())), 1e-12)
    return torch.from_numpy(out)


def embed(h, mask, sh, head=None):
    """Pooled output as the sentence-transformers pipeline computes it:
    pooling, the Dense modules (head) if any, then Normalize."""
    if not sh.get("dense"):
        return pool(h, mask, sh["pooling"], sh["normalize"])
    x = head(pool(h, mask, sh["pooling"], False))
    if sh["normalize"]:
        x = x / x.norm(dim=-1, keepdim=True).clamp(min=1e-12)
    return x


def pad_batch(rows, type_rows, pad_id=0):
    """Right-padded batch with pad_id (MPNet: its pad_token_id 1, as HF pads)."""
    B, S = len(rows), max(len(r) for r in rows)
    ids = torch.full((B, S), pad_id, dtype=torch.long)
    mask = torch.zeros(B, S, dtype=torch.long)
    tt = torch.zeros(B, S, dtype=torch.long)
    for b, r in enumerate(rows):
        ids[b, :len(r)] = torch.tensor(r)
        mask[b, :len(r)] = 1
        if type_rows is not None:
            tt[b, :len(r)] = torch.tensor(type_rows[b])
    return ids, mask, tt


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
def rand_row(rng, n, V, cls=101, sep=102):
    if n == 1:
        return [cls]
    r = [int(x) for x in rng.integers(999, V, size=n)]
    r[0], r[-1] = cls, sep
    return r


def id_cases_for(shape, rng):
    sh = SHAPES[shape]
    # nomic: random ids among the tokenizer's 30522, not the 30528 padded rows
    V = sh.get("tok_vocab", sh["vocab"])
    # MPNet's rows are <s> ... </s> (0, 2); the random ids (>= 999) never hit
    # its pad id 1
    # (xlmr's are <s> ... </s> too)
    cls, sep = (0, 2) if is_mpnet(sh) else sh.get("cls_sep", (101, 102))
    roberta = is_roberta(sh)
    if sh["maxpos"] >= 512:
        mixed = [1, 2, 7, 33, 128, 300, 512] if shape != "multi" else [1, 2, 5, 64, 128, 200]
    else:
        mixed = [1, 2, 7, 33, 64, 128]
    cases = [dict(name="mixed_lengths", ids=[rand_row(rng, n, V, cls, sep) for n in mixed], type_ids=None,
                  hidden=(shape in ("minilm", "mpnet", "xlmroberta", "roberta", "rerank", "rerank_xlmr")))]
    # (nomic keeps its hidden states for long_rotary below: golden.bin stays small)
    lens = [int(x) for x in rng.integers(3, 41, size=6)]
    cases.append(dict(name="random_batch", ids=[rand_row(rng, n, V, cls, sep) for n in lens], type_ids=None,
                      hidden=False))
    rows, types = [], []
    for n1, n2 in [(5, 7), (12, 3), (1, 1), (20, 30)]:
        a = [int(x) for x in rng.integers(999, V, size=n1)]
        b = [int(x) for x in rng.integers(999, V, size=n2)]
        rows.append([cls] + a + [sep] + b + [sep])
        types.append([0] * (n1 + 2) + [1] * (n2 + 1))
    cases.append(dict(name="pairs_type_ids", ids=rows, type_ids=types, hidden=False))
    cases.append(dict(name="single", ids=[rand_row(rng, 12, V, cls, sep)], type_ids=None, hidden=False))
    if is_distil(sh) or is_mpnet(sh) or roberta or is_modernbert(sh) or is_gte(sh) or is_nomic_moe(sh):
        # DistilBERT, MPNet, ModernBERT and gte have no token types,
        # XLM-RoBERTa, rerank_gte and nomic_moe one: the pairs case is
        # dropped (after its ids were drawn, so the other cases are what they
        # would be)
        cases = [c for c in cases if c["type_ids"] is None]
    if is_mpnet(sh) or roberta:
        # literal <pad> tokens (id 1) inside the rows: attended to, but at
        # position padding_idx, and the count of positions does not advance
        def ids(n):
            return [int(x) for x in rng.integers(999, V, size=n)]
        P = MPNET_PAD
        rows = [[0] + ids(2) + [P] + ids(3) + [2],
                [0] + ids(2) + [P, P, P] + ids(1) + [2],
                [0, P] + ids(4) + [2],
                [0] + ids(5) + [P, 2],
                [0] + ids(7) + [2]]
        long_row = ids(200)
        for j in sorted(int(x) for x in rng.choice(200, size=12, replace=False)):
            long_row[j] = P
        rows.append([0] + long_row + [2])
        cases.append(dict(name="pad_inside", ids=rows, type_ids=None, hidden=False))
    if is_nomic(sh):
        # rotary positions far beyond 1024 (1500 tokens), and two short rows
        # right-padded to 1500 in the same batch (their positions must stay
        # 0..len-1): hidden states stored (drawn after the others, so they are
        # what they would be)
        cases.append(dict(name="long_rotary", ids=[rand_row(rng, n, V, cls, sep) for n in NOMIC_LONG_ROWS],
                          type_ids=None, hidden=True))
    if is_modernbert(sh):
        # as nomic's: rotary positions up to max_position_embeddings - 1
        # (1023), two short rows right-padded to 1024 in the same batch, and
        # the local layers' windows over the long row; hidden states stored
        cases.append(dict(name="long_rotary", ids=[rand_row(rng, n, V, cls, sep) for n in MODERNBERT_LONG_ROWS],
                          type_ids=None, hidden=True))
    if is_gte(sh):
        # as modernbert's: rotary positions up to max_position_embeddings - 1
        # (1023, on the NTK-scaled table), two short rows right-padded to
        # 1024 in the same batch; hidden states stored
        cases.append(dict(name="long_rotary", ids=[rand_row(rng, n, V, cls, sep) for n in GTE_LONG_ROWS],
                          type_ids=None, hidden=True))
    if is_jina(sh):
        # as gte's long_rotary: ALiBi over distances up to
        # max_position_embeddings - 1 (1023), two short rows right-padded to
        # 1024 in the same batch; hidden states stored
        cases.append(dict(name="long_alibi", ids=[rand_row(rng, n, V, cls, sep) for n in JINA_LONG_ROWS],
                          type_ids=None, hidden=True))
    return cases


# nomic's long_rotary case: row lengths
NOMIC_LONG_ROWS = [1500, 33, 1]
# modernbert's (max_position_embeddings 1024)
MODERNBERT_LONG_ROWS = [1024, 33, 1]
# gte's and rerank_gte's (max_position_embeddings 1024)
GTE_LONG_ROWS = [1024, 33, 1]
# jina's and rerank_jina's long_alibi (max_position_embeddings 1024)
JINA_LONG_ROWS = [1024, 33, 1]


def sts_sentences(k):
    out = []
    with open(os.path.join(DATA, "stsbenchmark", "sts-dev.csv"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    for i in range(0, len(lines), max(1, len(lines) // k)):
        p = lines[i].split("\t")
        if len(p) >= 7:
            out.append(p[5])
            if len(out) >= k:
                break
    return out


def long_text():
    with open(os.path.join(DATA, "wikitext-2", "test.txt"), encoding="utf-8") as f:
        words = f.read().split()
    return " ".join(words[:4000])


# MPNet's own special tokens inside texts: a literal <pad> (position
# padding_idx, the count does not advance), <mask> (lstrip), <s> / </s>,
# <unk> (normalized, so "<UNK>" too) and [UNK]
MPNET_SPECIAL_TEXTS = [
    "before <pad> after",
    "a <mask> in the middle",
    "<pad><pad> two pads first, then one at the end <pad>",
    "<s> literal </s> tokens",
    "unknown [UNK] token, <unk> and <UNK>",
    "Hello world",
]


# xlmr: what the Unigram tokenizer's Precompiled (nmt_nfkc) normaliser,
# Metaspace and added tokens do (tests/fixtures/tokenizer/unigram/README.md)
XLMR_TEXTS = [
    "\uff28\uff45\uff4c\uff4c\uff4f \uff57\uff4f\uff52\uff4c\uff44\uff01 \ufb01nance \u2460\u2461 x\u00b2 \uff76\uff9e\uff77\uff9e \u3300",
    "\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430. \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002 \u6211\u4eec\u662f\u4e2d\u56fd\u4eba\u3002",
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac, \u0928\u092e\u0938\u094d\u0924\u0947, \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35, \ud55c\uad6d\uc5b4, \u0645\u0631\u062d\u0628\u0627, \u05e9\u05dc\u05d5\u05dd",
    "a <mask> b",
    "double  spaces   and\ttabs, line\r\nbreak, nbsp\u00a0and\u3000ideographic",
    "<s> literal </s> tokens, <unk>, <pad> and \uff1cmask\uff1e",
    "x\U0001f999\U0001f999\U0001f999y and \U0001f468\u200d\U0001f469\u200d\U0001f467 unknown",
    "\u2460\u0301 \ufb01\u0308 e\u0301 zero\u200bwidth soft\u00adhyphen",
    "",
]


# roberta: what GPT-2's split and the byte-level merges do (contractions,
# space runs, numbers, marks, bytes of one character in several tokens,
# <mask> taking the space before it)
BPE_TEXTS = [
    "I'm sure they'll say it's fine, we've done what you'd do. DON'T SHOUT",
    "a <mask> b",
    "double  spaces   and\ttabs, line\r\nbreak, nbsp\u00a0and\u3000ideographic",
    "numbers 12345 and 3.14159, \u00b2\u2460\u216b\u0663 and e\u0301t\u00e9",
    "\U0001f999\U0001f999 x\U0001f468\u200d\U0001f469\u200d\U0001f467y \u65e5\u672c\u8a9e \ud55c\uad6d\uc5b4",
    "<s> literal </s> tokens, <unk>, <pad> and \uff1cmask\uff1e",
    "https://example.com/path?q=1&r=2 {code: [1, 2]} -- 'quoted' \"double\"",
    "",
]


# modernbert: the modernbert-style tokenizer's added tokens (BERT's specials
# typed in the text, [MASK]'s lstrip, OLMo's non-special |||IP_ADDRESS||| and
# |||EMAIL_ADDRESS|||, the special <|endoftext|> / <|padding|>, the
# four-space token), its NFC normalizer and the byte-level split
MODERNBERT_TEXTS = [
    "[CLS] typed [SEP] specials [MASK] and [PAD] or [UNK] inside",
    "a [MASK] b",
    "<|endoftext|> and <|padding|> are special, |||IP_ADDRESS||| and |||EMAIL_ADDRESS||| are not",
    "four    spaces, eight        spaces, a\ttab and a\nnewline",
    "NFC: e\u0301 and \u00e9, A\u030a and \u00c5, \u1e9b\u0323",
    "I'm sure they'll say it's fine. DON'T SHOUT 12345 3.14159",
    "\U0001f999 x\U0001f468\u200d\U0001f469\u200d\U0001f467y \u65e5\u672c\u8a9e \ud55c\uad6d\uc5b4",
    "search_query: what is the capital of France?",
    "",
]


def text_cases_for(shape):
    sts = sts_sentences(16)
    cases = [
        dict(name="sts_dev", texts=sts[:10]),
        dict(name="sts_dev_2", texts=sts[10:16]),
        dict(name="unicode", texts=[
            "Café déjà vu: naïve résumé, Ångström and Øresund.",
            "我爱自然语言处理。东京是日本的首都。",
            "東京は日本の首都です。",
            "I love pizza 🍕🍕 and 🚀 rockets!",
            "Ελληνικά, русский язык, עברית, العربية",
            "MIXED Case And UPPER CASE words",
            # Python's lower() (do_lower_case) makes the last sigma of a word
            # final, ς, where the tokenizer's own lowercasing gives σ
            "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3 \u039a\u0391\u0399 \u03a3\u039f\u03a6\u039f\u03a3 \u039b\u039f\u0393\u039f\u03a3, \u0130STANBUL",
        ]),
        dict(name="edge", texts=["", "   \t\n  ", "Hello, world!", "a",
                                 "[CLS] literal [SEP] tokens [MASK]", "don't stop-believing... 3.14 $100 #tag @user"]),
        dict(name="long_truncated", texts=[long_text(), "A short one."]),
    ]
    if is_mpnet(SHAPES[shape]):
        cases.append(dict(name="mpnet_special_tokens", texts=MPNET_SPECIAL_TEXTS))
    if shape in ("xlmr", "xlmroberta", "nomic_moe"):
        cases.append(dict(name="xlmr_unigram", texts=XLMR_TEXTS))
    if SHAPES[shape]["tokjson_fixture"] == "../tokenizer/bpe":
        # roberta and jina_code: the byte-level BPE fixture
        cases.append(dict(name="bpe_bytelevel", texts=BPE_TEXTS))
    if is_modernbert(SHAPES[shape]):
        cases.append(dict(name="modernbert_tokens", texts=MODERNBERT_TEXTS))
    return cases


# INSTRUCTOR-style cases (include_prompt false): every text of a case gets the
# case's prompt, joined into one string before tokenizing.
QUERY = "Represent this question for retrieving documents: "


def prompt_text_cases_for(shape):
    sts = sts_sentences(16)
    return [
        dict(name="sts_query", prompt=QUERY, texts=sts),
        dict(name="passage", prompt="passage: ", texts=sts[:4] + ["A short one."]),
        # no prompt (sentence-transformers applies none for ""): nothing skipped
        dict(name="empty_prompt", prompt="", texts=sts[10:13] + ["Hello, world!", ""]),
        # truncation at max_length counts the prompt's tokens
        dict(name="long_truncated_query", prompt=QUERY, texts=[long_text(), "A short one."]),
        # "unbeliev" alone is [CLS] un ##bel ##ie ##v [SEP] (prompt_length 5) but
        # joins "able" into the single token "unbelievable": [CLS] unbelievable
        # [SEP] has no token left after the first 5 (zeros); the longer text
        # keeps its last one, [SEP]
        dict(name="prompt_swallowed", prompt="unbeliev", texts=["able", "able and more words"]),
        # the prompt alone: only its [SEP] is pooled
        dict(name="empty_text_query", prompt=QUERY, texts=["", "What is the capital of France?"]),
    ]


# ---------------------------------------------------------------------------
# cross-encoder pair cases
# ---------------------------------------------------------------------------
def ag_news_descriptions(rows):
    """The description column of rows (0-based) of AG News' test.csv, raw
    (HTML entities, backslashes and leading spaces as they are)."""
    import csv
    with open(os.path.join(DATA, "ag_news", "test.csv"), encoding="utf-8", newline="") as f:
        data = list(csv.reader(f))
    return [data[i][2] for i in rows]


def sts_pairs(k):
    """k sentence pairs (sentence1, sentence2) spread over sts-dev.csv."""
    with open(os.path.join(DATA, "stsbenchmark", "sts-dev.csv"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    for i in range(0, len(lines), max(1, len(lines) // k)):
        p = lines[i].split("\t")
        if len(p) >= 7:
            out.append([p[5], p[6]])
            if len(out) >= k:
                break
    return out


def wiki_words():
    with open(os.path.join(DATA, "wikitext-2", "test.txt"), encoding="utf-8") as f:
        return f.read().split()


def words_with_tokens(shape, words, start, target, exact=False):
    """A text of words[start:start + k] whose content tokens (without the
    special tokens, untruncated) number at least target, k the smallest such;
    with exact, exactly target (trying later starts until one fits).  Each
    word's own count gives an estimate of k (the Unigram tokenizer is not
    quite additive: a space before an added token such as <unk> becomes a
    piece of its own); the texts around it are then tokenized whole."""
    per = [len(r) - 2 for r in tokenize(shape, words[start:start + 3 * target], max_length=1 << 20)]
    for s0 in range(0, 50):
        est = next(k for k in range(1, len(per)) if sum(per[s0:s0 + k]) >= target)
        # (the estimate's error grows with the target, and the byte-level BPE
        # of rerank_modernbert counts a word alone (no leading space) as
        # about 2 tokens, in a text as 1.6: 80 words either side at
        # max_length 512, a third of the target beyond it)
        span = 80 if effective_max_length(shape) <= 512 else target // 3
        ks = list(range(max(1, est - span), est + span))
        texts = [" ".join(words[start + s0:start + s0 + k]) for k in ks]
        counts = [len(r) - 2 for r in tokenize(shape, texts, max_length=1 << 20)]
        assert counts == sorted(counts) and counts[0] < target <= counts[-1], (shape, start + s0, est)
        i = next(i for i, n in enumerate(counts) if n >= target)
        if exact and counts[i] != target:
            continue
        return texts[i]
    raise SystemExit("%s: no text of exactly %d tokens from word %d" % (shape, target, start))


def pair_cases_for(shape):
    """The text cases of a cross-encoder: [a, b] pairs.  The truncation
    case's token counts are for max_length 512 and scale with the shape's
    (rerank_modernbert, 1024: twice as many)."""
    k = effective_max_length(shape) // 512
    ag = ag_news_descriptions([0, 2, 4, 9, 10])
    q_unions = "Why are the unions at Turner Newall disappointed?"
    words = wiki_words()
    return [
        # short questions with 1-3 sentence passages (AG News); one question
        # with two passages, as a reranker sees them
        dict(name="query_passage", pairs=[
            [q_unions, ag[0]],
            [q_unions, ag[2]],
            ["who won a grant to study peptides", ag[1]],
            ["What rules did California adopt against smog from dairy cows?", ag[2]],
            ["How many stolen cards has the UK card fraud unit recovered?", ag[3]],
            ["new high-speed wireless networking standard", ag[4]],
        ]),
        dict(name="sts_pairs", pairs=sts_pairs(4)),
        dict(name="edge", pairs=[
            ["", ""], ["a", ""], ["", "b"],
            ["Café déjà vu: naïve résumé?", "東京は日本の首都です。 我爱自然语言处理。 I love pizza 🍕 Ελληνικά"],
            ["   \t\n  ", "  leading and trailing spaces  "],
            ["MIXED Case Query", "UPPER CASE PASSAGE with [SEP] and </s> typed in"],
        ]),
        # longest_first: a short query keeps all its tokens and the ~700-token
        # passage is cut to the rest; two long texts (~420 and ~380 tokens,
        # then exactly 400 and 400) are cut to half each: BERT 255 + 254 of
        # 509 (512 less [CLS] and two [SEP]), the odd token to the longer
        # text, and to the second when both are as long (the tokenizers
        # crate; transformers' slow Python tokenizers give it to the first);
        # XLM-R 254 + 254 of 508 (512 less four special tokens)
        dict(name="truncation", pairs=[
            ["Who is Robert Boulter?", words_with_tokens(shape, words, 0, 700 * k)],
            [words_with_tokens(shape, words, 1000, 420 * k), words_with_tokens(shape, words, 2000, 380 * k)],
            [words_with_tokens(shape, words, 3000, 400 * k, exact=True),
             words_with_tokens(shape, words, 4000, 400 * k, exact=True)],
        ]),
    ]


def longest_first(n1, n2, max_len):
    """Content tokens kept of a pair of n1 and n2 by the tokenizers crate's
    TruncationStrategy::LongestFirst (max_len: max_length less the special
    tokens the pair gets): only the longer text is cut while the shorter
    one fits in half; otherwise both get half, the odd token going to the
    longer (to the second when they are as long)."""
    if n1 + n2 <= max_len:
        return n1, n2
    swap = n1 > n2
    if swap:
        n1, n2 = n2, n1
    n2 = n1 if n1 > max_len else max(n1, max_len - n1)
    if n1 + n2 > max_len:
        n1 = max_len // 2
        n2 = n1 + max_len % 2
    return (n2, n1) if swap else (n1, n2)


def check_pair_ids(shape, pairs, ids, tids):
    """Each pair's ids and type ids are its two texts' own tokens (each
    tokenized alone, untruncated) in the shape's pair template, the texts cut
    by longest_first.  Returns [((n1, n2) before, (n1, n2) kept)]."""
    sh = SHAPES[shape]
    a = tokenize(shape, [p[0] for p in pairs], max_length=1 << 20)
    b = tokenize(shape, [p[1] for p in pairs], max_length=1 << 20)
    cls, sep = sh.get("cls_sep", (101, 102))
    # BERT's, ModernBERT's and JinaBert's template: [CLS] a [SEP] b [SEP],
    # type ids 0 / 1; XLM-R's (rerank_xlmr, rerank_gte): <s> a </s></s> b
    # </s>, type ids 0
    bert = sh["classifier"] in ("bert", "modernbert", "jina")
    added = 3 if bert else 4
    out = []
    for ra, rb, r, t in zip(a, b, ids, tids):
        assert ra[0] == rb[0] == cls and ra[-1] == rb[-1] == sep
        A, B = ra[1:-1], rb[1:-1]
        n1, n2 = longest_first(len(A), len(B), effective_max_length(shape) - added)
        if bert:
            want = [cls] + A[:n1] + [sep] + B[:n2] + [sep]
            want_t = [0] * (n1 + 2) + [1] * (n2 + 1)
        else:
            want = [cls] + A[:n1] + [sep, sep] + B[:n2] + [sep]
            want_t = [0] * len(want)
        assert r == want and t == want_t, (shape, len(A), len(B), n1, n2, len(r))
        out.append(((len(A), len(B)), (n1, n2)))
    return out


def logits_json(t):
    """A case's logits (one label: one per sequence) as float32 values in
    their shortest decimal form."""
    return [float(str(np.float32(x))) for x in t.reshape(-1).tolist()]


def vocab_tokens(shape, ids):
    with open(os.path.join(VOCAB_DIR, SHAPES[shape]["vocab_fixture"], "vocab.txt"), encoding="utf-8") as f:
        vocab = f.read().split("\n")
    return [vocab[i] for i in ids]


def prompt_length_of(shape, prompt):
    """sentence-transformers' prompt_length: len(tokenizer(prompt)["input_ids"]) - 1
    (the prompt alone, [CLS] ... [SEP], same truncation, less its [SEP]); 0 for
    the empty prompt, which encode() does not apply."""
    return len(tokenize(shape, [prompt])[0]) - 1 if prompt else 0


def tokenize(shape, texts, use_tokjson=None, use_vocab=None, pairs=False, max_length=None):
    """ids of texts (or, with pairs, {"ids", "type_ids"} of [a, b] pairs) by
    the HF tokenizer of the shape (or of use_tokjson's tokenizer.json, or
    the one BertTokenizerFast builds from use_vocab's vocab.txt), truncated
    to max_length (default the shape's)."""
    sh = SHAPES[shape]
    maxlen = max_length or effective_max_length(shape)
    cmd = ["node", TOKENIZE_JS, "--max-length", str(maxlen)]
    tj = None if use_vocab else use_tokjson or sh["tokjson_fixture"]
    if tj:
        cmd += ["--tokenizer-json", os.path.join(VOCAB_DIR, tj, "tokenizer.json")]
    else:
        cmd += ["--vocab", os.path.join(VOCAB_DIR, use_vocab or sh["vocab_fixture"], "vocab.txt")]
        # a vocabulary named for the check (use_vocab) says its own casing
        if not (("uncased" in use_vocab) if use_vocab else sh["lower"]):
            cmd.append("--cased")
    if pairs:
        cmd.append("--pairs")
    elif sh["st"]:
        # sentence-transformers' Transformer.tokenize: str(s).strip(), then
        # s.lower() when sentence_bert_config.json says do_lower_case (as
        # gen_model writes it: the tokenizer's own flag but for nomic), before
        # the tokenizer
        texts = [t.strip().lower() if st_lower(sh) else t.strip() for t in texts]
    r = subprocess.run(cmd, input=json.dumps(texts).encode(), capture_output=True, check=True)
    out = json.loads(r.stdout)
    return out if pairs else out["ids"]


def st_lower(sh):
    """sentence_bert_config.json's do_lower_case: the tokenizer's own flag,
    except where the shape says otherwise (nomic: false, the tokenizer
    lowercases itself)."""
    return sh.get("st_lower", sh["lower"])


def effective_max_length(shape):
    """sentence_bert_config.json's max_seq_length; a cross-encoder's
    tokenizer model_max_length (CrossEncoder's default max_length); else
    max_position_embeddings."""
    sh = SHAPES[shape]
    return sh["max_seq"] if sh["st"] or sh.get("classifier") else sh["maxpos"]


def mpnet_tokenizer_checks(shape):
    """The mpnet-style tokenizer.json, by the HF tokenizer: "Hello world" is
    <s> hello world </s> with BERT's ids + 4, and a pair is <s> A </s></s> B
    </s>; returns what it found (the pair's type_ids as the library gives them)."""
    bert = tokenize(shape, ["Hello world"], use_vocab="bert-base-uncased")[0]
    got = tokenize(shape, ["Hello world"])[0]
    assert len(bert) == 4 and got == [0, bert[1] + 4, bert[2] + 4, 2], (got, bert)
    a, b = tokenize(shape, ["Hello world", "How are you?"])
    pr = tokenize(shape, [["Hello world", "How are you?"]], pairs=True)
    assert pr["ids"][0] == a + [2] + b[1:], pr
    print("  tokenizer: \"Hello world\" -> %s; pair (\"Hello world\", \"How are you?\") -> %s, type_ids %s"
          % (got, pr["ids"][0], pr["type_ids"][0]))
    return {"hello_world_ids": got, "pair_ids": pr["ids"][0], "pair_type_ids": pr["type_ids"][0]}


def mpnet_check_ids(shape, case, ids):
    """Every row is <s> ... </s>; a text without "<" or "[" (no MPNet or BERT
    special token in it) has bert-base-uncased's ids + 4; the literal
    specials give their ids."""
    sh = SHAPES[shape]
    bert = tokenize(shape, case["texts"], use_vocab="bert-base-uncased")
    for t, r, rb in zip(case["texts"], ids, bert):
        assert r[0] == 0 and r[-1] == 2, (t, r)
        if "<" not in t and "[" not in t:
            assert r[1:-1] == [x + 4 for x in rb[1:-1]], t
    if case["name"] == "mpnet_special_tokens":
        want = {"before <pad> after": [MPNET_PAD], "a <mask> in the middle": [30526],
                "<s> literal </s> tokens": [0, 2], "unknown [UNK] token, <unk> and <UNK>": [104, 3, 3]}
        for t, r in zip(case["texts"], ids):
            for tok in want.get(t, []):
                assert tok in r[1:-1], (t, r, tok)
        assert ids[0][2] == MPNET_PAD and len(ids[0]) == 5, ids[0]
    if case["name"] == "long_truncated":
        assert len(ids[0]) == sh["max_seq"] >= 300


def modernbert_check_ids(shape, case, ids):
    """Every row is [CLS] ... [SEP] (4000 ... 4001); the copied tokenizer.json
    has 4005 ids (below vocab_size 4032); in modernbert_tokens the typed
    specials give their ids ([UNK] 3999, [CLS] 4000, [SEP] 4001, [PAD] 4002,
    [MASK] 4003, |||IP_ADDRESS||| 0, <|padding|> 1, <|endoftext|> 2,
    |||EMAIL_ADDRESS||| 3), "a [MASK] b" is [CLS] a [MASK] b [SEP] ([MASK]'s
    lstrip takes the space) and the NFC normalizer makes e + U+0301 the ids
    of U+00E9."""
    sh = SHAPES[shape]
    cls, sep = sh["cls_sep"]
    with open(os.path.join(VOCAB_DIR, sh["tokjson_fixture"], "tokenizer.json"), encoding="utf-8") as f:
        nv = len(json.load(f)["model"]["vocab"])
    assert nv == 4005 and nv <= sh["vocab"], nv
    for t, r in zip(case["texts"], ids):
        assert r[0] == cls and r[-1] == sep and cls not in r[1:-1] or "[CLS]" in t, (t, r)
    if case["name"] == "modernbert_tokens":
        want = {MODERNBERT_TEXTS[0]: [4000, 4001, 4003, 4002, 3999], MODERNBERT_TEXTS[2]: [2, 1, 0, 3]}
        for t, r in zip(case["texts"], ids):
            for tok in want.get(t, []):
                assert tok in r[1:-1], (t, r, tok)
        a = tokenize(shape, ["a"])[0]
        assert len(a) == 3 and ids[1][:3] == [cls, a[1], 4003] and len(ids[1]) == 5, ids[1]
        assert tokenize(shape, ["e\u0301"]) == tokenize(shape, ["\u00e9"])


# The <mask> id of each shape's copied tokenizer.json (its last id)
MASK_ID = {"xlmr": 4001, "xlmroberta": 4001, "roberta": 3999, "jina_code": 3999, "nomic_moe": 4001}


def fixture_check_ids(shape, case, ids):
    """xlmr, xlmroberta, nomic_moe (Unigram), roberta and jina_code (BPE): the copied
    tokenizer.json has the shape's vocab size (nomic_moe: its tok_vocab, the
    embedding rows padded to 64); every row is <s> ... </s>; "a <mask> b" has
    <mask>; a text that is also in the tokenizer fixture's cases.jsonl (same
    HF crate, no strip, no truncation) and is unchanged by str.strip() and not
    truncated has the same ids there.  Returns how many texts were compared
    that way."""
    sh = SHAPES[shape]
    udir = os.path.join(VOCAB_DIR, sh["tokjson_fixture"])
    with open(os.path.join(udir, "tokenizer.json"), encoding="utf-8") as f:
        assert len(json.load(f)["model"]["vocab"]) == sh.get("tok_vocab", sh["vocab"])
    with open(os.path.join(udir, "cases.jsonl"), encoding="utf-8") as f:
        ref = {d["text"]: d["ids"] for d in map(json.loads, f)}
    n = 0
    for t, r in zip(case["texts"], ids):
        assert r[0] == 0 and r[-1] == 2, (t, r)
        if t == "a <mask> b":
            assert MASK_ID[shape] in r, r
        if t in ref and t == t.strip() and len(ref[t]) <= sh["max_seq"]:
            assert r == ref[t], (t, r, ref[t])
            n += 1
    return n


# ---------------------------------------------------------------------------
def maxdiff_valid(a, b, mask):
    return float(((a - b).abs() * mask.double().unsqueeze(-1)).max())


def run_shape(shape, args, report):
    sh = SHAPES[shape]
    t0 = time.time()
    pyd = os.path.join(WORK, "py", shape)
    cd = os.path.join(WORK, "c", shape)
    write_model_dir(shape, pyd)
    t_py = time.time() - t0
    if os.path.exists(cd):
        shutil.rmtree(cd)
    t1 = time.time()
    subprocess.run([GEN, "--shape", shape, "--out", cd, "--vocab-dir", VOCAB_DIR], check=True)
    t_c = time.time() - t1
    hp, hc = dir_hashes(pyd), dir_hashes(cd)
    if hp != hc:
        for k in sorted(set(hp) | set(hc)):
            if hp.get(k) != hc.get(k):
                print("  MISMATCH %s: py %s c %s" % (k, hp.get(k), hc.get(k)))
        raise SystemExit("%s: C generator output differs from the Python reference" % shape)
    print("%s: %d files byte-identical (python %.1fs, C %.2fs)" % (shape, len(hp), t_py, t_c))
    for k in sorted(hp):
        if k.endswith(".safetensors"):
            print("  %s  %s" % (hp[k], k))

    w = load_model_weights(pyd, sh)
    dws = load_dense_weights(pyd, sh)
    rng = np.random.default_rng(1000 + RNG_INDEX[shape])
    floats = []
    nfl = [0]

    def emit(t):
        a = t.detach().numpy().astype("<f4").reshape(-1)
        at = nfl[0]
        floats.append(a)
        nfl[0] += a.size
        return at

    mpnet = is_mpnet(sh)
    nomic = is_nomic(sh)
    nomic_moe = is_nomic_moe(sh)
    modernbert = is_modernbert(sh)
    gte = is_gte(sh)
    jina = is_jina(sh)
    jina_code = is_jina_code(sh)
    # shapes without a fused-path run of B: MPNet's bias as src_mask, and
    # NomicBert's, ModernBERT's and GTE's rotary and JinaBert's ALiBi and
    # GeGLU, are not what nn.TransformerEncoderLayer computes
    no_fast = mpnet or nomic or modernbert or gte or jina
    figs = {"A_vs_B_python_hidden": 0.0, "A_vs_B_fast_hidden": 0.0, "A_vs_B_python_pooled": 0.0,
            "A_vs_B_fast_pooled": 0.0}
    if no_fast:
        # nn.TransformerEncoderLayer's fused path refuses a src_mask (the
        # bias); NomicBert's B has no nn.TransformerEncoderLayer at all
        del figs["A_vs_B_fast_hidden"], figs["A_vs_B_fast_pooled"]
    if not sh.get("include_prompt", True):
        # the prompt-skipping pooling: masked (as sentence-transformers) vs sliced
        figs["prompt_mask_vs_slice"] = 0.0
    if sh.get("dense"):
        # the Dense head alone, on the same pooled vectors (before Normalize)
        figs.update({"dense_F_vs_nn_Linear": 0.0, "dense_F_vs_matmul": 0.0})
    # not a check: the float32 run of A against float64, a guide for the engine's tolerances
    noise = {"A32_vs_A64_hidden": 0.0, "A32_vs_A64_pooled": 0.0, "A32_vs_A64_1_minus_cos": 0.0}
    w32 = {k: v.float() for k, v in w.items()}
    encoder_a = (mpnet_a if mpnet else nomic_a if nomic else modernbert_a if modernbert else gte_a if gte
                 else jina_code_a if jina_code else jina_a if jina else bert_a)
    B_model = (MPNetB(w, sh) if mpnet else NomicB(w, sh) if nomic else ModernBertB(w, sh) if modernbert
               else GteB(w, sh) if gte else JinaCodeB(w, sh) if jina_code else JinaB(w, sh) if jina
               else BertB(w, sh))
    pad_id = MPNET_PAD if mpnet or is_roberta(sh) else sh.get("pad_id", 0)
    # MPNet and XLM-RoBERTa, for information: how far the hidden states and
    # pooled vectors move when the reference gets one thing of the
    # architecture wrong (the goldens' 1e-4 tolerance must be below these)
    variants = (("no_bias", "transposed_bias", "boundary_bucket", "bert_positions") if mpnet
                else ("bert_positions", "bert_eps") if is_roberta(sh)
                else ("no_rotary", "interleaved_rotary", "glibc_cos_sin", "normalized_expert_weights", "top_1",
                      "bias_scaled_by_weights", "w2_viewed_e_h_i", "swapped_w1_w2", "tanh_gelu") if nomic_moe
                else ("no_rotary", "interleaved_rotary", "swapped_fc11_fc12", "float64_angles", "gelu",
                      "inv_freq_correctly_rounded", "glibc_cos_sin") if nomic
                else ("no_window", "window_layers_shifted", "one_theta", "window_one_short", "silu",
                      "swapped_input_gate", "postnorm", "no_final_norm", "no_rotary")
                if modernbert and not sh.get("classifier")
                else ("no_rotary", "no_ntk", "swapped_up_gate", "silu", "no_attention_bias", "prenorm")
                + (("no_token_types",) if sh["typevocab"] > 0 else ()) if gte
                else JINA_CODE_VARIANTS if jina_code
                else JINA_ALIBI_VARIANTS + ("swapped_glu_halves", "tanh_gelu", "no_mlp_residual") if jina
                else ())
    sabotage = {v: {"hidden": 0.0, "pooled": 0.0} for v in variants} if variants else None
    if sabotage is not None and (nomic or modernbert or gte or jina):
        # and on the hidden states golden.bin stores (what test_engine compares)
        for fig in sabotage.values():
            fig["stored_hidden"] = 0.0
    head_a = lambda x: dense_a(x, dws, sh)                      # noqa: E731
    head_b = dense_b(dws, sh) if sh.get("dense") else None
    dws32 = [(W.float(), None if b is None else b.float()) for W, b in dws]
    head_a32 = lambda x: dense_a(x, dws32, sh)                  # noqa: E731
    classifier = sh.get("classifier")
    ce_sens = ce_cases = None
    if classifier:
        # a cross-encoder: the golden "pooled" vector of a sequence is its
        # score, activation(W2 tanh(W1 h0 + b1) + b2); A from primitives,
        # B from nn modules, C explicit sums (on A's h0)
        hw = head_weights(w, sh)
        hw32 = head_weights(w32, sh)
        cls_b, act_b = classify_b(hw, sh)
        out_a = lambda h, m: classify_a(h, m, hw, sh)[1]                   # noqa: E731
        out_a32 = lambda h, m: classify_a(h, m, hw32, sh)[1]               # noqa: E731
        logits_b = lambda h, m: cls_b(pool_b(h, m, sh))                    # noqa: E731
        out_b = lambda h, m: act_b(logits_b(h, m))                          # noqa: E731
        figs.update({"A_vs_B_python_logits": 0.0, "A_vs_B_fast_logits": 0.0,
                     "head_F_vs_nn_Linear": 0.0, "head_F_vs_matmul": 0.0})
        if no_fast:
            del figs["A_vs_B_fast_logits"]
        noise["A32_vs_A64_logits"] = 0.0
        del noise["A32_vs_A64_1_minus_cos"]      # one score per sequence: no direction
        # information: how far the scores move when the head is computed
        # wrong (over all cases, and the smallest per-case maximum)
        if classifier == "modernbert":
            # ModernBERT's head: no head.norm, token 0 for the mean, tanh for
            # GELU, the other activation (identity), and type ids used
            # (modernbert_a's "type_ids_used": the pair's second segment
            # told apart, which ModernBERT does not do)
            ce_variants = ["no_head_norm", "cls_pooling", "tanh_for_gelu", "other_activation", "type_ids_used"]
        else:
            ce_variants = ["no_tanh", "mean_pooling", "other_activation", "no_dense"]
        if classifier in ("bert", "jina"):
            ce_variants.append("type_ids_all_0")    # the second segment's type ids 0, not 1
        ce_sens = {v: 0.0 for v in ce_variants}
        ce_cases = {}
    else:
        out_a = lambda h, m: embed(h, m, sh, head_a)                       # noqa: E731
        out_a32 = lambda h, m: embed(h, m, sh, head_a32)                   # noqa: E731
        out_b = lambda h, m: embed(h, m, sh, head_b)                       # noqa: E731
    last = {}
    # nomic_moe: the gap between each valid token's k-th and (k+1)-th
    # routing logit (log p, float64), smallest over every layer and case: it
    # must exceed MOE_MIN_GAP so that the engine's float32 routing picks the
    # reference's experts; for information the same gap in probabilities,
    # the float32 run of A's routing against float64's (asserted to pick the
    # same experts) and how the tokens spread over the experts
    moe_info = {"min_gap": 1.0, "min_gap_case": None, "min_logit_gap": float("inf"), "tokens": 0,
                "router_logit_std": 0.0, "fp32_logit_max_diff": 0.0, "fp32_routing_differs": 0,
                "tokens_per_expert": [0] * sh["num_experts"], "top_k_weight_sum_mean": 0.0} if nomic_moe else None

    def moe_check_fp32(routing, routing32, mask):
        k = sh["moe_top_k"]
        valid = mask.bool()
        for pr, pr32 in zip(routing, routing32):
            z, z32 = torch.log(pr[valid]), torch.log(pr32[valid].double())
            d = (z - z.mean(-1, keepdim=True)) - (z32 - z32.mean(-1, keepdim=True))
            moe_info["fp32_logit_max_diff"] = max(moe_info["fp32_logit_max_diff"], float(d.abs().max()))
            e64 = pr[valid].topk(k, dim=-1).indices.sort(-1).values
            e32 = pr32[valid].topk(k, dim=-1).indices.sort(-1).values
            moe_info["fp32_routing_differs"] += int((e64 != e32).any(-1).sum())
        assert moe_info["fp32_routing_differs"] == 0, (shape, moe_info)

    def moe_check(routing, mask, name):
        k = sh["moe_top_k"]
        valid = mask.bool()
        for pr in routing:
            srt = pr.sort(-1, descending=True)
            gap = (srt.values[..., k - 1] - srt.values[..., k])[valid]
            g = float(gap.min())
            if g < moe_info["min_gap"]:
                moe_info["min_gap"], moe_info["min_gap_case"] = g, name
            n = int(valid.sum())
            # the logits are log p up to a per-token constant
            lg = torch.log(pr[valid])
            lz = lg.sort(-1, descending=True).values
            moe_info["min_logit_gap"] = min(moe_info["min_logit_gap"], float((lz[:, k - 1] - lz[:, k]).min()))
            lg = lg - lg.mean(-1, keepdim=True)
            std = float(lg.std(-1, unbiased=False).mean())
            ws = float(srt.values[..., :k].sum(-1)[valid].mean())
            tot = moe_info["tokens"] + n
            moe_info["router_logit_std"] = (moe_info["router_logit_std"] * moe_info["tokens"] + std * n) / tot
            moe_info["top_k_weight_sum_mean"] = (moe_info["top_k_weight_sum_mean"] * moe_info["tokens"] + ws * n) / tot
            moe_info["tokens"] = tot
            for ex in srt.indices[..., :k][valid].reshape(-1).tolist():
                moe_info["tokens_per_expert"][ex] += 1
        assert moe_info["min_logit_gap"] > MOE_MIN_GAP, (
            "%s: routing gap %.3g between the %d-th and %d-th logit in case %s is under %g: float32 could "
            "route otherwise" % (shape, moe_info["min_logit_gap"], k, k + 1, name, MOE_MIN_GAP))

    def forward(rows, types, prompt_length=0, stored_hidden=False, name=None):
        ids, mask, tt_tok = pad_batch(rows, types, pad_id)
        # ModernBERT takes no token type ids: its encoder gets none (zeros),
        # whatever the tokenizer's pair template gave (tt_tok)
        tt = torch.zeros_like(tt_tok) if modernbert else tt_tok
        # the encoder attends with mask; pooling uses pmask (the prompt left out)
        pmask = prompt_pool_mask(mask, prompt_length) if prompt_length else mask
        with torch.no_grad():
            if nomic_moe:
                # and the routing probabilities of every MoE layer (moe_check)
                routing = []
                ha = nomic_a(w, sh, ids, mask, tt, routing=routing)
                moe_check(routing, mask, name)
            else:
                ha = encoder_a(w, sh, ids, mask, tt)
            if classifier:
                la, pa = classify_a(ha, mask, hw, sh)
                last["logits"] = la
                per = ce_cases.setdefault(name, {})
                for v in ce_sens:
                    if v == "type_ids_all_0":
                        if not bool(tt.any()):
                            continue
                        sv = classify_a(encoder_a(w, sh, ids, mask, torch.zeros_like(tt)), mask, hw, sh)[1]
                    elif v == "type_ids_used":
                        if not bool(tt_tok.any()):
                            continue
                        sv = classify_a(encoder_a(w, sh, ids, mask, tt_tok, variant=v), mask, hw, sh)[1]
                    else:
                        sv = classify_a(ha, mask, hw, sh, variant=v)[1]
                    d = float((sv - pa).abs().max())
                    ce_sens[v] = max(ce_sens[v], d)
                    per[v] = max(per.get(v, 0.0), d)
            else:
                pa = embed(ha, pmask, sh, head_a)
            if sabotage is not None:
                for v, fig in sabotage.items():
                    hv = encoder_a(w, sh, ids, mask, tt, variant=v)
                    fig["hidden"] = max(fig["hidden"], maxdiff_valid(hv, ha, mask))
                    fig["pooled"] = max(fig["pooled"], float((out_a(hv, pmask) - pa).abs().max()))
                    if stored_hidden and "stored_hidden" in fig:
                        fig["stored_hidden"] = max(fig["stored_hidden"], maxdiff_valid(hv, ha, mask))
        with torch.enable_grad():           # nn.MultiheadAttention python path
            hb = B_model(ids, mask, tt).detach()
        if not no_fast:
            with torch.inference_mode():        # fused native fast path
                hf = B_model(ids, mask, tt)
            hf = hf.clone() if not hf.is_nested else torch.nested.to_padded_tensor(hf, 0.0)
            hf = torch.nan_to_num(hf)
        with torch.no_grad():
            pb = out_b(hb, pmask)
            if not no_fast:
                pf = out_b(hf * mask.double().unsqueeze(-1), pmask)
            if classifier:
                figs["A_vs_B_python_logits"] = max(figs["A_vs_B_python_logits"],
                                                   float((la - logits_b(hb, mask)).abs().max()))
                if not no_fast:
                    figs["A_vs_B_fast_logits"] = max(figs["A_vs_B_fast_logits"],
                                                     float((la - logits_b(hf, mask)).abs().max()))
                # the head alone, on A's hidden states
                figs["head_F_vs_nn_Linear"] = max(figs["head_F_vs_nn_Linear"], float(
                    (pa - out_b(ha, mask)).abs().max()), float((la - logits_b(ha, mask)).abs().max()))
                lc, sc = classify_matmul(pool_matmul(ha, mask, sh), hw, sh)
                figs["head_F_vs_matmul"] = max(figs["head_F_vs_matmul"], float((pa - sc).abs().max()),
                                               float((la - lc).abs().max()))
            if "prompt_mask_vs_slice" in figs:
                assert sh["pooling"] == "mean" and not sh.get("dense")
                figs["prompt_mask_vs_slice"] = max(figs["prompt_mask_vs_slice"], float(
                    (pa - pool_sliced(ha, rows, prompt_length, sh["normalize"])).abs().max()))
            if sh.get("dense"):
                xa = pool(ha, mask, sh["pooling"], False)
                da = head_a(xa)
                figs["dense_F_vs_nn_Linear"] = max(figs["dense_F_vs_nn_Linear"],
                                                   float((da - head_b(xa)).abs().max()))
                figs["dense_F_vs_matmul"] = max(figs["dense_F_vs_matmul"],
                                                float((da - dense_matmul(xa, dws, sh)).abs().max()))
        figs["A_vs_B_python_hidden"] = max(figs["A_vs_B_python_hidden"], maxdiff_valid(ha, hb, mask))
        figs["A_vs_B_python_pooled"] = max(figs["A_vs_B_python_pooled"], float((pa - pb).abs().max()))
        if not no_fast:
            figs["A_vs_B_fast_hidden"] = max(figs["A_vs_B_fast_hidden"], maxdiff_valid(ha, hf, mask))
            figs["A_vs_B_fast_pooled"] = max(figs["A_vs_B_fast_pooled"], float((pa - pf).abs().max()))
        with torch.no_grad():
            if nomic_moe:
                routing32 = []
                h32 = nomic_a(w32, sh, ids, mask, tt, routing=routing32)
                moe_check_fp32(routing, routing32, mask)
            else:
                h32 = encoder_a(w32, sh, ids, mask, tt)
            p32 = out_a32(h32, pmask).double()
            if classifier:
                l32 = classify_a(h32, mask, hw32, sh)[0].double()
                noise["A32_vs_A64_logits"] = max(noise["A32_vs_A64_logits"], float((l32 - la).abs().max()))
        noise["A32_vs_A64_hidden"] = max(noise["A32_vs_A64_hidden"], maxdiff_valid(h32.double(), ha, mask))
        noise["A32_vs_A64_pooled"] = max(noise["A32_vs_A64_pooled"], float((p32 - pa).abs().max()))
        # rows whose reference is zero (a prompt that leaves no token to pool)
        # have no direction: the pooled figure above covers them
        nz = pa.norm(dim=-1) > 0
        if not classifier and bool(nz.any()):
            cos = torch.nn.functional.cosine_similarity(p32[nz], pa[nz], dim=-1)
            noise["A32_vs_A64_1_minus_cos"] = max(noise["A32_vs_A64_1_minus_cos"], float((1.0 - cos).max()))
        return ha, pa, mask

    buckets = mpnet_info = nomic_info = gte_info = jina_info = None
    if jina:
        # the float32 ALiBi table over every position (B's closed-form slopes
        # and numpy distances must give A's torch table)
        jina_info = jina_alibi_info(sh)
        print("  ALiBi (%d heads, float32, %d positions): slopes %s (2^%s); B's closed form and numpy table == "
              "A's torch table; the engine's expression: %s; next power of two's: %s; bias at distance %d: %s"
              % (jina_info["heads"], jina_info["S"], jina_info["slopes_float32"],
                 [int(x) for x in jina_info["slopes_as_powers_of_2"]],
                 jina_info["engine_expression_vs_torch"], jina_info["next_power_of_2_slopes"],
                 jina_info["S"] - 1, jina_info["bias_at_distance_%d" % (jina_info["S"] - 1)]))
    if gte:
        # the float32 NTK-scaled rotary table over every position (B's numpy
        # angles must be A's torch angles)
        gte_info = gte_rotary_info(sh)
        g = gte_info["engine_glibc"]
        print("  rotary table (NTK: base %g * %g, inv_freq / %.17g; float32, %d positions): B's numpy angles == "
              "A's torch angles; inv_freq %s; the engine's expression with glibc's powf vs torch (ulps) %s; "
              "glibc cosf/sinf vs torch: %s of %d entries differ; NTK vs plain table: angles up to %.4g rad apart"
              % (gte_info["rope_theta"], gte_info["factor"], gte_info["ntk_divisor"], gte_info["S"],
                 ["%.9g" % x for x in gte_info["inv_freq_float32"]],
                 g and g["inv_freq_engine_expression_vs_torch_ulps"], g and g["cos_sin_torch_vs_glibc_entries"],
                 gte_info["entries"], gte_info["max_angle_ntk_vs_plain_rad"]))
    if modernbert:
        # the float32 rotary tables of both bases over every position (B's
        # numpy angles must be A's torch angles), and HF's matmul form of the
        # table against the outer-product form nomic_rotary_cos_sin computes
        hd = sh["hidden"] // sh["heads"]
        nomic_info = {}
        for kind, base in MODERNBERT_THETA.items():
            info = nomic_rotary_info(sh, sh["maxpos"], base, modernbert_angles_numpy)
            ar = np.arange(0, hd, 2, dtype=np.float32) / np.float32(hd)
            inv_np = (np.float32(1.0) / (np.float32(base) ** ar)).astype(np.float32)
            info["inv_freq_vs_numpy_float32_power_ulps"] = [
                int(a) - int(b) for a, b in zip(np.array(info["inv_freq_float32"], dtype=np.float32).view(np.int32),
                                                inv_np.view(np.int32))]
            c_hf, s_hf = modernbert_rotary_cos_sin(sh["maxpos"], hd, base)
            c_o, s_o = nomic_rotary_cos_sin(sh["maxpos"], hd, base=base)
            assert torch.equal(c_hf, torch.cat((c_o, c_o), -1)) and torch.equal(s_hf, torch.cat((s_o, s_o), -1))
            nomic_info[kind] = info
            g = info["glibc"]
            print("  rotary table, %s layers (base %g, float32, %d positions): B's numpy angles == A's torch "
                  "angles; inv_freq vs correctly rounded (ulps) %s, vs 1.0f / powf (glibc) %s, vs numpy's float32 ** %s; torch cos/sin vs "
                  "correctly rounded: %d of %d entries differ (max %d ulp), vs glibc cosf/sinf: %s"
                  % (kind, base, info["S"], info["inv_freq_vs_correctly_rounded_ulps"],
                     info["inv_freq_vs_glibc_powf_ulps"], info["inv_freq_vs_numpy_float32_power_ulps"],
                     info["cos_sin_torch_vs_correctly_rounded_entries"],
                     info["entries"], info["cos_sin_torch_vs_correctly_rounded_max_ulps"],
                     g and g["cos_sin_torch_vs_glibc_entries"]))
    if nomic:
        # the float32 rotary tables over every position a 2048-token input has
        nomic_info = nomic_rotary_info(sh, sh["maxpos"])
        print("  rotary tables (float32, %d positions): B's numpy angles == A's torch angles; inv_freq vs "
              "correctly rounded (ulps) %s; torch cos/sin vs correctly rounded: %d of %d entries differ "
              "(max %d ulp), vs numpy's complex64 exp: %d (max %d ulp); float32 angles vs float64 "
              "at most %.3g rad"
              % (nomic_info["S"], nomic_info["inv_freq_vs_correctly_rounded_ulps"],
                 nomic_info["cos_sin_torch_vs_correctly_rounded_entries"], nomic_info["entries"],
                 nomic_info["cos_sin_torch_vs_correctly_rounded_max_ulps"],
                 nomic_info["cos_sin_torch_vs_numpy_cexpf_entries"],
                 nomic_info["cos_sin_torch_vs_numpy_cexpf_max_ulps"],
                 nomic_info["float32_angles_vs_float64_max_rad"]))
        g = nomic_info["glibc"]
        print("  the C engine's table (glibc): 1.0f / powf inv_freq vs torch's (ulps) %s; glibc cosf/sinf vs "
              "torch: %s entries differ, vs numpy's complex64 exp: %s"
              % (nomic_info["inv_freq_vs_glibc_powf_ulps"], g and g["cos_sin_torch_vs_glibc_entries"],
                 g and g["cos_sin_glibc_vs_numpy_cexpf_entries"]))
    if mpnet:
        # the bucket of every relative position a 512-token input has, as HF
        # computes it in torch (the C engine is tested against this table);
        # B's exact integer buckets must be the same, and so are those of the
        # formula in double precision (reported)
        first = -(sh["maxpos"] - 3)                       # -511: 512 usable positions
        rel = torch.arange(first, -first + 1)
        buckets = [int(b) for b in mpnet_bucket_torch(rel)]
        exact = [mpnet_bucket_exact(int(r)) for r in rel]
        double = [mpnet_bucket_double(int(r)) for r in rel]
        assert buckets == exact, [(int(r), a, b) for r, a, b in zip(rel, buckets, exact) if a != b]
        # float32 at the boundaries d = 16, 32, 64, 128 (where the exact value
        # is the integer 2, 4, 6, 8): the value before truncation
        d = torch.tensor([16, 32, 64, 128])
        at = (torch.log(d.float() / 8) / math.log(128 / 8) * 8).tolist()
        mpnet_info = {"buckets_torch_vs_exact_integer_differences": 0,
                      "buckets_torch_vs_double_formula_differences":
                          sum(a != b for a, b in zip(buckets, double)),
                      "float32_value_before_trunc_at_16_32_64_128": at,
                      "bucket_of": {str(r): buckets[r - first] for r in
                                    (-511, -128, -127, -64, -63, -32, -31, -16, -15, -8, -7, -1, 0, 1, 7, 8,
                                     15, 16, 31, 32, 63, 64, 127, 128, 511)}}
        print("  relative_position_bucket(-511..511): torch == exact integers; double formula differs at %d"
              % mpnet_info["buckets_torch_vs_double_formula_differences"])
        print("  float32 value before truncation at d = 16, 32, 64, 128: %r" % (at,))

    id_out = []
    for c in id_cases_for(shape, rng):
        ha, pa, mask = forward(c["ids"], c["type_ids"], stored_hidden=c["hidden"], name=c["name"])
        pooled_at = emit(pa)
        hidden_at = -1
        if c["hidden"]:
            hidden_at = emit(torch.cat([ha[b, :len(r)] for b, r in enumerate(c["ids"])]))
        id_out.append({"name": c["name"], "ids": c["ids"], "type_ids": c["type_ids"],
                       "pooled_at": pooled_at, "hidden_at": hidden_at})
        if classifier:
            id_out[-1]["logits"] = logits_json(last["logits"])

    text_out = []
    tok_check = None
    ce_info = None
    if classifier:
        # pairs, tokenized as CrossEncoder does: tokenizer(a, b,
        # truncation=True (longest_first), max_length=512), the raw texts
        # (no strip, no lowercasing: the BERT tokenizer lowercases itself)
        maxlen = effective_max_length(shape)
        ce_info = {"cases": {}}
        for c in pair_cases_for(shape):
            enc = tokenize(shape, c["pairs"], pairs=True)
            ids, tids = enc["ids"], enc["type_ids"]
            lens = check_pair_ids(shape, c["pairs"], ids, tids)
            assert all(len(r) <= maxlen for r in ids)
            if c["name"] == "truncation":
                assert all(len(r) == maxlen for r in ids), [len(r) for r in ids]
            _, pa, _ = forward(ids, tids, name=c["name"])
            text_out.append({"name": c["name"], "pairs": c["pairs"], "ids": ids, "type_ids": tids,
                             "pooled_at": emit(pa), "logits": logits_json(last["logits"])})
            ce_info["cases"][c["name"]] = {"content_tokens_before_truncation": [x[0] for x in lens],
                                           "content_tokens_kept": [x[1] for x in lens],
                                           "scores": [float(x) for x in pa.reshape(-1)],
                                           "logits": [float(x) for x in last["logits"].reshape(-1)]}
        tr = ce_info["cases"]["truncation"]
        tok_check = ("%s pairs: every row is the two texts' own tokens in %s, cut longest_first as the "
                     "tokenizers crate does; truncation case, content tokens before -> kept: %s"
                     % (shape, "[CLS] a [SEP] b [SEP] (type ids 0 / 1)" if classifier in ("bert", "modernbert", "jina")
                        else "<s> a </s></s> b </s> (type ids 0)",
                        ", ".join("%s -> %s" % (list(b), list(k)) for b, k in
                                  zip(tr["content_tokens_before_truncation"], tr["content_tokens_kept"]))))
    elif shape in ("minilm", "bge", "multi", "dense", "distil", "mpnet", "xlmr", "xlmroberta", "roberta", "nomic",
                   "modernbert", "gte", "jina", "jina_code", "nomic_moe"):
        maxlen = effective_max_length(shape)
        # nomic, gte and jina: the tokenizer lowercases, sentence-transformers
        # does not (jina_code's BPE and nomic_moe's Unigram tokenizer do not
        # lowercase at all)
        tok_lowers = sh["lower"] and not st_lower(sh)
        assert tok_lowers == ((nomic and not nomic_moe) or gte or (jina and not jina_code)), shape
        all_same = True
        if mpnet:
            mpnet_info.update(mpnet_tokenizer_checks(shape))
        fixture_checked = 0
        nomic_lower_differs = []
        for c in text_cases_for(shape):
            ids = tokenize(shape, c["texts"])
            assert all(2 <= len(r) <= maxlen for r in ids)
            if c["name"] == "long_truncated":
                assert len(ids[0]) == maxlen, len(ids[0])
            if shape == "minilm":   # vocab.txt-built tokenizer vs the real all-MiniLM tokenizer.json
                all_same &= ids == tokenize(shape, c["texts"], use_tokjson="all-MiniLM-L6-v2")
            if mpnet:
                mpnet_check_ids(shape, c, ids)
            if shape in MASK_ID:
                fixture_checked += fixture_check_ids(shape, c, ids)
            if modernbert:
                modernbert_check_ids(shape, c, ids)
            if tok_lowers:
                # sentence-transformers does not lowercase (do_lower_case
                # false), the tokenizer does: the same ids as Python's
                # lower() first, but where str.lower() and the tokenizer's
                # lowercasing part (a word-final capital sigma) and where a
                # typed [CLS] / [SEP] / [MASK] stays the special token
                # (lowercased first, it is plain text)
                low = tokenize(shape, [t.lower() for t in c["texts"]])
                for t, r, rl in zip(c["texts"], ids, low):
                    if r != rl:
                        if "\u03a3" not in t:
                            toks = vocab_tokens(shape, r)
                            assert all(x in toks[1:-1] for x in ("[CLS]", "[SEP]", "[MASK]")), (t, toks)
                        nomic_lower_differs.append(t)
            _, pa, _ = forward(ids, None)
            text_out.append({"name": c["name"], "texts": c["texts"], "ids": ids, "pooled_at": emit(pa)})
        if shape == "minilm":
            assert all_same, "vocab.txt tokenizer disagrees with tokenizer.json"
            tok_check = "minilm texts: vocab.txt-built HF tokenizer == all-MiniLM-L6-v2 tokenizer.json: identical ids"
        if tok_lowers:
            assert len(nomic_lower_differs) == 2, nomic_lower_differs
            tok_check = ("%s texts (not lowercased before the tokenizer): the same ids as lowercased "
                         "ones but for %d texts, %r (final sigma) and %r (special tokens)"
                         % (shape, len(nomic_lower_differs), nomic_lower_differs[0], nomic_lower_differs[1]))
            (gte_info if gte else jina_info if jina else nomic_info)["texts_lowercased_first_differ"] = \
                nomic_lower_differs
        if modernbert:
            tok_check = ("modernbert texts: every row [CLS] ... [SEP] (4000 ... 4001); typed [CLS] [SEP] [MASK] "
                         "[PAD] [UNK] <|endoftext|> <|padding|> |||IP_ADDRESS||| |||EMAIL_ADDRESS||| give their "
                         "ids; NFC: decomposed == precomposed")
        if shape in MASK_ID:
            tok_check = ("%s texts: every row <s> ... </s>; %d texts also in %s/cases.jsonl, "
                         "the same ids there" % (shape, fixture_checked, os.path.basename(SHAPES[shape]["tokjson_fixture"])))
    elif not sh.get("include_prompt", True):
        maxlen = effective_max_length(shape)
        # the tokenizer does what the prompt_swallowed case is built on
        assert vocab_tokens(shape, tokenize(shape, ["unbeliev"])[0]) == \
            ["[CLS]", "un", "##bel", "##ie", "##v", "[SEP]"]
        assert vocab_tokens(shape, tokenize(shape, ["unbelievable"])[0]) == ["[CLS]", "unbelievable", "[SEP]"]
        plens = {}
        for c in prompt_text_cases_for(shape):
            p = c["prompt"]
            pl = prompt_length_of(shape, p)
            ids = tokenize(shape, [p + t for t in c["texts"]])   # one string, as encode() joins them
            assert all(2 <= len(r) <= maxlen for r in ids)
            if c["name"] == "long_truncated_query":
                assert len(ids[0]) == maxlen, len(ids[0])
            if p.endswith(" "):
                # a prompt ending at a word boundary: the joined ids start with its
                # own, so the first prompt_length positions are [CLS] + the prompt
                pids = tokenize(shape, [p])[0]
                assert all(r[:pl] == pids[:pl] for r in ids), c["name"]
            _, pa, _ = forward(ids, None, pl)
            if c["name"] == "prompt_swallowed":
                assert len(ids[0]) <= pl and float(pa[0].abs().max()) == 0.0
                assert len(ids[1]) == pl + 1 and float(pa[1].abs().max()) > 0.0
            text_out.append({"name": c["name"], "prompt": p, "prompt_length": pl, "texts": c["texts"],
                             "ids": ids, "pooled_at": emit(pa)})
            plens[repr(p)] = pl
        tok_check = "prompt_length (tokens pooling skips, [CLS] included): " + \
            ", ".join("%s %d" % kv for kv in plens.items())

    for k, v in figs.items():
        assert v < 1e-9, (shape, k, v)
    print("  reference cross-check (float64, max |A-B| over valid tokens / pooled):")
    for k, v in figs.items():
        print("    %-24s %.3g" % (k, v))
    if mpnet:
        print("    (no B fast figures: the fused encoder layer refuses the bias as src_mask)")
    if nomic or modernbert or gte or jina:
        print("    (no B fast figures: B is not built from nn.TransformerEncoderLayer)")
    if sabotage is not None:
        print("  sabotaged A, max |diff| over all cases, hidden states / pooled vectors%s (information):"
              % (" / stored hidden states" if nomic or modernbert or gte or jina else ""))
        for k, v in sabotage.items():
            print("    %-27s %.3g / %.3g%s" % (k, v["hidden"], v["pooled"],
                                             " / %.3g" % v["stored_hidden"] if "stored_hidden" in v else ""))
    print("  float32 noise floor (A in float32 vs float64; information, not a check):")
    for k, v in noise.items():
        print("    %-24s %.3g" % (k, v))
    if tok_check:
        print("  " + tok_check)
    if nomic_moe:
        print("  MoE routing (float64, %d valid tokens x MoE layers): smallest gap between the %d-th and %d-th "
              "probability %.4g (case %s), in logits %.4g (must exceed %g); float32 A's logits within %.3g of "
              "float64's, the same experts for every token; router logits' spread (std over experts) %.3g; "
              "top-%d weights sum to %.3f on average; tokens per expert %s"
              % (moe_info["tokens"], sh["moe_top_k"], sh["moe_top_k"] + 1, moe_info["min_gap"],
                 moe_info["min_gap_case"], moe_info["min_logit_gap"], MOE_MIN_GAP, moe_info["fp32_logit_max_diff"],
                 moe_info["router_logit_std"], sh["moe_top_k"], moe_info["top_k_weight_sum_mean"],
                 moe_info["tokens_per_expert"]))
    if classifier:
        print("  head sensitivity (information): max |score diff| against A over all cases / smallest "
              "per-case max:")
        for v, d in ce_sens.items():
            per = [c[v] for c in ce_cases.values() if v in c]
            print("    %-24s %.3g / %.3g" % (v, d, min(per)))
        allsc = [x for c in ce_info["cases"].values() for x in c["scores"]]
        qp = ce_info["cases"]["query_passage"]["scores"]
        print("  scores of the text cases: %.4g .. %.4g; query_passage: %s"
              % (min(allsc), max(allsc), ", ".join("%.4g" % x for x in qp)))
        ce_info["sensitivity_max"] = ce_sens
        ce_info["sensitivity_per_case"] = ce_cases

    od = os.path.join(OUT_DIR, shape)
    os.makedirs(od, exist_ok=True)
    golden = {"shape": shape}
    if is_distil(sh) or is_mpnet(sh) or is_roberta(sh) or nomic or modernbert or gte:
        # only where not BERT, so that the older goldens stay byte-identical
        golden["model_type"] = sh["model_type"]
    golden.update({"files": {k: hp[k] for k in sorted(hp) if k.endswith(".safetensors")},
                   "dims": sh["dense"][-1]["out"] if sh.get("dense") else CLS_LABELS if classifier
                   else sh["hidden"]})
    if sh.get("dense") or classifier:
        # only where dims != hidden_size, so that the older goldens stay byte-identical
        golden["hidden_size"] = sh["hidden"]
    golden.update({"pooling": sh["pooling"], "normalize": sh["normalize"],
                   "max_length": effective_max_length(shape)})
    if classifier:
        cl = CLASSIFIERS[classifier]
        golden["classifier"] = {"labels": CLS_LABELS, "activation": cl["activation"],
                                "architecture": cl["architecture"]}
        if cl.get("head_act"):
            # ModernBERT's head (only there, so that the older goldens stay
            # byte-identical): its first Linear's bias, activation and norm
            golden["classifier"].update({"dense_bias": cl.get("dense_bias", True), "dense_activation": cl["head_act"],
                                         "dense_norm": bool(cl.get("norm"))})
    if not sh.get("include_prompt", True):
        golden["include_prompt"] = False     # only where false, as in 1_Pooling/config.json
    if sh.get("dense"):
        golden["dense"] = [{"path": dm["path"], "in": dm["inp"], "out": dm["out"], "bias": dm["bias"],
                            "activation": dm["act"]} for dm in sh["dense"]]
    golden.update({"id_cases": id_out, "text_cases": text_out})
    if buckets is not None:
        golden["relative_position_buckets"] = {"num_buckets": MPNET_BUCKETS, "max_distance": MPNET_MAX_DISTANCE,
                                               "first": first, "buckets": buckets}
    with open(os.path.join(od, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(od, "golden.bin"), "wb") as f:
        f.write(np.concatenate(floats).astype("<f4").tobytes())
    sz = os.path.getsize(os.path.join(od, "golden.json")) + os.path.getsize(os.path.join(od, "golden.bin"))
    print("  wrote %s (%d floats, %.1f KB)  %.1fs" % (od, nfl[0], sz / 1024, time.time() - t0))
    report[shape] = {"cross_check": figs, "fp32_noise": noise, "files": golden["files"], "golden_bytes": sz}
    if sabotage is not None:
        report[shape]["sabotaged_reference_pooled_maxdiff"] = sabotage
    if mpnet:
        report[shape]["mpnet"] = mpnet_info
    if nomic:
        report[shape]["nomic_rotary"] = nomic_info
    if nomic_moe:
        report[shape]["moe_routing"] = moe_info
    if modernbert:
        report[shape]["modernbert_rotary"] = nomic_info
    if gte:
        report[shape]["gte_rotary"] = gte_info
    if jina:
        report[shape]["jina_alibi"] = jina_info
    if classifier:
        report[shape]["cross_encoder"] = ce_info
    if not args.keep:
        shutil.rmtree(pyd)
        shutil.rmtree(cd)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", default="minilm,bge,multi,f16,bf16,dense,instr,distil,mpnet,xlmr,xlmroberta,roberta,"
                                        "nomic,rerank,rerank_xlmr,modernbert,rerank_modernbert,gte,rerank_gte,"
                                        "jina,rerank_jina,jina_code,nomic_moe")
    ap.add_argument("--keep", action="store_true", help="keep build/golden-work/{py,c}/<shape>")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if not os.path.exists(GEN):
        raise SystemExit("build %s first (make build/tools/gen_model)" % GEN)
    print("torch %s, numpy %s" % (torch.__version__, np.__version__))
    report = {}
    for s in args.shapes.split(","):
        run_shape(s, args, report)
    with open(os.path.join(WORK, "report.json"), "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Write a GGUF file from a (generated) BERT, NomicBert or JinaBert test model, as llama.cpp's converter does.

    python3 tests/scripts/make_gguf.py MODEL_DIR OUT.gguf [--type f32|f16|q8_0|LLAMA_QUANTIZE_TYPE]
                                       [--vocab-only] [--phantom brackets|control]
                                       [--pre NAME] [--name NAME] [--legacy-metadata]
                                       [--ggml-lib PATH]

Standard library only (no numpy/torch/transformers), deterministic (same input -> same
bytes; --type defaults to f16). The llama-quantize types (q4_0, q4_1, q5_0, q5_1, q2_k,
q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, q5_k_s, q5_k_m, q6_k, iq4_nl, iq4_xs; see "Quantized
types" at the end) also need llama.cpp's libggml-base.so, through ctypes (ggml_lib.py;
--ggml-lib or env GGML_LIB, default node-llama-cpp's copy from tests/scripts/ggml_ref/install.sh);
f32/f16/q8_0 never load it. It is a test-fixture writer for engine/gguf.c: it reproduces what
`convert_hf_to_gguf.py --outtype {f32,f16,q8_0}` (class BertModel; NomicBertModel and
JinaBertV2Model below) writes for a model
directory holding config.json, model.safetensors (or model-*.safetensors parts), vocab.txt
and/or tokenizer.json + tokenizer_config.json, and optionally modules.json with a
sentence-transformers Pooling module (e.g. 1_Pooling/config.json).

Conventions reproduced, with where they come from in llama.cpp (github ggerganov/llama.cpp,
convert_hf_to_gguf.py and gguf-py as of commit 0061955a, Jan 2025, unless said otherwise;
the same rules hold from the mid-2024 versions up to the 2026 refactor into conversion/):

 * File layout (gguf-py/gguf/gguf_writer.py, GGUFWriter.write_header_to_file /
   write_kv_data_to_file / write_ti_data_to_file / write_tensors_to_file; constants.py
   GGUF_MAGIC, GGUF_VERSION = 3, GGUF_DEFAULT_ALIGNMENT = 32): little endian;
   "GGUF", u32 version 3, u64 n_tensors, u64 n_kv; then each KV as (string key, u32 value
   type, value); strings are u64 byte length + UTF-8 bytes (no NUL); arrays are u32 element
   type, u64 count, elements; bool is one byte. Then per tensor: string name, u32 n_dims,
   n_dims x u64 ne (ne[0] = fastest varying = the LAST numpy/HF axis: the writer emits
   shape reversed, so an HF Linear weight [out, in] is stored with dims [in, out]), u32 ggml
   type, u64 offset relative to the start of the data section. Offsets advance by the tensor
   byte size rounded up to 32. The data section starts at the end of the tensor infos padded
   with zeros to a multiple of 32 (general.alignment is NOT written; 32 is the default);
   every tensor's data is followed by zero padding to a multiple of 32 (the last one too).
   A vocab-only file (Model.write_vocab) has n_tensors = 0 and ends right after the KVs.
 * KV order = order of the add_* calls: general.architecture (GGUFWriter.__init__),
   general.type = "model" (Model.set_type), general.name / general.size_label
   (gguf-py metadata.py Metadata.set_gguf_meta_model; see note below), then
   Model.set_gguf_parameters: {arch}.block_count, .context_length (max_position_embeddings),
   .embedding_length, .feed_forward_length, .attention.head_count,
   .attention.layer_norm_epsilon (f32), general.file_type (u32: 0 F32, 1 F16, 7 Q8_0 =
   LlamaFileType), then BertModel.set_gguf_parameters: bert.attention.causal = false and,
   only if modules.json lists a sentence_transformers.models.Pooling module, bert.pooling_type
   (u32, constants.py PoolingType: NONE 0, MEAN 1, CLS 2; LAST 3 and RANK 4 in 2025+
   versions) from that module's config.json (pooling_mode_mean_tokens -> MEAN, else
   pooling_mode_cls_token -> CLS, else error). Normalize / Dense modules are not recorded.
   Then BertModel.set_vocab: tokenizer.ggml.token_type_count (u32, type_vocab_size or 1),
   tokenizer.ggml.model = "bert", tokenizer.ggml.pre, tokenizer.ggml.tokens (array of
   string), tokenizer.ggml.token_type (array of INT32: GGUFValueType.get_type(int) is INT32),
   then the special ids (SpecialVocab.add_to_gguf, u32 each, in the order they were found:
   tokenizer.ggml.{bos,eos,unknown,seperator,padding,cls,mask}_token_id - note the
   misspelling "seperator"), then tokenizer.ggml.add_{bos,eos,...}_token bools if
   tokenizer_config.json has add_*_token. Last: general.quantization_version = 2 (u32).
   Integers are u32 (add_uint32), floats f32, eps 1e-12 is stored as f32 9.99999996e-13.
 * Vocabulary (Model.get_vocab_base + BertModel.set_vocab): ids 0..vocab_size-1 (config
   vocab_size); an id missing from the tokenizer becomes "[PAD<id>]" with type UNUSED (5);
   an added token (tokenizer.json added_tokens, or for a vocab.txt-only directory the special
   tokens unk/sep/pad/cls/mask that transformers registers) is CONTROL (3) if special,
   else USER_DEFINED (4); every other token NORMAL (1). No scores array for BERT.
   Then the "phantom space" rewrite: a token that starts with "[" and ends with "]" is kept
   as is (specials AND [unusedN]); "##xyz" becomes "xyz"; any other token gets the prefix
   U+2581 ("\\u2581the"). `--phantom control` instead applies the rule of llama.cpp PR
   #18500 (merged 2026-01, conversion/bert.py): only CONTROL tokens are exempt, so
   "[unused0]" becomes "\\u2581[unused0]".
 * tokenizer.ggml.pre (Model.get_vocab_base_pre): sha256 of str(token ids) of
   tokenizer.encode(chktxt) (with [CLS] ... [SEP]). The bert-base-uncased / bge-small-en
   vocabulary gives 0876d13b...; that hash is listed twice, "bert-bge" and then
   "jina-v2-en", and since every branch is a plain `if` the later one wins: converters since
   mid-2024 write "jina-v2-en" (llama.cpp's own models/ggml-vocab-bert-bge.gguf, written
   before jina was added, says "bert-bge"). llama.cpp ignores pre for WPM vocabularies
   (src/llama-vocab.cpp: "for now, only BPE models have pre-tokenizers").
 * Special ids (gguf-py vocab.py SpecialVocab, types bos eos unk sep pad cls mask): for each
   type with a `<type>_token` string in tokenizer_config.json, the id of the tokenizer.json
   added token with that content (none if there is no tokenizer.json!); then
   config.json `<type>_token_id` for types not yet set. A vocab.txt-only BERT therefore gets
   only tokenizer.ggml.padding_token_id (from pad_token_id); llama.cpp then falls back to
   its WPM defaults bos(=CLS) 101, unk 100, sep 102, pad 0, mask 103
   (llama-vocab.cpp, tokenizer_model == "bert").
   (2025+ SpecialVocab also parses tokenizer.json's post_processor: bos := cls, eos := sep,
   add_bos/add_eos/add_sep bools, and very recent ones tokenizer.ggml.normalizer_lowercase;
   this script writes the Jan-2025 set.)
 * Tensors (BertModel.modify_tensors + gguf-py tensor_mapping.py TensorNameMap, MODEL_ARCH.BERT;
   constants.py TENSOR_NAMES): a leading "bert." is removed, ".gamma"/".beta" become
   ".weight"/".bias"; embeddings.position_ids, pooler.dense.*, cls.predictions.*,
   cls.seq_relationship.* are dropped; then
     embeddings.word_embeddings            -> token_embd
     embeddings.token_type_embeddings      -> token_types
     embeddings.position_embeddings        -> position_embd
     embeddings.LayerNorm                  -> token_embd_norm
     encoder.layer.N.attention.self.query  -> blk.N.attn_q      (.key -> attn_k, .value -> attn_v)
     encoder.layer.N.attention.output.dense      -> blk.N.attn_output
     encoder.layer.N.attention.output.LayerNorm  -> blk.N.attn_output_norm
     encoder.layer.N.intermediate.dense    -> blk.N.ffn_up
     encoder.layer.N.output.dense          -> blk.N.ffn_down
     encoder.layer.N.output.LayerNorm      -> blk.N.layer_output_norm
   each with its .weight / .bias suffix. Tensor order = the order the converter reads them:
   safetensors parts in sorted file-name order, tensor names sorted within a part.
   Data is not transposed: the HF row-major bytes are written as they are.
 * Output types (Model.prepare_tensors): F32 if the tensor is 1-D or its name ends in
   "_norm.weight", or it is position_embd.weight or token_types.weight, or its name does not
   end in ".weight" (all biases); otherwise F32 / F16 / Q8_0 according to --type (this
   includes token_embd). Q8_0 needs ne[0] % 32 == 0, else the converter falls back to F16.
   F16 source data converted to F16 stays bit-exact; to F32 it is widened exactly; BF16/F64
   sources are first made F32 (the converter's `data_torch.to(torch.float32)`).
   F32 -> F16 is round-to-nearest-even (numpy astype(float16)).
 * Q8_0 (ggml/src/ggml-common.h block_q8_0, QK8_0 = 32: { ggml_half d; int8_t qs[32]; },
   34 bytes; ggml/src/ggml-quants.c quantize_row_q8_0_ref; gguf-py quants.py
   __quantize_q8_0_rows, bit-exact with it): per block of 32 consecutive floats of a row,
   amax = max |x|, d = amax / 127 (float32), id = d ? 1/d : 0 (float32), stored d = fp16(d)
   (round to nearest even), qs[j] = roundf(x[j] * id) (float32 product, rounding half away
   from zero). Note: the quants use the float32 d/id, not the fp16-rounded d.
 * general.name is id_to_title(<model dir name>) and general.size_label is the parameter
   count rounded as gguf-py's model_weight_count_rounded_notation (e.g. "23M", "2.1M"); the
   real Metadata heuristics (model card, _name_or_path, basename/finetune/version parsing)
   are not reproduced - readers must not depend on general.* beyond architecture,
   file_type, alignment and quantization_version. `--name` overrides the name.
 * Older converters (2024) differ in: no general.type / size_label /
   quantization_version, general.name = directory name (`--legacy-metadata` writes that;
   with it, --vocab-only on bge-small-en-v1.5's tokenizer files reproduces llama.cpp's
   models/ggml-vocab-bert-bge.gguf byte for byte), `data_torch.squeeze()` before writing
   (a type_vocab_size == 1 token_types tensor became 1-D [n_embd]), and before ~July 2024
   position_embd / token_types were not forced to F32 (F16 in an F16 file). Those tensor
   differences are not reproduced.

NomicBert (config.json architectures[0] "NomicBertModel", model_type "nomic_bert": nomic-embed-text
v1 / v1.5, nomic-bert-2048) follows convert_hf_to_gguf.py class NomicBertModel(BertModel) at the
same commit 0061955a; everything above holds except:
 * general.architecture = "nomic-bert" (constants.py MODEL_ARCH_NAMES[MODEL_ARCH.NOMIC_BERT]) and
   every model key is "nomic-bert.*". Keys and order: nomic-bert.block_count (n_layer),
   .context_length = 2048 ALWAYS (NomicBertModel.__init__ sets hparams["n_ctx"] = 2048, "the HF
   config claims n_ctx=8192, but it uses RoPE scaling"; n_positions is not read; a config
   max_position_embeddings would win), .embedding_length (n_embd), .feed_forward_length (n_inner,
   written as is), .attention.head_count (n_head), .attention.layer_norm_epsilon (f32, from
   layer_norm_epsilon), general.file_type, .attention.causal = false, .pooling_type (u32, only
   with a sentence-transformers Pooling module; nomic-embed-text has MEAN), then
   .rope.freq_base (f32, from rotary_emb_base, e.g. 1000.0; NomicBertModel.set_gguf_parameters
   after BertModel's, so it comes after pooling_type). No head_count_kv, no rope scaling keys
   (rotary_scaling_factor / dynamic NTK is not recorded). The vocabulary part is BertModel's.
 * The converter asserts (KeyError if absent): activation_function == "swiglu", causal is False,
   qkv_proj_bias / mlp_fc1_bias / mlp_fc2_bias is False (no bias tensors at all besides the
   LayerNorms), prenorm is False, rotary_emb_fraction == 1.0, rotary_emb_interleaved is False,
   rotary_emb_scale_base is None. This script refuses the same configs.
 * Tensors (BertModel.modify_tensors as above, then TensorNameMap for MODEL_ARCH.NOMIC_BERT:
   tensor_mapping.py entries marked "nomic-bert"; constants.py MODEL_TENSORS[NOMIC_BERT]):
     embeddings.word_embeddings       -> token_embd        [vocab_size, n_embd], padded rows kept
     embeddings.token_type_embeddings -> token_types       (F32 like BERT's)
     emb_ln                           -> token_embd_norm   (.weight/.bias)
     encoder.layers.N.attn.Wqkv       -> blk.N.attn_qkv    [3*n_embd, n_embd], unsplit, unpermuted
     encoder.layers.N.attn.out_proj   -> blk.N.attn_output
     encoder.layers.N.norm1           -> blk.N.attn_output_norm
     encoder.layers.N.mlp.fc11        -> blk.N.ffn_up      (the value branch ...
     encoder.layers.N.mlp.fc12        -> blk.N.ffn_gate    ... the SiLU-ed one: HF NomciBertGatedMLP
                                                            computes fc2(fc11(x) * silu(fc12(x))),
                                                            llama.cpp down(silu(gate x) * up x))
     encoder.layers.N.mlp.fc2         -> blk.N.ffn_down
     encoder.layers.N.norm2           -> blk.N.layer_output_norm
   No position_embd (RoPE); *.rotary_emb.inv_freq is skipped (Model.prepare_tensors), the
   bert./pooler/cls.* rules are inherited. Types as above: norms and biases F32, every matrix
   (token_embd, attn_qkv, attn_output, ffn_up/gate/down) F32/F16/Q8_0 by --type.
 * Padded vocabulary: HF NomicBertModel pads vocab_size up to pad_vocab_size_multiple (64) and
   the published configs already say the padded size (30528 for the 30522-token BERT vocab). The
   converter does NOT trim token_embd: it keeps all 30528 rows, and get_vocab_base writes
   vocab_size tokens, the 6 missing ids as "[PAD30522]".."[PAD30527]" with type UNUSED (5)
   (bracketed, so kept as is by the phantom-space rewrite), so n_vocab == token_embd rows.
 * Loader side (src/llama-model.cpp, LLM_ARCH_NOMIC_BERT): hparams read layer_norm_epsilon,
   causal and pooling_type (REQUIRED for nomic-bert, unlike bert); tensors token_embd
   {n_embd, n_vocab}, token_types {n_embd, n_token_types}, token_embd_norm(+bias), per layer
   attn_qkv {n_embd, 3*n_embd}, attn_output {n_embd, n_embd}, attn_output_norm(+bias),
   ffn_up/ffn_gate {n_embd, n_ff}, ffn_down {n_ff, n_embd}, layer_output_norm(+bias); RoPE type
   NEOX with rope.freq_base. Caveat: HF's gated MLP rounds n_inner UP to a multiple of 256, but
   the converter writes n_inner as feed_forward_length; with n_inner not a multiple of 256 (not
   the case for the real 3072) llama.cpp refuses the file (wrong ffn shape). This script writes
   what the converter writes and prints a warning.
 * Later converters (mid-2025 MoE support, conversion/bert.py in 2026) differ: context_length
   from n_positions/max_trained_positions (8192/2048 -> 2048, 2048/2048 -> 512, anything else is
   an error), tokenizer.json is required (read to detect a Unigram/XLM-R tokenizer), the 2026
   phantom rule (--phantom control). Not reproduced beyond --phantom.

JinaBert (config.json architectures[0] "JinaBertModel" or "JinaBertForMaskedLM", model_type
"bert" with "position_embedding_type": "alibi" and "feed_forward_type": "geglu":
jina-embeddings-v2-small-en, -base-en and the other v2 embedding models) follows
convert_hf_to_gguf.py class JinaBertV2Model(BertModel) at the same commit 0061955a; everything of
BertModel holds except:
 * general.architecture = "jina-bert-v2" (constants.py MODEL_ARCH_NAMES[MODEL_ARCH.JINA_BERT_V2])
   and every model key is "jina-bert-v2.*", the same keys in the same order as for bert: block_count,
   context_length (max_position_embeddings: ALiBi has no table, 8192 in the released configs),
   embedding_length, feed_forward_length (intermediate_size = the width of ONE half of
   mlp.gated_layers), attention.head_count, attention.layer_norm_epsilon, general.file_type,
   attention.causal = false, pooling_type (from a sentence-transformers Pooling module, as bert).
   Nothing records ALiBi or the gated FFN: llama.cpp's jina-bert-v2 implies both.
 * Vocabulary (JinaBertV2Model.set_vocab): tokenizer_config.json's "tokenizer_class" is read (the
   file and the key are required there: FileNotFoundError / KeyError). "BertTokenizer" ->
   BertModel.set_vocab, everything as above (bert-base-uncased's vocabulary hashes to pre
   "jina-v2-en"); "RobertaTokenizer" (jina-embeddings-v2-base-code/-de/-es, byte-level BPE) ->
   _set_vocab_gpt2 + token_type_count 2 (below); any other class -> NotImplementedError (refused). Then, whatever the tokenizer, tokenizer.ggml.add_bos_token = true
   and tokenizer.ggml.add_eos_token = true (add_add_bos_token / add_add_eos_token), after the
   special ids, SpecialVocab's add_*_token bools and chat template, before
   general.quantization_version. A tokenizer_config.json with its own add_bos_token /
   add_eos_token would make GGUFWriter raise "Duplicated key name"; so does this script.
 * _set_vocab_gpt2 (tokenizer.json required, model type BPE): get_vocab_base's tokens and types as
   for WordPiece, but the tokens are tokenizer.json's byte-level strings as they are (no U+2581
   rewrite; U+2581 becomes a space in user-defined added tokens only); then
   tokenizer.ggml.model = "gpt2", tokenizer.ggml.pre, tokenizer.ggml.tokens,
   tokenizer.ggml.token_type, SpecialVocab(load_merges=True): tokenizer.ggml.merges (model.merges
   as "left right" strings, [left, right] pairs joined by a space), the special ids, add_* bools,
   chat template; then tokenizer.ggml.token_type_count = 2, then add_bos/add_eos as above. The
   pre name comes from get_vocab_base_pre's hash of what the HF tokenizer makes of CHKTXT; this
   script runs no BPE tokenizer, so --pre is required (jina-v2-code, jina-v2-de, jina-v2-es are
   the real models' names).
 * Tensors: JinaBertV2Model.get_tensors wraps Model.get_tensors (so it sees the names before
   modify_tensors drops "bert."): a tensor whose name contains "gated_layer", i.e.
   encoder.layer.N.mlp.gated_layers.weight [2I, H] (JinaBertGLUMLP's Linear(H, 2I, bias=False);
   I = intermediate_size, read in __init__: KeyError without it), is replaced, where it stands in
   the sorted order, by two tensors: data[:I, :] (rows 0..I-1, a contiguous byte range) named
   ...mlp.gated_layers_w.weight, then data[I:, :] named ...mlp.gated_layers_v.weight. Then
   BertModel.modify_tensors and TensorNameMap for MODEL_ARCH.JINA_BERT_V2 (tensor_mapping.py
   entries marked "jina-bert-v2"; constants.py MODEL_TENSORS[JINA_BERT_V2], which has no POS_EMBD:
   a position_embeddings table would be "Can not map tensor"):
     embeddings.word_embeddings          -> token_embd        (as bert; likewise
     embeddings.token_type_embeddings    -> token_types        the attention tensors:
     embeddings.LayerNorm                -> token_embd_norm    blk.N.attn_q/k/v, attn_output,
                                                               attn_output_norm)
     encoder.layer.N.mlp.gated_layers_w  -> blk.N.ffn_gate   [I, H]  HF JinaBertGLUMLP: h = x W^T,
     encoder.layer.N.mlp.gated_layers_v  -> blk.N.ffn_up     [I, H]  GELU(h[..., :I]) * h[..., I:];
                                                                     llama.cpp gelu(gate x) * (up x)
     encoder.layer.N.mlp.wo              -> blk.N.ffn_down   [H, I] (+ .bias)
     encoder.layer.N.mlp.layernorm       -> blk.N.layer_output_norm
   Types as for bert (the two halves are matrices: F32/F16/Q8_0 by --type). The test model
   (H 96, I 128, 2 layers, 34 HF tensors) gives 36 GGUF tensors.
 * The qk-post-norm variant (jinaai/jina-bert-v2-qk-post-norm, i.e. jina-embeddings-v2-base-code)
   goes through the same class: attention.self.layer_norm_q/_k -> attn_q_norm/attn_k_norm,
   layer_norm_1 -> attn_norm_2, layer_norm_2 -> layer_output_norm, mlp.down_layer -> ffn_down, and
   mlp.up_gated_layer split the other way round: rows 0..I-1 -> gated_layers_v = ffn_up, rows
   I..2I-1 -> gated_layers_w = ffn_gate (its second half is the one through GELU, so llama.cpp's
   gelu(ffn_gate x) * (ffn_up x) is the model's). Its --jina-unsplit form is not reproduced.
 * Refused, with a message: a gated_layers bias (the converter's 2-D
   slice raises on it); gated_layers not 2I rows (the converter would write halves llama.cpp
   refuses); a config.json without "position_embedding_type": "alibi" or "feed_forward_type":
   "geglu" (the converter does not look at either, but llama.cpp's jina-bert-v2 graph is ALiBi +
   GELU-gated whatever the file says, so it would compute another model).
 * Loader side (llama.cpp v0.5.0, src/models/jina-bert-v2.cpp + src/models/bert.cpp): hparams
   layer_norm_epsilon, causal, pooling_type (optional: absent = NONE) and f_max_alibi_bias = 8;
   tensors token_embd {n_embd, n_vocab}, token_types {n_embd, n_token_types} (required),
   token_embd_norm(+bias), per layer attn_q/k/v(+bias), attn_output(+bias),
   attn_output_norm(+bias), attn_q_norm/attn_k_norm/attn_norm_2 (optional), ffn_gate {n_embd,
   n_ff} (optional since the unsplit form below), ffn_up {n_embd, n_ff} (or {n_embd, 2 n_ff}
   without ffn_gate), ffn_down {n_ff, n_embd} + bias, layer_output_norm(+bias). Graph: no position
   input; token-type row 0 added; ALiBi through the attention mask (-|i - j| for every pair, times
   the per-head slope ggml_soft_max_ext derives from max_bias 8: 2^(-8(h+1)/n) for h < n = the
   largest power of two <= n_head, then 2^(-4(2(h-n)+1)/n): HF's _get_alibi_head_slopes); FFN
   build_ffn(up, gate, down, GELU, PAR) = ffn_down(gelu(ffn_gate x) * (ffn_up x)) + b (ggml's CPU
   GELU: the tanh form, looked up in a table over fp16 inputs).
 * Later converters (conversion/bert.py in llama.cpp v0.5.0; tensor_mapping.py "split up/gate,
   no longer used") write mlp.gated_layers unsplit as blk.N.ffn_up [2I, H] with no ffn_gate
   (llama.cpp's loader then applies GEGLU to it, first half through GELU) and do not add the
   add_bos/add_eos bools. Not reproduced.

XLMRobertaModel (architectures[0] "XLMRobertaModel": bge-m3, multilingual-e5-*,
paraphrase-multilingual-*), a BertModel of architecture "bert" with:
 * _xlmroberta_tokenizer_init: with pad_token_id set, _position_offset = pad_token_id + 1 and
   max_position_embeddings less that (context_length 512 for 514 positions); tensors lose
   "roberta." and embeddings.position_embeddings.weight its first _position_offset rows
   (RoBERTa's positions start at pad_token_id + 1), so position i of the file is HF's i + 2.
 * _xlmroberta_set_vocab from tokenizer.json (the test models have no sentencepiece.bpe.model;
   with one, the converter reads it through sentencepiece and realigns fairseq's ids, giving
   the same pieces but "[PADn]" at <mask>'s id): the HF ids' pieces and scores ("[PADn]", UNUSED,
   -10000 past the tokenizer's ids), types UNKNOWN for unk_token, CONTROL for the special
   tokens, USER_DEFINED for other added tokens, NORMAL otherwise; then tokenizer.ggml.model "t5",
   pre "default", tokens, scores (FLOAT32), token_type, add_space_prefix (written true: what
   sentencepiece's add_dummy_prefix is for XLM-R; from a tokenizer.json the converter asks the HF
   tokenizer), token_type_count, remove_extra_whitespaces (tokenizer_config.json's
   clean_up_tokenization_spaces), precompiled_charsmap (the Precompiled normalizer's bytes,
   written here as UINT8, which llama.cpp reads with INT8), then SpecialVocab as above. Last,
   add_bos_token and add_eos_token true unless SpecialVocab wrote them: what the converter
   writes since SpecialVocab reads the post_processor ("<s> $A </s>"); without them llama.cpp's
   Unigram default is no <s>.

Checked (outside the repo) against: llama.cpp's models/ggml-vocab-bert-bge.gguf (byte
identical, see above); @huggingface/gguf's parser; a numpy port of gguf-py quants.py and
ggml's C quantize_row_q8_0_ref (tensor data bit-identical); the 47 tokenizer test vectors
of ggml-vocab-bert-bge.gguf.inp/.out (the WordPiece used for the pre hash).

Quantized types (--type q4_k_m etc.): the file `llama-quantize MODEL-F32.gguf OUT.gguf Q4_K_M`
writes from the --type f32 file of the same directory (no imatrix, no --pure /
--output-tensor-type / --token-embedding-type / --tensor-type / --leave-output-tensor). Rules
from src/llama-quant.cpp (+ src/llama-model-loader.h, ggml/src/gguf.cpp, include/llama.h,
tools/quantize/quantize.cpp) of llama.cpp v0.5.0 (ggml-org/llama.cpp release tag v0.5.0,
"bump version to 0.5.0 (#29333)"; read from the source bundle node-llama-cpp 3.22.1 ships,
node_modules/node-llama-cpp/llama/gitRelease.bundle, whose prebuilt libraries do the
quantizing). Checked: for the f16, odd (hidden 45), nomic, minilm (384), multi (128) and bge
(12 layers) test models and all 15 types, the output is byte-identical to llama.cpp's own
llama_model_quantize (libllama, via tests/scripts/ggml_ref/llama_quantize.py) run on the
--type f32 file (also with a type_vocab_size 1 variant, for the n_dims rule).
 * Values: the F32 file's, i.e. the source widened to float32 exactly (F16/BF16) or rounded
   (F64). llama-quantize from an F16 file gives the same bytes when the source is F16 (the f16
   test model), not otherwise.
 * Metadata (llama_model_quantize_impl): the input KVs in order (gguf_set_kv), then
   gguf_set_val_u32 of general.quantization_version = 2 (GGML_QNT_VERSION) and of
   general.file_type; gguf_set_val_* removes an existing key and appends it, so both move to
   the very end, in that order (with --legacy-metadata quantization_version is added there).
   general.file_type = LlamaFileType / llama_ftype: Q4_0 2, Q4_1 3, Q5_0 8, Q5_1 9, Q2_K 10,
   Q3_K_S 11, Q3_K_M 12, Q3_K_L 13, Q4_K_S 14, Q4_K_M 15, Q5_K_S 16, Q5_K_M 17, Q6_K 18,
   IQ4_NL 25, IQ4_XS 30. Nothing else changes (no alignment key, no quantize.* keys: those are
   only written with an imatrix).
 * Tensor order: llama_model_loader's weights_map (std::map with weight_name_comparer): the
   tensors without "blk.N." first, then by layer number N, and by name (byte order) within
   each group - e.g. position_embd, token_embd, token_embd_norm.bias, token_embd_norm.weight,
   token_types, blk.0.attn_k.bias, ... (not the converter's order).
 * Tensor infos (gguf.cpp write_tensor_meta): n_dims = ggml_n_dims, i.e. trailing ne of 1
   dropped (a type_vocab_size 1 token_types [64, 1] is written as 1-D [64]); data padded to 32
   as before.
 * Which tensors are quantized (tensor_allows_quantization): ggml_n_dims >= 2, the name ends
   in "weight", and it is not *_norm.weight, position_embd.weight, token_types.weight (nor the
   other architectures' exceptions: ffn_gate_inp, ssm_conv1d, time_mix_*, ...). All others
   (1-D tensors, biases, norms, position_embd, token_types) are copied: F32.
 * Mix rules (llama_tensor_get_type_impl), with the default type of the ftype
   (llama_ftype_get_default_type: q4_0, q4_1, q5_0, q5_1, q2_K, q3_K (Q3_K_S/M/L), q4_K
   (Q4_K_S/M), q5_K (Q5_K_S/M), q6_K, iq4_nl, iq4_xs) for everything not listed:
   - token_embd: when the file has no output.weight (BERT: "tied" embeddings,
     has_tied_embeddings) it is treated as the output tensor: Q8_0 if ne[0] is not a
     multiple of the default type's block, else Q6_K (every mix here).
   - attn_v (and attn_qkv, attn_kv_b: same "attn_v-like" branch, so nomic-bert's attn_qkv
     follows it; the separate attn_qkv branch is unreachable), i = running count of such
     tensors in tensor order, n = their number: Q2_K -> Q3_K (Q4_K if n_gqa >= 4); Q3_K_M
     -> Q5_K for i < 2 else Q4_K; Q3_K_L -> Q5_K; IQ4_NL/IQ4_XS with n_gqa >= 4 -> Q5_K;
     Q4_K_M/Q5_K_M -> Q6_K if use_more_bits(i, n); Q4_K_S -> Q5_K for i < 4.
   - ffn_down, i = running count (the layer, tensors being in layer order), n = block_count
     (hparams.n_layer_all): Q2_K -> Q3_K; Q3_K_M -> Q5_K if i < n/16 else Q4_K; Q3_K_L ->
     Q5_K; Q4_K_M -> Q6_K if use_more_bits(i, n); IQ4_NL/IQ4_XS -> Q5_K if i < n/8; Q5_K_M ->
     Q6_K if use_more_bits(i, n); Q4_K_S -> Q5_K if i < n/8.
   - attn_output: Q2_K -> Q3_K, Q3_K_M -> Q4_K, Q3_K_L -> Q5_K.
   - attn_q, attn_k, ffn_up, ffn_gate: the default type (their rules are for IQ2/IQ3 mixes
     and 8-expert models).
   use_more_bits(i, n) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2 (integer division); for
   BERT's 2 layers: false for layer 0, true for layer 1. n_gqa = head_count /
   head_count_kv (1 for BERT). Branches for falcon, 70B llama, MoE, imatrix runs are left out.
 * Fallback (tensor_type_fallback) when ne[0] is not a multiple of the chosen type's block:
   IQ4_XS -> IQ4_NL; Q2_K, Q3_K -> Q4_0; Q4_K -> Q5_0; Q5_K -> Q5_1; Q6_K -> Q8_0; a 32-block
   type stays; then, if ne[0] is not a multiple of the new type's block either (e.g. not of
   32), F16. A warning is printed for each, as llama-quantize does. (Older llama-quant.cpp,
   e.g. 2024-2025, fell back Q2_K/Q3_K -> IQ4_NL instead of Q4_0.) For hidden 64 every
   attention matrix and ffn_up of a K/IQ4_XS mix falls back; hidden 45 (odd) gives F16.
 * Data: each quantized tensor is ggml_quantize_chunk(type, rows, no imatrix) of libggml-base
   (row by row independent, so the slab size does not matter), checked with
   ggml_validate_row_data like llama_tensor_quantize_impl; F16 is ggml_fp32_to_fp16_row.
 * nomic-bert: the same rules; the test model's n_inner 200 with 256-wide MLP tensors quantizes
   fine (no tensor is 200 wide) but llama.cpp still refuses to load the result.
"""

import argparse
import base64
import ctypes
import hashlib
import json
import math
import os
import re
import struct
import sys
import unicodedata

# ---------------------------------------------------------------- GGUF constants

GGUF_VERSION = 3
ALIGNMENT = 32
QUANT_VERSION = 2

(T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR,
 T_U64, T_I64, T_F64) = range(13)

GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
QK8_0 = 32
Q8_0_BLOCK_BYTES = 2 + QK8_0
FILE_TYPE = {"f32": 0, "f16": 1, "q8_0": 7}          # LlamaFileType
TARGET = {"f32": GGML_F32, "f16": GGML_F16, "q8_0": GGML_Q8_0}

TOK_NORMAL, TOK_UNKNOWN, TOK_CONTROL, TOK_USER_DEFINED, TOK_UNUSED, TOK_BYTE = 1, 2, 3, 4, 5, 6
POOLING_MEAN, POOLING_CLS = 1, 2

# Model.get_vocab_base_pre: hashes of WordPiece-style tokenizers (the last matching entry wins).
PRE_BY_HASH = {
    "0876d13b50744004aa9aeae05e7b0647eac9d801b5ba4668afc01e709c15e19f": "jina-v2-en",  # also "bert-bge"
    "8e62295832751ca1e8f92f2226f403dea30dc5165e448b5bfa05af5340c64ec7": "bert-bge-large",
    "c7699093ba4255a91e702aa38a596aa81669f3525dae06c2953267dde580f448": "jina-v1-en",
}

# The text hashed by Model.get_vocab_base_pre (identical in every converter version).
CHKTXT = ('\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n\U0001f680 (normal) \U0001f636\u200d'
          '\U0001f32b\ufe0f (multiple emojis concatenated) \u2705 \U0001f999\U0001f999 3 33 333 '
          '3333 33333 333333 3333333 33333333 3.3 3..3 3...3 \u1780\u17b6\u1793\u17cb\u178f'
          '\u17c2\u1796\u17b7\u179f\u17c1\u179f\u17a2\u17b6\u1785\U0001f601 ?\u6211\u60f3\u5728'
          'apple\u5de5\u4f5c1314151\u5929\uff5e ------======= \u043d\u0435\u0449\u043e \u043d'
          '\u0430 \u0411\u044a\u043b\u0433\u0430\u0440\u0441\u043a\u0438 \'\'\'\'\'\'```````'
          '""""......!!!!!!?????? I\'ve been \'told he\'s there, \'RE you sure? \'M not sure '
          'I\'ll make it, \'D you like some tea? We\'Ve a\'lL')


def die(msg):
    sys.stderr.write("make_gguf.py: " + msg + "\n")
    sys.exit(1)


def load_json(path):
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------- GGUF serialisation

def p_str(s):
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    return struct.pack("<Q", len(b)) + b


_SCALAR_FMT = {T_U8: "<B", T_I8: "<b", T_U16: "<H", T_I16: "<h", T_U32: "<I", T_I32: "<i",
               T_F32: "<f", T_BOOL: "<?", T_U64: "<Q", T_I64: "<q", T_F64: "<d"}


def p_value(vtype, value, etype=None):
    if vtype == T_STR:
        return p_str(value)
    if vtype == T_ARR:
        out = [struct.pack("<IQ", etype, len(value))]
        if etype == T_STR:
            out.extend(p_str(v) for v in value)
        else:
            out.append(struct.pack("<%d%s" % (len(value), _SCALAR_FMT[etype][1]), *value))
        return b"".join(out)
    return struct.pack(_SCALAR_FMT[vtype], value)


class KV:
    """Ordered GGUF metadata, with GGUFWriter's rules (no duplicates, empty str/array skipped)."""

    def __init__(self):
        self.items = []
        self.keys = set()

    def add(self, key, vtype, value, etype=None):
        if key in self.keys:
            die("duplicated key %r" % key)
        if vtype in (T_STR, T_ARR) and len(value) == 0:
            return
        self.keys.add(key)
        self.items.append((key, vtype, value, etype))

    def encode(self):
        out = []
        for key, vtype, value, etype in self.items:
            out.append(p_str(key))
            out.append(struct.pack("<I", vtype))
            out.append(p_value(vtype, value, etype))
        return b"".join(out)


def pad_to(n, a=ALIGNMENT):
    return (n + a - 1) // a * a


# ---------------------------------------------------------------- safetensors

ST_DTYPES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8}


def read_safetensors_header(path):
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            die("%s: truncated" % path)
        n = struct.unpack("<Q", raw)[0]
        size = os.fstat(f.fileno()).st_size
        if n > size - 8:
            die("%s: bad header length" % path)
        hdr = json.loads(f.read(n).decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in hdr.items():
        if name == "__metadata__":
            continue
        dt = info["dtype"]
        shape = [int(x) for x in info["shape"]]
        b, e = info["data_offsets"]
        count = 1
        for d in shape:
            count *= d
        if dt not in ST_DTYPES:
            die("%s: tensor %s has dtype %s (only F32/F16/BF16/F64 supported)" % (path, name, dt))
        if e - b != count * ST_DTYPES[dt] or base + e > size:
            die("%s: tensor %s has bad data_offsets" % (path, name))
        out[name] = {"path": path, "dtype": dt, "shape": shape, "offset": base + b,
                     "nbytes": e - b, "count": count}
    return out


def load_tensors(model_dir):
    # Model.get_model_part_names: files "model*.safetensors", sorted; keys sorted per part.
    parts = sorted(fn for fn in os.listdir(model_dir)
                   if fn.startswith("model") and fn.endswith(".safetensors"))
    if not parts:
        die("%s: no model*.safetensors" % model_dir)
    order = []
    for fn in parts:
        hdr = read_safetensors_header(os.path.join(model_dir, fn))
        for name in sorted(hdr):
            order.append((name, hdr[name]))
    return order


def f32_round(vals):
    """Round doubles to float32 (numpy semantics: overflow -> inf)."""
    try:
        return list(struct.unpack("<%df" % len(vals), struct.pack("<%df" % len(vals), *vals)))
    except OverflowError:
        out = []
        for v in vals:
            try:
                out.append(struct.unpack("<f", struct.pack("<f", v))[0])
            except OverflowError:
                out.append(math.copysign(math.inf, v))
        return out


def read_values(f, src, start, count):
    """Elements [start, start+count) of a source tensor as Python floats holding float32 values."""
    es = ST_DTYPES[src["dtype"]]
    f.seek(src["offset"] + start * es)
    raw = f.read(count * es)
    dt = src["dtype"]
    if dt == "F32":
        return list(struct.unpack("<%df" % count, raw))
    if dt == "F16":
        return list(struct.unpack("<%de" % count, raw))
    if dt == "BF16":
        hs = struct.unpack("<%dH" % count, raw)
        return list(struct.unpack("<%df" % count, struct.pack("<%dI" % count, *[h << 16 for h in hs])))
    return f32_round(list(struct.unpack("<%dd" % count, raw)))          # F64 -> F32


def to_f16_bytes(vals):
    try:
        return struct.pack("<%de" % len(vals), *vals)
    except OverflowError:                       # numpy gives +-inf where struct refuses
        out = []
        for v in vals:
            try:
                out.append(struct.pack("<e", v))
            except OverflowError:
                out.append(b"\x00\x7c" if v > 0 else b"\x00\xfc")
        return b"".join(out)


def q8_0_bytes(vals):
    """quantize_row_q8_0_ref on float32 values (len multiple of 32)."""
    n = len(vals)
    nb = n // QK8_0
    ds = []
    prods = []
    for i in range(nb):
        blk = vals[i * QK8_0:(i + 1) * QK8_0]
        amax = 0.0
        for v in blk:
            a = -v if v < 0 else v
            if a > amax:
                amax = a
        ds.append(amax / 127.0)
    ds = f32_round(ds)                                   # float d = amax / 127
    ids = f32_round([1.0 / d if d != 0.0 else 0.0 for d in ds])   # float id = d ? 1/d : 0
    for i in range(nb):
        idv = ids[i]
        prods.extend(v * idv for v in vals[i * QK8_0:(i + 1) * QK8_0])
    prods = f32_round(prods)                             # float x0 = x*id
    out = []
    floor = math.floor
    for i in range(nb):
        out.append(to_f16_bytes([ds[i]]))
        qs = []
        for x0 in prods[i * QK8_0:(i + 1) * QK8_0]:
            q = floor(x0 + 0.5) if x0 >= 0 else -floor(-x0 + 0.5)   # roundf: half away from zero
            qs.append(int(q))
        out.append(struct.pack("<32b", *qs))
    return b"".join(out)


# ---------------------------------------------------------------- tensor names

# Per architecture: (the HF layer list's name, model-level tensors, per-block tensors).
BERT_NAMES = ("layer", {
    "embeddings.word_embeddings": "token_embd",
    "embeddings.token_type_embeddings": "token_types",
    "embeddings.position_embeddings": "position_embd",
    "embeddings.LayerNorm": "token_embd_norm",
}, {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
})

NOMIC_NAMES = ("layers", {           # tensor_mapping.py entries marked "# nomic-bert"
    "embeddings.word_embeddings": "token_embd",
    "embeddings.token_type_embeddings": "token_types",
    "emb_ln": "token_embd_norm",
}, {
    "attn.Wqkv": "attn_qkv",
    "attn.out_proj": "attn_output",
    "norm1": "attn_output_norm",
    "mlp.fc11": "ffn_up",            # value branch: y = fc11(x) * silu(fc12(x))
    "mlp.fc12": "ffn_gate",          # gated (activated) branch
    "mlp.fc2": "ffn_down",
    "norm2": "layer_output_norm",
})

JINA_NAMES = ("layer", {             # MODEL_TENSORS[JINA_BERT_V2]: no position_embd
    "embeddings.word_embeddings": "token_embd",
    "embeddings.token_type_embeddings": "token_types",
    "embeddings.LayerNorm": "token_embd_norm",
}, {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "mlp.gated_layers_w": "ffn_gate",   # rows [0, I) of mlp.gated_layers: the GELU-ed half
    "mlp.gated_layers_v": "ffn_up",     # rows [I, 2I): the half it multiplies
    "mlp.wo": "ffn_down",
    "mlp.layernorm": "layer_output_norm",
    # the qk-post-norm variant (jina-embeddings-v2-base-code): tensor_mapping.py's entries marked
    # "jina-bert-v2" for these names
    "attention.self.layer_norm_q": "attn_q_norm",
    "attention.self.layer_norm_k": "attn_k_norm",
    "layer_norm_1": "attn_norm_2",
    "layer_norm_2": "layer_output_norm",
    "mlp.down_layer": "ffn_down",
})

JINA_ARCHS = ("JinaBertModel", "JinaBertForMaskedLM")   # @Model.register of JinaBertV2Model

# Tensors of the qk-post-norm variant (jinaai/jina-bert-v2-qk-post-norm, jina-embeddings-v2-base-code)
JINA_QK_POST_NORM = re.compile(r"(^|\.)encoder\.layer\.\d+\.(attention\.self\.layer_norm_[qk]|"
                               r"layer_norm_[12]|mlp\.up_gated_layer|mlp\.down_layer)\.")


def map_tensor_name(name, n_layer, names):
    """BertModel.modify_tensors (NomicBertModel and JinaBertV2Model inherit it) +
    TensorNameMap.get_name for MODEL_ARCH.BERT, NOMIC_BERT or JINA_BERT_V2 (names: BERT_NAMES,
    NOMIC_NAMES or JINA_NAMES); None = dropped."""
    layers, top, blk = names
    if name.startswith("bert."):
        name = name[5:]
    if name.endswith(".gamma"):
        name = name[:-6] + ".weight"
    if name.endswith(".beta"):
        name = name[:-5] + ".bias"
    if name in ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"):
        return None
    if name.startswith("cls.predictions") or name.startswith("cls.seq_relationship"):
        return None
    for suffix in (".weight", ".bias"):
        if name.endswith(suffix):
            base = name[:-len(suffix)]
            break
    else:
        die("Can not map tensor %r" % name)
    if base in top:
        return top[base] + suffix
    parts = base.split(".", 3)
    if len(parts) == 4 and parts[0] == "encoder" and parts[1] == layers and parts[2].isdecimal():
        bid = int(parts[2])
        if bid < n_layer and parts[3] in blk:
            return "blk.%d.%s%s" % (bid, blk[parts[3]], suffix)
    die("Can not map tensor %r" % name)


def choose_type(new_name, shape, outtype):
    """Model.prepare_tensors' choice of ggml type."""
    if len(shape) <= 1 or new_name.endswith("_norm.weight"):
        return GGML_F32
    if new_name in ("position_embd.weight", "token_types.weight") or not new_name.endswith(".weight"):
        return GGML_F32
    t = TARGET[outtype]
    if t == GGML_Q8_0 and shape[-1] % QK8_0 != 0:
        sys.stderr.write("make_gguf.py: %s: row size %d not a multiple of 32, falling back to F16\n"
                         % (new_name, shape[-1]))
        t = GGML_F16
    return t


def nbytes_of(gtype, shape):
    count = 1
    for d in shape:
        count *= d
    if gtype == GGML_F32:
        return count * 4
    if gtype == GGML_F16:
        return count * 2
    return count // QK8_0 * Q8_0_BLOCK_BYTES


# ---------------------------------------------------------------- llama-quantize (--type q4_k_m etc.)
#
# What `llama-quantize MODEL-F32.gguf OUT.gguf <FTYPE>` does to the F32 file this script writes
# with --type f32 (see the docstring section "Quantized types"). The rules below follow
# src/llama-quant.cpp of llama.cpp v0.5.0 (the source bundled with node-llama-cpp 3.22.1, whose
# libggml-base.so does every quantization here); function names refer to that file.

# --type name -> (LlamaFileType = llama_ftype, default ggml type: llama_ftype_get_default_type)
LQ_FTYPES = {
    "q4_0": (2, "q4_0"), "q4_1": (3, "q4_1"), "q5_0": (8, "q5_0"), "q5_1": (9, "q5_1"),
    "q2_k": (10, "q2_K"),
    "q3_k_s": (11, "q3_K"), "q3_k_m": (12, "q3_K"), "q3_k_l": (13, "q3_K"),
    "q4_k_s": (14, "q4_K"), "q4_k_m": (15, "q4_K"),
    "q5_k_s": (16, "q5_K"), "q5_k_m": (17, "q5_K"),
    "q6_k": (18, "q6_K"),
    "iq4_nl": (25, "iq4_nl"), "iq4_xs": (30, "iq4_xs"),
}

# tensor_allows_quantization: substrings that keep a 2-D+ "*weight" tensor as it is (the ones
# that can occur in any architecture; for bert / nomic-bert only position_embd / token_types
# and *_norm.weight matter)
LQ_KEEP_SUBSTR = ("_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup",
                  "laurel", "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight",
                  "indexer.k_proj.weight", "indexer.q_proj.weight",
                  "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight",
                  "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight",
                  "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight",
                  "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
                  "time_mix_decay_w1.weight", "time_mix_decay_w2.weight",
                  "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd",
                  "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd",
                  ".patch_merger", "a.rvq.codebook", "mm.a.code_embd")
LQ_KEEP_NAMES = ("position_embd.weight", "token_types.weight")   # LLM_TN POS_EMBD / TOKEN_TYPES

# tensor_type_fallback: target type -> type used when ne[0] is not a multiple of its block
LQ_FALLBACK = {"iq1_s": "iq4_nl", "iq1_m": "iq4_nl", "iq2_xxs": "iq4_nl", "iq2_xs": "iq4_nl",
               "iq2_s": "iq4_nl", "iq3_xxs": "iq4_nl", "iq3_s": "iq4_nl", "iq4_xs": "iq4_nl",
               "q2_0": "q4_0", "q2_K": "q4_0", "q3_K": "q4_0", "tq1_0": "q4_0", "tq2_0": "q4_0",
               "q4_K": "q5_0", "q5_K": "q5_1", "q6_K": "q8_0"}


def ggml_n_dims(shape):
    """ggml_n_dims on the GGUF ne (reversed HF shape): trailing size-1 dimensions do not count."""
    ne = list(reversed(shape)) or [1]
    for i in range(len(ne) - 1, 0, -1):
        if ne[i] > 1:
            return i + 1
    return 1


def lq_weights_order(plan):
    """llama_model_loader::weights_map order (weight_name_comparer): tensors without a
    "blk.N." prefix first (layer -1), then by layer number, then by name (byte order)."""
    def key(t):
        m = re.match(r"blk\.([+-]?\d+)\.", t["name"])
        return (int(m.group(1)) if m else -1, t["name"].encode("utf-8"))
    return sorted(plan, key=key)


def lq_category(name):
    """tensor_get_category (first match wins)."""
    if name == "output.weight":
        return "output"
    if name in ("token_embd.weight", "per_layer_token_embd.weight"):
        return "token_embd"
    for sub, cat in (("attn_qkv.weight", "attn_qkv"), ("attn_kv_b.weight", "attn_kv_b"),
                     ("attn_v.weight", "attn_v"), ("attn_k.weight", "attn_k"),
                     ("attn_q.weight", "attn_q"), ("attn_output.weight", "attn_output"),
                     ("ffn_up", "ffn_up"), ("ffn_gate", "ffn_gate"), ("ffn_down", "ffn_down")):
        if sub in name:
            return cat
    return "other"


def lq_allows_quantization(name, shape):
    """tensor_allows_quantization with llama_model_quantize_default_params()."""
    if ggml_n_dims(shape) < 2 or not name.endswith("weight"):
        return False
    if name in LQ_KEEP_NAMES:
        return False
    return not any(s in name for s in LQ_KEEP_SUBSTR)


def lq_assign_types(plan, ftype_name, n_layer, n_gqa, blck):
    """llama_model_quantize_impl's preliminary loop: the ggml type name of every tensor (plan
    in weights_map order, all F32), for a llama-quantize run with default options (no imatrix,
    no --pure, no --output-tensor-type / --token-embedding-type / --tensor-type, n_expert 0,
    arch not falcon, model type not 70B). blck(type name) -> values per block. Returns
    [(type name, fallback message or None)]."""
    ft = ftype_name
    default = LQ_FTYPES[ft][1]
    cats = [lq_category(t["name"]) for t in plan]
    tied = "output" not in cats                       # has_tied_embeddings
    n_attention_wv = sum(c in ("attn_v", "attn_qkv", "attn_kv_b") for c in cats)
    n_ffn = n_layer                                    # n_ffn_down = n_ffn_gate = n_ffn_up
    cnt = {"wv": 0, "down": 0, "gate": 0, "up": 0}

    def use_more_bits(i, n):
        return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2

    def get_type_impl(t, cat):                         # llama_tensor_get_type_impl
        new = default
        ne0 = t["shape"][-1]
        if cat == "output" or (tied and cat == "token_embd"):
            if ne0 % blck(new) != 0:
                new = "q8_0"
            elif new != "q8_0":
                new = "q6_K"                            # (q5_K for the IQ1/IQ2/IQ3_XXS mixes)
        elif cat == "token_embd":
            pass                                        # only IQ1/IQ2/IQ3_XXS/TQ/Q2_0 mixes
        elif cat in ("attn_v", "attn_qkv", "attn_kv_b"):
            i = cnt["wv"]
            if ft == "q2_k":
                new = "q4_K" if n_gqa >= 4 else "q3_K"
            elif ft == "q3_k_m":
                new = "q5_K" if i < 2 else "q4_K"
            elif ft == "q3_k_l":
                new = "q5_K"
            elif ft in ("iq4_nl", "iq4_xs") and n_gqa >= 4:
                new = "q5_K"
            elif ft in ("q4_k_m", "q5_k_m") and use_more_bits(i, n_attention_wv):
                new = "q6_K"
            elif ft == "q4_k_s" and i < 4:
                new = "q5_K"
            cnt["wv"] += 1
        elif cat == "ffn_down":
            i, n = cnt["down"], n_ffn                   # layer_info: the counter when n_expert <= 1
            if ft == "q2_k":
                new = "q3_K"
            elif ft == "q3_k_m":
                new = "q5_K" if i < n // 16 else "q4_K"     # (q3_K only for falcon)
            elif ft == "q3_k_l":
                new = "q5_K"
            elif ft == "q4_k_m":
                if use_more_bits(i, n):
                    new = "q6_K"
            elif i < n // 8 and ft in ("iq4_nl", "iq4_xs"):   # (and no imatrix)
                new = "q5_K"
            elif ft == "q5_k_m" and use_more_bits(i, n):
                new = "q6_K"
            elif ft == "q4_k_s" and i < n // 8:
                new = "q5_K"
            cnt["down"] += 1
        elif cat == "attn_output":
            new = {"q2_k": "q3_K", "q3_k_m": "q4_K", "q3_k_l": "q5_K"}.get(ft, new)
        elif cat == "ffn_gate":
            cnt["gate"] += 1                            # (iq3_xs only)
        elif cat == "ffn_up":
            cnt["up"] += 1                              # (iq3_xs only)
        return new

    out = []
    for t, cat in zip(plan, cats):
        if not lq_allows_quantization(t["name"], t["shape"]):
            out.append(("f32", None))                   # copied as it is (F32 in the input)
            continue
        new = get_type_impl(t, cat)
        ne0, msg = t["shape"][-1], None
        qk = blck(new)
        if ne0 % qk != 0:                               # tensor_type_fallback
            ret = LQ_FALLBACK.get(new)
            if ret is None:
                if qk > 32:
                    die("no tensor type fallback is defined for type %s" % new)
                ret = new
            if ne0 % blck(ret) != 0:
                ret = "f16"
            msg = ("%s: ncols %d not divisible by %d (required for type %s) -> falling back to %s"
                   % (t["name"], ne0, qk, new, ret))
            new = ret
        out.append((new, msg))
    return out


def lq_write_tensor(out, f, src, t, g):
    """Quantize one tensor with ggml (ggml_quantize_chunk, no imatrix) from its float32 values,
    in slabs of whole rows (rows are independent, so the bytes do not depend on the slab size)."""
    if t["qname"] == "f32":
        write_tensor(out, f, src, t)
        return
    row = t["shape"][-1]
    nrows = src["count"] // row
    step = max(1, (1 << 20) // row)
    tid = g.type_id(t["qname"])
    written = 0
    for r0 in range(0, nrows, step):
        nr = min(step, nrows - r0)
        buf = g.quantize(t["qname"], read_values(f, src, r0 * row, nr * row), nr, row)
        if not g.lib.ggml_validate_row_data(tid, buf, len(buf)):
            die("%s: quantized data validation failed" % t["name"])
        out.write(buf)
        written += len(buf)
    assert written == t["nbytes"], (t["name"], written, t["nbytes"])


def load_ggml(path):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ggml_lib                                     # tests/scripts/ggml_lib.py (ctypes)
    g = ggml_lib.Ggml(path)
    g.lib.ggml_validate_row_data.restype = ctypes.c_bool
    g.lib.ggml_validate_row_data.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
    return g


# ---------------------------------------------------------------- BERT tokenizer (for the pre hash)

def _is_ws(c):
    return c in "\t\n\r" or c.isspace() and unicodedata.category(c) in ("Zs", "Zl", "Zp", "Cc")


def _is_control(c):
    if c in "\t\n\r":
        return False
    return unicodedata.category(c) in ("Cc", "Cf", "Cn", "Co", "Cs")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B920 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _is_punc(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def bert_encode(text, vocab, lowercase, strip_accents, chinese, unk_id, cls_id, sep_id):
    """HF BertNormalizer + BertPreTokenizer + WordPiece, [CLS] ... [SEP]."""
    s = []
    for c in text:
        if ord(c) == 0 or c == "\ufffd" or _is_control(c):
            continue
        s.append(" " if _is_ws(c) else c)
    text = "".join(s)
    if chinese:
        text = "".join(" %s " % c if _is_cjk(ord(c)) else c for c in text)
    if strip_accents is None:
        strip_accents = lowercase
    if strip_accents:
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    if lowercase:
        text = text.lower()
    words = []
    cur = []
    for c in text:
        if _is_ws(c):
            if cur:
                words.append("".join(cur))
                cur = []
        elif _is_punc(c):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(c)
        else:
            cur.append(c)
    if cur:
        words.append("".join(cur))
    ids = [cls_id]
    for w in words:
        if len(w) > 100:
            ids.append(unk_id)
            continue
        start, pieces = 0, []
        while start < len(w):
            end = len(w)
            found = None
            while start < end:
                sub = w[start:end] if start == 0 else "##" + w[start:end]
                if sub in vocab:
                    found = vocab[sub]
                    break
                end -= 1
            if found is None:
                pieces = None
                break
            pieces.append(found)
            start = end
        ids.extend(pieces if pieces is not None else [unk_id])
    ids.append(sep_id)
    return ids


# ---------------------------------------------------------------- vocabulary

DEFAULT_SPECIALS = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                    "cls_token": "[CLS]", "mask_token": "[MASK]"}


def token_content(entry):
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and isinstance(entry.get("content"), str):
        return entry["content"]
    return None


def does_token_look_special(t):
    return (t in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
            or (t.startswith("<|") and t.endswith("|>"))
            or (t.startswith("<\uff5c") and t.endswith("\uff5c>"))
            or (t.startswith("<unused") and t.endswith(">")))


def load_vocab(model_dir, hparams, bpe=False):
    """Model.get_vocab_base for a WordPiece tokenizer (bpe: a byte-level BPE one, whose
    tokenizer.json is required): (tokens, toktypes, vocab dict, norm cfg, tokenizer_config,
    added tokens)."""
    tj_path = os.path.join(model_dir, "tokenizer.json")
    tc_path = os.path.join(model_dir, "tokenizer_config.json")
    tcfg = load_json(tc_path) if os.path.isfile(tc_path) else {}
    added = {}                                  # id -> (content, special)
    if bpe and not os.path.isfile(tj_path):
        die("%s: a RobertaTokenizer model needs its tokenizer.json here (vocab.json + merges.txt "
            "are not read)" % model_dir)
    if os.path.isfile(tj_path):
        tj = load_json(tj_path)
        model = tj.get("model", {})
        if model.get("type") != ("BPE" if bpe else "WordPiece"):
            die("tokenizer.json model type %r is not %s" % (model.get("type"), "BPE" if bpe else "WordPiece"))
        vocab = dict(model["vocab"])
        for a in tj.get("added_tokens", []):
            vocab[a["content"]] = a["id"]
            added[a["id"]] = (a["content"], bool(a.get("special")))
        norm = tj.get("normalizer") or {}
        lowercase = bool(norm.get("lowercase", True)) if norm.get("type") == "BertNormalizer" else False
        strip_accents = norm.get("strip_accents") if norm.get("type") == "BertNormalizer" else False
        chinese = bool(norm.get("handle_chinese_chars", True)) if norm.get("type") == "BertNormalizer" else False
    else:
        vt = os.path.join(model_dir, "vocab.txt")
        if not os.path.isfile(vt):
            die("%s: neither tokenizer.json nor vocab.txt" % model_dir)
        vocab = {}
        with open(vt, "r", encoding="utf-8", newline="") as f:
            for i, line in enumerate(f):
                vocab[line.rstrip("\n")] = i            # transformers load_vocab: later duplicate wins
        lowercase = bool(tcfg.get("do_lower_case", True))
        strip_accents = tcfg.get("strip_accents")
        chinese = bool(tcfg.get("tokenize_chinese_chars", True))
        # transformers registers the special tokens as (special) added tokens
        dec = tcfg.get("added_tokens_decoder")
        if isinstance(dec, dict) and dec:
            for k, v in dec.items():
                added[int(k)] = (v["content"], bool(v.get("special")))
                vocab.setdefault(v["content"], int(k))
        else:
            names = []
            for key, default in DEFAULT_SPECIALS.items():
                c = token_content(tcfg.get(key, default))
                if c is not None:
                    names.append(c)
            for extra in tcfg.get("additional_special_tokens", []) or []:
                c = token_content(extra)
                if c is not None:
                    names.append(c)
            for c in names:
                if c in vocab:
                    added[vocab[c]] = (c, True)
    vocab_size = hparams.get("vocab_size", len(vocab))
    if vocab and max(vocab.values()) >= vocab_size:
        die("tokenizer ids exceed vocab_size %d" % vocab_size)
    reverse = {i: t for t, i in vocab.items()}
    tokens, toktypes = [], []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append("[PAD%d]" % i)
            toktypes.append(TOK_UNUSED)
            continue
        tok = reverse[i]
        if i in added:
            if added[i][1] or does_token_look_special(tok):
                toktypes.append(TOK_CONTROL)
            else:
                tok = tok.replace("\u2581", " ")
                toktypes.append(TOK_USER_DEFINED)
        else:
            toktypes.append(TOK_NORMAL)
        tokens.append(tok)
    return tokens, toktypes, vocab, (lowercase, strip_accents, chinese), tcfg, added


def bpe_merges(model_dir):
    """gguf-py SpecialVocab._try_load_from_tokenizer_json with load_merges: tokenizer.json's
    model.merges as "left right" strings ([left, right] pairs joined by a space)."""
    merges = load_json(os.path.join(model_dir, "tokenizer.json"))["model"].get("merges")
    if not isinstance(merges, list) or not merges:
        die("tokenizer.json has no model.merges (SpecialVocab writes no tokenizer.ggml.merges, and "
            "llama.cpp cannot load a BPE vocabulary without them)")
    out = []
    for m in merges:
        if isinstance(m, str):
            out.append(m)
        elif isinstance(m, list) and len(m) == 2 and all(isinstance(x, str) for x in m):
            if " " in m[0] or " " in m[1]:
                die("merge %r has a space inside a token" % (m,))
            out.append(" ".join(m))
        else:
            die("tokenizer.json model.merges entry %r is neither a string nor a pair" % (m,))
    return out


def tokenizer_pre(vocab, norm_cfg, tcfg, override):
    if override:
        return override
    lowercase, strip_accents, chinese = norm_cfg
    def tid(key):
        c = token_content(tcfg.get(key, DEFAULT_SPECIALS[key]))
        if c not in vocab:
            die("special token %r not in the vocabulary; pass --pre" % c)
        return vocab[c]
    ids = bert_encode(CHKTXT, vocab, lowercase, strip_accents, chinese,
                      tid("unk_token"), tid("cls_token"), tid("sep_token"))
    h = hashlib.sha256(str(ids).encode()).hexdigest()
    if h not in PRE_BY_HASH:
        die("pre-tokenizer hash %s not recognized (the converter raises here); pass --pre NAME" % h)
    return PRE_BY_HASH[h]


def special_vocab(model_dir, n_vocab):
    """gguf-py SpecialVocab (Jan 2025): ordered special ids and add_* flags."""
    types = ("bos", "eos", "unk", "sep", "pad", "cls", "mask")
    ids, adds = {}, {}

    def set_id(typ, tid):
        if not isinstance(tid, int) or isinstance(tid, bool):
            return
        if tid < 0:
            die("invalid value for special token type %s: %d" % (typ, tid))
        if tid < n_vocab and typ not in ids:
            ids[typ] = tid

    tj_path = os.path.join(model_dir, "tokenizer.json")
    added_tokens = load_json(tj_path).get("added_tokens", []) if os.path.isfile(tj_path) else []
    tc_path = os.path.join(model_dir, "tokenizer_config.json")
    chat_template = None
    if os.path.isfile(tc_path):
        tcfg = load_json(tc_path)
        ct = tcfg.get("chat_template")
        if isinstance(ct, str):
            chat_template = ct
        for typ in types:
            a = tcfg.get("add_%s_token" % typ)
            if isinstance(a, bool):
                adds[typ] = a
            c = token_content(tcfg.get("%s_token" % typ))
            if c is None:
                continue
            set_id(typ, next((t.get("id") for t in added_tokens if t.get("content") == c), None))
    cfg_path = os.path.join(model_dir, "config.json")
    if os.path.isfile(cfg_path):
        cfg = load_json(cfg_path)
        for typ in types:
            set_id(typ, cfg.get("%s_token_id" % typ))
    return ids, adds, chat_template


# ---------------------------------------------------------------- metadata helpers

def id_to_title(s):
    return " ".join(w.title() if w.islower() and not re.match(r"^(v\d+(?:\.\d+)*|\d.*)$", w) else w
                    for w in s.strip().replace("-", " ").split())


def size_label(n):
    if n > 1e12:
        x, suf = n * 1e-12, "T"
    elif n > 1e9:
        x, suf = n * 1e-9, "B"
    elif n > 1e6:
        x, suf = n * 1e-6, "M"
    else:
        x, suf = n * 1e-3, "K"
    fix = max(2 - len(str(round(x)).lstrip("0")), 0)
    return "%.*f%s" % (fix, x, suf)


def pooling_type(model_dir):
    mp = os.path.join(model_dir, "modules.json")
    if not os.path.isfile(mp):
        return None
    path = None
    for mod in load_json(mp):
        if mod.get("type") == "sentence_transformers.models.Pooling":
            path = mod["path"]
            break
    if path is None:
        return None
    pool = load_json(os.path.join(model_dir, path, "config.json"))
    if pool.get("pooling_mode_mean_tokens"):
        return POOLING_MEAN
    if pool.get("pooling_mode_cls_token"):
        return POOLING_CLS
    die("Only MEAN and CLS pooling types supported")


def check_nomic_config(hp):
    """The asserts of NomicBertModel.__init__ (hp[key]: a missing key is an error there too)."""
    want = [("activation_function", "==", "swiglu"),  # SwiGLU MLP (fc11, fc12, fc2)
            ("causal", "is", False),                   # "this doesn't do anything in the HF version"
            ("qkv_proj_bias", "is", False),            # no bias tensors
            ("mlp_fc1_bias", "is", False),
            ("mlp_fc2_bias", "is", False),
            ("prenorm", "is", False),                  # norm at end of layer (post-LN)
            ("rotary_emb_fraction", "==", 1.0),        # RoPE over the whole head
            ("rotary_emb_interleaved", "is", False),   # NEOX-style halves
            ("rotary_emb_scale_base", "is", None)]
    for key, op, val in want:
        if key not in hp:
            die("NomicBertModel: config.json has no %r" % key)
        got = hp[key]
        if not (got is val if op == "is" else got == val):
            die("NomicBertModel: assertion failed: %s %s %r (config has %r)" % (key, op, val, got))
    if "rotary_emb_base" not in hp:
        die("NomicBertModel: config.json has no 'rotary_emb_base'")


def check_jina_config(hp, model_dir):
    """What JinaBertV2Model reads (and would fail on), plus what llama.cpp's jina-bert-v2 assumes."""
    if "intermediate_size" not in hp:
        die("JinaBertV2Model: config.json has no 'intermediate_size' (read to split mlp.gated_layers)")
    for key, want in (("position_embedding_type", "alibi"), ("feed_forward_type", "geglu")):
        if hp.get(key) != want:
            die("JinaBertV2Model: config.json %s is %r, not %r: llama.cpp's jina-bert-v2 computes "
                "ALiBi positions and a GELU-gated FFN whatever the file says, so the converter's "
                "file would be another model; refused" % (key, hp.get(key), want))
    tc = os.path.join(model_dir, "tokenizer_config.json")
    if not os.path.isfile(tc):
        die("JinaBertV2Model.set_vocab reads tokenizer_config.json: %s missing" % tc)
    tcfg = load_json(tc)
    if "tokenizer_class" not in tcfg:
        die("JinaBertV2Model.set_vocab: tokenizer_config.json has no 'tokenizer_class' (KeyError there)")
    cls = tcfg["tokenizer_class"]
    if cls not in ("BertTokenizer", "RobertaTokenizer"):
        die("JinaBertV2Model: Tokenizer %s is not supported for JinaBertModel" % cls)
    for key in ("add_bos_token", "add_eos_token"):
        if isinstance(tcfg.get(key), bool):             # SpecialVocab writes it first
            die("JinaBertV2Model: tokenizer_config.json has %s, and set_vocab adds "
                "tokenizer.ggml.%s = true after it: Duplicated key name" % (key, key))
    return cls == "RobertaTokenizer"                    # byte-level BPE: _set_vocab_gpt2


def jina_split_tensors(order, n_ff):
    """JinaBertV2Model.get_tensors: mlp.gated_layers [2I, H] -> gated_layers_w (rows [0, I)) then
    gated_layers_v (rows [I, 2I)), in its place; the qk-post-norm variant's mlp.up_gated_layer the
    other way round, gated_layers_v (rows [0, I), its up half) then gated_layers_w (rows [I, 2I),
    the gate); sources as byte ranges of the original."""
    out = []
    for name, src in order:
        if "gated_layer" not in name:
            out.append((name, src))
            continue
        shape = src["shape"]
        if len(shape) != 2:
            die("tensor %r has shape %s: JinaBertV2Model slices it as data[:I, :] (a 2-D weight; "
                "a gated_layers bias fails there)" % (name, shape))
        if shape[0] != 2 * n_ff:
            die("tensor %r has %d rows, not 2 * intermediate_size = %d: the converter's halves would "
                "not be the %d rows llama.cpp expects" % (name, shape[0], 2 * n_ff, n_ff))
        row_bytes = shape[1] * ST_DTYPES[src["dtype"]]
        code = "up_gated_layer" in name
        halves = (("gated_layers_v", 0), ("gated_layers_w", n_ff)) if code else \
            (("gated_layers_w", 0), ("gated_layers_v", n_ff))
        for suffix, r0 in halves:
            half = dict(src)
            half.update(shape=[n_ff, shape[1]], offset=src["offset"] + r0 * row_bytes,
                        nbytes=n_ff * row_bytes, count=n_ff * shape[1])
            out.append((name.replace("up_gated_layer" if code else "gated_layers", suffix), half))
    return out


def nomic_shape_warnings(plan, n_ff, vocab_size):
    """Things the converter writes without complaint but llama.cpp's loader rejects."""
    widths = set()
    for t in plan:
        name, shape = t["name"], t["shape"]
        if re.match(r"blk\.\d+\.ffn_(up|gate)\.weight$", name):
            widths.add(shape[0])
        elif re.match(r"blk\.\d+\.ffn_down\.weight$", name):
            widths.add(shape[-1])
        elif name == "token_embd.weight" and vocab_size is not None and shape[0] != vocab_size:
            sys.stderr.write("make_gguf.py: warning: token_embd.weight has %d rows but config "
                             "vocab_size (= number of tokens written) is %d; llama.cpp will refuse "
                             "this file\n" % (shape[0], vocab_size))
    if n_ff is not None and widths and widths != {n_ff}:
        sys.stderr.write("make_gguf.py: warning: the MLP tensors are %s wide but feed_forward_length "
                         "is n_inner = %d (HF's gated MLP rounds n_inner up to a multiple of 256); "
                         "written as the converter does, llama.cpp will refuse this file\n"
                         % ("/".join(str(w) for w in sorted(widths)), n_ff))


# ---------------------------------------------------------------- main

def write_special_vocab(kv, mdir, n_tokens):
    """SpecialVocab.add_to_gguf after the merges: special ids, add_* flags, chat template."""
    ids, adds, chat_template = special_vocab(mdir, n_tokens)
    id_key = {"bos": "bos", "eos": "eos", "unk": "unknown", "sep": "seperator",
              "pad": "padding", "cls": "cls", "mask": "mask"}
    for typ, tid in ids.items():
        kv.add("tokenizer.ggml.%s_token_id" % id_key[typ], T_U32, tid)
    for typ, val in adds.items():
        if typ in ("bos", "eos"):                    # GGUFWriter has add_add_{bos,eos}_token only
            kv.add("tokenizer.ggml.add_%s_token" % typ, T_BOOL, val)
    if chat_template is not None:
        kv.add("tokenizer.chat_template", T_STR, chat_template)


def write_vocab_gpt2(kv, mdir, tokens, toktypes, pre):
    """Model._set_vocab_gpt2, then JinaBertV2Model's token_type_count 2. The tokens are
    tokenizer.json's byte-level strings as they are (no U+2581 rewrite: get_vocab_base only
    turns U+2581 into a space in user-defined added tokens)."""
    tokens = [t.replace("\u2581", " ") if tt == TOK_USER_DEFINED else t for t, tt in zip(tokens, toktypes)]
    kv.add("tokenizer.ggml.model", T_STR, "gpt2")
    kv.add("tokenizer.ggml.pre", T_STR, pre)
    kv.add("tokenizer.ggml.tokens", T_ARR, tokens, T_STR)
    kv.add("tokenizer.ggml.token_type", T_ARR, toktypes, T_I32)
    kv.add("tokenizer.ggml.merges", T_ARR, bpe_merges(mdir), T_STR)
    write_special_vocab(kv, mdir, len(tokens))
    kv.add("tokenizer.ggml.token_type_count", T_U32, 2)


def xlmr_tensor(name, src, pos_offset):
    """XLMRobertaModel.filter_tensors / modify_tensors: "roberta." dropped; the position table
    starts at pad_token_id + 1 (RoBERTa's positions), so its first pos_offset rows are cut."""
    if name.startswith("roberta."):
        name = name[8:]
    if name == "embeddings.position_embeddings.weight" and pos_offset is not None:
        rows, width = src["shape"]
        es = ST_DTYPES[src["dtype"]]
        src = dict(src, shape=[rows - pos_offset, width], offset=src["offset"] + pos_offset * width * es,
                   count=(rows - pos_offset) * width, nbytes=(rows - pos_offset) * width * es)
    return name, src


def write_vocab_t5(kv, mdir, hp):
    """_xlmroberta_set_vocab from tokenizer.json (a directory without sentencepiece.bpe.model, as
    the test models are): the HF ids' pieces and scores (ids past the tokenizer "[PADn]", UNUSED,
    -10000), types UNKNOWN for unk_token, CONTROL for the special tokens, USER_DEFINED for other
    added ones; tokenizer.ggml.model "t5", pre "default", add_space_prefix, token_type_count,
    remove_extra_whitespaces (clean_up_tokenization_spaces), the Precompiled normalizer's
    charsmap (UINT8), then SpecialVocab. Then add_bos_token and add_eos_token true, what
    SpecialVocab writes since it reads the post_processor ("<s> $A </s>"): without them llama.cpp
    would put no <s> before an XLM-R text (its UGM default)."""
    tj = load_json(os.path.join(mdir, "tokenizer.json"))
    tc_path = os.path.join(mdir, "tokenizer_config.json")
    tcfg = load_json(tc_path) if os.path.isfile(tc_path) else {}
    model = tj.get("model", {})
    if model.get("type") != "Unigram":
        die("XLMRobertaModel: tokenizer.json model type %r is not Unigram" % model.get("type"))
    norm = tj.get("normalizer") or {}
    steps = norm.get("normalizers", [norm]) if norm.get("type") == "Sequence" else [norm]
    charsmap = next((s.get("precompiled_charsmap") for s in steps if s.get("type") == "Precompiled"), None)
    if not charsmap:
        die("XLMRobertaModel: tokenizer.json has no Precompiled normalizer (KeyError there)")
    pieces = model["vocab"]
    added = {a["content"]: a for a in tj.get("added_tokens", [])}
    unk = token_content(tcfg.get("unk_token"))
    unk_id = added[unk]["id"] if unk in added else model.get("unk_id", 3)
    special_ids = {a["id"] for a in added.values() if a.get("special")}
    n = max(hp.get("vocab_size", 0), len(pieces))
    tokens = ["[PAD%d]" % i for i in range(n)]
    scores = [-10000.0] * n
    types = [TOK_UNUSED] * n
    for i, (piece, score) in enumerate(pieces):
        tokens[i], scores[i] = piece, float(score)
        types[i] = (TOK_UNKNOWN if i == unk_id else TOK_CONTROL if i in special_ids
                    else TOK_USER_DEFINED if any(a["id"] == i for a in added.values()) else TOK_NORMAL)
    kv.add("tokenizer.ggml.model", T_STR, "t5")
    kv.add("tokenizer.ggml.pre", T_STR, "default")
    kv.add("tokenizer.ggml.tokens", T_ARR, tokens, T_STR)
    kv.add("tokenizer.ggml.scores", T_ARR, scores, T_F32)
    kv.add("tokenizer.ggml.token_type", T_ARR, types, T_I32)
    kv.add("tokenizer.ggml.add_space_prefix", T_BOOL, True)
    kv.add("tokenizer.ggml.token_type_count", T_U32, hp.get("type_vocab_size", 1))
    kv.add("tokenizer.ggml.remove_extra_whitespaces", T_BOOL, bool(tcfg.get("clean_up_tokenization_spaces", True)))
    kv.add("tokenizer.ggml.precompiled_charsmap", T_ARR, list(base64.b64decode(charsmap)), T_U8)
    write_special_vocab(kv, mdir, len(tokens))
    if "tokenizer.ggml.add_bos_token" not in kv.keys:
        kv.add("tokenizer.ggml.add_bos_token", T_BOOL, True)
    if "tokenizer.ggml.add_eos_token" not in kv.keys:
        kv.add("tokenizer.ggml.add_eos_token", T_BOOL, True)


def write_vocab_bert(kv, mdir, hp, tokens, toktypes, vocab, norm_cfg, tcfg, args):
    """BertModel.set_vocab: WordPiece tokens with the phantom-space rewrite."""
    pre = tokenizer_pre(vocab, norm_cfg, tcfg, args.pre)
    if args.legacy_metadata and pre == "jina-v2-en" and not args.pre:
        pre = "bert-bge"                    # jina-v2-en (same hash) was added after this file era
    kv.add("tokenizer.ggml.token_type_count", T_U32, hp.get("type_vocab_size", 1))
    if args.phantom == "brackets":
        def phantom(tok, tt):
            if tok.startswith("[") and tok.endswith("]"):
                return tok
            return tok[2:] if tok.startswith("##") else "\u2581" + tok
    else:
        def phantom(tok, tt):
            if tt == TOK_CONTROL:
                return tok
            return tok[2:] if tok.startswith("##") else "\u2581" + tok
    tokens = [phantom(t, tt) for t, tt in zip(tokens, toktypes)]
    kv.add("tokenizer.ggml.model", T_STR, "bert")
    kv.add("tokenizer.ggml.pre", T_STR, pre)
    kv.add("tokenizer.ggml.tokens", T_ARR, tokens, T_STR)
    kv.add("tokenizer.ggml.token_type", T_ARR, toktypes, T_I32)
    write_special_vocab(kv, mdir, len(tokens))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--type", choices=("f32", "f16", "q8_0") + tuple(LQ_FTYPES), default="f16",
                    metavar="TYPE",
                    help="f32, f16, q8_0: as convert_hf_to_gguf.py --outtype writes (default f16); "
                         "or a llama-quantize file type applied to the --type f32 file: "
                         + ", ".join(LQ_FTYPES) + " (needs ggml, see --ggml-lib)")
    ap.add_argument("--ggml-lib", metavar="PATH",
                    help="libggml-base.so used to quantize the llama-quantize types (default: "
                         "env GGML_LIB, else tests/scripts/ggml_ref/node_modules/... as in "
                         "ggml_lib.py); not loaded for f32/f16/q8_0")
    ap.add_argument("--vocab-only", action="store_true", help="metadata only, no tensors")
    ap.add_argument("--jina-unsplit", action="store_true",
                    help="jina-bert-v2 as llama.cpp's converters since the 2025 refactor write it: "
                         "mlp.gated_layers whole as ffn_up [2I, H], no ffn_gate, no add_bos/eos_token")
    ap.add_argument("--phantom", choices=("brackets", "control"), default="brackets",
                    help="which tokens keep no U+2581 prefix: [..]-bracketed (converters until "
                         "2026-01, default) or CONTROL-typed (PR #18500 and later)")
    ap.add_argument("--pre", help="tokenizer.ggml.pre value (default: computed like the converter)")
    ap.add_argument("--name", help="general.name (default: title-cased directory name)")
    ap.add_argument("--legacy-metadata", action="store_true",
                    help="metadata as the mid-2024 converter wrote it (llama.cpp's own "
                         "models/ggml-vocab-bert-bge.gguf): no general.type, general.size_label, "
                         "general.quantization_version; general.name = directory name; pre "
                         "\"bert-bge\" for the bge/bert-base-uncased hash. Tensors unaffected.")
    args = ap.parse_args()
    lq = args.type in LQ_FTYPES          # llama-quantize on the F32 file
    g = load_ggml(args.ggml_lib) if lq and not args.vocab_only else None

    mdir = args.model_dir
    hp = load_json(os.path.join(mdir, "config.json"))
    archs = hp.get("architectures") or []
    # The converter picks its class by architectures[0]; "NomicBertModel" -> NomicBertModel.
    nomic = (archs[0] == "NomicBertModel") if archs else hp.get("model_type") == "nomic_bert"
    jina = bool(archs) and archs[0] in JINA_ARCHS           # "JinaBertModel" -> JinaBertV2Model
    xlmr = bool(archs) and archs[0] == "XLMRobertaModel"    # -> XLMRobertaModel (a BertModel)
    if archs and not nomic and not jina and not xlmr and archs[0] not in ("BertModel", "BertForMaskedLM",
                                                                          "CamembertModel"):
        die("architecture %r is not handled by BertModel, NomicBertModel, JinaBertV2Model or "
            "XLMRobertaModel" % archs[0])
    arch = "nomic-bert" if nomic else "jina-bert-v2" if jina else "bert"
    bpe = check_jina_config(hp, mdir) if jina else False
    if nomic:
        check_nomic_config(hp)
        hp["n_ctx"] = 2048              # NomicBertModel.__init__: "the HF config claims n_ctx=8192"
    pos_offset = None
    if xlmr and hp.get("pad_token_id") is not None:    # _xlmroberta_tokenizer_init
        pos_offset = 1 + hp["pad_token_id"]
        if "max_position_embeddings" in hp:
            hp["max_position_embeddings"] -= pos_offset

    def find(keys, optional=False):
        for k in keys:
            if k in hp:
                return hp[k]
        if optional:
            return None
        die("could not find any of: %s" % (keys,))

    n_layer = find(["n_layers", "num_hidden_layers", "n_layer", "num_layers"])

    # ---- tensors (plan only; data is streamed at write time)
    plan = []
    if not args.vocab_only:
        order = load_tensors(mdir)
        if jina and args.jina_unsplit and any(JINA_QK_POST_NORM.search(n) for n, _ in order):
            die("--jina-unsplit of the qk-post-norm variant (jina-embeddings-v2-base-code): what the "
                "later converters write for mlp.up_gated_layer is not reproduced")
        if jina and args.jina_unsplit:      # the whole tensor under the up projection's name
            order = [(n.replace("gated_layers", "gated_layers_v"), src) for n, src in order]
        elif jina:
            order = jina_split_tensors(order, hp["intermediate_size"])
        names = NOMIC_NAMES if nomic else JINA_NAMES if jina else BERT_NAMES
        for name, src in order:
            if name.endswith((".attention.masked_bias", ".attention.bias", ".rotary_emb.inv_freq")):
                continue
            if xlmr:
                name, src = xlmr_tensor(name, src, pos_offset)
            new = map_tensor_name(name, n_layer, names)
            if new is None:
                continue
            shape = src["shape"]
            gtype = choose_type(new, shape, "f32" if lq else args.type)
            plan.append({"name": new, "shape": shape, "type": gtype, "src": src,
                         "nbytes": nbytes_of(gtype, shape)})
        seen = set()
        for t in plan:
            if t["name"] in seen:
                die("Duplicated tensor name %r" % t["name"])
            seen.add(t["name"])
    total_params = sum(t["src"]["count"] for t in plan)
    if lq and plan:
        plan = lq_weights_order(plan)
        n_head = find(["num_attention_heads", "n_head"], True)
        n_head_kv = hp.get("num_key_value_heads") or n_head
        n_gqa = n_head // n_head_kv if n_head and n_head_kv else 0      # hparams.n_gqa()
        types = lq_assign_types(plan, args.type, n_layer, n_gqa, lambda name: g.block(name)[0])
        for t, (qname, msg) in zip(plan, types):
            if msg:
                sys.stderr.write("make_gguf.py: warning: %s\n" % msg)
            t["qname"] = qname
            t["type"] = g.type_id(qname)
            blk, size = g.block(qname)
            t["nbytes"] = t["src"]["count"] // blk * size

    # ---- metadata, in the converter's order
    kv = KV()
    kv.add("general.architecture", T_STR, arch)
    dir_name = os.path.basename(os.path.abspath(mdir))
    if args.legacy_metadata:
        kv.add("general.name", T_STR, args.name or dir_name)
    else:
        kv.add("general.type", T_STR, "model")
        kv.add("general.name", T_STR, args.name or id_to_title(dir_name))
        if total_params > 0:
            kv.add("general.size_label", T_STR, size_label(total_params))

    kv.add(arch + ".block_count", T_U32, n_layer)
    n_ctx = find(["max_position_embeddings", "n_ctx"], True)
    if n_ctx is not None:
        kv.add(arch + ".context_length", T_U32, n_ctx)
    n_embd = find(["hidden_size", "n_embd"], True)
    if n_embd is not None:
        kv.add(arch + ".embedding_length", T_U32, n_embd)
    n_ff = find(["intermediate_size", "n_inner"], True)
    if n_ff is not None:
        kv.add(arch + ".feed_forward_length", T_U32, n_ff)
    n_head = find(["num_attention_heads", "n_head"], True)
    if n_head is not None:
        kv.add(arch + ".attention.head_count", T_U32, n_head)
    if hp.get("num_key_value_heads") is not None:
        kv.add(arch + ".attention.head_count_kv", T_U32, hp["num_key_value_heads"])
    if hp.get("rope_theta") is not None:
        kv.add(arch + ".rope.freq_base", T_F32, float(hp["rope_theta"]))
    if hp.get("rms_norm_eps") is not None:
        kv.add(arch + ".attention.layer_norm_rms_epsilon", T_F32, float(hp["rms_norm_eps"]))
    eps = find(["layer_norm_eps", "layer_norm_epsilon", "norm_epsilon"], True)
    if eps is not None:
        kv.add(arch + ".attention.layer_norm_epsilon", T_F32, float(eps))
    if hp.get("head_dim") is not None:
        kv.add(arch + ".attention.key_length", T_U32, hp["head_dim"])
        kv.add(arch + ".attention.value_length", T_U32, hp["head_dim"])
    kv.add("general.file_type", T_U32, 0 if lq else FILE_TYPE[args.type])
    kv.add(arch + ".attention.causal", T_BOOL, False)
    pt = pooling_type(mdir)
    if pt is not None:
        kv.add(arch + ".pooling_type", T_U32, pt)
    if nomic:                           # NomicBertModel.set_gguf_parameters, after BertModel's
        kv.add(arch + ".rope.freq_base", T_F32, float(hp["rotary_emb_base"]))
        if pt is None:
            sys.stderr.write("make_gguf.py: warning: no sentence-transformers Pooling module, so no "
                             "nomic-bert.pooling_type; llama.cpp requires that key for nomic-bert\n")
        nomic_shape_warnings(plan, n_ff, hp.get("vocab_size"))

    if xlmr:
        write_vocab_t5(kv, mdir, hp)
    elif bpe:
        # get_vocab_base_pre hashes what the HF tokenizer makes of CHKTXT; this script runs no
        # byte-level BPE tokenizer, so the name (jina-v2-code, jina-v2-de, jina-v2-es) is given.
        if not args.pre:
            die("a byte-level BPE vocabulary: pass --pre NAME (the converter recognises the real "
                "tokenizers by a hash of their output, which this script does not compute)")
        tokens, toktypes, _, _, _, _ = load_vocab(mdir, hp, bpe)
        write_vocab_gpt2(kv, mdir, tokens, toktypes, args.pre)
    else:
        tokens, toktypes, vocab, norm_cfg, tcfg, _ = load_vocab(mdir, hp)
        write_vocab_bert(kv, mdir, hp, tokens, toktypes, vocab, norm_cfg, tcfg, args)
    if jina and not args.jina_unsplit:      # JinaBertV2Model.set_vocab, after BertModel's
        kv.add("tokenizer.ggml.add_bos_token", T_BOOL, True)
        kv.add("tokenizer.ggml.add_eos_token", T_BOOL, True)
    if not args.legacy_metadata:
        kv.add("general.quantization_version", T_U32, QUANT_VERSION)
    if lq:
        # llama_model_quantize_impl: gguf_set_kv copies the input KVs in order, then
        # gguf_set_val_u32 (= remove the key, append it) quantization_version and file_type
        for key in ("general.quantization_version", "general.file_type"):
            kv.items = [it for it in kv.items if it[0] != key]
            kv.keys.discard(key)
        kv.add("general.quantization_version", T_U32, QUANT_VERSION)    # GGML_QNT_VERSION
        kv.add("general.file_type", T_U32, LQ_FTYPES[args.type][0])

    # ---- write
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as out:
        out.write(b"GGUF" + struct.pack("<IQQ", GGUF_VERSION, len(plan), len(kv.items)))
        out.write(kv.encode())
        if plan:
            off = 0
            ti = []
            for t in plan:
                ti.append(p_str(t["name"]))
                ne = list(reversed(t["shape"]))
                if lq:                          # gguf.cpp write_tensor_meta: ggml_n_dims
                    ne = (ne + [1] * 4)[:ggml_n_dims(t["shape"])]
                ti.append(struct.pack("<I", len(ne)))
                for d in ne:
                    ti.append(struct.pack("<Q", d))
                ti.append(struct.pack("<IQ", t["type"], off))
                t["offset"] = off
                off += pad_to(t["nbytes"])
            out.write(b"".join(ti))
            out.write(b"\0" * (pad_to(out.tell()) - out.tell()))
            data_start = out.tell()
            handles = {}
            for t in plan:
                src = t["src"]
                assert out.tell() - data_start == t["offset"]
                f = handles.get(src["path"])
                if f is None:
                    f = handles[src["path"]] = open(src["path"], "rb")
                if lq:
                    lq_write_tensor(out, f, src, t, g)
                else:
                    write_tensor(out, f, src, t)
                out.write(b"\0" * (pad_to(t["nbytes"]) - t["nbytes"]))
            for f in handles.values():
                f.close()
    os.replace(tmp, args.out)


def write_tensor(out, f, src, t):
    gtype, dt, count = t["type"], src["dtype"], src["count"]
    if (gtype == GGML_F32 and dt == "F32") or (gtype == GGML_F16 and dt == "F16"):
        f.seek(src["offset"])
        left = src["nbytes"]
        while left:
            buf = f.read(min(left, 1 << 22))
            out.write(buf)
            left -= len(buf)
        return
    row = t["shape"][-1] if t["shape"] else 1
    step = max(1, 65536 // max(row, 1)) * max(row, 1)       # whole rows (Q8_0 blocks never straddle)
    written = 0
    for start in range(0, count, step):
        n = min(step, count - start)
        vals = read_values(f, src, start, n)
        if gtype == GGML_F32:
            buf = struct.pack("<%df" % n, *vals)
        elif gtype == GGML_F16:
            buf = to_f16_bytes(vals)
        else:
            buf = q8_0_bytes(vals)
        out.write(buf)
        written += len(buf)
    assert written == t["nbytes"], (t["name"], written, t["nbytes"])


if __name__ == "__main__":
    main()

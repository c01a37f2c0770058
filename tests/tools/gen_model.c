/*
** gen_model.c — writes the deterministic test models of sqlite-embed.
**
**   build/tools/gen_model --shape minilm|bge|multi|f16|bf16|odd|dense|instr|distil|mpnet|xlmr|xlmroberta|roberta|nomic|
**                                 rerank|rerank_xlmr|modernbert|rerank_modernbert|gte|rerank_gte|
**                                 jina|rerank_jina|jina_code|nomic_moe|
**                                 bert-base|mpnet-base|nomic-base|modernbert-base|nomic-moe-base
**                         --out DIR
**                         [--vocab-dir tests/fixtures/vocab]
**   build/tools/gen_model --list
**
** The reference, tests/models/make_golden.py, implements the same generator
** in Python and checks that its files are byte-identical to this program's
** (sha256 of every file); golden.json records the sha256 of each safetensors
** file and tests/unit/test_models_generated.c checks them at test time.
** Any change here must be made there too (and the goldens regenerated).
**
** ---------------------------------------------------------------- SPEC ----
** Shapes (hidden/layers/heads/intermediate, vocab_size, max_position,
** type_vocab 2 (distil, mpnet: none), seed, storage dtype):
**   minilm 384/6/12/1536   30522 pos 512 seed 1 F32  names without prefix
**   bge    384/12/12/1536  30522 pos 512 seed 2 F32  names with "bert." prefix,
**                                                    2 shards
**   multi  128/2/4/512    119547 pos 512 seed 3 F32  no prefix
**   f16    64/2/4/256      30522 pos 128 seed 4 F16  no prefix
**   bf16   64/2/4/256      30522 pos 128 seed 5 BF16 no prefix
**   odd    45/2/3/131      30522 pos 128 seed 6 F32  no prefix (no golden)
**   dense  64/2/4/256      30522 pos 128 seed 7 F32  no prefix, + 2 Dense
**                                                    modules (below)
**   instr  64/2/4/256      30522 pos 128 seed 8 F32  no prefix, prompts and
**                                                    include_prompt false
**                                                    (below)
**   distil 64/2/4/256      30522 pos 128 seed 9 F32  DistilBERT (below),
**                                                    "distilbert." prefix,
**                                                    + 1 Dense module
**   mpnet  64/2/4/256      30527 pos 514 seed 10 F32 MPNet (below), no prefix
**   xlmr   64/2/4/256       4002 pos 512 seed 13 F32 BERT with an XLM-R
**                                                    Unigram tokenizer (below)
**   xlmroberta 64/2/4/256   4002 pos 514 seed 14 F32 XLM-RoBERTa (below),
**                                                    "roberta." prefix,
**                                                    type_vocab 1
**   roberta 64/2/4/256      4000 pos 514 seed 15 F32 RoBERTa with a
**                                                    byte-level BPE
**                                                    tokenizer (below)
**   nomic  64/2/4/200(256) 30528 pos 2048 seed 16 F32 NomicBert (below), no
**                                                    prefix, no position
**                                                    table (rotary)
**   rerank 64/2/4/256      30522 pos 512 seed 18 F32 cross-encoder (below):
**                                                    BertForSequenceClassification,
**                                                    "bert." prefix
**   rerank_xlmr 64/2/4/256  4002 pos 514 seed 19 F32 cross-encoder (below):
**                                                    XLMRobertaForSequence-
**                                                    Classification,
**                                                    "roberta." prefix,
**                                                    type_vocab 1
**   modernbert 64/4/4/96    4032 pos 1024 seed 20 F32 ModernBERT (below), no
**                                                    prefix, no position or
**                                                    token-type table, no
**                                                    biases
**   rerank_modernbert 64/4/4/96 4032 pos 1024 seed 21 F32 cross-encoder
**                                                    (below): ModernBert-
**                                                    ForSequenceClassification,
**                                                    "model." prefix
**   gte    64/3/4/96       30528 pos 1024 seed 22 F32 GTE v1.5's NewModel
**                                                    (below), no prefix, no
**                                                    position or token-type
**                                                    table (rotary, NTK x2)
**   rerank_gte 64/2/4/96    4002 pos 1024 seed 23 F32 cross-encoder (below):
**                                                    NewForSequenceClassification,
**                                                    "new." prefix,
**                                                    type_vocab 1
**   jina   96/2/6/128      30528 pos 1024 seed 24 F32 JinaBert (below), no
**                                                    prefix, no position
**                                                    table (ALiBi), GeGLU
**   rerank_jina 64/2/4/96  30528 pos 1024 seed 25 F32 cross-encoder (below):
**                                                    JinaBertForSequence-
**                                                    Classification,
**                                                    "bert." prefix
**   jina_code 96/3/6/128    4000 pos 1024 seed 26 F32 JinaBert v2 with
**                                                    QK post-norm (below), no
**                                                    prefix, no position
**                                                    table (ALiBi), the
**                                                    byte-level BPE tokenizer
**   nomic_moe 64/3/4/96     4032 pos 2048 seed 30 F32 NomicBert with
**                                                    Mixture-of-Experts FFNs
**                                                    (below), no prefix, no
**                                                    position table (rotary),
**                                                    type_vocab 1, the XLM-R
**                                                    Unigram tokenizer
**   bench only, no goldens: bert-base 768/12/12/3072 (seed 12), mpnet-base
**   (the same size as MPNet, seed 11), nomic-base (768/12/12, n_inner 3072,
**   30528, pos 8192, seed 17: nomic-embed-text-v1.5's size as NomicBert),
**   modernbert-base (768/22/12, intermediate 1152, 50368, pos 8192, window
**   128, seed 22: ModernBERT-base's size, the modernbert-style tokenizer),
**   nomic-moe-base (768/12/12, n_inner 3072, 8 experts top-2 on layers 1,
**   3, ..., 11, 4032 rows, seed 31: nomic-embed-text-v2-moe's size but its
**   word table, the xlmr tokenizer)
**
** Tensors: every tensor of HF BertModel, HF names, torch layouts
** (Linear weight = [out, in]):
**   embeddings.word_embeddings.weight [V,H], embeddings.position_embeddings
**   .weight [P,H], embeddings.token_type_embeddings.weight [2,H],
**   embeddings.LayerNorm.weight/bias [H];
**   per layer i, prefix "encoder.layer.<i>.": attention.self.{query,key,value}
**   .weight [H,H] .bias [H], attention.output.dense.weight [H,H] .bias [H],
**   attention.output.LayerNorm.weight/bias [H], intermediate.dense.weight
**   [I,H] .bias [I], output.dense.weight [H,I] .bias [H],
**   output.LayerNorm.weight/bias [H];
**   pooler.dense.weight [H,H] .bias [H].
**   (bge: every name prefixed "bert.")
**
** DistilBERT (shape distil): every tensor of HF DistilBertModel, stored as a
** DistilBertForXxx checkpoint does, each name prefixed "distilbert.":
**   embeddings.word_embeddings.weight [V,H], embeddings.position_embeddings
**   .weight [P,H], embeddings.LayerNorm.weight/bias [H] (no token types);
**   per layer i, prefix "transformer.layer.<i>.": attention.{q_lin,k_lin,
**   v_lin,out_lin}.weight [H,H] .bias [H], sa_layer_norm.weight/bias [H],
**   ffn.lin1.weight [I,H] .bias [I], ffn.lin2.weight [H,I] .bias [H],
**   output_layer_norm.weight/bias [H]; no pooler.
** sa_layer_norm and output_layer_norm take the LayerNorm kinds below, like
** BERT's LayerNorms.  config.json is a DistilBertConfig (dim, n_layers,
** n_heads, hidden_dim, activation "gelu", sinusoidal_pos_embds false);
** tokenizer_config.json names DistilBertTokenizer.
**
** MPNet (shape mpnet): every tensor of HF MPNetModel, names without prefix
** (as sentence-transformers saves all-mpnet-base-v2):
**   embeddings.word_embeddings.weight [V,H], embeddings.position_embeddings
**   .weight [P,H], embeddings.LayerNorm.weight/bias [H] (no token types; the
**   position_ids buffer is not persisted);
**   per layer i, prefix "encoder.layer.<i>.": attention.attn.{q,k,v,o}
**   .weight [H,H] .bias [H], attention.LayerNorm.weight/bias [H],
**   intermediate.dense.weight [I,H] .bias [I], output.dense.weight [H,I]
**   .bias [H], output.LayerNorm.weight/bias [H];
**   encoder.relative_attention_bias.weight [32, heads] (an Embedding of the
**   32 relative-position buckets; value kind below);
**   pooler.dense.weight [H,H] .bias [H].
** config.json is an MPNetConfig as transformers 4.41.2 saves it (layer_norm_eps
** 1e-05, pad_token_id 1, bos 0, eos 2, relative_attention_num_buckets 32).
** The tokenizer files come from tests/fixtures/vocab/mpnet-style/ (written by
** tests/models/make_mpnet_vocab.py): vocab.txt, tokenizer.json,
** tokenizer_config.json (MPNetTokenizer) and special_tokens_map.json are
** copied as they are (no tokenizer_config.json is generated).  ST files:
** mean pooling, Normalize (2_Normalize), max_seq_length 384, do_lower_case
** false (all-mpnet-base-v2's layout; its tokenizer lowercases).
**
** XLM-R tokenizer (shape xlmr): BertModel's tensors and config.json (with
** "pad_token_id": 1), as paraphrase-multilingual-MiniLM-L12-v2 and
** multilingual-e5-small pair a BertModel with XLM-R's SentencePiece
** tokenizer.  tokenizer.json (Unigram, 4002 ids), tokenizer_config.json
** (XLMRobertaTokenizer) and special_tokens_map.json are copied from
** <vocab-dir>/../tokenizer/unigram/ (tests/fixtures/tokenizer/unigram, written
** by tests/tokenizer/make_unigram_fixtures.py); no vocab.txt.  ST files: mean
** pooling, no Normalize, max_seq_length 128, and sentence_bert_config.json
** has no do_lower_case key.
**
** XLM-RoBERTa (shape xlmroberta): BertModel's tensors (XLMRobertaModel
** names them alike) with a 1-row token_type_embeddings and the pooler, each
** name prefixed "roberta." as an XLMRobertaForXxx checkpoint stores them;
** config.json is an XLMRobertaConfig as transformers 4.41.2 saves it
** (layer_norm_eps 1e-05, pad_token_id 1, bos 0, eos 2, type_vocab_size 1,
** output_past true, as xlm-roberta-base's file has it).  Tokenizer files as
** for xlmr.  ST files: cls pooling, Normalize, max_seq_length 512 (all 514
** positions used: positions start at pad_token_id + 1), do_lower_case false
** (bge-m3's layout).
**
** RoBERTa (shape roberta): the same tensors without prefix (as
** sentence-transformers saves all-distilroberta-v1); config.json a
** RobertaConfig as transformers 4.41.2 saves it (as XLMRobertaConfig's,
** model_type "roberta", architectures RobertaModel, no output_past).
** tokenizer.json (byte-level BPE, 4000 ids), tokenizer_config.json
** (RobertaTokenizer) and special_tokens_map.json are copied from
** <vocab-dir>/../tokenizer/bpe/ (written by
** tests/tokenizer/make_bpe_fixtures.py).  ST files: mean pooling,
** Normalize, max_seq_length 512, do_lower_case false (all-distilroberta-v1's
** layout).
**
** NomicBert (shape nomic): the tensors of nomic-embed-text-v1.5's
** model.safetensors (NomicBertModel without pooler, names without prefix):
**   embeddings.word_embeddings.weight [V,H] (V = 30528: bert-base-uncased's
**   30522 ids padded to a multiple of 64, pad_vocab_size_multiple),
**   embeddings.token_type_embeddings.weight [2,H], emb_ln.weight/bias [H]
**   (no position table: rotary positions);
**   per layer i, prefix "encoder.layers.<i>.": attn.Wqkv.weight [3H,H]
**   (rows Q, K, V), attn.out_proj.weight [H,H], mlp.fc11.weight [I,H] (the
**   value), mlp.fc12.weight [I,H] (the gate), mlp.fc2.weight [H,I],
**   norm1.weight/bias [H], norm2.weight/bias [H]; no Linear biases.
** I = n_inner 200 rounded up to a multiple of 256 (NomciBertGatedMLP's
** multiple_of) = 256.  The Linear weights and embeddings take the Linear
** kind, but attn.Wqkv.weight its own (below), emb_ln / norm1 / norm2 the
** LayerNorm kinds below.  config.json is
** nomic-embed-text-v1.5's NomicBertConfig (a GPT2Config, transformers
** 4.37.2, keys sorted: activation_function "swiglu", n_embd, n_head,
** n_inner, n_layer, n_positions 2048, max_trained_positions 2048,
** layer_norm_epsilon 1e-12, rotary_emb_base 1000, rotary_emb_fraction 1.0,
** rotary_emb_interleaved false, prenorm false, qkv_proj_bias / mlp_fc1_bias /
** mlp_fc2_bias false, pad_vocab_size_multiple 64, auto_map to
** nomic-ai/nomic-bert-2048's code, ...; see make_golden.py).  vocab.txt is
** bert-base-uncased's, tokenizer_config.json is generated (BertTokenizer,
** do_lower_case true, model_max_length 2048).  ST files: mean pooling,
** Normalize, max_seq_length 2048, do_lower_case false (nomic-embed-text's
** layout: the tokenizer lowercases, sentence-transformers does not).
**
** NomicBert MoE (shape nomic_moe): the tensors of
** nomic-embed-text-v2-moe's model.safetensors (NomicBertModel with
** moe_every_n_layers 2, names without prefix, no pooler):
**   embeddings.word_embeddings.weight [V,H] (V = 4032: the XLM-R Unigram
**   tokenizer's 4002 ids padded to a multiple of 64, as 250002 to 250048),
**   embeddings.token_type_embeddings.weight [1,H], emb_ln.weight/bias [H];
**   per layer i, prefix "encoder.layers.<i>.": attn.Wqkv.weight [3H,H]
**   (rows Q, K, V) and .bias [3H], attn.out_proj.weight [H,H] and .bias
**   [H], norm1.weight/bias [H], norm2.weight/bias [H], and
**     i % 2 == 0 (dense): mlp.fc1.weight [I,H], mlp.fc1.bias [I],
**       mlp.fc2.weight [H,I], mlp.fc2.bias [H] (fc2(GELU_erf(fc1(x))));
**     i % 2 == 1 (MoE, moe_every_n_layers 2): mlp.router.layer.weight
**       [E,H] (no bias), mlp.experts.mlp.w1 [E*I,H], mlp.experts.mlp.w2
**       [E*I,H] (expert e's rows e*I..(e+1)*I-1 of each; w1 applied
**       transposed, w2 not: GELU_erf(x w1_e^T) w2_e), mlp.experts.bias [H]
**       (one, added after the weighted sum).
** 3 layers (0 and 2 dense, 1 MoE), 4 heads of 16, I = n_inner 96 (not
** rounded: the MLP is not gated), E = num_experts 4, moe_top_k 2 (the
** router's softmax values of the two largest, not renormalised).
** attn.Wqkv.weight takes K_QKV (as nomic's), mlp.router.layer.weight
** K_HEAD (std 0.3: the router's logits spread by about 2.6 over the
** experts, so that the gap between a token's second and third logit stays
** far above float32 rounding, and the engine routes as the float64
** reference does), emb_ln / norm1 / norm2 the LayerNorm kinds, the rest
** (biases included) K_STD.
** config.json is nomic-embed-text-v2-moe's NomicBertConfig (a GPT2Config,
** transformers 4.44.2, keys sorted; see write_nomic_moe_config):
** activation_function "gelu", qkv_proj_bias / mlp_fc1_bias / mlp_fc2_bias
** true, layer_norm_epsilon 1e-05, num_experts, moe_top_k,
** moe_every_n_layers 2, moe_normalize_expert_weights false, pad_token_id 1,
** type_vocab_size 1, rotary_emb_base 1000 (nomic's), auto_map to
** nomic-ai/nomic-bert-2048's code, ...  tokenizer.json (Unigram),
** tokenizer_config.json (XLMRobertaTokenizer) and special_tokens_map.json
** are copied from <vocab-dir>/../tokenizer/unigram/, as for xlmr.  ST
** files: mean pooling, Normalize, max_seq_length 512, do_lower_case false
** (nomic-embed-text-v2-moe's layout).
**
** ModernBERT (shape modernbert): ModernBertModel as sentence-transformers
** saves nomic-ai/modernbert-embed-base (names without prefix, no biases at
** all: attention_bias, mlp_bias and norm_bias false):
**   embeddings.tok_embeddings.weight [V,H] (V = 4032: the modernbert-style
**   tokenizer's 4005 ids in 4032 rows, as ModernBERT pads 50285 to 50368),
**   embeddings.norm.weight [H];
**   per layer i, prefix "layers.<i>.": attn_norm.weight [H] (not in layer
**   0, whose attn_norm is nn.Identity), attn.Wqkv.weight [3H,H] (rows Q, K,
**   V), attn.Wo.weight [H,H], mlp_norm.weight [H], mlp.Wi.weight [2I,H]
**   (rows 0..I-1 the input, I..2I-1 the gate), mlp.Wo.weight [H,I];
**   final_norm.weight [H].
** 4 layers, 4 heads of 16, I = 96; global attention on layers 0 and 3
** (i % global_attn_every_n_layers 3 == 0, rotary base 160000), a window
** |i - j| <= local_attention / 2 = 8 on layers 1 and 2 (rotary base 10000).
** Wqkv takes K_QKV (std 0.1), the LayerNorm weights K_NORM_W (1 + u, std
** 0.1), tok_embeddings, attn.Wo, mlp.Wi and mlp.Wo K_STD.  config.json is a
** ModernBertConfig as transformers 4.48.0 saves it (keys sorted; see
** write_modernbert_config: norm_eps and layer_norm_eps 1e-05, hidden_activation
** "gelu", cls/bos 4000, sep/eos 4001, pad 4002, reference_compile null,
** ...).  tokenizer.json, tokenizer_config.json and special_tokens_map.json
** are copied from <vocab-dir>/modernbert-style/ (written by
** tests/models/make_modernbert_vocab.py: byte-level BPE, NFC, [CLS] $A
** [SEP]).  ST files: mean pooling, Normalize, max_seq_length 512,
** do_lower_case false, and config_sentence_transformers.json
**   {"prompts": {"query": "search_query: ", "document": "search_document: "},
**    "default_prompt_name": null, "similarity_fn_name": "cosine"}
** (json.dumps(indent=2) + "\n", keys in that order; modernbert-embed-base's
** prompts, without its "__version__" key).
**
** GTE v1.5 (shape gte): the trust_remote_code NewModel (model_type "new") of
** Alibaba-NLP/gte-base-en-v1.5, as sentence-transformers saves it (names
** without prefix, no pooler):
**   embeddings.word_embeddings.weight [V,H] (V = 30528: bert-base-uncased's
**   30522 ids in 30528 rows, as gte-base-en-v1.5), embeddings.
**   token_type_embeddings.weight [TV,H] only when type_vocab_size TV > 0
**   (gte: 0, no tensor), embeddings.LayerNorm.weight/bias [H] (no position
**   table: rotary positions);
**   per layer i, prefix "encoder.layer.<i>.": attention.qkv_proj.weight
**   [3H,H] (rows Q, K, V) and .bias [3H], attention.o_proj.weight [H,H] and
**   .bias [H], attn_ln.weight/bias [H], mlp.up_gate_proj.weight [2I,H] (rows
**   0..I-1 "up", I..2I-1 the gate; no bias), mlp.down_proj.weight [H,I] and
**   .bias [H], mlp_ln.weight/bias [H].
** 3 layers, 4 heads of 16, I = 96.  qkv_proj.weight takes K_QKV (std 0.1, as
** NomicBert's Wqkv: sharp attention, so that rotary mistakes show), the
** LayerNorms the LayerNorm kinds, the rest (qkv_proj.bias included) K_STD.
** config.json is a NewConfig as transformers 4.39.1 saves it (keys sorted;
** see write_gte_config): pack_qkv true, position_embedding_type "rope",
** rope_theta 20000.0, rope_scaling {"factor": 2.0, "type": "ntk"},
** layer_norm_type "layer_norm", layer_norm_eps 1e-12, hidden_act "gelu",
** type_vocab_size 0, auto_map to Alibaba-NLP/new-impl's code, ...
** vocab.txt is bert-base-uncased's, tokenizer_config.json is generated
** (BertTokenizer, do_lower_case true, model_max_length 1024).  ST files: cls
** pooling, Normalize, max_seq_length 1024, do_lower_case false (gte-base-en-
** v1.5's layout: the tokenizer lowercases, sentence-transformers does not).
**
** JinaBert (shape jina): the trust_remote_code JinaBertModel of
** jinaai/jina-bert-implementation (config.json's model_type "bert" with
** position_embedding_type "alibi" and feed_forward_type "geglu": the
** architecture of jina-embeddings-v2-small-en / -base-en / -base-de /
** -base-zh / -base-es), names without prefix, no pooler:
**   embeddings.word_embeddings.weight [V,H] (V = 30528: bert-base-uncased's
**   30522 ids in 30528 rows, as jina-embeddings-v2-base-en),
**   embeddings.token_type_embeddings.weight [2,H], embeddings.LayerNorm
**   .weight/bias [H] (no position table: ALiBi);
**   per layer i, prefix "encoder.layer.<i>.": attention.self.{query,key,
**   value}.weight [H,H] .bias [H], attention.output.dense.weight [H,H] .bias
**   [H], attention.output.LayerNorm.weight/bias [H], mlp.gated_layers.weight
**   [2I,H] (no bias; rows 0..I-1 go through GELU, I..2I-1 multiply them),
**   mlp.wo.weight [H,I] .bias [H], mlp.layernorm.weight/bias [H].
** 2 layers, 6 heads of 16 (not a power of two: ALiBi slopes 1/4, 1/16,
** 1/64, 1/256, then 1/2, 1/8), I = 128.  The query, key and value weights
** take K_QKV (std 0.1, as NomicBert's Wqkv: sharp attention, so that ALiBi
** mistakes show), and so do mlp.gated_layers.weight and mlp.wo.weight (the
** GeGLU's pre-activations are then O(1), where erf and tanh GELU part and
** the halves' order matters); the two kinds of LayerNorm
** (attention.output.LayerNorm, mlp.layernorm) and embeddings.LayerNorm take
** the LayerNorm kinds, the rest (the Q/K/V, attention.output.dense and
** mlp.wo biases included) K_STD.  config.json is a JinaBertConfig as
** transformers 4.26.0 saves jina-embeddings-v2-base-en's (keys sorted; see
** write_jina_config): attn_implementation "torch", emb_pooler "mean",
** feed_forward_type "geglu", model_max_length = max_position_embeddings,
** position_embedding_type "alibi", type_vocab_size 2, auto_map to
** jinaai/jina-bert-implementation's code, ...  vocab.txt is
** bert-base-uncased's, tokenizer_config.json is generated (BertTokenizer,
** do_lower_case true, model_max_length 1024).  ST files: mean pooling,
** Normalize, max_seq_length 1024, do_lower_case false (jina-embeddings-v2's
** layout: the tokenizer lowercases, sentence-transformers does not).
**
** JinaBert v2 QK-post-norm (shape jina_code): the trust_remote_code
** JinaBertModel of jinaai/jina-bert-v2-qk-post-norm, the architecture of
** jina-embeddings-v2-base-code (config.json as jina's: model_type "bert",
** position_embedding_type "alibi", feed_forward_type "geglu"), names
** without prefix, no pooler: the embeddings as jina's (V = 4000, the BPE
** tokenizer's ids; no position table); per layer i, prefix
** "encoder.layer.<i>.": attention.self.{query,key,value}.weight [H,H]
** .bias [H], attention.self.layer_norm_q.weight/bias [H] and
** attention.self.layer_norm_k.weight/bias [H] (LayerNorms over the whole
** query / key projection, before the heads split),
** attention.output.dense.weight [H,H] .bias [H],
** attention.output.LayerNorm.weight/bias [H], layer_norm_1.weight/bias [H]
** (over the attention block's output + the layer input, added a second
** time), mlp.up_gated_layer.weight [2I,H] (no bias; rows 0..I-1 multiply,
** rows I..2I-1 go through GELU: the other way round from jina's
** gated_layers), mlp.down_layer.weight [H,I] .bias [H],
** layer_norm_2.weight/bias [H] (over down_layer + layer_norm_1's output).
** 3 layers, 6 heads of 16 (ALiBi as jina's), I = 128.  The query, key and
** value weights, mlp.up_gated_layer.weight and mlp.down_layer.weight take
** K_QKV (as jina's Q/K/V and GeGLU weights), the five kinds of LayerNorm
** the LayerNorm kinds, the rest K_STD.  config.json is jina's
** JinaBertConfig (see write_jina_config) with "architectures"
** ["JinaBertModel"], auto_map's AutoConfig and AutoModel only, in
** jinaai/jina-bert-v2-qk-post-norm's code, and pad_token_id 1.
** tokenizer.json (byte-level BPE, 4000 ids), tokenizer_config.json
** (RobertaTokenizer) and special_tokens_map.json are copied from
** <vocab-dir>/../tokenizer/bpe/, as for roberta.  ST files: mean pooling,
** Normalize, max_seq_length 1024, do_lower_case false.
**
** Cross-encoders (shapes rerank, rerank_xlmr, rerank_modernbert,
** rerank_gte and rerank_jina; sentence-transformers'
** CrossEncoder, one label).  No sentence-transformers files (no
** modules.json, 1_Pooling or sentence_bert_config.json).
**   rerank: cross-encoder/ms-marco-MiniLM-L-6-v2's layout.  BertModel's
**   tensors under "bert." as above, the pooler included (the head's first
**   Linear), plus classifier.weight [1,H] and classifier.bias [1] without
**   prefix.  config.json is the BERT one with "architectures"
**   ["BertForSequenceClassification"], "id2label" {"0": "LABEL_0"},
**   "label2id" {"LABEL_0": 0} and "sbert_ce_default_activation_function"
**   "torch.nn.modules.linear.Identity" (sorted in); vocab.txt is
**   bert-base-uncased's and tokenizer_config.json is generated
**   (BertTokenizer, do_lower_case true, model_max_length 512).
**   rerank_xlmr: BAAI/bge-reranker-base's layout.  xlmroberta's tensors
**   under "roberta." without the pooler (XLMRobertaForSequenceClassification
**   has add_pooling_layer=False), plus RobertaClassificationHead's
**   classifier.dense.weight [H,H], classifier.dense.bias [H],
**   classifier.out_proj.weight [1,H], classifier.out_proj.bias [1] without
**   prefix.  config.json is the XLMRobertaConfig above with "architectures"
**   ["XLMRobertaForSequenceClassification"], id2label and label2id as for
**   rerank and no activation key (CrossEncoder then applies Sigmoid, as
**   num_labels is 1); the tokenizer files are xlmroberta's.
**   rerank_modernbert: Alibaba-NLP/gte-reranker-modernbert-base's layout.
**   modernbert's tensors under "model." (ModernBertModel inside
**   ModernBertForSequenceClassification), plus ModernBertPredictionHead's
**   head.dense.weight [H,H] (no bias: classifier_bias false) and
**   head.norm.weight [H] (LayerNorm without bias, eps norm_eps), and
**   classifier.weight [1,H], classifier.bias [1], without prefix.
**   config.json is modernbert's ModernBertConfig (classifier_pooling "mean",
**   classifier_activation "gelu", classifier_bias false) with
**   "architectures" ["ModernBertForSequenceClassification"], id2label and
**   label2id as for rerank and no activation key (Sigmoid); the tokenizer
**   files are modernbert's (model_max_length 8192; pairs "[CLS] $A [SEP]
**   $B:1 [SEP]:1", whose type ids ModernBERT does not take).
**   rerank_gte: Alibaba-NLP/gte-multilingual-reranker-base's layout.  The
**   gte encoder (2 layers, type_vocab_size 1: embeddings.
**   token_type_embeddings.weight [1,H]; rope_theta 160000.0, rope_scaling
**   {"factor": 8.0, "type": "ntk"}) under "new." (NewModel inside
**   NewForSequenceClassification, add_pooling_layer=True), its pooler
**   new.pooler.dense.weight [H,H] and .bias [H] (BertPooler: tanh of token
**   0), plus classifier.weight [1,H] and classifier.bias [1] without
**   prefix.  config.json is gte's NewConfig with "architectures"
**   ["NewForSequenceClassification"], auto_map's
**   AutoModelForSequenceClassification, pad_token_id 1, id2label and
**   label2id as for rerank and no activation key (Sigmoid); the tokenizer
**   files are xlmroberta's (XLM-R Unigram).
**   rerank_jina: jinaai/jina-reranker-v1-turbo-en's layout.  The jina
**   encoder (64/2/4/96: 4 heads, slopes 1/4, 1/16, 1/64, 1/256) under
**   "bert." (JinaBertModel inside JinaBertForSequenceClassification), its
**   pooler bert.pooler.dense.weight [H,H] and .bias [H] (BertPooler: tanh
**   of token 0), plus classifier.weight [1,H] and classifier.bias [1]
**   without prefix.  config.json is jina's JinaBertConfig with
**   "architectures" ["JinaBertForSequenceClassification"], id2label and
**   label2id as for rerank and no activation key (Sigmoid); vocab.txt is
**   bert-base-uncased's, tokenizer_config.json generated (model_max_length
**   1024; pairs [CLS] a [SEP] b [SEP], type ids 0 / 1).
** The head's tensors (BERT, GTE and JinaBert: the pooler and classifier; XLM-R:
** classifier.*; ModernBERT: head.dense.weight and classifier.*) take the head kind below
** (std 0.3); ModernBERT's head.norm.weight takes K_NORM_W, as its other
** LayerNorm weights.
**
** Values.  For a tensor whose full name (as stored in the file, prefix
** included) is NAME, with n elements in row-major order:
**   state0 = seed XOR fnv1a64(NAME)       FNV-1a 64: h = 0xcbf29ce484222325;
**                                         per byte h = (h ^ b) * 0x100000001b3
**   x_k    = splitmix64 output k (k = 0..n-1):
**            state += 0x9e3779b97f4a7c15; z = state;
**            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
**            z = (z ^ (z >> 27)) * 0x94d049bb133111eb;  x = z ^ (z >> 31)
**   u_k    = ((int)(x_k >> 40) - 8388608 + 0.5) * (std * sqrt(3.0) / 8388608.0)
**            in IEEE double (sqrt is correctly rounded; no other libm), i.e.
**            uniform on (-std*sqrt(3), std*sqrt(3)), standard deviation std;
**   value  = (float)u_k  (round to nearest even), std = 0.02, for embeddings,
**            Linear weights and Linear biases;
**            LayerNorm weight: (float)(1.0 + u_k) with std = 0.05;
**            LayerNorm bias:   (float)u_k         with std = 0.05;
**            MPNet's relative_attention_bias: (float)u_k with std = 0.5, so
**            that a wrong bucket or a missing bias visibly moves the vectors
**            (std 0.02 would hide it among the scores).
**            ModernBERT's LayerNorm weights (K_NORM_W): (float)(1.0 + u_k)
**            with std = 0.1 (twice the BERT LayerNorms', so that a missing
**            or misplaced norm shows).
**            NomicBert's and ModernBERT's attn.Wqkv.weight, GTE's
**            attention.qkv_proj.weight and JinaBert's
**            attention.self.{query,key,value}.weight,
**            mlp.gated_layers.weight and mlp.wo.weight (jina_code:
**            mlp.up_gated_layer.weight and mlp.down_layer.weight) (K_QKV): (float)u_k
**            with std = 0.1, so that the attention is sharp enough for a
**            rotary (or ALiBi) mistake to show (with std 0.02 the scores
**            have a standard deviation of about 0.02, the attention is
**            nearly uniform and leaving the rotation out moves the hidden
**            states by only ~3e-4), and JinaBert's GeGLU pre-activations
**            are O(1) (with std 0.02, tanh-GELU for erf GELU moves its
**            hidden states by only ~1.6e-6).
**            nomic_moe's mlp.router.layer.weight takes K_HEAD too (see
**            NomicBert MoE above).
**            A cross-encoder's head (rerank: bert.pooler.dense.* and
**            classifier.*; rerank_xlmr: classifier.dense.* and
**            classifier.out_proj.*; rerank_modernbert: head.dense.weight
**            and classifier.*; rerank_gte: new.pooler.dense.* and
**            classifier.*; rerank_jina: bert.pooler.dense.* and
**            classifier.*), weights and biases: (float)u_k with
**            std = 0.3 (K_HEAD), so that the head's pre-activations and the
**            logits are O(1) and leaving out the tanh, pooling otherwise or
**            a wrong activation visibly moves the scores.
**   F16 / BF16 shapes store the float32 value rounded to nearest even
**   (IEEE binary16 with subnormals / bfloat16 = top 16 bits, RNE).
**
** Dense modules (shapes dense and distil): sentence-transformers Dense layers
** after pooling, each a directory <path>/ with config.json and
** model.safetensors holding linear.weight [out, in] (and linear.bias [out]
** when bias):
**   dense:  2_Dense  64 -> 48, bias, Tanh,     F32, config with module_*_name
**                    keys
**           3_Dense  48 -> 40, no bias, Identity, F16, config without them
**                    (the older Sentence Transformers format)
**   distil: 2_Dense  64 -> 32, bias, Tanh,     F32, config with module_*_name
**                    keys (distiluse-base-multilingual's head: mean pooling,
**                    Dense with tanh, no Normalize)
** Their values follow the same stream, seeded with NAME = <path>/<tensor>
** (e.g. "2_Dense/linear.weight"; the file itself stores "linear.weight"),
** value = (float)u_k with std = 0.2 for weights and biases alike: W.x is then
** O(1), so tanh really bends and a skipped activation shows.  F16 files round
** as above.  modules.json lists Transformer, Pooling, the Dense modules
** (idx 2, 3) and Normalize (dense: idx 4, path "4_Normalize"; distil has
** none).
**
** Prompts (shape instr only): an INSTRUCTOR-style model.  1_Pooling/config.json
** ends with "include_prompt": false (mean pooling leaves out the prompt's
** tokens), and config_sentence_transformers.json is
**   {"prompts": {"query": "Represent this question for retrieving documents: ",
**    "passage": ""}, "default_prompt_name": "query"}
** (json.dumps(indent=2) + "\n", keys in that order).  Weights as above.
**
** safetensors files: u64 LE header length N, then the header JSON, then the
** data.  Header = '{"__metadata__":{"format":"pt"}' followed, for each tensor
** in the file in bytewise-ascending name order, by
** ',"NAME":{"dtype":"F32","shape":[d0,d1],"data_offsets":[b,e]}' and '}',
** no whitespace, then spaces until N is a multiple of 8.  Data are the
** tensors in the same order, back to back, little-endian.
** Sharding (bge): shard 1 = embeddings + layers 0..L/2-1, shard 2 = the rest
** (layers L/2.., pooler); model.safetensors.index.json =
** {"metadata": {"total_size": <sum of data bytes>}, "weight_map": {name:
** file, ... sorted}} as Python's json.dumps(indent=2) writes it, + "\n".
** The JSON side files are written as json.dumps(obj, indent=2) (+ "\n")
** would write them; see make_golden.py for the objects.
** --------------------------------------------------------------------------
*/
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { DT_F32 = 0, DT_F16 = 1, DT_BF16 = 2 };
static const char *const DT_NAME[] = {"F32", "F16", "BF16"};
static const char *const DT_TORCH[] = {"float32", "float16", "bfloat16"};
static const int DT_SIZE[] = {4, 2, 2};

/* A sentence-transformers Dense module (models.Dense) after pooling. */
typedef struct {
  const char *path;     /* directory, also the seeding prefix */
  int in, out, bias;
  const char *act;      /* activation_function as Sentence Transformers saves it */
  int dtype;            /* storage of model.safetensors */
  int io_names;         /* newer config format: module_input_name/module_output_name */
} DenseMod;

static const DenseMod DENSE_MODS[] = {
  {"2_Dense", 64, 48, 1, "torch.nn.modules.activation.Tanh", DT_F32, 1},
  {"3_Dense", 48, 40, 0, "torch.nn.modules.linear.Identity", DT_F16, 0},
};

/* distiluse-base-multilingual's head (768 -> 512 there) at the test width */
static const DenseMod DISTIL_DENSE_MODS[] = {
  {"2_Dense", 64, 32, 1, "torch.nn.modules.activation.Tanh", DT_F32, 1},
};

/* A named prompt of config_sentence_transformers.json (file order). */
typedef struct {
  const char *name, *text;
} Prompt;

static const Prompt INSTR_PROMPTS[] = {
  {"query", "Represent this question for retrieving documents: "},
  {"passage", ""},
};

/* nomic-ai/modernbert-embed-base's prompts (no default prompt) */
static const Prompt MODERNBERT_PROMPTS[] = {
  {"query", "search_query: "},
  {"document", "search_document: "},
};

enum { ARCH_BERT = 0, ARCH_DISTIL = 1, ARCH_MPNET = 2, ARCH_XLMR = 3, ARCH_ROBERTA = 4, ARCH_NOMIC = 5,
       ARCH_MODERNBERT = 6, ARCH_GTE = 7, ARCH_JINA = 8, ARCH_JINA_CODE = 9, ARCH_NOMIC_MOE = 10 };

/* nomic-embed-text-v2-moe's Mixture of Experts (ARCH_NOMIC_MOE): layer i's
** MLP is an MoE where i % moe_every_n_layers == 1, with num_experts experts
** of which each token takes moe_top_k.  The test shape has 4 experts; the
** bench shape nomic-moe-base the model's 8. */
typedef struct MoeSpec {
  int experts, top_k, every;
} MoeSpec;
static const MoeSpec NOMIC_MOE = {4, 2, 2}, NOMIC_MOE_BASE = {8, 2, 2};

/* Cross-encoder heads (*ForSequenceClassification, one label):
** HEAD_BERT     BertForSequenceClassification: the pooler (under the prefix)
**               then classifier [1, H] (no prefix);
** HEAD_ROBERTA  XLMRobertaForSequenceClassification: no pooler,
**               RobertaClassificationHead's classifier.dense [H, H] and
**               classifier.out_proj [1, H] (no prefix);
** HEAD_MODERNBERT ModernBertForSequenceClassification: the encoder under
**               "model.", ModernBertPredictionHead's head.dense [H, H] (no
**               bias) and head.norm [H] (LayerNorm weight), classifier
**               [1, H] (no prefix);
** HEAD_GTE      NewForSequenceClassification: the encoder under "new.",
**               its pooler (BertPooler) under the prefix too, then
**               classifier [1, H] (no prefix);
** HEAD_JINA     JinaBertForSequenceClassification: the encoder under
**               "bert.", its pooler (BertPooler) under the prefix too, then
**               classifier [1, H] (no prefix). */
enum { HEAD_NONE = 0, HEAD_BERT = 1, HEAD_ROBERTA = 2, HEAD_MODERNBERT = 3, HEAD_GTE = 4, HEAD_JINA = 5 };

/* GTE's rotary settings as config.json writes them (Python floats):
** rope_theta and rope_scaling's NTK factor. */
typedef struct {
  const char *theta, *factor;
} GteRope;

static const GteRope GTE_ROPE = {"20000.0", "2.0"};          /* shape gte: NTK x2 */
static const GteRope RERANK_GTE_ROPE = {"160000.0", "8.0"};  /* shape rerank_gte: NTK x8 */
static const GteRope GTE_BASE_ROPE = {"500000.0", "2.0"};    /* gte-base (bench): gte-base-en-v1.5's */

typedef struct {
  const char *name;
  int hidden, layers, heads, inter, vocab, maxpos, typevocab; /* nomic: inter is config.json's
                                                                n_inner (the tensors round it
                                                                up to a multiple of 256) */
  uint64_t seed;
  int dtype;
  const char *prefix;  /* "", "bert." or "distilbert." */
  int shards;          /* 1 or 2 */
  const char *vocab_fixture;   /* dir under vocab-dir holding vocab.txt, or NULL */
  const char *tokjson_fixture; /* dir under vocab-dir holding tokenizer.json, or NULL */
  int lower;           /* tokenizer do_lower_case */
  int st;              /* sentence-transformers files? */
  const char *pooling; /* "mean" | "cls" | "max" (st only) */
  int normalize;       /* st only */
  int max_seq;         /* st only: sentence_bert_config max_seq_length */
  const DenseMod *dense; /* st only: Dense modules after pooling, or NULL */
  int ndense;
  const Prompt *prompts; /* st only: config_sentence_transformers.json, or NULL (no file) */
  int nprompts;
  const char *default_prompt; /* its default_prompt_name (prompts only) */
  int exclude_prompt;    /* st only: 1_Pooling's "include_prompt": false */
  int arch;              /* ARCH_*: the tensors and config.json of BertModel, DistilBertModel,
                            MPNetModel, XLMRobertaModel, RobertaModel, NomicBertModel,
                            ModernBertModel, GTE's NewModel or JinaBertModel (jina-bert-
                            implementation's or, ARCH_JINA_CODE, jina-bert-v2-qk-post-norm's) */
  const char *tokcfg_fixture; /* dir under vocab-dir holding tokenizer_config.json and
                              ** special_tokens_map.json (copied instead of generating
                              ** tokenizer_config.json), or NULL */
  int pad_id;          /* BERT config.json's pad_token_id */
  int no_lower_key;    /* st only: sentence_bert_config.json without do_lower_case */
  int st_keep_case;    /* st only: sentence_bert_config.json's do_lower_case false although
                          the tokenizer lowercases (nomic-embed-text's layout) */
  int head;            /* HEAD_*: a cross-encoder's classification head, or none */
  const char *ce_act;  /* head only: config.json's sbert_ce_default_activation_function, or
                          NULL (no key) */
  const char *similarity; /* prompts only: config_sentence_transformers.json's
                             similarity_fn_name after default_prompt_name, or NULL (no key) */
  int local_attention; /* ModernBERT only: config.json's local_attention; 0 (the
                          shapes with goldens): MODERNBERT_LOCAL_ATTENTION */
  const GteRope *rope; /* GTE only: rope_theta and rope_scaling's factor, else NULL */
  const MoeSpec *moe;  /* ARCH_NOMIC_MOE only: its experts */
} Shape;

static const Shape SHAPES[] = {
  {"minilm", 384, 6, 12, 1536, 30522, 512, 2, 1, DT_F32, "", 1,
   "bert-base-uncased", NULL, 1, 1, "mean", 1, 256, NULL, 0, NULL, 0, NULL, 0,
   ARCH_BERT, NULL, 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  {"bge", 384, 12, 12, 1536, 30522, 512, 2, 2, DT_F32, "bert.", 2,
   NULL, "all-MiniLM-L6-v2", 1, 1, "cls", 1, 512, NULL, 0, NULL, 0, NULL, 0,
   ARCH_BERT, NULL, 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  {"multi", 128, 2, 4, 512, 119547, 512, 2, 3, DT_F32, "", 1,
   "bert-base-multilingual-cased", NULL, 0, 1, "mean", 0, 128, NULL, 0, NULL, 0, NULL, 0,
   ARCH_BERT, NULL, 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  {"f16", 64, 2, 4, 256, 30522, 128, 2, 4, DT_F16, "", 1,
   "bert-base-uncased", NULL, 1, 0, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0,
   ARCH_BERT, NULL, 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  {"bf16", 64, 2, 4, 256, 30522, 128, 2, 5, DT_BF16, "", 1,
   "bert-base-uncased", NULL, 1, 1, "mean", 1, 128, NULL, 0, NULL, 0, NULL, 0,
   ARCH_BERT, NULL, 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* odd widths everywhere (hidden 45, head size 15, intermediate 131): the
  ** bf16/int8 paths that pad a row's last pair or quad (test_precision) */
  {"odd", 45, 2, 3, 131, 30522, 128, 2, 6, DT_F32, "", 1,
   "bert-base-uncased", NULL, 1, 1, "mean", 1, 128, NULL, 0, NULL, 0, NULL, 0,
   ARCH_BERT, NULL, 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* two Dense modules after cls pooling (64 -> 48 tanh -> 40, the second
  ** without bias and stored F16): sentence-transformers' Dense path */
  {"dense", 64, 2, 4, 256, 30522, 128, 2, 7, DT_F32, "", 1,
   "bert-base-uncased", NULL, 1, 1, "cls", 1, 128, DENSE_MODS, 2, NULL, 0, NULL, 0,
   ARCH_BERT, NULL, 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* INSTRUCTOR-style: mean pooling leaves the prompt's tokens out
  ** (include_prompt false), with named prompts and a default one */
  {"instr", 64, 2, 4, 256, 30522, 128, 2, 8, DT_F32, "", 1,
   "bert-base-uncased", NULL, 1, 1, "mean", 1, 128, NULL, 0, INSTR_PROMPTS, 2, "query", 1,
   ARCH_BERT, NULL, 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* DistilBERT as distiluse-base-multilingual has it: mean pooling, a Dense
  ** with tanh, no Normalize; names as a DistilBertForXxx checkpoint stores
  ** them ("distilbert." prefix); type_vocab 0: DistilBERT has no token types */
  {"distil", 64, 2, 4, 256, 30522, 128, 0, 9, DT_F32, "distilbert.", 1,
   "bert-base-uncased", NULL, 1, 1, "mean", 0, 128, DISTIL_DENSE_MODS, 1, NULL, 0, NULL, 0,
   ARCH_DISTIL, NULL, 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* MPNet as sentence-transformers/all-mpnet-base-v2 has it: MPNetModel's
  ** tensors without prefix (relative position bias, no token types),
  ** positions from pad_token_id + 1 (so P = 514 for 512 tokens), the
  ** tokenizer files of all-mpnet-base-v2's layout, mean pooling, Normalize,
  ** sentence_bert_config.json's do_lower_case false as there */
  {"mpnet", 64, 2, 4, 256, 30527, 514, 0, 10, DT_F32, "", 1,
   "mpnet-style", "mpnet-style", 0, 1, "mean", 1, 384, NULL, 0, NULL, 0, NULL, 0,
   ARCH_MPNET, "mpnet-style", 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* BERT with an XLM-R (SentencePiece Unigram) tokenizer, as
  ** paraphrase-multilingual-MiniLM-L12-v2 has it: tokenizer.json and its
  ** side files from tests/fixtures/tokenizer/unigram (relative to
  ** vocab-dir), pad_token_id 1, mean pooling without Normalize,
  ** sentence_bert_config.json without do_lower_case */
  {"xlmr", 64, 2, 4, 256, 4002, 512, 2, 13, DT_F32, "", 1,
   NULL, "../tokenizer/unigram", 0, 1, "mean", 0, 128, NULL, 0, NULL, 0, NULL, 0, ARCH_BERT, "../tokenizer/unigram",
   1, 1, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* XLM-RoBERTa as bge-m3 has it (at the test width): BertModel's tensors
  ** under "roberta.", one token type, positions from pad_token_id + 1, the
  ** XLM-R tokenizer, cls pooling, Normalize, 512 tokens */
  {"xlmroberta", 64, 2, 4, 256, 4002, 514, 1, 14, DT_F32, "roberta.", 1,
   NULL, "../tokenizer/unigram", 0, 1, "cls", 1, 512, NULL, 0, NULL, 0, NULL, 0, ARCH_XLMR, "../tokenizer/unigram",
   1, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* RoBERTa as all-distilroberta-v1 has it (at the test width): BertModel's
  ** tensors without prefix, one token type, positions from pad_token_id + 1,
  ** a byte-level BPE tokenizer, mean pooling, Normalize, 512 tokens */
  {"roberta", 64, 2, 4, 256, 4000, 514, 1, 15, DT_F32, "", 1,
   NULL, "../tokenizer/bpe", 0, 1, "mean", 1, 512, NULL, 0, NULL, 0, NULL, 0, ARCH_ROBERTA, "../tokenizer/bpe",
   1, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* NomicBert as nomic-ai/nomic-embed-text-v1.5 has it (at the test width):
  ** rotary positions (no position table), fused Wqkv, SwiGLU, no biases
  ** but the LayerNorms', n_inner 200 (256 in the tensors), 30522 tokenizer
  ** ids in 30528 rows, mean pooling, Normalize, 2048 tokens */
  {"nomic", 64, 2, 4, 200, 30528, 2048, 2, 16, DT_F32, "", 1,
   "bert-base-uncased", NULL, 1, 1, "mean", 1, 2048, NULL, 0, NULL, 0, NULL, 0,
   ARCH_NOMIC, NULL, 0, 0, 1, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* cross-encoder/ms-marco-MiniLM-L-6-v2's layout at the test width: a
  ** BertForSequenceClassification checkpoint (BertModel's tensors under
  ** "bert.", the pooler and classifier.weight/bias as its head), config.json
  ** with sentence-transformers' Identity activation, vocab.txt and a
  ** generated tokenizer_config.json; no sentence-transformers files */
  {"rerank", 64, 2, 4, 256, 30522, 512, 2, 18, DT_F32, "bert.", 1,
   "bert-base-uncased", NULL, 1, 0, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0, ARCH_BERT, NULL, 0, 0, 0,
   HEAD_BERT, "torch.nn.modules.linear.Identity", NULL, 0, NULL, NULL},
  /* BAAI/bge-reranker-base's layout at the test width: xlmroberta's encoder
  ** under "roberta." without pooler, RobertaClassificationHead, no
  ** activation key (CrossEncoder applies Sigmoid to one label), the XLM-R
  ** tokenizer files; no sentence-transformers files */
  {"rerank_xlmr", 64, 2, 4, 256, 4002, 514, 1, 19, DT_F32, "roberta.", 1,
   NULL, "../tokenizer/unigram", 0, 0, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0, ARCH_XLMR, "../tokenizer/unigram",
   1, 0, 0, HEAD_ROBERTA, NULL, NULL, 0, NULL, NULL},
  /* ModernBERT as nomic-ai/modernbert-embed-base has it (at the test width):
  ** ModernBertModel's tensors without prefix (pre-norm, rotary, local /
  ** global attention, gated GELU MLP, no biases at all, no position or
  ** token-type table), 4 layers (global 0 and 3), the modernbert-style
  ** byte-level BPE tokenizer files, mean pooling, Normalize, 512 tokens,
  ** search_query / search_document prompts without a default */
  {"modernbert", 64, 4, 4, 96, 4032, 1024, 0, 20, DT_F32, "", 1,
   NULL, "modernbert-style", 0, 1, "mean", 1, 512, NULL, 0, MODERNBERT_PROMPTS, 2, NULL, 0,
   ARCH_MODERNBERT, "modernbert-style", 4002, 0, 0, HEAD_NONE, NULL, "cosine", 0, NULL, NULL},
  /* Alibaba-NLP/gte-reranker-modernbert-base's layout at the test width: a
  ** ModernBertForSequenceClassification checkpoint (modernbert's encoder
  ** under "model.", head.dense without bias, head.norm, classifier),
  ** classifier_pooling "mean", no activation key (CrossEncoder applies
  ** Sigmoid to one label), the modernbert-style tokenizer files; no
  ** sentence-transformers files */
  {"rerank_modernbert", 64, 4, 4, 96, 4032, 1024, 0, 21, DT_F32, "model.", 1,
   NULL, "modernbert-style", 0, 0, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0,
   ARCH_MODERNBERT, "modernbert-style", 4002, 0, 0, HEAD_MODERNBERT, NULL, NULL, 0, NULL, NULL},
  /* GTE v1.5's NewModel as Alibaba-NLP/gte-base-en-v1.5 has it (at the test
  ** width): post-LayerNorm, rotary (rope_theta 20000, NTK factor 2), fused
  ** qkv_proj with bias, gated GELU MLP (up_gate_proj without bias), no
  ** position or token-type table (type_vocab_size 0), bert-base-uncased's
  ** 30522 ids in 30528 rows, cls pooling, Normalize, 1024 tokens,
  ** sentence_bert_config.json's do_lower_case false (the tokenizer
  ** lowercases) */
  {"gte", 64, 3, 4, 96, 30528, 1024, 0, 22, DT_F32, "", 1,
   "bert-base-uncased", NULL, 1, 1, "cls", 1, 1024, NULL, 0, NULL, 0, NULL, 0,
   ARCH_GTE, NULL, 0, 0, 1, HEAD_NONE, NULL, NULL, 0, &GTE_ROPE, NULL},
  /* Alibaba-NLP/gte-multilingual-reranker-base's layout at the test width: a
  ** NewForSequenceClassification checkpoint (the encoder under "new.", one
  ** token type, rope_theta 160000, NTK factor 8; the pooler with tanh and
  ** classifier), no activation key (CrossEncoder applies Sigmoid to one
  ** label), the XLM-R tokenizer files; no sentence-transformers files */
  {"rerank_gte", 64, 2, 4, 96, 4002, 1024, 1, 23, DT_F32, "new.", 1,
   NULL, "../tokenizer/unigram", 0, 0, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0,
   ARCH_GTE, "../tokenizer/unigram", 1, 0, 0, HEAD_GTE, NULL, NULL, 0, &RERANK_GTE_ROPE, NULL},
  /* JinaBert as jinaai/jina-embeddings-v2-base-en has it (at the test
  ** width): BERT's post-LayerNorm encoder with ALiBi instead of a position
  ** table, 6 heads (not a power of two), a GeGLU FFN (mlp.gated_layers
  ** without bias, mlp.wo, mlp.layernorm), two token types,
  ** bert-base-uncased's 30522 ids in 30528 rows, mean pooling, Normalize,
  ** 1024 tokens, sentence_bert_config.json's do_lower_case false (the
  ** tokenizer lowercases) */
  {"jina", 96, 2, 6, 128, 30528, 1024, 2, 24, DT_F32, "", 1,
   "bert-base-uncased", NULL, 1, 1, "mean", 1, 1024, NULL, 0, NULL, 0, NULL, 0,
   ARCH_JINA, NULL, 0, 0, 1, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* jinaai/jina-reranker-v1-turbo-en's layout at the test width: a
  ** JinaBertForSequenceClassification checkpoint (the encoder under
  ** "bert.", 4 heads; BERT's pooler with tanh and classifier), no
  ** activation key (CrossEncoder applies Sigmoid to one label),
  ** bert-base-uncased's vocab.txt; no sentence-transformers files */
  {"rerank_jina", 64, 2, 4, 96, 30528, 1024, 2, 25, DT_F32, "bert.", 1,
   "bert-base-uncased", NULL, 1, 0, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0,
   ARCH_JINA, NULL, 0, 0, 0, HEAD_JINA, NULL, NULL, 0, NULL, NULL},
  /* JinaBert v2 QK-post-norm as jinaai/jina-embeddings-v2-base-code has it
  ** (at the test width): jina's encoder with LayerNorms on the query and
  ** key projections, the layer input added again before layer_norm_1, a
  ** GeGLU FFN whose second half goes through GELU (mlp.up_gated_layer
  ** without bias, mlp.down_layer, layer_norm_2), two token types, a
  ** byte-level BPE tokenizer (roberta's files: 4000 ids, pad_token_id 1),
  ** mean pooling, Normalize, 1024 tokens */
  {"jina_code", 96, 3, 6, 128, 4000, 1024, 2, 26, DT_F32, "", 1,
   NULL, "../tokenizer/bpe", 0, 1, "mean", 1, 1024, NULL, 0, NULL, 0, NULL, 0, ARCH_JINA_CODE, "../tokenizer/bpe",
   1, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* NomicBert with Mixture-of-Experts FFNs as nomic-ai/nomic-embed-text-v2-moe
  ** has it (at the test width): nomic's rotary attention with biases, a
  ** GELU MLP with biases (n_inner 96, not rounded) on layers 0 and 2, 4
  ** experts of it with top-2 routing on layer 1, one token type, the XLM-R
  ** Unigram tokenizer (4002 ids in 4032 rows, pad_token_id 1), mean
  ** pooling, Normalize, 512 tokens */
  {"nomic_moe", 64, 3, 4, 96, 4032, 2048, 1, 30, DT_F32, "", 1,
   NULL, "../tokenizer/unigram", 0, 1, "mean", 1, 512, NULL, 0, NULL, 0, NULL, 0, ARCH_NOMIC_MOE,
   "../tokenizer/unigram", 1, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, &NOMIC_MOE},
  /* BERT-base and all-mpnet-base-v2's size (768/12/12/3072), for the bench
  ** only (bench/run.py section i compares the two): no goldens, not
  ** generated by the tests */
  {"bert-base", 768, 12, 12, 3072, 30522, 512, 2, 12, DT_F32, "", 1,
   "bert-base-uncased", NULL, 1, 0, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0,
   ARCH_BERT, NULL, 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  {"mpnet-base", 768, 12, 12, 3072, 30527, 514, 0, 11, DT_F32, "", 1,
   "mpnet-style", "mpnet-style", 0, 1, "mean", 1, 384, NULL, 0, NULL, 0, NULL, 0,
   ARCH_MPNET, "mpnet-style", 0, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* nomic-embed-text-v1.5's size (768/12/12, n_inner 3072, 8,192 rotary
  ** positions), for the bench only, like the two above */
  {"nomic-base", 768, 12, 12, 3072, 30528, 8192, 2, 17, DT_F32, "", 1,
   "bert-base-uncased", NULL, 1, 1, "mean", 1, 8192, NULL, 0, NULL, 0, NULL, 0,
   ARCH_NOMIC, NULL, 0, 0, 1, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* ModernBERT-base's size (768/22/12, intermediate 1152, 50368 rows,
  ** 8,192 positions, its window of 128), for the bench only */
  {"modernbert-base", 768, 22, 12, 1152, 50368, 8192, 0, 22, DT_F32, "", 1,
   NULL, "modernbert-style", 0, 1, "mean", 1, 8192, NULL, 0, NULL, 0, NULL, 0,
   ARCH_MODERNBERT, "modernbert-style", 50283, 0, 0, HEAD_NONE, NULL, NULL, 128, NULL, NULL},
  /* gte-base-en-v1.5's size (768/12/12/3072, 8,192 positions, rope_theta
  ** 500000, NTK factor 2, no token types) and jina-embeddings-v2-base-en's
  ** (768/12/12/3072, ALiBi over 8,192 positions), for the bench only */
  {"gte-base", 768, 12, 12, 3072, 30528, 8192, 0, 26, DT_F32, "", 1,
   "bert-base-uncased", NULL, 1, 1, "cls", 1, 8192, NULL, 0, NULL, 0, NULL, 0,
   ARCH_GTE, NULL, 0, 0, 1, HEAD_NONE, NULL, NULL, 0, &GTE_BASE_ROPE, NULL},
  {"jina-base", 768, 12, 12, 3072, 30528, 8192, 2, 27, DT_F32, "", 1,
   "bert-base-uncased", NULL, 1, 1, "mean", 1, 8192, NULL, 0, NULL, 0, NULL, 0,
   ARCH_JINA, NULL, 0, 0, 1, HEAD_NONE, NULL, NULL, 0, NULL, NULL},
  /* nomic-embed-text-v2-moe's size (768/12/12, n_inner 3072, 8 experts
  ** routed top-2 on every other layer: 475M parameters with its 250048-row
  ** word table; here the xlmr test tokenizer's 4032 rows, so 1.1 GB) */
  {"nomic-moe-base", 768, 12, 12, 3072, 4032, 2048, 1, 31, DT_F32, "", 1,
   NULL, "../tokenizer/unigram", 0, 1, "mean", 1, 512, NULL, 0, NULL, 0, NULL, 0, ARCH_NOMIC_MOE,
   "../tokenizer/unigram", 1, 0, 0, HEAD_NONE, NULL, NULL, 0, NULL, &NOMIC_MOE_BASE},
  /* cross-encoder/ms-marco-MiniLM-L-6-v2's size (384/6/12/1536: BERT under
  ** "bert.", the pooler and a one-label classifier), for the bench only
  ** (section k: embed_rerank per row against embed_rerank_each) */
  {"rerank-minilm", 384, 6, 12, 1536, 30522, 512, 2, 28, DT_F32, "bert.", 1,
   "bert-base-uncased", NULL, 1, 0, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0, ARCH_BERT, NULL, 0, 0, 0,
   HEAD_BERT, "torch.nn.modules.linear.Identity", NULL, 0, NULL, NULL},
};
#define NSHAPES ((int)(sizeof SHAPES / sizeof SHAPES[0]))

enum { K_STD = 0, K_LN_W = 1, K_LN_B = 2, K_DENSE = 3, K_RELB = 4, K_QKV = 5, K_HEAD = 6, K_NORM_W = 7 };

typedef struct {
  char name[96];
  int ndim;
  long d0, d1;
  int kind;
  int layer;  /* -1 for embeddings/pooler */
  int shard;  /* 0-based */
  long off;   /* byte offset within its shard's data section */
} Tensor;

static void die(const char *fmt, const char *arg) {
  fprintf(stderr, "gen_model: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n");
  exit(1);
}

static uint64_t fnv1a64(const char *s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ULL;
  }
  return h;
}

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint16_t f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520: inf */
  if (ax < 0x38800000u) {                                   /* below 2^-14: subnormal */
    if (ax < 0x33000000u) return (uint16_t)sign;            /* <= 2^-25 rounds to 0 */
    uint32_t e = ax >> 23, m = (ax & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e; /* 14..24 */
    uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return (uint16_t)(sign | q);
  }
  uint32_t r = ax - 0x38000000u; /* rebias exponent 127 -> 15 */
  uint32_t q = r >> 13, rem = r & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (q & 1))) q++;
  return (uint16_t)(sign | q);
}

static uint16_t f32_to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
  x += 0x7fffu + ((x >> 16) & 1u);
  return (uint16_t)(x >> 16);
}

static void gen_values(const char *name, uint64_t seed, int kind, long n, float *out) {
  uint64_t st = seed ^ fnv1a64(name);
  double sd = kind == K_STD ? 0.02 : kind == K_DENSE ? 0.2 : kind == K_RELB ? 0.5
             : kind == K_QKV || kind == K_NORM_W ? 0.1 : kind == K_HEAD ? 0.3 : 0.05;
  double scale = sd * sqrt(3.0) / 8388608.0;
  for (long k = 0; k < n; k++) {
    uint64_t x = splitmix64(&st);
    volatile double u = ((int)(x >> 40) - 8388608 + 0.5) * scale; /* volatile: no FMA contraction */
    out[k] = kind == K_LN_W || kind == K_NORM_W ? (float)(1.0 + u) : (float)u;
  }
}

static int ntensors;
static Tensor tensors[16 + 16 * 24];

/* Adds the tensor prefix + base (a cross-encoder's classifier tensors: prefix ""). */
static void add_named(const Shape *s, const char *prefix, const char *base, int ndim, long d0, long d1, int kind,
                      int layer) {
  Tensor *t = &tensors[ntensors++];
  snprintf(t->name, sizeof t->name, "%s%s", prefix, base);
  t->ndim = ndim;
  t->d0 = d0;
  t->d1 = d1;
  t->kind = kind;
  t->layer = layer;
  t->shard = (s->shards == 2 && (layer < 0 ? strstr(base, "pooler") != NULL : layer >= s->layers / 2)) ? 1 : 0;
}

static void add(const Shape *s, const char *base, int ndim, long d0, long d1, int kind, int layer) {
  add_named(s, s->prefix, base, ndim, d0, d1, kind, layer);
}

static int cmp_tensor(const void *a, const void *b) {
  return strcmp(((const Tensor *)a)->name, ((const Tensor *)b)->name);
}

/* Tensor names of one architecture: per layer, after "<layer>%d.", the
** query, key, value, attention output, its LayerNorm, FFN up, down and the
** output LayerNorm (".weight" / ".bias" added).  DistilBertModel's are
** BERT's encoder under other names, without token types or pooler; its
** LayerNorms get the LayerNorm kinds, as BERT's do, so that a swapped
** gamma/beta or a swapped pair of LayerNorms shows.  MPNetModel's are
** BERT's under other names too, without token types but with a pooler, plus
** the encoder's relative_attention_bias (buckets x heads, one for all
** layers). */
typedef struct {
  const char *layer, *q, *k, *v, *o, *ln1, *up, *down, *ln2;
  int token_types;    /* embeddings.token_type_embeddings */
  int pooler;         /* pooler.dense */
  const char *relbias; /* relative position bias (MPNet), or NULL */
} ArchNames;

#define MPNET_BUCKETS 32 /* relative_attention_num_buckets */

static const ArchNames BERT_NAMES = {
  "encoder.layer.%d.", "attention.self.query", "attention.self.key", "attention.self.value",
  "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense",
  "output.LayerNorm", 1, 1, NULL};
static const ArchNames DISTIL_NAMES = {
  "transformer.layer.%d.", "attention.q_lin", "attention.k_lin", "attention.v_lin",
  "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm", 0, 0, NULL};
static const ArchNames MPNET_NAMES = {
  "encoder.layer.%d.", "attention.attn.q", "attention.attn.k", "attention.attn.v",
  "attention.attn.o", "attention.LayerNorm", "intermediate.dense", "output.dense",
  "output.LayerNorm", 0, 1, "encoder.relative_attention_bias.weight"};

/* Adds <layer i><part>.weight (d0, d1; d1 = 0 for a LayerNorm) and .bias (d0). */
static void add_part(const Shape *s, const ArchNames *a, int i, const char *part, long d0, long d1) {
  char lp[40], b[96];
  snprintf(lp, sizeof lp, a->layer, i);
  snprintf(b, sizeof b, "%s%s.weight", lp, part);
  add(s, b, d1 ? 2 : 1, d0, d1, d1 ? K_STD : K_LN_W, i);
  snprintf(b, sizeof b, "%s%s.bias", lp, part);
  add(s, b, 1, d0, 0, d1 ? K_STD : K_LN_B, i);
}

/* NomicBertModel's MLP width: NomciBertGatedMLP rounds n_inner up to a
** multiple of 256 (multiple_of) */
static long nomic_inner(const Shape *s) { return (s->inter + 255L) / 256L * 256L; }

/* NomicBertModel (nomic-embed-text-v1.5's model.safetensors): no position
** table (rotary), Q/K/V fused into one Wqkv [3H, H] (rows Q, K, V), SwiGLU
** (fc11 the value, fc12 the gate, fc2 down), no Linear biases; Wqkv takes
** K_QKV (std 0.1: sharp attention, so that rotary mistakes show), its three
** kinds of LayerNorm (emb_ln, norm1, norm2) take the LayerNorm kinds. */
static void build_nomic_tensors(const Shape *s) {
  long H = s->hidden, I = nomic_inner(s);
  char b[96];
  add(s, "embeddings.word_embeddings.weight", 2, s->vocab, H, K_STD, -1);
  add(s, "embeddings.token_type_embeddings.weight", 2, s->typevocab, H, K_STD, -1);
  add(s, "emb_ln.weight", 1, H, 0, K_LN_W, -1);
  add(s, "emb_ln.bias", 1, H, 0, K_LN_B, -1);
  for (int i = 0; i < s->layers; i++) {
    static const struct {
      const char *part;
      int rows, cols; /* in units of H (1), 3H (3) or I (0) */
      int kind;
    } parts[] = {
      {"attn.Wqkv.weight", 3, 1, K_QKV},  {"attn.out_proj.weight", 1, 1, K_STD},
      {"mlp.fc11.weight", 0, 1, K_STD},   {"mlp.fc12.weight", 0, 1, K_STD},
      {"mlp.fc2.weight", 1, 0, K_STD},    {"norm1.weight", 1, -1, K_LN_W},
      {"norm1.bias", 1, -1, K_LN_B},      {"norm2.weight", 1, -1, K_LN_W},
      {"norm2.bias", 1, -1, K_LN_B},
    };
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
      long d0 = parts[k].rows ? parts[k].rows * H : I;
      long d1 = parts[k].cols < 0 ? 0 : parts[k].cols ? parts[k].cols * H : I;
      snprintf(b, sizeof b, "encoder.layers.%d.%s", i, parts[k].part);
      add(s, b, d1 ? 2 : 1, d0, d1, parts[k].kind, i);
    }
  }
  qsort(tensors, (size_t)ntensors, sizeof tensors[0], cmp_tensor);
}

/* ModernBertModel as sentence-transformers saves it (no prefix): the
** token embeddings and their LayerNorm, per layer attn_norm (not in layer
** 0, whose attn_norm is an Identity), attn.Wqkv [3H, H] (rows Q, K, V),
** attn.Wo [H, H], mlp_norm, mlp.Wi [2I, H] (rows: input, then gate),
** mlp.Wo [H, I], and final_norm.  No biases (attention_bias, mlp_bias and
** norm_bias false).  Wqkv takes K_QKV (std 0.1, as NomicBert's: sharp
** attention, so that rotary and window mistakes show), the LayerNorm
** weights K_NORM_W (1 + u, std 0.1: a missing or misplaced norm shows), the
** rest K_STD. */
static void build_modernbert_tensors(const Shape *s) {
  long H = s->hidden, I = s->inter;
  char b[96];
  add(s, "embeddings.tok_embeddings.weight", 2, s->vocab, H, K_STD, -1);
  add(s, "embeddings.norm.weight", 1, H, 0, K_NORM_W, -1);
  for (int i = 0; i < s->layers; i++) {
    static const struct {
      const char *part;
      int rows, cols; /* in units of H (1, 3), I (-1) or 2I (-2); cols 0: a LayerNorm */
      int kind;
    } parts[] = {
      {"attn_norm.weight", 1, 0, K_NORM_W}, {"attn.Wqkv.weight", 3, 1, K_QKV},
      {"attn.Wo.weight", 1, 1, K_STD},      {"mlp_norm.weight", 1, 0, K_NORM_W},
      {"mlp.Wi.weight", -2, 1, K_STD},      {"mlp.Wo.weight", 1, -1, K_STD},
    };
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
      if (i == 0 && k == 0) continue; /* layer 0: attn_norm is nn.Identity */
      long d0 = parts[k].rows > 0 ? parts[k].rows * H : -parts[k].rows * I;
      long d1 = parts[k].cols > 0 ? parts[k].cols * H : parts[k].cols < 0 ? I : 0;
      snprintf(b, sizeof b, "layers.%d.%s", i, parts[k].part);
      add(s, b, d1 ? 2 : 1, d0, d1, parts[k].kind, i);
    }
  }
  add(s, "final_norm.weight", 1, H, 0, K_NORM_W, -1);
  /* ModernBertForSequenceClassification's head, outside the base model: no
  ** prefix; head.dense has no bias (classifier_bias false), head.norm is a
  ** LayerNorm without bias (K_NORM_W, as the encoder's) */
  if (s->head == HEAD_MODERNBERT) {
    add_named(s, "", "head.dense.weight", 2, H, H, K_HEAD, -1);
    add_named(s, "", "head.norm.weight", 1, H, 0, K_NORM_W, -1);
    add_named(s, "", "classifier.weight", 2, 1, H, K_HEAD, -1);
    add_named(s, "", "classifier.bias", 1, 1, 0, K_HEAD, -1);
  }
  qsort(tensors, (size_t)ntensors, sizeof tensors[0], cmp_tensor);
}

/* One tensor of an encoder layer: its name after "encoder.layer.<i>.", its
** shape (d1 = 0: a 1-D tensor) and its value kind. */
typedef struct {
  const char *part;
  long d0, d1;
  int kind;
} LayerPart;

static void add_layer_parts(const Shape *s, int layer, const LayerPart *parts, size_t n) {
  char b[96];
  for (size_t k = 0; k < n; k++) {
    snprintf(b, sizeof b, "encoder.layer.%d.%s", layer, parts[k].part);
    add(s, b, parts[k].d1 ? 2 : 1, parts[k].d0, parts[k].d1, parts[k].kind, layer);
  }
}

/* NomicBertModel with MoE layers (nomic-embed-text-v2-moe's
** model.safetensors): nomic's embeddings with one token type, per layer
** Wqkv and out_proj with biases, then on the dense layers (i %
** moe->every != 1) fc1 [I, H] and fc2 [H, I] with biases, on the MoE
** layers the bias-free router [E, H], the experts' w1 and w2 [E * I, H]
** (expert outer) and their one shared bias [H].  Wqkv takes K_QKV (as
** nomic's), the router K_HEAD (std 0.3: routing gaps far above float32
** rounding), the LayerNorms the LayerNorm kinds, the rest K_STD. */
static void build_nomic_moe_tensors(const Shape *s) {
  long H = s->hidden, I = s->inter, E = s->moe->experts;
  char b[96];
  add(s, "embeddings.word_embeddings.weight", 2, s->vocab, H, K_STD, -1);
  add(s, "embeddings.token_type_embeddings.weight", 2, s->typevocab, H, K_STD, -1);
  add(s, "emb_ln.weight", 1, H, 0, K_LN_W, -1);
  add(s, "emb_ln.bias", 1, H, 0, K_LN_B, -1);
  for (int i = 0; i < s->layers; i++) {
    const LayerPart attn[] = {
      {"attn.Wqkv.weight", 3 * H, H, K_QKV}, {"attn.Wqkv.bias", 3 * H, 0, K_STD},
      {"attn.out_proj.weight", H, H, K_STD}, {"attn.out_proj.bias", H, 0, K_STD},
      {"norm1.weight", H, 0, K_LN_W},        {"norm1.bias", H, 0, K_LN_B},
      {"norm2.weight", H, 0, K_LN_W},        {"norm2.bias", H, 0, K_LN_B},
    };
    const LayerPart dense[] = {
      {"mlp.fc1.weight", I, H, K_STD}, {"mlp.fc1.bias", I, 0, K_STD},
      {"mlp.fc2.weight", H, I, K_STD}, {"mlp.fc2.bias", H, 0, K_STD},
    };
    const LayerPart moe[] = {
      {"mlp.router.layer.weight", E, H, K_HEAD}, {"mlp.experts.mlp.w1", E * I, H, K_STD},
      {"mlp.experts.mlp.w2", E * I, H, K_STD},   {"mlp.experts.bias", H, 0, K_STD},
    };
    const int is_moe = i % s->moe->every == 1;
    const LayerPart *parts[] = {attn, is_moe ? moe : dense};
    const size_t nparts[] = {sizeof attn / sizeof attn[0], is_moe ? sizeof moe / sizeof moe[0]
                                                                  : sizeof dense / sizeof dense[0]};
    for (int g = 0; g < 2; g++)
      for (size_t k = 0; k < nparts[g]; k++) {
        snprintf(b, sizeof b, "encoder.layers.%d.%s", i, parts[g][k].part);
        add(s, b, parts[g][k].d1 ? 2 : 1, parts[g][k].d0, parts[g][k].d1, parts[g][k].kind, i);
      }
  }
  qsort(tensors, (size_t)ntensors, sizeof tensors[0], cmp_tensor);
}

/* A BertForSequenceClassification-style head: the base model's BertPooler
** (under the prefix) is its first Linear, the classifier lies outside the
** base model (no prefix); all K_HEAD. */
static void add_pooler_head(const Shape *s) {
  long H = s->hidden;
  add(s, "pooler.dense.weight", 2, H, H, K_HEAD, -1);
  add(s, "pooler.dense.bias", 1, H, 0, K_HEAD, -1);
  add_named(s, "", "classifier.weight", 2, 1, H, K_HEAD, -1);
  add_named(s, "", "classifier.bias", 1, 1, 0, K_HEAD, -1);
}

/* GTE v1.5's NewModel (pack_qkv, no pooler) as sentence-transformers saves
** it, or inside NewForSequenceClassification (HEAD_GTE: under "new.", with
** the pooler, plus the classifier without prefix): the word embeddings, a
** token-type table only when type_vocab_size > 0, the embeddings'
** LayerNorm; per layer qkv_proj [3H, H] (rows Q, K, V) with bias, o_proj
** with bias, attn_ln, up_gate_proj [2I, H] (rows: up, then the gate; no
** bias), down_proj with bias, mlp_ln.  qkv_proj.weight takes K_QKV (std
** 0.1, as NomicBert's Wqkv: sharp attention, so that rotary mistakes
** show), the LayerNorms the LayerNorm kinds, the rest K_STD; the head
** K_HEAD. */
static void build_gte_tensors(const Shape *s) {
  long H = s->hidden, I = s->inter;
  add(s, "embeddings.word_embeddings.weight", 2, s->vocab, H, K_STD, -1);
  if (s->typevocab > 0) add(s, "embeddings.token_type_embeddings.weight", 2, s->typevocab, H, K_STD, -1);
  add(s, "embeddings.LayerNorm.weight", 1, H, 0, K_LN_W, -1);
  add(s, "embeddings.LayerNorm.bias", 1, H, 0, K_LN_B, -1);
  for (int i = 0; i < s->layers; i++) {
    const LayerPart parts[] = {
      {"attention.qkv_proj.weight", 3 * H, H, K_QKV}, {"attention.qkv_proj.bias", 3 * H, 0, K_STD},
      {"attention.o_proj.weight", H, H, K_STD},       {"attention.o_proj.bias", H, 0, K_STD},
      {"attn_ln.weight", H, 0, K_LN_W},               {"attn_ln.bias", H, 0, K_LN_B},
      {"mlp.up_gate_proj.weight", 2 * I, H, K_STD},   {"mlp.down_proj.weight", H, I, K_STD},
      {"mlp.down_proj.bias", H, 0, K_STD},            {"mlp_ln.weight", H, 0, K_LN_W},
      {"mlp_ln.bias", H, 0, K_LN_B},
    };
    add_layer_parts(s, i, parts, sizeof parts / sizeof parts[0]);
  }
  /* NewForSequenceClassification: NewModel(add_pooling_layer=True), its
  ** pooler the head's first Linear (K_HEAD, under the prefix), then the
  ** classifier outside the base model (no prefix) */
  if (s->head == HEAD_GTE) add_pooler_head(s);
  qsort(tensors, (size_t)ntensors, sizeof tensors[0], cmp_tensor);
}

/* JinaBertModel (no pooler) as jina-embeddings-v2 saves it, or inside
** JinaBertForSequenceClassification (HEAD_JINA: under "bert.", with the
** pooler, plus the classifier without prefix): the word and token-type
** embeddings and their LayerNorm (no position table: ALiBi); per layer
** BERT's attention (query, key, value, output.dense with biases,
** output.LayerNorm), then mlp.gated_layers [2I, H] (no bias), mlp.wo with
** bias and mlp.layernorm.  The query, key and value weights take K_QKV
** (std 0.1: sharp attention, so that ALiBi mistakes show), and so do
** mlp.gated_layers and mlp.wo (the GeGLU's pre-activations O(1), where
** erf and tanh GELU part, and an MLP branch as large as the residual), the
** LayerNorms the LayerNorm kinds, the rest K_STD; the head K_HEAD.
** ARCH_JINA_CODE (jina-bert-v2-qk-post-norm, no head): the same embeddings
** and attention, plus attention.self.layer_norm_q / layer_norm_k and
** layer_norm_1, then mlp.up_gated_layer [2I, H] (no bias), mlp.down_layer
** with bias and layer_norm_2 in place of jina's MLP; up_gated_layer and
** down_layer take K_QKV, as gated_layers and wo do. */
static void build_jina_tensors(const Shape *s) {
  long H = s->hidden, I = s->inter;
  add(s, "embeddings.word_embeddings.weight", 2, s->vocab, H, K_STD, -1);
  add(s, "embeddings.token_type_embeddings.weight", 2, s->typevocab, H, K_STD, -1);
  add(s, "embeddings.LayerNorm.weight", 1, H, 0, K_LN_W, -1);
  add(s, "embeddings.LayerNorm.bias", 1, H, 0, K_LN_B, -1);
  for (int i = 0; i < s->layers; i++) {
    const LayerPart attn[] = {
      {"attention.self.query.weight", H, H, K_QKV},      {"attention.self.query.bias", H, 0, K_STD},
      {"attention.self.key.weight", H, H, K_QKV},        {"attention.self.key.bias", H, 0, K_STD},
      {"attention.self.value.weight", H, H, K_QKV},      {"attention.self.value.bias", H, 0, K_STD},
      {"attention.output.dense.weight", H, H, K_STD},    {"attention.output.dense.bias", H, 0, K_STD},
      {"attention.output.LayerNorm.weight", H, 0, K_LN_W}, {"attention.output.LayerNorm.bias", H, 0, K_LN_B},
    };
    const LayerPart mlp[] = {
      {"mlp.gated_layers.weight", 2 * I, H, K_QKV},      {"mlp.wo.weight", H, I, K_QKV},
      {"mlp.wo.bias", H, 0, K_STD},                      {"mlp.layernorm.weight", H, 0, K_LN_W},
      {"mlp.layernorm.bias", H, 0, K_LN_B},
    };
    const LayerPart code_parts[] = {
      {"attention.self.layer_norm_q.weight", H, 0, K_LN_W}, {"attention.self.layer_norm_q.bias", H, 0, K_LN_B},
      {"attention.self.layer_norm_k.weight", H, 0, K_LN_W}, {"attention.self.layer_norm_k.bias", H, 0, K_LN_B},
      {"layer_norm_1.weight", H, 0, K_LN_W},               {"layer_norm_1.bias", H, 0, K_LN_B},
      {"mlp.up_gated_layer.weight", 2 * I, H, K_QKV},      {"mlp.down_layer.weight", H, I, K_QKV},
      {"mlp.down_layer.bias", H, 0, K_STD},                {"layer_norm_2.weight", H, 0, K_LN_W},
      {"layer_norm_2.bias", H, 0, K_LN_B},
    };
    add_layer_parts(s, i, attn, sizeof attn / sizeof attn[0]);
    if (s->arch == ARCH_JINA_CODE) add_layer_parts(s, i, code_parts, sizeof code_parts / sizeof code_parts[0]);
    else add_layer_parts(s, i, mlp, sizeof mlp / sizeof mlp[0]);
  }
  /* JinaBertForSequenceClassification: JinaBertModel's pooler (BertPooler)
  ** is the head's first Linear (K_HEAD, under the prefix), the classifier
  ** is outside the base model (no prefix) */
  if (s->head == HEAD_JINA) add_pooler_head(s);
  qsort(tensors, (size_t)ntensors, sizeof tensors[0], cmp_tensor);
}

static void build_tensors(const Shape *s) {
  long H = s->hidden, I = s->inter;
  ntensors = 0;
  if (s->arch == ARCH_JINA || s->arch == ARCH_JINA_CODE) {
    build_jina_tensors(s);
    return;
  }
  if (s->arch == ARCH_GTE) {
    build_gte_tensors(s);
    return;
  }
  if (s->arch == ARCH_NOMIC) {
    build_nomic_tensors(s);
    return;
  }
  if (s->arch == ARCH_NOMIC_MOE) {
    build_nomic_moe_tensors(s);
    return;
  }
  if (s->arch == ARCH_MODERNBERT) {
    build_modernbert_tensors(s);
    return;
  }
  const ArchNames *a = s->arch == ARCH_DISTIL ? &DISTIL_NAMES : s->arch == ARCH_MPNET ? &MPNET_NAMES : &BERT_NAMES;
  add(s, "embeddings.word_embeddings.weight", 2, s->vocab, H, K_STD, -1);
  add(s, "embeddings.position_embeddings.weight", 2, s->maxpos, H, K_STD, -1);
  if (a->token_types) add(s, "embeddings.token_type_embeddings.weight", 2, s->typevocab, H, K_STD, -1);
  add(s, "embeddings.LayerNorm.weight", 1, H, 0, K_LN_W, -1);
  add(s, "embeddings.LayerNorm.bias", 1, H, 0, K_LN_B, -1);
  for (int i = 0; i < s->layers; i++) {
    add_part(s, a, i, a->q, H, H);
    add_part(s, a, i, a->k, H, H);
    add_part(s, a, i, a->v, H, H);
    add_part(s, a, i, a->o, H, H);
    add_part(s, a, i, a->ln1, H, 0);
    add_part(s, a, i, a->up, I, H);
    add_part(s, a, i, a->down, H, I);
    add_part(s, a, i, a->ln2, H, 0);
  }
  if (a->relbias) add(s, a->relbias, 2, MPNET_BUCKETS, s->heads, K_RELB, -1);
  /* BertForSequenceClassification's pooler is the first Linear of its head
  ** (K_HEAD); XLMRobertaForSequenceClassification has no pooler */
  if (s->head == HEAD_BERT) {
    add_pooler_head(s);
  } else if (a->pooler && s->head != HEAD_ROBERTA) {
    add(s, "pooler.dense.weight", 2, H, H, K_STD, -1);
    add(s, "pooler.dense.bias", 1, H, 0, K_STD, -1);
  }
  /* the head's own tensors, outside the base model: no prefix */
  if (s->head == HEAD_ROBERTA) {
    add_named(s, "", "classifier.dense.weight", 2, H, H, K_HEAD, -1);
    add_named(s, "", "classifier.dense.bias", 1, H, 0, K_HEAD, -1);
    add_named(s, "", "classifier.out_proj.weight", 2, 1, H, K_HEAD, -1);
    add_named(s, "", "classifier.out_proj.bias", 1, 1, 0, K_HEAD, -1);
  }
  qsort(tensors, (size_t)ntensors, sizeof tensors[0], cmp_tensor);
}

static long numel(const Tensor *t) { return t->ndim == 2 ? t->d0 * t->d1 : t->d0; }

/* growable string */
typedef struct { char *p; size_t n, cap; } Buf;
static void bput(Buf *b, const char *s) {
  size_t l = strlen(s);
  if (b->n + l + 1 > b->cap) {
    b->cap = (b->n + l + 1) * 2;
    b->p = realloc(b->p, b->cap);
    if (!b->p) die("%s", "out of memory");
  }
  memcpy(b->p + b->n, s, l + 1);
  b->n += l;
}

/* s as a JSON string the way Python's json.dumps writes it (ensure_ascii):
** quotes and backslashes escaped, control characters as \n, \t... or
** \u00XX (DEL too: json.dumps escapes everything outside ' '..'~').  The
** prompts are ASCII; anything else would need \uXXXX of its UTF-16 units,
** which nothing here needs, so it is refused. */
static void bput_json_str(Buf *b, const char *s) {
  char e[8] = "\"";
  bput(b, e);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c >= 0x80) die("non-ASCII JSON string: %s", s);
    if (c == '"' || c == '\\') snprintf(e, sizeof e, "\\%c", c);
    else if (c == '\n') snprintf(e, sizeof e, "\\n");
    else if (c == '\r') snprintf(e, sizeof e, "\\r");
    else if (c == '\t') snprintf(e, sizeof e, "\\t");
    else if (c == '\b') snprintf(e, sizeof e, "\\b");
    else if (c == '\f') snprintf(e, sizeof e, "\\f");
    else if (c < 0x20 || c == 0x7f) snprintf(e, sizeof e, "\\u%04x", c);
    else e[0] = (char)c, e[1] = 0;
    bput(b, e);
  }
  bput(b, "\"");
}

static char *path_join(const char *dir, const char *name) {
  size_t l = strlen(dir) + strlen(name) + 2;
  char *p = malloc(l);
  if (!p) die("%s", "out of memory");
  snprintf(p, l, "%s/%s", dir, name);
  return p;
}

static void mkdirs(const char *path) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p == '/') {
      *p = 0;
      if (mkdir(tmp, 0777) != 0 && errno != EEXIST) die("cannot create %s", tmp);
      *p = '/';
    }
  }
  if (mkdir(tmp, 0777) != 0 && errno != EEXIST) die("cannot create %s", tmp);
}

static void write_text(const char *dir, const char *name, const char *text) {
  char *p = path_join(dir, name);
  FILE *f = fopen(p, "wb");
  if (!f) die("cannot write %s", p);
  if (fwrite(text, 1, strlen(text), f) != strlen(text) || fclose(f) != 0) die("write error on %s", p);
  free(p);
}

static void copy_file(const char *src, const char *dir, const char *name) {
  char *dst = path_join(dir, name);
  FILE *in = fopen(src, "rb");
  if (!in) die("cannot open %s (vocab fixtures missing? see tests/models/README.md)", src);
  FILE *out = fopen(dst, "wb");
  if (!out) die("cannot write %s", dst);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, out) != n) die("write error on %s", dst);
  if (ferror(in)) die("read error on %s", src);
  fclose(in);
  if (fclose(out) != 0) die("write error on %s", dst);
  free(dst);
}

static const char *shard_name(const Shape *s, int k) {
  if (s->shards == 1) return "model.safetensors";
  return k == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
}

/* Writes the safetensors file p holding those of the n (sorted) tensors ts
** that are in shard k, stored as dtype; returns the data bytes.  Each
** tensor's stream is seeded with seed_prefix + its stored name (the Dense
** modules' files all store "linear.weight", so their path tells them apart). */
static long write_safetensors(const char *p, Tensor *ts, int n_ts, int k, int dtype, uint64_t seed,
                              const char *seed_prefix) {
  Buf h = {0};
  char tmp[256];
  long off = 0;
  int esz = DT_SIZE[dtype];
  bput(&h, "{\"__metadata__\":{\"format\":\"pt\"}");
  for (int i = 0; i < n_ts; i++) {
    Tensor *t = &ts[i];
    if (t->shard != k) continue;
    long bytes = numel(t) * esz;
    t->off = off;
    bput(&h, ",\"");
    bput(&h, t->name);
    if (t->ndim == 2)
      snprintf(tmp, sizeof tmp, "\":{\"dtype\":\"%s\",\"shape\":[%ld,%ld],\"data_offsets\":[%ld,%ld]}",
               DT_NAME[dtype], t->d0, t->d1, off, off + bytes);
    else
      snprintf(tmp, sizeof tmp, "\":{\"dtype\":\"%s\",\"shape\":[%ld],\"data_offsets\":[%ld,%ld]}",
               DT_NAME[dtype], t->d0, off, off + bytes);
    bput(&h, tmp);
    off += bytes;
  }
  bput(&h, "}");
  while (h.n % 8) bput(&h, " ");

  FILE *f = fopen(p, "wb");
  if (!f) die("cannot write %s", p);
  unsigned char len[8];
  for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
  if (fwrite(len, 1, 8, f) != 8 || fwrite(h.p, 1, h.n, f) != h.n) die("write error on %s", p);
  for (int i = 0; i < n_ts; i++) {
    Tensor *t = &ts[i];
    if (t->shard != k) continue;
    long n = numel(t);
    float *v = malloc((size_t)n * sizeof *v);
    unsigned char *bytes = malloc((size_t)n * (size_t)esz);
    if (!v || !bytes) die("%s", "out of memory");
    char seed_name[160];
    if (snprintf(seed_name, sizeof seed_name, "%s%s", seed_prefix, t->name) >= (int)sizeof seed_name)
      die("tensor name too long: %s", t->name);
    gen_values(seed_name, seed, t->kind, n, v);
    for (long j = 0; j < n; j++) {
      uint32_t w;
      if (dtype == DT_F32) {
        memcpy(&w, &v[j], 4);
        bytes[4 * j] = (unsigned char)w;
        bytes[4 * j + 1] = (unsigned char)(w >> 8);
        bytes[4 * j + 2] = (unsigned char)(w >> 16);
        bytes[4 * j + 3] = (unsigned char)(w >> 24);
      } else {
        w = dtype == DT_F16 ? f32_to_f16(v[j]) : f32_to_bf16(v[j]);
        bytes[2 * j] = (unsigned char)w;
        bytes[2 * j + 1] = (unsigned char)(w >> 8);
      }
    }
    if (fwrite(bytes, (size_t)esz, (size_t)n, f) != (size_t)n) die("write error on %s", p);
    free(v);
    free(bytes);
  }
  if (fclose(f) != 0) die("write error on %s", p);
  free(h.p);
  return off;
}

/* Writes the encoder's shard k; returns its data bytes. */
static long write_shard(const Shape *s, int k, const char *dir) {
  char *p = path_join(dir, shard_name(s, k));
  long off = write_safetensors(p, tensors, ntensors, k, s->dtype, s->seed, "");
  free(p);
  return off;
}

static void write_index(const Shape *s, const char *dir, long total) {
  Buf b = {0};
  char tmp[160];
  snprintf(tmp, sizeof tmp, "{\n  \"metadata\": {\n    \"total_size\": %ld\n  },\n  \"weight_map\": {\n", total);
  bput(&b, tmp);
  for (int i = 0; i < ntensors; i++) {
    bput(&b, "    \"");
    bput(&b, tensors[i].name);
    bput(&b, "\": \"");
    bput(&b, shard_name(s, tensors[i].shard));
    bput(&b, i + 1 < ntensors ? "\",\n" : "\"\n");
  }
  bput(&b, "  }\n}\n");
  write_text(dir, "model.safetensors.index.json", b.p);
  free(b.p);
}

/* A cross-encoder's config.json keys (one label: id2label / label2id, which
** differ from PretrainedConfig's two labels, and CrossEncoder's saved
** activation where the shape has one), as three snippets in sorted-key
** order: after "hidden_size", after "intermediate_size" and after
** "position_embedding_type" (GTE's NewConfig: after "rope_theta").  Empty
** strings without a head. */
typedef struct {
  const char *arch;           /* "architectures"[0] */
  char id2label[64], label2id[64], ce_act[160];
} HeadKeys;

static void head_keys(const Shape *s, const char *base_arch, HeadKeys *k) {
  k->id2label[0] = k->label2id[0] = k->ce_act[0] = 0;
  k->arch = base_arch;
  if (s->head == HEAD_NONE) return;
  k->arch = s->head == HEAD_BERT         ? "BertForSequenceClassification"
            : s->head == HEAD_MODERNBERT ? "ModernBertForSequenceClassification"
            : s->head == HEAD_GTE        ? "NewForSequenceClassification"
            : s->head == HEAD_JINA       ? "JinaBertForSequenceClassification"
                                         : "XLMRobertaForSequenceClassification";
  snprintf(k->id2label, sizeof k->id2label, "  \"id2label\": {\n    \"0\": \"LABEL_0\"\n  },\n");
  snprintf(k->label2id, sizeof k->label2id, "  \"label2id\": {\n    \"LABEL_0\": 0\n  },\n");
  if (s->ce_act)
    snprintf(k->ce_act, sizeof k->ce_act, "  \"sbert_ce_default_activation_function\": \"%s\",\n", s->ce_act);
}

/* config.json as transformers 4.41.2 saves a DistilBertConfig (keys sorted). */
static void write_distil_config(const Shape *s, const char *dir) {
  char t[2048];
  snprintf(t, sizeof t,
           "{\n"
           "  \"activation\": \"gelu\",\n"
           "  \"architectures\": [\n"
           "    \"DistilBertModel\"\n"
           "  ],\n"
           "  \"attention_dropout\": 0.1,\n"
           "  \"dim\": %d,\n"
           "  \"dropout\": 0.1,\n"
           "  \"hidden_dim\": %d,\n"
           "  \"initializer_range\": 0.02,\n"
           "  \"max_position_embeddings\": %d,\n"
           "  \"model_type\": \"distilbert\",\n"
           "  \"n_heads\": %d,\n"
           "  \"n_layers\": %d,\n"
           "  \"pad_token_id\": 0,\n"
           "  \"qa_dropout\": 0.1,\n"
           "  \"seq_classif_dropout\": 0.2,\n"
           "  \"sinusoidal_pos_embds\": false,\n"
           "  \"tie_weights_\": true,\n"
           "  \"torch_dtype\": \"%s\",\n"
           "  \"transformers_version\": \"4.41.2\",\n"
           "  \"vocab_size\": %d\n"
           "}\n",
           s->hidden, s->inter, s->maxpos, s->heads, s->layers, DT_TORCH[s->dtype], s->vocab);
  write_text(dir, "config.json", t);
}

/* config.json as transformers 4.41.2 saves an XLMRobertaConfig or a
** RobertaConfig (keys sorted; xlm-roberta-base's file has output_past). */
static void write_roberta_config(const Shape *s, const char *dir) {
  const int xlmr = s->arch == ARCH_XLMR;
  HeadKeys hk;
  head_keys(s, xlmr ? "XLMRobertaModel" : "RobertaModel", &hk);
  char t[2048];
  snprintf(t, sizeof t,
           "{\n"
           "  \"architectures\": [\n"
           "    \"%s\"\n"
           "  ],\n"
           "  \"attention_probs_dropout_prob\": 0.1,\n"
           "  \"bos_token_id\": 0,\n"
           "  \"classifier_dropout\": null,\n"
           "  \"eos_token_id\": 2,\n"
           "  \"hidden_act\": \"gelu\",\n"
           "  \"hidden_dropout_prob\": 0.1,\n"
           "  \"hidden_size\": %d,\n"
           "%s"
           "  \"initializer_range\": 0.02,\n"
           "  \"intermediate_size\": %d,\n"
           "%s"
           "  \"layer_norm_eps\": 1e-05,\n"
           "  \"max_position_embeddings\": %d,\n"
           "  \"model_type\": \"%s\",\n"
           "  \"num_attention_heads\": %d,\n"
           "  \"num_hidden_layers\": %d,\n"
           "%s"
           "  \"pad_token_id\": 1,\n"
           "  \"position_embedding_type\": \"absolute\",\n"
           "%s"
           "  \"torch_dtype\": \"%s\",\n"
           "  \"transformers_version\": \"4.41.2\",\n"
           "  \"type_vocab_size\": %d,\n"
           "  \"use_cache\": true,\n"
           "  \"vocab_size\": %d\n"
           "}\n",
           hk.arch, s->hidden, hk.id2label, s->inter, hk.label2id, s->maxpos, xlmr ? "xlm-roberta" : "roberta",
           s->heads, s->layers, xlmr ? "  \"output_past\": true,\n" : "", hk.ce_act, DT_TORCH[s->dtype],
           s->typevocab, s->vocab);
  write_text(dir, "config.json", t);
}

/* config.json as transformers 4.41.2 saves an MPNetConfig (keys sorted). */
static void write_mpnet_config(const Shape *s, const char *dir) {
  char t[2048];
  snprintf(t, sizeof t,
           "{\n"
           "  \"architectures\": [\n"
           "    \"MPNetModel\"\n"
           "  ],\n"
           "  \"attention_probs_dropout_prob\": 0.1,\n"
           "  \"bos_token_id\": 0,\n"
           "  \"eos_token_id\": 2,\n"
           "  \"hidden_act\": \"gelu\",\n"
           "  \"hidden_dropout_prob\": 0.1,\n"
           "  \"hidden_size\": %d,\n"
           "  \"initializer_range\": 0.02,\n"
           "  \"intermediate_size\": %d,\n"
           "  \"layer_norm_eps\": 1e-05,\n"
           "  \"max_position_embeddings\": %d,\n"
           "  \"model_type\": \"mpnet\",\n"
           "  \"num_attention_heads\": %d,\n"
           "  \"num_hidden_layers\": %d,\n"
           "  \"pad_token_id\": 1,\n"
           "  \"relative_attention_num_buckets\": %d,\n"
           "  \"torch_dtype\": \"%s\",\n"
           "  \"transformers_version\": \"4.41.2\",\n"
           "  \"vocab_size\": %d\n"
           "}\n",
           s->hidden, s->inter, s->maxpos, s->heads, s->layers, MPNET_BUCKETS, DT_TORCH[s->dtype], s->vocab);
  write_text(dir, "config.json", t);
}

/* config.json as nomic-embed-text-v1.5's: a NomicBertConfig (a GPT2Config)
** as transformers 4.37.2 saved it (keys sorted), at the test width. */
static void write_nomic_config(const Shape *s, const char *dir) {
  char t[4096];
  snprintf(t, sizeof t,
           "{\n"
           "  \"_name_or_path\": \"nomic-ai/nomic-bert-2048\",\n"
           "  \"activation_function\": \"swiglu\",\n"
           "  \"architectures\": [\n"
           "    \"NomicBertModel\"\n"
           "  ],\n"
           "  \"attn_pdrop\": 0.0,\n"
           "  \"auto_map\": {\n"
           "    \"AutoConfig\": \"nomic-ai/nomic-bert-2048--configuration_hf_nomic_bert.NomicBertConfig\",\n"
           "    \"AutoModel\": \"nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertModel\",\n"
           "    \"AutoModelForMaskedLM\": "
           "\"nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertForPreTraining\"\n"
           "  },\n"
           "  \"bos_token_id\": null,\n"
           "  \"causal\": false,\n"
           "  \"dense_seq_output\": true,\n"
           "  \"embd_pdrop\": 0.0,\n"
           "  \"eos_token_id\": null,\n"
           "  \"fused_bias_fc\": true,\n"
           "  \"fused_dropout_add_ln\": true,\n"
           "  \"initializer_range\": 0.02,\n"
           "  \"layer_norm_epsilon\": 1e-12,\n"
           "  \"max_trained_positions\": %d,\n"
           "  \"mlp_fc1_bias\": false,\n"
           "  \"mlp_fc2_bias\": false,\n"
           "  \"model_type\": \"nomic_bert\",\n"
           "  \"n_embd\": %d,\n"
           "  \"n_head\": %d,\n"
           "  \"n_inner\": %d,\n"
           "  \"n_layer\": %d,\n"
           "  \"n_positions\": %d,\n"
           "  \"pad_vocab_size_multiple\": 64,\n"
           "  \"parallel_block\": false,\n"
           "  \"parallel_block_tied_norm\": false,\n"
           "  \"prenorm\": false,\n"
           "  \"qkv_proj_bias\": false,\n"
           "  \"reorder_and_upcast_attn\": false,\n"
           "  \"resid_pdrop\": 0.0,\n"
           "  \"rotary_emb_base\": 1000,\n"
           "  \"rotary_emb_fraction\": 1.0,\n"
           "  \"rotary_emb_interleaved\": false,\n"
           "  \"rotary_emb_scale_base\": null,\n"
           "  \"rotary_scaling_factor\": null,\n"
           "  \"scale_attn_by_inverse_layer_idx\": false,\n"
           "  \"scale_attn_weights\": true,\n"
           "  \"summary_activation\": null,\n"
           "  \"summary_first_dropout\": 0.0,\n"
           "  \"summary_proj_to_labels\": true,\n"
           "  \"summary_type\": \"cls_index\",\n"
           "  \"summary_use_proj\": true,\n"
           "  \"torch_dtype\": \"%s\",\n"
           "  \"transformers_version\": \"4.37.2\",\n"
           "  \"type_vocab_size\": %d,\n"
           "  \"use_cache\": true,\n"
           "  \"use_flash_attn\": true,\n"
           "  \"use_rms_norm\": false,\n"
           "  \"use_xentropy\": true,\n"
           "  \"vocab_size\": %d\n"
           "}\n",
           s->maxpos, s->hidden, s->heads, s->inter, s->layers, s->maxpos, DT_TORCH[s->dtype], s->typevocab,
           s->vocab);
  write_text(dir, "config.json", t);
}

/* config.json as nomic-embed-text-v2-moe's: a NomicBertConfig (a GPT2Config)
** as transformers 4.44.2 saved it (keys sorted), at the test width: nomic's
** keys with biases, GELU, layer_norm_epsilon 1e-05, the MoE keys
** (num_experts, moe_top_k, moe_every_n_layers, moe_normalize_expert_weights
** false, ...), pad_token_id 1, add_pooling_layer false, ffn_div 1 and
** auto_map's seven classes, as the released file has them.
** rotary_emb_base is nomic's 1000 (the released file says 10000). */
static void write_nomic_moe_config(const Shape *s, const char *dir) {
  char t[4096];
  snprintf(t, sizeof t,
           "{\n"
           "  \"_name_or_path\": \"nomic-ai/nomic-xlm-2048\",\n"
           "  \"activation_function\": \"gelu\",\n"
           "  \"add_pooling_layer\": false,\n"
           "  \"architectures\": [\n"
           "    \"NomicBertModel\"\n"
           "  ],\n"
           "  \"attn_pdrop\": 0.0,\n"
           "  \"auto_map\": {\n"
           "    \"AutoConfig\": \"nomic-ai/nomic-bert-2048--configuration_hf_nomic_bert.NomicBertConfig\",\n"
           "    \"AutoModel\": \"nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertModel\",\n"
           "    \"AutoModelForMaskedLM\": "
           "\"nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertForPreTraining\",\n"
           "    \"AutoModelForMultipleChoice\": "
           "\"nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertForMultipleChoice\",\n"
           "    \"AutoModelForQuestionAnswering\": "
           "\"nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertForQuestionAnswering\",\n"
           "    \"AutoModelForSequenceClassification\": "
           "\"nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertForSequenceClassification\",\n"
           "    \"AutoModelForTokenClassification\": "
           "\"nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertForTokenClassification\"\n"
           "  },\n"
           "  \"bos_token_id\": null,\n"
           "  \"causal\": false,\n"
           "  \"dense_seq_output\": true,\n"
           "  \"embd_pdrop\": 0.1,\n"
           "  \"eos_token_id\": null,\n"
           "  \"expert_choice_router\": false,\n"
           "  \"ffn_div\": 1,\n"
           "  \"fused_bias_fc\": true,\n"
           "  \"fused_dropout_add_ln\": true,\n"
           "  \"initializer_range\": 0.02,\n"
           "  \"layer_norm_epsilon\": 1e-05,\n"
           "  \"max_trained_positions\": %d,\n"
           "  \"mlp_fc1_bias\": true,\n"
           "  \"mlp_fc2_bias\": true,\n"
           "  \"model_type\": \"nomic_bert\",\n"
           "  \"moe_every_n_layers\": %d,\n"
           "  \"moe_impl\": \"megablocks\",\n"
           "  \"moe_normalize_expert_weights\": false,\n"
           "  \"moe_resid_pdrop\": 0.0,\n"
           "  \"moe_top_k\": %d,\n"
           "  \"n_embd\": %d,\n"
           "  \"n_head\": %d,\n"
           "  \"n_inner\": %d,\n"
           "  \"n_layer\": %d,\n"
           "  \"n_positions\": %d,\n"
           "  \"num_experts\": %d,\n"
           "  \"num_shared_experts\": 0,\n"
           "  \"pad_token_id\": %d,\n"
           "  \"pad_vocab_size_multiple\": 64,\n"
           "  \"parallel_block\": false,\n"
           "  \"parallel_block_tied_norm\": false,\n"
           "  \"prenorm\": false,\n"
           "  \"qkv_proj_bias\": true,\n"
           "  \"reorder_and_upcast_attn\": false,\n"
           "  \"resid_pdrop\": 0.0,\n"
           "  \"rotary_emb_base\": 1000,\n"
           "  \"rotary_emb_fraction\": 1.0,\n"
           "  \"rotary_emb_interleaved\": false,\n"
           "  \"rotary_emb_scale_base\": null,\n"
           "  \"rotary_scaling_factor\": null,\n"
           "  \"router_aux_loss_coef\": 0.1,\n"
           "  \"scale_attn_by_inverse_layer_idx\": false,\n"
           "  \"scale_attn_weights\": true,\n"
           "  \"summary_activation\": null,\n"
           "  \"summary_first_dropout\": 0.1,\n"
           "  \"summary_proj_to_labels\": true,\n"
           "  \"summary_type\": \"cls_index\",\n"
           "  \"summary_use_proj\": true,\n"
           "  \"torch_dtype\": \"%s\",\n"
           "  \"transformers_version\": \"4.44.2\",\n"
           "  \"type_vocab_size\": %d,\n"
           "  \"use_cache\": true,\n"
           "  \"use_flash_attn\": true,\n"
           "  \"use_rms_norm\": false,\n"
           "  \"use_xentropy\": true,\n"
           "  \"vocab_size\": %d\n"
           "}\n",
           s->maxpos, s->moe->every, s->moe->top_k, s->hidden, s->heads, s->inter, s->layers, s->maxpos,
           s->moe->experts, s->pad_id, DT_TORCH[s->dtype], s->typevocab, s->vocab);
  write_text(dir, "config.json", t);
}

/* ModernBERT's fixed config values: the attention pattern, the two rotary
** bases and the special token ids of the modernbert-style tokenizer
** ([CLS] 4000, [SEP] 4001, [PAD] 4002). */
#define MODERNBERT_LOCAL_ATTENTION 16 /* window |i - j| <= 8 on local layers */
#define MODERNBERT_GLOBAL_EVERY 3     /* global layers: i % 3 == 0 */
#define MODERNBERT_CLS 4000
#define MODERNBERT_SEP 4001

/* config.json as transformers 4.48.0 saves a ModernBertConfig (keys
** sorted; layer_norm_eps is not ModernBertConfig's own but the released
** checkpoints carry it; classifier_pooling "mean" as theirs).  A
** cross-encoder's adds its architecture, id2label and label2id. */
static void write_modernbert_config(const Shape *s, const char *dir) {
  HeadKeys hk;
  head_keys(s, "ModernBertModel", &hk);
  char t[4096];
  snprintf(t, sizeof t,
           "{\n"
           "  \"architectures\": [\n"
           "    \"%s\"\n"
           "  ],\n"
           "  \"attention_bias\": false,\n"
           "  \"attention_dropout\": 0.0,\n"
           "  \"bos_token_id\": %d,\n"
           "  \"classifier_activation\": \"gelu\",\n"
           "  \"classifier_bias\": false,\n"
           "  \"classifier_dropout\": 0.0,\n"
           "  \"classifier_pooling\": \"mean\",\n"
           "  \"cls_token_id\": %d,\n"
           "  \"decoder_bias\": true,\n"
           "  \"deterministic_flash_attn\": false,\n"
           "  \"embedding_dropout\": 0.0,\n"
           "  \"eos_token_id\": %d,\n"
           "  \"global_attn_every_n_layers\": %d,\n"
           "  \"global_rope_theta\": 160000.0,\n"
           "  \"hidden_activation\": \"gelu\",\n"
           "  \"hidden_size\": %d,\n"
           "%s"
           "  \"initializer_cutoff_factor\": 2.0,\n"
           "  \"initializer_range\": 0.02,\n"
           "  \"intermediate_size\": %d,\n"
           "%s"
           "  \"layer_norm_eps\": 1e-05,\n"
           "  \"local_attention\": %d,\n"
           "  \"local_rope_theta\": 10000.0,\n"
           "  \"max_position_embeddings\": %d,\n"
           "  \"mlp_bias\": false,\n"
           "  \"mlp_dropout\": 0.0,\n"
           "  \"model_type\": \"modernbert\",\n"
           "  \"norm_bias\": false,\n"
           "  \"norm_eps\": 1e-05,\n"
           "  \"num_attention_heads\": %d,\n"
           "  \"num_hidden_layers\": %d,\n"
           "  \"pad_token_id\": %d,\n"
           "  \"reference_compile\": null,\n"
           "  \"repad_logits_with_grad\": false,\n"
           "  \"sep_token_id\": %d,\n"
           "  \"sparse_pred_ignore_index\": -100,\n"
           "  \"sparse_prediction\": false,\n"
           "  \"torch_dtype\": \"%s\",\n"
           "  \"transformers_version\": \"4.48.0\",\n"
           "  \"vocab_size\": %d\n"
           "}\n",
           hk.arch, MODERNBERT_CLS, MODERNBERT_CLS, MODERNBERT_SEP, MODERNBERT_GLOBAL_EVERY, s->hidden,
           hk.id2label, s->inter, hk.label2id,
           s->local_attention ? s->local_attention : MODERNBERT_LOCAL_ATTENTION, s->maxpos, s->heads, s->layers, s->pad_id, MODERNBERT_SEP,
           DT_TORCH[s->dtype], s->vocab);
  write_text(dir, "config.json", t);
}

/* config.json as transformers 4.39.1 saves GTE v1.5's NewConfig (keys
** sorted, gte-base-en-v1.5's keys: auto_map to Alibaba-NLP/new-impl's code,
** pack_qkv, rope, NTK rope_scaling, layer_norm_type "layer_norm", ...).  A
** cross-encoder's adds its architecture, id2label, label2id and auto_map's
** AutoModelForSequenceClassification (what CrossEncoder loads with
** trust_remote_code). */
static void write_gte_config(const Shape *s, const char *dir) {
  HeadKeys hk;
  head_keys(s, "NewModel", &hk);
  char t[4096];
  snprintf(t, sizeof t,
           "{\n"
           "  \"architectures\": [\n"
           "    \"%s\"\n"
           "  ],\n"
           "  \"attention_probs_dropout_prob\": 0.0,\n"
           "  \"auto_map\": {\n"
           "    \"AutoConfig\": \"Alibaba-NLP/new-impl--configuration.NewConfig\",\n"
           "    \"AutoModel\": \"Alibaba-NLP/new-impl--modeling.NewModel\"%s\n"
           "  },\n"
           "  \"classifier_dropout\": null,\n"
           "  \"hidden_act\": \"gelu\",\n"
           "  \"hidden_dropout_prob\": 0.1,\n"
           "  \"hidden_size\": %d,\n"
           "%s"
           "  \"initializer_range\": 0.02,\n"
           "  \"intermediate_size\": %d,\n"
           "%s"
           "  \"layer_norm_eps\": 1e-12,\n"
           "  \"layer_norm_type\": \"layer_norm\",\n"
           "  \"logn_attention_clip1\": false,\n"
           "  \"logn_attention_scale\": false,\n"
           "  \"max_position_embeddings\": %d,\n"
           "  \"model_type\": \"new\",\n"
           "  \"num_attention_heads\": %d,\n"
           "  \"num_hidden_layers\": %d,\n"
           "  \"pack_qkv\": true,\n"
           "  \"pad_token_id\": %d,\n"
           "  \"position_embedding_type\": \"rope\",\n"
           "  \"rope_scaling\": {\n"
           "    \"factor\": %s,\n"
           "    \"type\": \"ntk\"\n"
           "  },\n"
           "  \"rope_theta\": %s,\n"
           "%s"
           "  \"torch_dtype\": \"%s\",\n"
           "  \"transformers_version\": \"4.39.1\",\n"
           "  \"type_vocab_size\": %d,\n"
           "  \"unpad_inputs\": false,\n"
           "  \"use_memory_efficient_attention\": false,\n"
           "  \"vocab_size\": %d\n"
           "}\n",
           hk.arch,
           s->head == HEAD_GTE ? ",\n    \"AutoModelForSequenceClassification\": "
                                 "\"Alibaba-NLP/new-impl--modeling.NewForSequenceClassification\""
                               : "",
           s->hidden, hk.id2label, s->inter, hk.label2id, s->maxpos, s->heads, s->layers, s->pad_id,
           s->rope->factor, s->rope->theta, hk.ce_act, DT_TORCH[s->dtype], s->typevocab, s->vocab);
  write_text(dir, "config.json", t);
}

/* config.json as transformers 4.26.0 saves a JinaBertConfig
** (jinaai/jina-bert-implementation's configuration_bert.py), keys sorted,
** jina-embeddings-v2-base-en's keys: attn_implementation "torch",
** emb_pooler "mean", feed_forward_type "geglu", model_max_length,
** position_embedding_type "alibi", auto_map to the implementation's
** classes (AutoModelForSequenceClassification among them).  A
** cross-encoder's adds its architecture, id2label and label2id.
** jina_code's (ARCH_JINA_CODE, jina-embeddings-v2-base-code's layout):
** architectures ["JinaBertModel"], auto_map's AutoConfig and AutoModel
** only, in jinaai/jina-bert-v2-qk-post-norm's code. */
static void write_jina_config(const Shape *s, const char *dir) {
  const int code = s->arch == ARCH_JINA_CODE;
  HeadKeys hk;
  head_keys(s, code ? "JinaBertModel" : "JinaBertForMaskedLM", &hk);
  char t[4096];
  snprintf(t, sizeof t,
           "{\n"
           "  \"architectures\": [\n"
           "    \"%s\"\n"
           "  ],\n"
           "  \"attention_probs_dropout_prob\": 0.0,\n"
           "  \"attn_implementation\": \"torch\",\n"
           "  \"auto_map\": {\n"
           "%s"
           "  },\n"
           "  \"classifier_dropout\": null,\n"
           "  \"emb_pooler\": \"mean\",\n"
           "  \"feed_forward_type\": \"geglu\",\n"
           "  \"gradient_checkpointing\": false,\n"
           "  \"hidden_act\": \"gelu\",\n"
           "  \"hidden_dropout_prob\": 0.1,\n"
           "  \"hidden_size\": %d,\n"
           "%s"
           "  \"initializer_range\": 0.02,\n"
           "  \"intermediate_size\": %d,\n"
           "%s"
           "  \"layer_norm_eps\": 1e-12,\n"
           "  \"max_position_embeddings\": %d,\n"
           "  \"model_max_length\": %d,\n"
           "  \"model_type\": \"bert\",\n"
           "  \"num_attention_heads\": %d,\n"
           "  \"num_hidden_layers\": %d,\n"
           "  \"pad_token_id\": %d,\n"
           "  \"position_embedding_type\": \"alibi\",\n"
           "%s"
           "  \"torch_dtype\": \"%s\",\n"
           "  \"transformers_version\": \"4.26.0\",\n"
           "  \"type_vocab_size\": %d,\n"
           "  \"use_cache\": true,\n"
           "  \"vocab_size\": %d\n"
           "}\n",
           hk.arch,
           code ? "    \"AutoConfig\": \"jinaai/jina-bert-v2-qk-post-norm--configuration_bert.JinaBertConfig\",\n"
                  "    \"AutoModel\": \"jinaai/jina-bert-v2-qk-post-norm--modeling_bert.JinaBertModel\"\n"
                : "    \"AutoConfig\": \"jinaai/jina-bert-implementation--configuration_bert.JinaBertConfig\",\n"
                  "    \"AutoModel\": \"jinaai/jina-bert-implementation--modeling_bert.JinaBertModel\",\n"
                  "    \"AutoModelForMaskedLM\": "
                  "\"jinaai/jina-bert-implementation--modeling_bert.JinaBertForMaskedLM\",\n"
                  "    \"AutoModelForSequenceClassification\": "
                  "\"jinaai/jina-bert-implementation--modeling_bert.JinaBertForSequenceClassification\"\n",
           s->hidden, hk.id2label, s->inter, hk.label2id, s->maxpos, s->maxpos, s->heads, s->layers, s->pad_id,
           hk.ce_act, DT_TORCH[s->dtype], s->typevocab, s->vocab);
  write_text(dir, "config.json", t);
}

static void write_config(const Shape *s, const char *dir) {
  char t[2048];
  if (s->arch == ARCH_JINA || s->arch == ARCH_JINA_CODE) {
    write_jina_config(s, dir);
    return;
  }
  if (s->arch == ARCH_GTE) {
    write_gte_config(s, dir);
    return;
  }
  if (s->arch == ARCH_MODERNBERT) {
    write_modernbert_config(s, dir);
    return;
  }
  if (s->arch == ARCH_DISTIL) {
    write_distil_config(s, dir);
    return;
  }
  if (s->arch == ARCH_MPNET) {
    write_mpnet_config(s, dir);
    return;
  }
  if (s->arch == ARCH_XLMR || s->arch == ARCH_ROBERTA) {
    write_roberta_config(s, dir);
    return;
  }
  if (s->arch == ARCH_NOMIC) {
    write_nomic_config(s, dir);
    return;
  }
  if (s->arch == ARCH_NOMIC_MOE) {
    write_nomic_moe_config(s, dir);
    return;
  }
  HeadKeys hk;
  head_keys(s, "BertModel", &hk);
  snprintf(t, sizeof t,
           "{\n"
           "  \"architectures\": [\n"
           "    \"%s\"\n"
           "  ],\n"
           "  \"attention_probs_dropout_prob\": 0.1,\n"
           "  \"classifier_dropout\": null,\n"
           "  \"hidden_act\": \"gelu\",\n"
           "  \"hidden_dropout_prob\": 0.1,\n"
           "  \"hidden_size\": %d,\n"
           "%s"
           "  \"initializer_range\": 0.02,\n"
           "  \"intermediate_size\": %d,\n"
           "%s"
           "  \"layer_norm_eps\": 1e-12,\n"
           "  \"max_position_embeddings\": %d,\n"
           "  \"model_type\": \"bert\",\n"
           "  \"num_attention_heads\": %d,\n"
           "  \"num_hidden_layers\": %d,\n"
           "  \"pad_token_id\": %d,\n"
           "  \"position_embedding_type\": \"absolute\",\n"
           "%s"
           "  \"torch_dtype\": \"%s\",\n"
           "  \"transformers_version\": \"4.41.2\",\n"
           "  \"type_vocab_size\": %d,\n"
           "  \"use_cache\": true,\n"
           "  \"vocab_size\": %d\n"
           "}\n",
           hk.arch, s->hidden, hk.id2label, s->inter, hk.label2id, s->maxpos, s->heads, s->layers, s->pad_id,
           hk.ce_act, DT_TORCH[s->dtype], s->typevocab, s->vocab);
  write_text(dir, "config.json", t);
}

static void write_tokenizer_config(const Shape *s, const char *dir) {
  char t[1024];
  snprintf(t, sizeof t,
           "{\n"
           "  \"clean_up_tokenization_spaces\": true,\n"
           "  \"cls_token\": \"[CLS]\",\n"
           "  \"do_basic_tokenize\": true,\n"
           "  \"do_lower_case\": %s,\n"
           "  \"mask_token\": \"[MASK]\",\n"
           "  \"model_max_length\": %d,\n"
           "  \"never_split\": null,\n"
           "  \"pad_token\": \"[PAD]\",\n"
           "  \"sep_token\": \"[SEP]\",\n"
           "  \"strip_accents\": null,\n"
           "  \"tokenize_chinese_chars\": true,\n"
           "  \"tokenizer_class\": \"%s\",\n"
           "  \"unk_token\": \"[UNK]\"\n"
           "}\n",
           s->lower ? "true" : "false", s->maxpos, s->arch == ARCH_DISTIL ? "DistilBertTokenizer" : "BertTokenizer");
  write_text(dir, "tokenizer_config.json", t);
}

static void write_st_files(const Shape *s, const char *dir) {
  Buf b = {0};
  char tmp[512];
  bput(&b, "[\n"
           "  {\n"
           "    \"idx\": 0,\n"
           "    \"name\": \"0\",\n"
           "    \"path\": \"\",\n"
           "    \"type\": \"sentence_transformers.models.Transformer\"\n"
           "  },\n"
           "  {\n"
           "    \"idx\": 1,\n"
           "    \"name\": \"1\",\n"
           "    \"path\": \"1_Pooling\",\n"
           "    \"type\": \"sentence_transformers.models.Pooling\"\n");
  /* Dense modules, then Normalize, take the next indices (2_Normalize
  ** without Dense, as the shapes before dense have it) */
  int idx = 2;
  for (int i = 0; i < s->ndense; i++, idx++) {
    snprintf(tmp, sizeof tmp,
             "  },\n"
             "  {\n"
             "    \"idx\": %d,\n"
             "    \"name\": \"%d\",\n"
             "    \"path\": \"%s\",\n"
             "    \"type\": \"sentence_transformers.models.Dense\"\n",
             idx, idx, s->dense[i].path);
    bput(&b, tmp);
  }
  if (s->normalize) {
    snprintf(tmp, sizeof tmp,
             "  },\n"
             "  {\n"
             "    \"idx\": %d,\n"
             "    \"name\": \"%d\",\n"
             "    \"path\": \"%d_Normalize\",\n"
             "    \"type\": \"sentence_transformers.models.Normalize\"\n",
             idx, idx, idx);
    bput(&b, tmp);
  }
  bput(&b, "  }\n]\n");
  write_text(dir, "modules.json", b.p);
  free(b.p);

  if (s->no_lower_key)
    snprintf(tmp, sizeof tmp, "{\n  \"max_seq_length\": %d\n}\n", s->max_seq);
  else
    snprintf(tmp, sizeof tmp, "{\n  \"max_seq_length\": %d,\n  \"do_lower_case\": %s\n}\n", s->max_seq,
             s->lower && !s->st_keep_case ? "true" : "false");
  write_text(dir, "sentence_bert_config.json", tmp);

  char *pd = path_join(dir, "1_Pooling");
  mkdirs(pd);
  snprintf(tmp, sizeof tmp,
           "{\n"
           "  \"word_embedding_dimension\": %d,\n"
           "  \"pooling_mode_cls_token\": %s,\n"
           "  \"pooling_mode_mean_tokens\": %s,\n"
           "  \"pooling_mode_max_tokens\": %s,\n"
           "  \"pooling_mode_mean_sqrt_len_tokens\": false%s\n"
           "}\n",
           s->hidden, strcmp(s->pooling, "cls") == 0 ? "true" : "false",
           strcmp(s->pooling, "mean") == 0 ? "true" : "false", strcmp(s->pooling, "max") == 0 ? "true" : "false",
           /* only where it is false, so the other shapes' files stay as they were */
           s->exclude_prompt ? ",\n  \"include_prompt\": false" : "");
  write_text(pd, "config.json", tmp);
  free(pd);

  if (s->prompts) {
    Buf b2 = {0};
    bput(&b2, "{\n  \"prompts\": {\n");
    for (int i = 0; i < s->nprompts; i++) {
      bput(&b2, "    ");
      bput_json_str(&b2, s->prompts[i].name);
      bput(&b2, ": ");
      bput_json_str(&b2, s->prompts[i].text);
      bput(&b2, i + 1 < s->nprompts ? ",\n" : "\n");
    }
    bput(&b2, "  },\n  \"default_prompt_name\": ");
    if (s->default_prompt) bput_json_str(&b2, s->default_prompt);
    else bput(&b2, "null");
    if (s->similarity) {
      bput(&b2, ",\n  \"similarity_fn_name\": ");
      bput_json_str(&b2, s->similarity);
    }
    bput(&b2, "\n}\n");
    write_text(dir, "config_sentence_transformers.json", b2.p);
    free(b2.p);
  }
}

/* One Dense module: <path>/config.json and <path>/model.safetensors. */
static void write_dense(const Shape *s, const DenseMod *dm, const char *dir) {
  char *pd = path_join(dir, dm->path);
  mkdirs(pd);
  /* already in bytewise order: "linear.bias" < "linear.weight" */
  Tensor ts[2];
  int n = 0;
  memset(ts, 0, sizeof ts);
  if (dm->bias) {
    snprintf(ts[n].name, sizeof ts[n].name, "linear.bias");
    ts[n].ndim = 1;
    ts[n].d0 = dm->out;
    ts[n].kind = K_DENSE;
    n++;
  }
  snprintf(ts[n].name, sizeof ts[n].name, "linear.weight");
  ts[n].ndim = 2;
  ts[n].d0 = dm->out;
  ts[n].d1 = dm->in;
  ts[n].kind = K_DENSE;
  n++;
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s/", dm->path);
  char *p = path_join(pd, "model.safetensors");
  write_safetensors(p, ts, n, 0, dm->dtype, s->seed, prefix);
  free(p);

  char t[512];
  snprintf(t, sizeof t,
           "{\n"
           "  \"in_features\": %d,\n"
           "  \"out_features\": %d,\n"
           "  \"bias\": %s,\n"
           "  \"activation_function\": \"%s\"%s\n"
           "}\n",
           dm->in, dm->out, dm->bias ? "true" : "false", dm->act,
           dm->io_names ? ",\n  \"module_input_name\": \"sentence_embedding\",\n"
                          "  \"module_output_name\": \"sentence_embedding\""
                        : "");
  write_text(pd, "config.json", t);
  free(pd);
}

static void usage(void) {
  fprintf(stderr, "usage: gen_model --shape NAME --out DIR [--vocab-dir DIR]   (gen_model --list)\nshapes:");
  for (int i = 0; i < NSHAPES; i++) fprintf(stderr, " %s", SHAPES[i].name);
  fprintf(stderr, "\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *shape = NULL, *out = NULL, *vocab_dir = "tests/fixtures/vocab";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--shape") == 0 && i + 1 < argc) shape = argv[++i];
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
    else if (strcmp(argv[i], "--vocab-dir") == 0 && i + 1 < argc) vocab_dir = argv[++i];
    else if (strcmp(argv[i], "--list") == 0) {
      for (int k = 0; k < NSHAPES; k++) printf("%s\n", SHAPES[k].name);
      return 0;
    } else usage();
  }
  if (!shape || !out) usage();
  const Shape *s = NULL;
  for (int i = 0; i < NSHAPES; i++)
    if (strcmp(SHAPES[i].name, shape) == 0) s = &SHAPES[i];
  if (!s) die("unknown shape %s", shape);

  mkdirs(out);
  build_tensors(s);
  long total = 0;
  for (int k = 0; k < s->shards; k++) total += write_shard(s, k, out);
  if (s->shards > 1) write_index(s, out, total);
  write_config(s, out);
  char src[4096];
  if (s->tokcfg_fixture) {
    snprintf(src, sizeof src, "%s/%s/tokenizer_config.json", vocab_dir, s->tokcfg_fixture);
    copy_file(src, out, "tokenizer_config.json");
    snprintf(src, sizeof src, "%s/%s/special_tokens_map.json", vocab_dir, s->tokcfg_fixture);
    copy_file(src, out, "special_tokens_map.json");
  } else {
    write_tokenizer_config(s, out);
  }
  if (s->vocab_fixture) {
    snprintf(src, sizeof src, "%s/%s/vocab.txt", vocab_dir, s->vocab_fixture);
    copy_file(src, out, "vocab.txt");
  }
  if (s->tokjson_fixture) {
    snprintf(src, sizeof src, "%s/%s/tokenizer.json", vocab_dir, s->tokjson_fixture);
    copy_file(src, out, "tokenizer.json");
  }
  if (s->st) write_st_files(s, out);
  for (int i = 0; i < s->ndense; i++) write_dense(s, &s->dense[i], out);
  return 0;
}

/*
** engine_int.h — internals shared by the engine's .c files.  Not installed;
** callers use embed_engine.h only.
**
** Files and what they own:
**   errors.c       ee_set_error, ee_status_string, path joining
**   config.c       config.json and the sentence-transformers files -> ee_config
**   config_nomic.c, config_modernbert.c  those models' config.json keys
**   dense.c        sentence-transformers Dense modules: config, weights, apply
**   safetensors.c  one .safetensors file: mmap, header parse and validation
**   pickle.c       a Python pickle read as data (no code run), for torch_bin.c
**   torch_bin.c    pytorch_model.bin (torch.save's formats) -> the same tensor table
**   weights.c      model.safetensors or its shards -> ee_weights (bound, checked)
**   model_load.c   ee_model_load/free/info: glue of the above + the tokenizer
**   forward.c      the encoder forward pass on a packed batch (llm.c style)
**   gemm_drive.c   the loop around a dense product's tiles, weight prefetch
**   kernels.c      weight packing and the dense layers' matmul micro-kernels
**   kernels_bf16.c the same in bfloat16 (precision "bf16")
**   kernels_int8.c the same in int8, dynamic quantisation (precision "int8")
**   threadpool.c   worker threads that split every stage of a forward pass
**   embed.c        ee_context, ee_embed_ids, ee_embed_texts
**
** All heap memory goes through se_alloc.h.  Sizes are int64_t and checked
** before they are multiplied; nothing here asserts on input.
*/
#ifndef ENGINE_INT_H
#define ENGINE_INT_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "embed_engine.h"
#include "../tokenizer/se_alloc.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian and is used in place: big-endian hosts are not supported"
#endif

#define EE_PATH_MAX EE_MODEL_PATH_MAX
#define EE_MAX_DIM 1000000            /* sane upper bound for any config integer */
#define EE_MAX_EXPERTS 1024           /* NomicBert's num_experts (v2-moe: 8) */
#define EE_MAX_TABLE_FLOATS ((int64_t)1 << 26) /* a derived position table: 256 MB (config.c) */
#define EE_MAX_HEADER (100LL << 20)   /* safetensors JSON header limit: 100 MB */
#define EE_MAX_JSON_FILE (64LL << 20) /* config.json & co. */
#define EE_BATCH_TOKENS 8192          /* token cap per forward pass (bounds the arena) */

/* ------------------------------------------------------------------------
** interface to errors.c
*/
/* Fill *err (may be NULL) and return code.  printf-style message. */
ee_status ee_set_error(ee_error *err, ee_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The ee_status for a tokenizer status (UTF-8 and argument errors -> INPUT). */
ee_status ee_from_wp(wp_status s);
/* gguf_pick.c.  ee_split_tag: "name:TAG" that is no file splits into name
** (EE_PATH_MAX) and TAG (32 bytes: letters, digits, '_'); returns 1, or 0 for
** a plain name.  ee_gguf_pick: when dir (EE_PATH_MAX, rewritten) is a
** directory without config.json holding .gguf files, the one file, or the
** one whose name has tag (NULL: none given); several or none matching are
** EE_ERR_INPUT listing them, and a tag for anything else is EE_ERR_INPUT. */
int ee_split_tag(const char *spec, char *name, char *tag);
ee_status ee_gguf_pick(char *dir, const char *tag, ee_error *err);
/* dir + "/" + name into out (EE_PATH_MAX); EE_ERR_INPUT if too long. */
ee_status ee_path_join(char *out, const char *dir, const char *name, ee_error *err);
/* Read a whole (small) file; *buf is NUL-terminated and owned by the caller.
** If missing_ok and the file does not exist, returns EE_OK with *buf NULL. */
ee_status ee_read_file(const char *path, int64_t max_bytes, int missing_ok,
                       char **buf, size_t *len, ee_error *err);
int ee_file_exists(const char *path);
/* Read and parse a JSON file (duplicate keys rejected); missing_ok as above. */
ee_status ee_load_json(const char *path, int missing_ok, json_t **out, ee_error *err);

/* ------------------------------------------------------------------------
** interface to config.c
*/
typedef enum ee_act { EE_ACT_GELU = 0, EE_ACT_GELU_TANH, EE_ACT_RELU } ee_act;

/* A sentence-transformers Dense module (after pooling): y = act(W x + b). */
#define EE_MAX_DENSE 8
typedef enum ee_dense_act {
  EE_DENSE_IDENTITY = 0, EE_DENSE_TANH, EE_DENSE_RELU, EE_DENSE_GELU, EE_DENSE_SIGMOID
} ee_dense_act;
typedef struct ee_dense_cfg {
  char path[256];              /* module directory, relative to the model's */
  int in, out;                 /* in_features, out_features */
  int bias;                    /* 1: a linear.bias tensor is added */
  ee_dense_act act;            /* activation_function */
  int head;                    /* 1: a cross-encoder's classification head, whose
                                  tensors are in model.safetensors (weights.c) */
  int norm;                    /* 1: a LayerNorm (weight only, eps norm_eps) after the
                                  activation: ModernBERT's classification head */
  float norm_eps;
} ee_dense_cfg;

/* Architectures: the same post-LayerNorm encoder, different file layouts;
** MPNet adds a relative position bias to every layer's attention scores
** and numbers positions from pad_token_id + 1; RoBERTa (model_type
** "roberta" or "xlm-roberta": transformers' two classes compute alike) is
** BERT's tensors with positions numbered as MPNet's.  NomicBert
** (nomic-embed-text) has no position table: it rotates queries and keys
** (rotary), its FFN is gated (SwiGLU) and its products have no biases.
** ModernBERT is pre-LayerNorm, rotary, gated (GeGLU), without biases, and
** two of every three layers attend to a window of keys.  GTE v1.5's NewModel
** (model_type "new") is BERT's post-LayerNorm encoder with its biases,
** rotary (optionally NTK-scaled) and gated (GeGLU). */
typedef enum ee_arch {
  EE_ARCH_BERT = 0, EE_ARCH_DISTILBERT, EE_ARCH_MPNET, EE_ARCH_ROBERTA, EE_ARCH_XLM_ROBERTA,
  EE_ARCH_NOMIC_BERT, EE_ARCH_MODERNBERT, EE_ARCH_GTE
} ee_arch;
/* model_type of each ee_arch ("bert", "distilbert", "mpnet", "roberta",
** "xlm-roberta", "nomic_bert", "modernbert", "new"). */
const char *ee_arch_name(ee_arch a);

/* MPNet's bucket of a relative position (key - query) as transformers'
** MPNetEncoder.relative_position_bucket computes it (bidirectional: half
** the buckets for keys before the query; distances under a quarter of the
** buckets exact, then logarithmic up to max_distance, in float32 as torch). */
int ee_relative_position_bucket(int relative_position, int num_buckets, int max_distance);
#define EE_MPNET_BUCKETS 32       /* what MPNetEncoder.compute_position_bias passes */
#define EE_MPNET_MAX_DISTANCE 128

typedef struct ee_config {
  ee_arch arch;                /* config.json's model_type */
  int hidden_size;             /* H */
  int num_layers;              /* L */
  int num_heads;               /* NH */
  int head_dim;                /* H / NH */
  int intermediate_size;       /* I */
  int vocab_size;              /* V: rows of the word embeddings */
  int max_position_embeddings; /* P */
  int type_vocab_size;         /* TV */
  int no_token_types;          /* DistilBERT, MPNet, ModernBERT: the model takes no token types
                                  (TV is 1, a zero row), so a pair's second text is typed 0 as
                                  their transformers classes compute it, whatever the
                                  tokenizer's template says */
  float layer_norm_eps;        /* eps of every LayerNorm */
  ee_act act;                  /* FFN activation (hidden_act) */
  const char *act_name;        /* "gelu", "gelu_new", "relu", "swiglu" (static string) */
  /* NomicBert: the FFN is gated, up(x) * silu(gate(x)), two (I,H) products
  ** (fc11, fc12) in place of intermediate.dense; I is n_inner rounded up to
  ** a multiple of 256, as the model's GatedMLP builds it. */
  int glu;
  int glu_act;                 /* ModernBERT: act(input) * gate with input the first rows of
                                  Wi (held as g_w) and act cfg->act, not up * silu(gate) */
  /* NomicBert with activation_function "gelu" (nomic-embed-text-v2-moe):
  ** which products have biases (Wqkv and out_proj; fc1; fc2), and the
  ** Mixture-of-Experts FFN of every layer l with l % moe_every == 1: each
  ** token's moe_top_k experts of moe_experts by the softmax of its router
  ** logits, their outputs weighted by those probabilities (not
  ** renormalised), summed, plus one shared bias.  moe_experts 0: none. */
  int bias_qkv, bias_fc1, bias_fc2;
  int moe_experts, moe_top_k, moe_every;
  /* NomicBert: rotary positions (GPT-NeoX layout, the whole head): no
  ** position table; query and key pairs (i, i + d/2) of token j turned by
  ** j * rotary_base^(-2i/d).  0 for the others. */
  int rotary;
  float rotary_base;
  float rotary_divisor;        /* GTE's NTK scaling: inverse frequencies divided by this (f^(2/d));
                                  0 or 1 for none */
  int split_qkv;               /* GTE with pack_qkv false: q_proj, k_proj, v_proj tensors */
  /* JinaBert (jina-embeddings-v2: model_type "bert", position_embedding_type
  ** "alibi"): no position table; every score of head h gets -slope_h * |i - j|
  ** (w->rel_bias), and the FFN is gated (feed_forward_type geglu or reglu:
  ** act(first half) * second half of mlp.gated_layers, then mlp.wo and
  ** mlp.layernorm over it + the residual, BERT's output LayerNorm). */
  int alibi;
  /* ModernBERT: pre-LayerNorm layers (x + attn(LN1(x)), then x + ffn(LN2(x)),
  ** a final LayerNorm; layer 0 has no LN1); layer l is global when
  ** l % global_every == 0, else it attends only to keys within window
  ** tokens and turns by rotary_base_local.  prenorm 0, global_every 0 for
  ** the others (every layer global, post-LayerNorm). */
  int prenorm;
  int global_every;
  int window;
  float rotary_base_local;
  /* MPNet and RoBERTa number positions as transformers'
  ** create_position_ids_from_input_ids: pad_token_id + the count of non-pad
  ** tokens so far, so a text's positions start at pad_token_id + 1 and a pad
  ** token inside it takes position pad_token_id without advancing the count.
  ** position_offset is where a text's positions start (0 for BERT, where
  ** positions are 0, 1, ... and pad_position is -1); the usable length is
  ** P - position_offset. */
  int position_offset;
  int pad_position;            /* pad_token_id for MPNet and RoBERTa, else -1 */
  int bos_token_id, eos_token_id; /* MPNet, RoBERTa: the ids the tokenizer must put around a text */
  /* From the sentence-transformers files (or defaults), before ee_params. */
  ee_pooling pooling;          /* CLS unless 1_Pooling/config.json says otherwise */
  int normalize;               /* 1 if modules.json has a Normalize module */
  int max_length;              /* tokens per text incl. [CLS]/[SEP]; 0 = unset */
  ee_precision precision;      /* dense layers' arithmetic (ee_params; config.c leaves 0 = fp32) */
  int include_prompt;          /* 0 if the Pooling config leaves a prompt's tokens out */
  int st_lower;                /* sentence_bert_config.json's do_lower_case: texts go through
                                  Python's str.lower() before the tokenizer */
  int st_strip;                /* a sentence-transformers model (modules.json or
                                  sentence_bert_config.json): texts go through Python's
                                  str.strip() before the tokenizer, as its Transformer does */
  int n_dense;                 /* Dense modules after pooling, in modules.json order */
  ee_dense_cfg dense[EE_MAX_DENSE];
  int pooled_dims;             /* floats after pooling and the Dense modules: hidden_size or
                                  the last Dense's out_features */
  int out_dims;                /* floats per vector: pooled_dims, or ee_params.truncate_dim */
  /* A cross-encoder (config.json's architectures names a
  ** *ForSequenceClassification): CLS pooling, then dense[0..1] are its
  ** classification head and the vector is one score per label. */
  int labels;                  /* 0: an embedding model */
  char head_name[64];          /* the architectures entry, e.g. "BertForSequenceClassification" */
} ee_config;

/* An integer field of root in lo..hi; required, or def when absent. */
ee_status ee_json_int(const json_t *root, const char *key, int required, int def, int lo, int hi,
                      const char *path, int *out, ee_error *err);
/* A number field of root in [lo, hi); def when absent (or, with null_ok, null). */
ee_status ee_json_number(const json_t *root, const char *key, double def, double lo, double hi,
                         int null_ok, const char *path, double *out, ee_error *err);
/* EE_ERR_UNSUPPORTED: "unsupported <model> setting "<key>": <got> in <path> (supported: ...)",
** for a config key whose value the engine does not compute. */
ee_status ee_refuse_setting(ee_error *err, const char *model, const char *path, const char *key,
                            const char *got, const char *supported);
/* A string field of root (def when absent) that must be one of names (a
** NULL-terminated list): its index in *out.  Another string is refused by
** name for model (ee_refuse_setting, listing names); a non-string is a
** format error. */
ee_status ee_json_choice(const json_t *root, const char *key, const char *def,
                         const char *const *names, const char *model, const char *path, int *out,
                         ee_error *err);
/* cfg->head_dim = hidden_size / num_heads, which config.json calls hkey and
** nkey: an error unless it divides, or (rotary) unless the head size is
** even, since rotary positions turn pairs. */
ee_status ee_head_dim(ee_config *cfg, const char *hkey, const char *nkey, int rotary,
                      const char *path, ee_error *err);
/* <dir>/config.json -> cfg (architecture fields). */
ee_status ee_config_load(const char *dir, ee_config *cfg, ee_error *err);
/* The same from config.json's parsed object (path names it in messages). */
ee_status ee_config_from_json(const json_t *root, const char *path, ee_config *cfg, ee_error *err);
/* config.json's architectures: a *ForSequenceClassification sets cfg's
** classification head (labels, dense[0..1], CLS pooling); otherwise labels 0
** (config_head.c).  After the encoder's keys are read. */
ee_status ee_head_config(const json_t *root, const char *path, ee_config *cfg, ee_error *err);
/* config.json's root of a model_type "nomic_bert" (config_nomic.c) -> cfg. */
ee_status ee_nomic_config(const json_t *root, const char *path, ee_config *cfg, ee_error *err);
/* The same for model_type "modernbert" (config_modernbert.c). */
ee_status ee_modernbert_config(const json_t *root, const char *path, ee_config *cfg,
                               ee_error *err);
/* The same for model_type "new", GTE v1.5 (config_gte.c). */
ee_status ee_gte_config(const json_t *root, const char *path, ee_config *cfg, ee_error *err);
/* modules.json, <pooling>/config.json, <dense>/config.json,
** sentence_bert_config.json -> cfg pooling/dense/normalize/max_length/st_lower;
** absent files leave the defaults. */
ee_status ee_st_config_load(const char *dir, ee_config *cfg, ee_error *err);
/* <dir>/<mpath> into out (EE_PATH_MAX); mpath "" is dir itself.  A path
** that could leave the model directory (absolute, "..") is a format error
** naming kind ("pooling", "Dense") and modules.json. */
ee_status ee_module_dir(char *out, const char *dir, const char *mpath, const char *kind,
                        ee_error *err);

/* ------------------------------------------------------------------------
** interface to dense.c
*/
/* <dir>/<mpath>/config.json -> *d; in_features must equal in (the width of
** the vector the module receives). */
ee_status ee_dense_config_load(const char *dir, const char *mpath, int in, ee_dense_cfg *d,
                               ee_error *err);

/* ------------------------------------------------------------------------
** interface to prompts.c
*/
typedef struct ee_prompts {
  int n;                        /* prompts */
  char **names, **texts;        /* (n) each, owned */
  const char *dflt;             /* default_prompt_name (one of names), or NULL */
  char *json;                   /* the "prompts" object, compact, keys sorted; NULL if none */
  const char *similarity;       /* similarity_fn_name: "cosine" (also when absent), "dot",
                                   "euclidean" or "manhattan"; static */
} ee_prompts;
/* <dir>/config_sentence_transformers.json -> p (empty if the file or its
** "prompts" is absent) and its similarity_fn_name; on error p is left empty. */
ee_status ee_prompts_load(const char *dir, ee_prompts *p, ee_error *err);
const char *ee_prompts_find(const ee_prompts *p, const char *name); /* NULL if none */
void ee_prompts_free(ee_prompts *p);

/* ------------------------------------------------------------------------
** interface to safetensors.c
*/
typedef enum st_dtype {
  ST_BOOL, ST_U8, ST_I8, ST_F8_E5M2, ST_F8_E4M3, ST_I16, ST_U16, ST_F16, ST_BF16,
  ST_I32, ST_U32, ST_F32, ST_F64, ST_I64, ST_U64,
  /* GGUF only (gguf.c, ggml_blocks.c): llama.cpp's quantized blocks along the
     last dimension, e.g. Q8_0 = 32 int8 after an F16 scale (34 bytes); no
     safetensors name and no element size */
  ST_Q8_0, ST_Q4_0, ST_Q4_1, ST_Q5_0, ST_Q5_1, ST_Q2_K, ST_Q3_K, ST_Q4_K, ST_Q5_K, ST_Q6_K,
  ST_IQ4_NL, ST_IQ4_XS,
  ST_DTYPE_COUNT
} st_dtype;
#define ST_MAX_NDIM 8

typedef struct st_tensor {
  char *name;                   /* owned */
  st_dtype dtype;
  int ndim;
  int64_t shape[ST_MAX_NDIM];
  int64_t numel;                /* product of shape (1 for a scalar) */
  int64_t begin, end;           /* byte range relative to the data section */
} st_tensor;

typedef struct st_file {
  char *path;                   /* owned, for messages */
  unsigned char *map;           /* mmap of the whole file (MAP_SHARED, PROT_READ) */
  size_t map_size;              /* bytes mapped */
  const unsigned char *data;    /* start of the data section (map + 8 + header) */
  int64_t data_size;            /* bytes after the header */
  st_tensor *tensors;           /* (n_tensors) sorted by name */
  int n_tensors;
  int used_in_place;            /* 1 once an F32 tensor points into map */
} st_file;

const char *st_dtype_name(st_dtype t);
float ee_f16_to_f32(uint16_t h);               /* IEEE half -> float, exact (weights.c) */

/* ggml_blocks.c: llama.cpp's block-quantized types (ST_Q8_0 .. ST_IQ4_XS).
** gb_block_values / gb_block_bytes are 0 and gb_name NULL for other dtypes.
** gb_dequantize writes numel floats (numel a multiple of the block's values;
** src holds numel / values whole blocks) exactly as ggml's dequantize_row_*
** does, and returns -1, or the index of the first value of a block whose
** float16 scale is Inf or NaN (dst is then incomplete); 0 for a dtype that
** is no block type. */
int gb_block_values(st_dtype t);
int gb_block_bytes(st_dtype t);
const char *gb_name(st_dtype t);
int64_t gb_dequantize(st_dtype t, const unsigned char *src, int64_t numel, float *dst);
int st_dtype_size(st_dtype t);                 /* bytes an element; 0 for block types */
int64_t st_tensor_bytes(st_dtype t, int64_t numel); /* bytes of numel elements (blocks: whole blocks) */
/* mmap path and validate its header (see safetensors.c for every check). */
ee_status st_open(st_file *f, const char *path, ee_error *err);
/* Validate a whole file image already in memory (buf, size); f->map is not
** set, f->data points into buf.  Used by st_open and by fuzzers. */
ee_status st_parse(st_file *f, const char *path, const unsigned char *buf,
                   size_t size, ee_error *err);
void st_close(st_file *f);      /* unmaps, frees; accepts a zeroed file */
const st_tensor *st_find(const st_file *f, const char *name);
/* "[384, 1536]" into buf. */
void st_format_shape(char *buf, size_t n, const int64_t *shape, int ndim);
/* The shared tail of st_open and tb_open: map path (read-only, shared) and
** hand the image to parse, which fills f (f->path is set first). */
typedef ee_status (*st_parse_fn)(st_file *f, const char *path, const unsigned char *buf,
                                 size_t size, ee_error *err);
ee_status st_open_with(st_file *f, const char *path, st_parse_fn parse, ee_error *err);

/* ------------------------------------------------------------------------
** interface to pickle.c (a pickle read as data; see its top comment)
*/
typedef enum pk_kind {
  PK_NONE, PK_BOOL, PK_INT, PK_BIGINT, PK_FLOAT, PK_STR, PK_TUPLE, PK_LIST, PK_DICT,
  PK_GLOBAL, PK_OBJECT
} pk_kind;

typedef struct pk_value pk_value;
struct pk_value {
  pk_kind kind;
  int64_t i;                    /* BOOL, INT */
  double f;                     /* FLOAT */
  const char *s;                /* STR (UTF-8, not NUL-terminated), BIGINT (little-endian
                                   bytes), GLOBAL (module): points into the pickle */
  size_t n;                     /* bytes at s */
  const char *s2;               /* GLOBAL: the name */
  size_t n2;
  pk_value **items;             /* TUPLE, LIST; DICT: key, value, key, value, ... */
  int64_t count, cap;
  void *obj;                    /* OBJECT: what a hook built */
};

typedef struct pk_machine {
  struct pk_block *blocks;      /* arena owning every value */
  pk_value **stack;
  int64_t depth, stack_cap;
  int64_t *marks;               /* stack depths at each MARK */
  int64_t n_marks, marks_cap;
  pk_value **memo;
  int64_t memo_len, memo_cap;
  pk_value *result;
} pk_machine;

/* What REDUCE and BINPERSID do: build *out (with pk_new/pk_alloc) or fail
** with a message.  callable is a PK_GLOBAL, args a PK_TUPLE. */
typedef struct pk_hooks {
  void *ctx;
  ee_status (*persistent_load)(void *ctx, pk_machine *m, pk_value *pid, pk_value **out,
                               ee_error *err);
  ee_status (*reduce)(void *ctx, pk_machine *m, const pk_value *callable, pk_value *args,
                      pk_value **out, ee_error *err);
} pk_hooks;

void pk_init(pk_machine *m);
void pk_free(pk_machine *m);                      /* every value of every pk_load */
void *pk_alloc(pk_machine *m, size_t n);          /* zeroed, freed by pk_free; NULL if out of memory */
pk_value *pk_new(pk_machine *m, pk_kind kind);
/* Run one pickle from buf (at most size bytes) to its STOP: *out is its
** value, *used the bytes it took.  what names it in messages. */
ee_status pk_load(pk_machine *m, const unsigned char *buf, size_t size, const char *what,
                  const pk_hooks *h, size_t *used, pk_value **out, ee_error *err);
const char *pk_kind_name(pk_kind k);
int pk_is_str(const pk_value *v, const char *s);
int pk_is_global(const pk_value *v, const char *module, const char *name);

/* ------------------------------------------------------------------------
** interface to gguf.c
*/
/* A GGUF file's tensors under BertModel's names, shapes row-major ([out, in]);
** f->data is the data section.  An st_parse_fn, for st_open_with. */
ee_status gguf_parse(st_file *f, const char *path, const unsigned char *buf, size_t size,
                     ee_error *err);
int ee_is_gguf(const char *path);              /* a regular file named *.gguf */
/* cfg from the file's metadata, as ee_config_load and ee_st_config_load
** would from the directory it was converted from (see gguf.c). */
ee_status ee_gguf_config(const char *path, int pooling_given, ee_config *cfg, ee_error *err);
/* gguf_vocab.c: a WordPiece vocabulary as vocab.txt text (*vocab
** se_malloc'd, NUL-terminated) and the options to read it with; */
ee_status ee_gguf_vocab(const char *path, char **vocab, size_t *len, wp_options *opts,
                        ee_error *err);
/* the tokenizer of its vocabulary (WordPiece or byte-level
** BPE), giving llama.cpp's tokens; *tok to wp_free. */
ee_status ee_gguf_tokenizer(const char *path, wp_tokenizer **tok, ee_error *err);

/* ------------------------------------------------------------------------
** interface to torch_bin.c
*/
/* PyTorch's pytorch_model.bin (torch.save's zip format, or the legacy one
** before torch 1.6) read as the st_file safetensors.c makes: tensors by
** name, begin/end offsets into the whole file (f->data is its first byte).
** Nothing in the file is run; see torch_bin.c for every check. */
ee_status tb_open(st_file *f, const char *path, ee_error *err);
ee_status tb_parse(st_file *f, const char *path, const unsigned char *buf, size_t size,
                   ee_error *err);

/* ------------------------------------------------------------------------
** interface to weights.c
*/
/* A Linear weight packed for kernels.c (fp32: np panels of K x EE_NR
** floats), kernels_bf16.c or kernels_int8.c; prec says which pointer is set. */
#define EE_NR 16
typedef struct ee_pw {
  const float *p;               /* fp32: (np, K, EE_NR) 64-byte aligned */
  const uint16_t *pb;           /* bf16: (np, K2, EE_NR, 2) 64-byte aligned */
  const int8_t *pq;             /* int8: (np, K4, EE_NR, 4) 64-byte aligned */
  const float *qs;              /* int8: (np * EE_NR) scale of each output feature */
  const int32_t *qc;            /* int8: (np * EE_NR) 128 x the sum of its int8 weights */
  int N, K;                     /* out and in features */
  int np;                       /* panels: ceil(N / EE_NR) */
  int K2, K4;                   /* bf16: ceil(K / 2) pairs; int8: ceil(K / 4) quads */
  ee_precision prec;            /* which of p, pb, pq holds the panels */
} ee_pw;

/* Layer l's FFN is a Mixture of Experts (NomicBert's moe_every_n_layers). */
static inline int ee_moe_layer(const ee_config *c, int l) {
  return c->moe_experts > 0 && c->moe_every > 0 && l % c->moe_every == 1;
}

/* Rows of the packed FFN up-projection: I, or with a gated FFN (cfg->glu)
** up and gate a panel each in turn, 2 x 16 rows for every 16 features. */
static inline int ee_up_rows(const ee_config *c) {
  return c->glu ? 2 * EE_NR * ((c->intermediate_size + EE_NR - 1) / EE_NR) : c->intermediate_size;
}

/* A layer's tensors; NomicBert v1 and v1.5 have no biases but the
** LayerNorms' (NULL); ModernBERT none at all (its LayerNorms get a zero
** bias), and its layer 0 no ln1 (NULL: the attention reads x itself). */
typedef struct ee_layer {
  const float *q_w, *q_b;       /* (H,H), (H)   attention.self.query */
  const float *k_w, *k_b;       /* (H,H), (H)   attention.self.key */
  const float *v_w, *v_b;       /* (H,H), (H)   attention.self.value */
  const float *o_w, *o_b;       /* (H,H), (H)   attention.output.dense */
  const float *ln1_g, *ln1_b;   /* (H), (H)     attention.output.LayerNorm */
  const float *i_w, *i_b;       /* (I,H), (I)   intermediate.dense */
  const float *f_w, *f_b;       /* (H,I), (H)   output.dense */
  const float *ln2_g, *ln2_b;   /* (H), (H)     output.LayerNorm */
  const float *g_w;             /* (I,H) NomicBert: the FFN's gate (mlp.fc12), else NULL */
  /* JinaBert's qk-post-norm variant (jina-embeddings-v2-base-code), else
  ** NULL: LayerNorms of the queries and keys over the whole width, after
  ** their projections (attention.self.layer_norm_q / _k), and layer_norm_1
  ** of ln1's output plus the layer input a second time. */
  const float *qn_g, *qn_b, *kn_g, *kn_b; /* (H) each */
  const float *ln1x_g, *ln1x_b; /* (H), (H) */
  /* Packed at load (model_load.c) for kernels.c. */
  ee_pw qkv_p;                  /* (3H,H) query, key, value stacked */
  const float *qkv_b;           /* (3H) their biases, NULL where the model has none */
  ee_pw o_p, i_p, f_p;          /* attention output, intermediate, output; with a gated FFN,
                                   i_p holds up and gate a panel each in turn: panel pair p
                                   is features [16p, 16p + 16) of both (zeros past I) */
  /* A Mixture-of-Experts FFN (ee_moe_layer), else NULL: the router
  ** (E,H) (mlp.router.layer), the experts' stacked up and down weights
  ** (E*I,H) each until packed (mlp.experts.mlp.w1, w2: expert e's rows
  ** [eI, eI + I) of both; w2's applied untransposed), their shared output
  ** bias (H) (mlp.experts.bias), and the packed experts: e's up (I,H) at
  ** moe_p[2e], its down (H,I) = w2_e^T at moe_p[2e + 1] (in ee_model's
  ** moe_pw). */
  const float *router_w, *moe_w1, *moe_w2, *moe_b;
  ee_pw *moe_p;
} ee_layer;

typedef struct ee_weights {
  const float *word;            /* (V,H)  embeddings.word_embeddings in F32, or NULL: */
  const unsigned char *word_raw; /*        in the mapping as word_dtype, rows word_row_bytes
                                   apart (read with ee_word_row) */
  st_dtype word_dtype;
  int64_t word_row_bytes;
  const float *pos;             /* (P,H)  embeddings.position_embeddings */
  const float *type;            /* (TV,H) embeddings.token_type_embeddings */
  const float *emb_ln_g, *emb_ln_b; /* (H), (H) embeddings.LayerNorm */
  /* MPNet: encoder.relative_attention_bias as a table by distance, head h's
  ** bias of key j for query i at rel_bias + h * rel_ld + rel_max + (j - i),
  ** |j - i| <= rel_max = the usable length - 1; NULL for other models. */
  const float *rel_bias;
  int64_t rel_ld;
  int rel_max;
  /* Rotary (cfg->rotary): position j's angles at rope + j * head_dim, the
  ** head_dim / 2 cosines then the sines, computed in float as the model's
  ** NomicBertRotaryEmbedding does; NULL for other models. */
  const float *rope;
  const float *rope_local;      /* ModernBERT's local layers' table (rotary_base_local) */
  const float *final_g, *final_b; /* ModernBERT: the final LayerNorm (prenorm), else NULL */
#define EE_ROPE_MAX_HALF 1024 /* head sizes up to 2048 */
  ee_layer *layers;             /* (L) owned */
  /* A cross-encoder's head (cfg->labels): its first Linear (pooler,
  ** pre_classifier or classifier.dense) and its second (classifier or
  ** classifier.out_proj); NULL for an embedding model. */
  const float *head_w[2], *head_b[2];
  const float *head_norm_g;     /* ModernBERT's head.norm after its first Linear, or NULL */
  st_file *files;               /* (n_files) owned; model.safetensors or shards */
  int n_files;
  float **owned;                /* (n_owned) converted / realigned tensors */
  int n_owned, cap_owned;
  char weights_file[EE_PATH_MAX]; /* model.safetensors or the index, for messages */
  const char *dtype;            /* "F32", "F16", "BF16" or "mixed" */
  int64_t n_params;             /* floats bound */
} ee_weights;

/* Open the weight files of dir and bind every tensor cfg needs. */
ee_status ee_weights_load(ee_weights *w, const char *dir, const ee_config *cfg, ee_error *err);
/* Lower level, for a module's own file: open the one safetensors file path
** into a zeroed w, bind tensors by name ([d0] or [d0, d1]; d1 < 0: 1-D; hint
** explains the expected shape), then unmap what nothing points into. */
ee_status ee_weights_open_file(ee_weights *w, const char *path, ee_error *err);
ee_status ee_weights_bind(ee_weights *w, const char *name, int64_t d0, int64_t d1,
                          const char *hint, const float **out, ee_error *err);
void ee_weights_unmap_unused(ee_weights *w);
void ee_weights_free(ee_weights *w); /* accepts a zeroed struct */
/* Free p if it is a buffer w owns (a tensor converted from F16, BF16 or a
** GGUF block type); a tensor used in place from the mapping, or NULL, is
** left alone.  model_load.c releases each layer's matrices once packed:
** nothing reads them after, and a converted model would otherwise hold its
** dense weights twice in memory. */
void ee_weights_release(ee_weights *w, const float *p);
int64_t ee_weights_bytes_mapped(const ee_weights *w);
/* Token id's row of the word embeddings as f32 (id < vocab_size; H the
** hidden size): a pointer into w, or buf (H floats) with the row converted
** from the file's dtype into it. */
const float *ee_word_row(const ee_weights *w, int32_t id, int H, float *buf);
/* Where that row's bytes are (*bytes of them), to prefetch. */
const void *ee_word_row_src(const ee_weights *w, int32_t id, int H, int64_t *bytes);

/* A Dense module's parameters (dense.c). */
typedef struct ee_dense {
  ee_weights w;                 /* <module>/model.safetensors */
  const float *weight;          /* (out, in) linear.weight */
  const float *bias;            /* (out) linear.bias, or NULL */
  const float *norm_g;          /* (out) the LayerNorm's weight when the config's norm is set */
} ee_dense;
/* Bind the weights of the Dense module d of the model in dir. */
ee_status ee_dense_load(ee_dense *dw, const char *dir, const ee_dense_cfg *d, ee_error *err);
void ee_dense_free(ee_dense *dw); /* accepts a zeroed struct */
/* y (d->out) = act(W x + b) for x (d->in); y and x do not overlap. */
void ee_dense_apply(const ee_dense *dw, const ee_dense_cfg *d, const float *x, float *y);

/* ------------------------------------------------------------------------
** the model (model_load.c)
*/
struct ee_model {
  ee_config cfg;                /* architecture + resolved pooling/normalize/max_length */
  ee_weights w;                 /* parameters */
  wp_tokenizer *tok;            /* owned */
  char *dir;                    /* owned copy of the directory */
  int threads;                  /* threads per context (params.threads or all cores) */
  void *packed;                 /* owned, unaligned base of every layer's packed weights */
  ee_pw *moe_pw;                /* owned: the experts' ee_pw of every MoE layer (ee_layer.moe_p) */
  int64_t packed_bytes;         /* bytes allocated at packed */
  int batch_size;               /* texts per forward pass in ee_embed_texts */
  ee_prompts prompts;           /* from config_sentence_transformers.json */
  ee_dense dense[EE_MAX_DENSE]; /* (cfg.n_dense) Dense modules' weights */
  char modules[640];            /* ee_info.modules */
};

/* Pack every layer's Linear weights (m->packed) at m->cfg.precision;
** EE_ERR_NOMEM on failure, EE_ERR_UNSUPPORTED for int8 past K = 65536. */
ee_status ee_model_pack(ee_model *m, ee_error *err);

/* Passes a context will run on its calling thread alone before trying its
** pool again: set to EE_POOL_SOLO_PASSES after a pass whose workers fell
** behind (embed.c, pass_pool); read by tests. */
#define EE_POOL_SOLO_PASSES 32
/* Passes of fewer tokens always run on the calling thread alone. */
#ifndef EE_POOL_MIN_TOKENS
#define EE_POOL_MIN_TOKENS 8 /* -D to measure another threshold */
#endif
int ee_context_solo_passes(const ee_context *ctx);

/* ------------------------------------------------------------------------
** interface to threadpool.c
*/
typedef struct ee_pool ee_pool;
/* nthreads - 1 workers (fewer if pthread_create fails); NULL on OOM. */
ee_pool *ee_pool_new(int nthreads);
void ee_pool_free(ee_pool *pool);             /* joins the workers; accepts NULL */
int ee_pool_threads(const ee_pool *pool);     /* caller included; 1 for NULL */
/* fn(arg, tid, nth) on every thread (tid 0 is the caller); returns when all
** are done.  pool may be NULL (runs fn(arg, 0, 1)). */
void ee_pool_run(ee_pool *pool, void (*fn)(void *arg, int tid, int nth), void *arg);
/* Stages since the last call in which the caller had to sleep until a
** worker finished (a worker not running: another core busy), and in
** *stages (if not NULL) all stages run on the workers since then; both
** counts are then reset. */
int ee_pool_take_late(ee_pool *pool, int *stages);

/* ------------------------------------------------------------------------
** interface to gemm_drive.c
*/
typedef struct ee_tiles ee_tiles;
/* What a precision's product hands to ee_gemm_drive: its register tile and
** the layout of its packed weights (each a struct embedding this one first,
** with its own operands after it). */
struct ee_tiles {
  /* C[0..mr) x [0..ncols) (rows from i, columns from col) from the np panels
  ** at B; bias and R are already offset (or NULL); pf: pf_step bytes to
  ** prefetch per step of the k loop (or NULL). */
  void (*tile)(const ee_tiles *t, float *C, int i, int mr, const char *B, int np, int col,
               int ncols, const float *bias, const float *R, const char *pf, int pf_step);
  const char *panels;  /* packed weights: panel p at panels + p * panel_bytes */
  int64_t panel_bytes; /* ksteps x 64: every layout has 64 bytes per panel per step */
  int ksteps;          /* steps of a tile's k loop */
  int mr, npan;        /* rows and panels of a whole tile */
  int ldc, ldr;        /* of C and R */
};
/* C (M, cols of panels [p0,p1) of np_all, N columns in all) = act(tiles +
** bias + R); C points at column p0 * EE_NR of its first row (the block
** alone may be a scratch of that width), bias and R at column 0; after: the
** first panel the caller will probably need once this range is done
** (fetched ahead), or -1. */
void ee_gemm_drive(const ee_tiles *t, float *C, int M, int N, int np_all, int p0, int p1,
                   int after, const float *bias, const float *R, int act);
/* Ask for the cache line at p ahead of its use (to L1 and L2). */
static inline void ee_prefetch(const void *p) {
#if defined(__GNUC__)
  __builtin_prefetch(p, 0, 3);
#else
  (void)p;
#endif
}

/* A tile's share of the prefetch plan: the bytes of step k. */
static inline void ee_prefetch_step(const char *pf, int64_t k, int pf_step) {
#if defined(__GNUC__)
  if (!pf) return;
  const char *q = pf + k * pf_step;
  __builtin_prefetch(q, 0, 2); /* to L2: the group is larger than L1 */
  if (pf_step > 64) __builtin_prefetch(q + 64, 0, 2);
#else
  (void)pf, (void)k, (void)pf_step;
#endif
}

/* ------------------------------------------------------------------------
** interface to kernels.c
*/
int64_t ee_pack_floats(int N, int K);         /* floats of a packed (N,K) weight */
/* Pack w (N,K) row-major into dst (64-byte aligned) and describe it in *pw. */
void ee_pack(ee_pw *pw, float *dst, const float *w, int N, int K);
/* C (M, cols of panels [p0,p1)) = act(A (M,K) . W^T + bias + R), C at
** column p0 * EE_NR as in ee_gemm_drive; bias (N) and R (M, ldr) may be
** NULL; act < 0 for none, else an ee_act; after as in ee_gemm_drive. */
void ee_gemm(float *C, int ldc, const float *A, int lda, int M, const ee_pw *W, int p0, int p1,
             int after, const float *bias, const float *R, int ldr, int act);
const char *ee_kernel_name(void);             /* "avx512", "avx2" or "generic" */

/* ------------------------------------------------------------------------
** interface to kernels_bf16.c
*/
uint16_t ee_bf16_from_float(float x);         /* round to nearest even, subnormals to 0 */
float ee_bf16_to_float(uint16_t b);
int64_t ee_pack_bf16_bytes(int N, int K);     /* bytes of a packed (N,K) weight */
/* Round w (N,K) to bfloat16 into dst (64-byte aligned), panels of K2 pairs. */
void ee_pack_bf16(ee_pw *pw, void *dst, const float *w, int N, int K);
/* dst (M, ldd) = bfloat16 of src (M, lds) for K columns, padded to an even
** count with a zero, in the active tile's layout: ee_bf16_act_width() == 1,
** one bfloat16 per value; == 2, one 32-bit float per value that holds the
** bfloat16 in its upper half and zeros below (what the AVX2 tile broadcasts
** without unpacking).  ldd (in halves) >= width * 2 * ceil(K / 2). */
void ee_to_bf16_rows(uint16_t *dst, int ldd, const float *src, int lds, int M, int K);
/* The same for scale * src (the product rounded once, as if src had been
** scaled first): attention's probabilities, normalised by the rounding. */
void ee_to_bf16_rows_scaled(uint16_t *dst, int ldd, const float *src, int lds, int M, int K,
                            float scale);
/* The same for scale * src, one bfloat16 per value whatever the tile
** (the rows packed weights are made from). */
void ee_bf16_round_rows(uint16_t *dst, int ldd, const float *src, int lds, int M, int K,
                        float scale);
int ee_bf16_act_width(void);
/* As ee_gemm, with A from ee_to_bf16_rows (rows of lda halves). */
void ee_gemm_bf16(float *C, int ldc, const uint16_t *A, int lda, int M, const ee_pw *W, int p0,
                  int p1, int after, const float *bias, const float *R, int ldr, int act);
const char *ee_bf16_kernel_name(void);        /* "avx512bf16", "avx2" or "generic" */
/* Tests only (no other thread may be in a product): re-pick the tile as if
** EE_KERNEL were force ("generic", "avx2"; NULL: the environment's). */
const char *ee_bf16_force(const char *force);

/* ------------------------------------------------------------------------
** interface to kernels_int8.c
*/
#define EE_INT8_MAX_K 65536                   /* int32 sums cannot overflow below */
int64_t ee_pack_int8_bytes(int N, int K);     /* bytes of a packed (N,K) weight */
/* Quantise w (N,K) per output feature into dst (64-byte aligned). */
void ee_pack_int8(ee_pw *pw, void *dst, const float *w, int N, int K);
/* dst (M, ldd) = int8 of src (M, lds) per row, + 128, padded to a multiple
** of 4 with 128; scale (M) = each row's max |x| / 127. */
void ee_quant_rows(uint8_t *dst, int ldd, float *scale, const float *src, int lds, int M, int K);
/* As ee_gemm, with A quantised by ee_quant_rows (rows of lda bytes, scales sa). */
void ee_gemm_int8(float *C, int ldc, const uint8_t *A, int lda, const float *sa, int M,
                  const ee_pw *W, int p0, int p1, int after, const float *bias, const float *R,
                  int ldr, int act);
const char *ee_int8_kernel_name(void);        /* "avx512vnni", "avxvnni", "avx2" or "generic" */
const char *ee_int8_force(const char *force); /* tests only, as ee_bf16_force */

/* ------------------------------------------------------------------------
** interface to forward.c
*/
/* Floats of arena needed for a packed batch of total_tokens tokens whose
** longest sequence has max_len tokens, with nthreads threads; -1 if it does
** not fit in int64. */
int64_t ee_arena_floats(const ee_config *cfg, int64_t total_tokens, int64_t max_len,
                        int nthreads);
/* Run the encoder on n sequences packed back to back (total_tokens tokens)
** in an arena of ee_arena_floats(cfg, total_tokens, max(lens), threads of
** pool) floats.  Inputs must already be validated (ids < V, types < TV,
** 1 <= len <= P); type_ids or any of its rows may be NULL (all 0).
** pooled: (n, cfg.out_dims) or NULL; hidden: (total_tokens,H) or NULL.
** pool_skip: tokens at the start of every sequence that mean and max
** pooling leave out (a prompt's, when include_prompt is false), else 0. */
void ee_forward(const ee_model *m, ee_pool *pool, float *arena, int n,
                const int32_t *const *ids, const int32_t *const *type_ids,
                const int32_t *lens, int64_t total_tokens, int pool_skip, float *pooled,
                float *hidden);
/* x (n) = act(x) in place, vectorised (GELU via ee_erf). */
void ee_act_row(float *x, int n, ee_act act);
/* y (n) = erf(x), vectorised; within 4.5e-7 relative (checked in test_engine.c). */
void ee_erf(float *y, const float *x, int64_t n);
/* Each of the rows of x (rows, cols) replaced by its softmax, in place. */
void ee_softmax_rows(float *x, int rows, int cols);
/* The same but for the last step: rows are left at exp(x - max) and inv[r]
** receives 1 / sum, the factor ee_softmax_rows multiplies row r by. */
void ee_softmax_rows_unscaled(float *x, int rows, int cols, float *inv);

/* ------------------------------------------------------------------------
** interface to attention.c
*/
/* Floats of scratch ee_attention_head (prec fp32 or int8) or
** ee_attention_head_bf16 (bf16) needs for sequences up to max_len tokens
** and heads of head_dim dimensions (64-byte aligned slices). */
int64_t ee_attention_scratch_floats(int64_t max_len, int head_dim, ee_precision prec);
/* out (L,d) (row stride ldo) = softmax(q k^T / sqrt(d) + B) v for one head
** of one sequence; q, k, v (L,d) with row stride ld; B[i][j] = rel[j - i]
** (MPNet's relative position bias, rel pointing at distance 0, |j - i| < L)
** or 0 when rel is NULL, and -inf where |j - i| > window (ModernBERT's
** local layers; window < 0: none); scratch: 64-byte aligned,
** ee_attention_scratch_floats(>= L, d) floats. */
void ee_attention_head(float *out, int ldo, const float *q, const float *k, const float *v,
                       int ld, int L, int d, const float *rel, int window, float *scratch);
/* The same with q, k / sqrt(d), the probabilities and v rounded to
** bfloat16 and both products on kernels_bf16.c (fp32 sums, bias and softmax). */
void ee_attention_head_bf16(float *out, int ldo, const float *q, const float *k, const float *v,
                            int ld, int L, int d, const float *rel, int window, float *scratch);

#endif

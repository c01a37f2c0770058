/*
** embed_engine.h — load a Hugging Face BERT-family model directory and turn
** texts into sentence vectors, in plain C (own SIMD kernels, no BLAS).
**
** Example:
**
**   ee_params params = ee_default_params();
**   ee_error err;
**   ee_model *model = NULL;
**   if (ee_model_load("models/all-MiniLM-L6-v2", &params, &model, &err) != EE_OK) {
**     fprintf(stderr, "%s\n", err.msg);
**     return 1;
**   }
**   ee_context *ctx = ee_context_new(model);
**   const char *texts[2] = {"hello world", "a second text"};
**   size_t lens[2] = {11, 13};
**   float *vectors = malloc(2 * ee_model_dims(model) * sizeof(float));
**   if (ee_embed_texts(ctx, 2, texts, lens, vectors, &err) != EE_OK) ...
**   ee_context_free(ctx);
**   ee_model_free(model);
**
** A model directory holds config.json, model.safetensors (or shards listed
** in model.safetensors.index.json), vocab.txt or tokenizer.json, and
** optionally the sentence-transformers files (modules.json,
** 1_Pooling/config.json, Dense modules, sentence_bert_config.json) that
** choose pooling, the layers after it, normalisation and the maximum length, and config_sentence_transformers.json
** whose prompts a caller may prepend to texts (ee_model_prompt).
**
** Thread safety: an ee_model is immutable after loading and may be shared by
** any number of threads; an ee_context (scratch memory) belongs to one thread
** at a time.  The engine never prints.  No SQLite here.
*/
#ifndef EMBED_ENGINE_H
#define EMBED_ENGINE_H
#include <stddef.h>
#include <stdint.h>
#include "../tokenizer/wordpiece.h"

typedef struct ee_model ee_model;     /* weights + tokenizer, shared, read-only */
typedef struct ee_context ee_context; /* per-thread activations arena */

typedef enum ee_status {
  EE_OK = 0,
  EE_ERR_NOMEM,        /* an allocation failed */
  EE_ERR_IO,           /* a file is missing or unreadable */
  EE_ERR_FORMAT,       /* a file is malformed, truncated or inconsistent */
  EE_ERR_UNSUPPORTED,  /* a valid file asks for something not implemented */
  EE_ERR_INPUT,        /* bad text (invalid UTF-8) or bad argument */
} ee_status;

typedef struct ee_error {
  ee_status code;
  char msg[512]; /* lowercase, no trailing period; names file/tensor/byte */
} ee_error;

/* sentence-transformers' pooling modes: the [CLS] vector, mean, max, mean
** divided by sqrt(token count) instead, mean weighted by position (1, 2,
** ...), the last token's vector. */
typedef enum ee_pooling {
  EE_POOL_DEFAULT = -1, EE_POOL_CLS = 0, EE_POOL_MEAN = 1, EE_POOL_MAX = 2,
  EE_POOL_MEAN_SQRT_LEN = 3, EE_POOL_WEIGHTED_MEAN = 4, EE_POOL_LAST = 5
} ee_pooling;
/* "cls", "mean", "max", "mean_sqrt_len_tokens", "weightedmean",
** "lasttoken"; NULL for anything else (EE_POOL_DEFAULT included). */
const char *ee_pooling_name(ee_pooling p);

/* Arithmetic of the dense layers (Q/K/V, attention output, FFN); attention,
** LayerNorm, GELU and pooling always run in fp32.
**   EE_PREC_FP32  float32 throughout (the reference)
**   EE_PREC_BF16  weights and activations rounded to bfloat16, products
**                 summed in fp32 (AVX512_BF16 where the CPU has it)
**   EE_PREC_INT8  weights int8 per output feature, activations int8 per
**                 token at run time, int32 sums (AVX512_VNNI / AVX-VNNI)
** Without the instructions a portable path computes the same results, slowly. */
typedef enum ee_precision { EE_PREC_FP32 = 0, EE_PREC_BF16 = 1, EE_PREC_INT8 = 2 } ee_precision;

typedef struct ee_params {
  ee_pooling pooling;  /* EE_POOL_DEFAULT: from 1_Pooling/config.json, else CLS */
  int normalize;       /* -1: from modules.json (Normalize module), else 0 */
  int max_length;      /* 0: sentence_bert_config.json max_seq_length, else max_position_embeddings */
  int threads;         /* threads per ee_context (its own pool); 0: all cores */
  int batch_size;      /* texts per forward pass in ee_embed_texts; 0: 32 */
  ee_precision precision; /* EE_PREC_FP32 (default), EE_PREC_BF16 or EE_PREC_INT8 */
  int truncate_dim;    /* 0: whole vectors; else keep their first truncate_dim values
                          (<= hidden_size, or the last Dense module's out_features), after
                          normalisation, as sentence-transformers' truncate_dim does for
                          Matryoshka-trained models */
} ee_params;

ee_params ee_default_params(void);

/* dir: a model directory, or a Hugging Face name such as
** "sentence-transformers/all-MiniLM-L6-v2" (see ee_model_locate). */
ee_status ee_model_load(const char *dir, const ee_params *params, ee_model **out, ee_error *err);

#define EE_MODEL_PATH_MAX 4096
/* Where the model `name` is: `name` itself when anything exists under it;
** else, if it is a Hugging Face repo id ("org/model", or "model", tried as
** "sentence-transformers/model" first as sentence-transformers does; an
** optional "@revision", default main), its snapshot directory in the local
** Hugging Face cache ($SENTENCE_TRANSFORMERS_HOME, then $HF_HUB_CACHE,
** $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub or ~/.cache/huggingface/hub,
** as huggingface_hub chooses).  Nothing is downloaded: a name not in the
** cache is EE_ERR_IO, naming what was looked for.  Then a directory without
** config.json holding .gguf files (a GGUF repository) means its one file, or,
** for "name:TAG" (llama.cpp's "repo:Q4_K_M"), the one whose name has TAG;
** anything else is EE_ERR_INPUT listing the files.  out: EE_MODEL_PATH_MAX bytes. */
ee_status ee_model_locate(const char *name, char *out, ee_error *err);
void ee_model_free(ee_model *model); /* accepts NULL */

typedef struct ee_info {
  const char *model_type;   /* config.json's: "bert", "distilbert", "mpnet", "roberta", "xlm-roberta" */
  const char *tokenizer;    /* the tokenizer's model: "WordPiece", "Unigram" or "BPE" */
  const char *dtype;        /* dtype of the weights on disk: "F32", "F16", "BF16"
                               ("mixed" if the tensors differ) */
  int hidden_size, num_layers, num_heads, intermediate_size;
  int dims;                 /* floats per vector: hidden_size (or the last Dense
                               module's out_features), or params.truncate_dim */
  int vocab_size, max_position_embeddings;
  int max_length;           /* tokens per text including [CLS]/[SEP] */
  ee_pooling pooling;
  int normalize;
  int64_t n_params;         /* number of weights */
  int64_t bytes_mapped;     /* bytes of weights files (safetensors or pytorch_model.bin) mmap'd */
  const char *precision;    /* "fp32", "bf16" or "int8" (ee_params.precision) */
  int64_t bytes_packed;     /* heap bytes of the dense layers' packed weights
                               (fp32, bf16 or int8 copy, biases included) */
  const char *kernel;       /* the dense layers' tile on this CPU: fp32 "avx512",
                               "avx2"; bf16 "avx512bf16", "avx2"; int8
                               "avx512vnni", "avxvnni", "avx2"; any "generic"
                               (EE_KERNEL in the environment can force one) */
  const char *prompts;      /* config_sentence_transformers.json's "prompts" as
                               compact JSON, keys sorted ("{}" if none) */
  const char *default_prompt_name; /* the prompt encode() applies unasked, or NULL */
  int include_prompt;       /* 0: the Pooling config leaves a prompt's tokens
                               out of mean and max pooling */
  const char *modules;      /* what follows the encoder, as applied (options
                               included), e.g. "Pooling(cls), Dense(768->768,
                               tanh), Normalize" */
  const char *dir;          /* the directory loaded: the path given, or the Hugging
                               Face cache snapshot a name resolved to */
  int labels;               /* a cross-encoder's scores per pair (config.json's
                               architectures *ForSequenceClassification): dims is
                               then labels, and it scores pairs (ee_score_pairs)
                               rather than embedding texts; 0 for an embedding model */
  const char *head;         /* that architectures entry, or NULL */
  const char *similarity;   /* config_sentence_transformers.json's similarity_fn_name:
                               "cosine" (also when absent), "dot", "euclidean" or
                               "manhattan" */
} ee_info;

/* info's strings point into the model: valid until ee_model_free. */
void ee_model_info(const ee_model *model, ee_info *info);
int ee_model_dims(const ee_model *model); /* floats per vector: ee_info.dims */
/* The prompt called name in config_sentence_transformers.json, or NULL.
** sentence-transformers embeds prompt + text (one string); so does a caller
** that wants its vectors. */
const char *ee_model_prompt(const ee_model *model, const char *name);
const wp_tokenizer *ee_model_tokenizer(const ee_model *model);

ee_context *ee_context_new(const ee_model *model); /* NULL on OOM */
void ee_context_free(ee_context *ctx);              /* accepts NULL */

/* Embed n texts (lens in bytes; texts may contain NUL) into out (n x dims,
** row-major).  Texts longer than max_length are truncated like Hugging Face.
** Texts are sorted by length and run in batches of params.batch_size so one
** long text does not pad the short ones.  A text gets the same vector alone or
** in any batch (within 1e-6). */
ee_status ee_embed_texts(ee_context *ctx, int n, const char *const *texts,
                         const size_t *lens, float *out, ee_error *err);
/* The same with prompt (NUL-terminated UTF-8; NULL or "" for none) before
** every text, joined into one string as sentence-transformers does
** (truncation counts the prompt's tokens).  When the model's Pooling config
** sets include_prompt false, mean and max pooling leave out the first
** tokens: [CLS] and as many as the prompt has alone, as
** sentence-transformers does. */
ee_status ee_embed_texts_prompted(ee_context *ctx, const char *prompt, int n,
                                  const char *const *texts, const size_t *lens, float *out,
                                  ee_error *err);

/* A cross-encoder's scores (ee_info.labels > 0) of n pairs (a[i], b[i])
** (lens in bytes; texts may contain NUL) into out (n x labels, row-major):
** each pair tokenized as one sequence ([CLS] a [SEP] b [SEP], type ids 0 then
** 1; <s> a </s></s> b </s> for RoBERTa), the longer text truncated first to
** max_length (Hugging Face's "longest_first"), then the head and its
** activation, as sentence-transformers' CrossEncoder.predict.  Batched and
** sorted as ee_embed_texts; an embedding model gives EE_ERR_INPUT, as
** ee_embed_texts does for a cross-encoder. */
ee_status ee_score_pairs(ee_context *ctx, int n, const char *const *a, const size_t *alens,
                         const char *const *b, const size_t *blens, float *out, ee_error *err);

/* Lower level: run the encoder on already tokenized sequences.
** ids[i] has lens[i] tokens (1..max_position_embeddings, ids < vocab_size);
** type_ids, or any row of it, may be NULL (all 0).  pooled: n x dims, after
** pooling and optional normalisation, or NULL to skip pooling.
** hidden: NULL, or room for sum(lens) x dims floats to receive each
** sequence's last hidden states, sequences one after another.
** Out-of-range ids, type ids or lengths give EE_ERR_INPUT. */
ee_status ee_embed_ids(ee_context *ctx, int n, const int32_t *const *ids,
                       const int32_t *const *type_ids, const int32_t *lens,
                       float *pooled, float *hidden, ee_error *err);

const char *ee_status_string(ee_status s);

#endif

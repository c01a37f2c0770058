/*
** test_engine.c — the encoder against PyTorch reference outputs.
**
**   TEST_MODELS=build/test-models build/tests/test_engine
**
** For every shape with a golden file tests/fixtures/models/<shape>/golden.json
** (+ golden.bin; env GOLDEN_DIR overrides the directory) and a generated
** model directory $TEST_MODELS/<shape> (default build/test-models;
** tests/tools/gen_model writes them), this:
**   - loads the model with default params and checks ee_info against the
**     golden header (model_type, dims, hidden_size, pooling, normalize,
**     max_length, include_prompt)
**     and the config (n_params, dtype, bytes_mapped);
**   - runs every id_case through ee_embed_ids: pooled vectors and, when
**     given, the hidden states of every valid position must be within 1e-4
**     of the reference (max abs diff printed on each PASS line);
**   - tokenizes every text_case and compares ids exactly, then runs
**     ee_embed_texts: vectors within 1e-4.  A case with a "prompt" is
**     tokenized as prompt + text (one string) and embedded with
**     ee_embed_texts_prompted; its "prompt_length" must be the prompt's own
**     token count less [SEP] (0 for "");
**   - batch invariance: each text alone, in the full batch (one call per
**     prompt) and with batch_size 3 must agree within 1e-6 (and each id
**     sequence alone vs in its case's batch);
**   - thread invariance: every id case with params.threads 1, 2 and 3 must
**     agree with the default within 1e-6.
** For a golden with "relative_position_buckets" (mpnet), without a model:
** ee_relative_position_bucket (attention.c) against torch's buckets (HF's
** MPNetEncoder.relative_position_bucket) of every relative position listed.
** And, without a model: the vectorised erf behind GELU (forward.c) against
** erf() in double on a dense grid, GELU rows of every length, and the
** packed matmul (kernels.c) on odd shapes (EE_KERNEL=generic|avx2|avx512
** selects the kernel to test).
**
** golden.json: {"shape", ["model_type": "distilbert"|"mpnet",] "dims",
**   ["hidden_size",] "pooling": "cls"|"mean"|"max", "normalize",
**   "max_length", ["include_prompt": false,] "id_cases": [{"name", "ids":
**   [[...]], "type_ids": [[...]] or null, "pooled_at": float index,
**   "hidden_at": float index or -1}], "text_cases": [{"name", ["prompt",
**   "prompt_length",] "texts": [...], "ids": [[...]], "pooled_at"}],
**   ["relative_position_buckets": {"num_buckets", "max_distance", "first",
**   "buckets": [bucket of first, first + 1, ...]}]}
**   (full format: tests/models/README.md)
** golden.bin: little-endian float32; pooled = n x dims; hidden = each
** sequence's valid positions, sequence after sequence (sum(len) x dims).
*/
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../engine/engine_int.h" /* ee_erf, ee_act_row */
#include "check.h"

#define TOL 1e-4
#define TOL_BATCH 1e-6
/* the goldens' directory: tests/fixtures/models, or env GOLDEN_DIR (a
** scratch set, e.g. one a sabotaged reference wrote, to see the checks fail) */
static const char *fixtures = "tests/fixtures/models";

static double max_abs_diff(const float *a, const float *b, size_t n) {
  double m = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - (double)b[i]);
    if (d > m || isnan(d)) m = isnan(d) ? INFINITY : d;
  }
  return m;
}

static float *read_floats(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  float *p = malloc(sz > 0 ? (size_t)sz : 1);
  if (p && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
    free(p);
    p = NULL;
  }
  fclose(f);
  *n = (size_t)sz / sizeof(float);
  return p;
}

/* A JSON array of int arrays -> n int32 arrays + lengths (malloc'd). */
typedef struct seqs { int n; int32_t **v; int32_t *len; int64_t total; } seqs;

static int seqs_from_json(const json_t *a, seqs *s) {
  memset(s, 0, sizeof *s);
  if (!json_is_array(a)) return 0;
  s->n = (int)json_array_size(a);
  s->v = calloc((size_t)s->n + 1, sizeof *s->v);
  s->len = calloc((size_t)s->n + 1, sizeof *s->len);
  for (int i = 0; i < s->n; i++) {
    const json_t *row = json_array_get(a, (size_t)i);
    s->len[i] = (int32_t)json_array_size(row);
    s->v[i] = malloc(sizeof(int32_t) * ((size_t)s->len[i] + 1));
    for (int j = 0; j < s->len[i]; j++)
      s->v[i][j] = (int32_t)json_integer_value(json_array_get(row, (size_t)j));
    s->total += s->len[i];
  }
  return 1;
}

static void seqs_free(seqs *s) {
  for (int i = 0; i < s->n; i++) free(s->v[i]);
  free(s->v);
  free(s->len);
}

static void check_info(const char *shape, const ee_model *m, const json_t *g) {
  ee_info in;
  ee_model_info(m, &in);
  static const char *pool_names[] = {"cls", "mean", "max"};
  const char *gp = json_string_value(json_object_get(g, "pooling"));
  /* "model_type" is written only where it is not BERT (distil: "distilbert",
  ** mpnet: "mpnet", xlmroberta: "xlm-roberta", roberta: "roberta", nomic: "nomic_bert",
  ** modernbert: "modernbert", gte: "new") */
  const json_t *gmt = json_object_get(g, "model_type");
  const char *want_mt = gmt ? json_string_value(gmt) : "bert";
  const int distil = want_mt && strcmp(want_mt, "distilbert") == 0;
  const int mpnet = want_mt && strcmp(want_mt, "mpnet") == 0;
  const int roberta = want_mt && (strcmp(want_mt, "xlm-roberta") == 0 || strcmp(want_mt, "roberta") == 0);
  const int nomic = want_mt && strcmp(want_mt, "nomic_bert") == 0;
  const int modernbert = want_mt && strcmp(want_mt, "modernbert") == 0;
  const int gte = want_mt && strcmp(want_mt, "new") == 0;
  /* JinaBert says model_type bert: the jina shapes are known by name */
  const int jina_code = strcmp(shape, "jina_code") == 0;
  const int jina = strcmp(shape, "jina") == 0 || strcmp(shape, "rerank_jina") == 0 || jina_code;
  CHECK(want_mt && in.model_type && strcmp(in.model_type, want_mt) == 0, "%s: info.model_type %s (golden %s)",
        shape, in.model_type ? in.model_type : "(null)", want_mt ? want_mt : "(not a string)");
  /* "hidden_size" differs from "dims" where Dense modules follow the pooling */
  const json_t *gh = json_object_get(g, "hidden_size"), *dense = json_object_get(g, "dense");
  CHECK_EQ_INT(in.hidden_size, json_integer_value(gh ? gh : json_object_get(g, "dims")), "%s: info.hidden_size", shape);
  CHECK_EQ_INT(ee_model_dims(m), json_integer_value(json_object_get(g, "dims")), "%s: ee_model_dims", shape);
  CHECK_EQ_INT(in.dims, ee_model_dims(m), "%s: info.dims", shape);
  CHECK(gp && in.pooling >= 0 && in.pooling <= 2 && strcmp(pool_names[in.pooling], gp) == 0,
        "%s: info.pooling %d matches golden '%s'", shape, (int)in.pooling, gp ? gp : "?");
  CHECK_EQ_INT(in.normalize, json_is_true(json_object_get(g, "normalize")), "%s: info.normalize", shape);
  CHECK_EQ_INT(in.max_length, json_integer_value(json_object_get(g, "max_length")), "%s: info.max_length", shape);
  /* written only where false (1_Pooling's include_prompt); sentence-transformers' default is true */
  const json_t *gip = json_object_get(g, "include_prompt");
  CHECK_EQ_INT(in.include_prompt, gip ? json_is_true(gip) : 1, "%s: info.include_prompt", shape);
  const char *want_dt = strcmp(shape, "f16") == 0 ? "F16" : strcmp(shape, "bf16") == 0 ? "BF16" : "F32";
  CHECK(strcmp(in.dtype, want_dt) == 0, "%s: info.dtype %s", shape, in.dtype);
  /* F32 weights stay mapped (used in place); so does an F16/BF16 file,
  ** whose word table is read in place (a row converted per token). */
  if (strcmp(want_dt, "F32") == 0)
    CHECK(in.bytes_mapped > in.n_params * 4, "%s: info.bytes_mapped %lld covers the weights", shape, (long long)in.bytes_mapped);
  else
    CHECK(in.bytes_mapped > in.n_params * 2 && in.bytes_mapped < in.n_params * 4,
          "%s: info.bytes_mapped %lld is the 16-bit file (the word table read in place)", shape,
          (long long)in.bytes_mapped);
  int64_t H = in.hidden_size, I = in.intermediate_size;
  /* word + position embeddings, the token-type table (type_vocab_size 2;
  ** XLM-RoBERTa's 1; DistilBERT and MPNet have none), the embeddings' LayerNorm and the
  ** layers (Q/K/V/O weights and biases, two LayerNorms, FFN up and down:
  ** the same count under BERT's, DistilBERT's and MPNet's names); MPNet adds
  ** encoder.relative_attention_bias, one (32 buckets x heads) table shared
  ** by all layers (relative_attention_num_buckets 32).  The pooler is not
  ** loaded, so it is not counted (MPNet's pooler.dense neither). */
  int64_t want = (int64_t)in.vocab_size * H + (int64_t)in.max_position_embeddings * H +
                 (distil || mpnet ? 0 : roberta ? H : 2 * H) + 2 * H +
                 in.num_layers * (4 * H * H + 4 * H + 2 * H + 2 * I * H + I + H + 2 * H) +
                 (mpnet ? 32 * (int64_t)in.num_heads : 0);
  /* NomicBert: no position table (rotary), no biases but the LayerNorms',
  ** a gated FFN (up, gate and down: 3 I H), the word table padded to 64 */
  if (nomic)
    want = (int64_t)in.vocab_size * H + 2 * H + 2 * H +
           in.num_layers * (4 * H * H + 2 * H + 3 * I * H + 2 * H);
  /* nomic-embed-text-v2-moe's layout (nomic_moe, activation_function gelu):
  ** one token type; Wqkv, out_proj, fc1 and fc2 with biases; in every layer
  ** l with l % moe_every_n_layers == 1 the router (E x H), the experts' w1
  ** and w2 (E I x H each) and their bias (H) instead of fc1 and fc2.  The
  ** counts are config.json's, read here. */
  char cpath[1100];
  snprintf(cpath, sizeof cpath, "%s/config.json", in.dir);
  json_t *cf = nomic ? json_load_file(cpath, 0, NULL) : NULL;
  const char *nact = json_string_value(json_object_get(cf, "activation_function"));
  const int nomic_moe = nact && strcmp(nact, "gelu") == 0;
  if (nomic_moe) {
    const int64_t E = json_integer_value(json_object_get(cf, "num_experts"));
    const int64_t every = json_integer_value(json_object_get(cf, "moe_every_n_layers"));
    want = (int64_t)in.vocab_size * H + H + 2 * H;
    for (int l = 0; l < in.num_layers; l++)
      want += 4 * H * H + 4 * H + 4 * H +
              (every > 0 && l % every == 1 ? E * H + 2 * E * I * H + H : 2 * I * H + I + H);
    CHECK(E > 1 && every > 0, "%s: config.json num_experts %lld, moe_every_n_layers %lld", shape,
          (long long)E, (long long)every);
  }
  json_decref(cf);
  /* ModernBERT: no position or token-type table, no biases at all (the
  ** LayerNorms' neither), Wqkv + Wo, Wi (input and gate: 2 I H) + mlp.Wo, an
  ** attn_norm in every layer but layer 0 (an Identity there), mlp_norm,
  ** embeddings.norm and final_norm (weights only) */
  if (modernbert)
    want = (int64_t)in.vocab_size * H + H + in.num_layers * (4 * H * H + 3 * I * H + 2 * H) - H + H;
  /* GTE: no position table (rotary), a token-type table of one row in
  ** rerank_gte (gte-multilingual's layout) and none in gte
  ** (gte-base-en-v1.5's type_vocab_size 0), BERT's biases but up_gate_proj
  ** (up and gate: 2 I H) without one */
  if (gte)
    want = (int64_t)in.vocab_size * H + (strcmp(shape, "rerank_gte") == 0 ? H : 0) + 2 * H +
           in.num_layers * (4 * H * H + 4 * H + 2 * H + 3 * I * H + H + 2 * H);
  /* JinaBert: no position table (ALiBi), two token types, BERT's attention,
  ** mlp.gated_layers (2 I H, no bias), mlp.wo and its bias, mlp.layernorm */
  if (jina)
    want = (int64_t)in.vocab_size * H + 2 * H + 2 * H +
           in.num_layers * (4 * H * H + 4 * H + 2 * H + 3 * I * H + H + 2 * H);
  /* its qk-post-norm variant (jina-embeddings-v2-base-code): mlp.up_gated_layer
  ** and down_layer in their place, plus layer_norm_q, layer_norm_k and
  ** layer_norm_1, each with its bias */
  if (jina_code) want += in.num_layers * 6 * H;
  /* A cross-encoder's head: H x H (+ H: its bias), then labels x H +
  ** labels.  ModernBERT's golden says how its first Linear differs
  ** ("dense_bias" false, "dense_activation" gelu, "dense_norm": a LayerNorm
  ** weight of H after it) and pools as golden "pooling" says; the others
  ** take token 0, tanh, a bias and no norm. */
  const json_t *head = json_object_get(g, "classifier");
  const int64_t labels = json_integer_value(json_object_get(head, "labels"));
  if (head) {
    const json_t *jb = json_object_get(head, "dense_bias"), *ja = json_object_get(head, "dense_activation");
    const int hbias = !json_is_false(jb), hnorm = json_is_true(json_object_get(head, "dense_norm"));
    want += H * H + (hbias ? H : 0) + (hnorm ? H : 0) + labels * H + labels;
    const char *arch = json_string_value(json_object_get(head, "architecture"));
    CHECK(in.labels == labels && arch && in.head && strcmp(in.head, arch) == 0,
          "%s: info.labels %d, head %s (golden %lld, %s)", shape, in.labels,
          in.head ? in.head : "(none)", (long long)labels, arch ? arch : "?");
    char want_mod[256];
    snprintf(want_mod, sizeof want_mod, "Pooling(%s), %s(%lld->%lld, %s%s; %lld->%lld, %s)",
             ja ? (gp ? gp : "?") : "cls", arch ? arch : "?", (long long)H, (long long)H,
             ja ? json_string_value(ja) : "tanh", hnorm ? ", LayerNorm" : "", (long long)H,
             (long long)labels, json_string_value(json_object_get(head, "activation")));
    CHECK(strcmp(in.modules, want_mod) == 0, "%s: info.modules '%s'", shape, in.modules);
  } else {
    CHECK(in.labels == 0 && !in.head, "%s: info.labels 0 (an embedding model)", shape);
  }
  size_t di;
  json_t *dm;
  json_array_foreach(dense, di, dm) {
    int64_t din = json_integer_value(json_object_get(dm, "in")), dout = json_integer_value(json_object_get(dm, "out"));
    want += din * dout + (json_is_true(json_object_get(dm, "bias")) ? dout : 0);
  }
  CHECK_EQ_INT(in.n_params, want, "%s: info.n_params (encoder, %s, Dense modules)", shape,
               mpnet ? "no token types, relative_attention_bias 32 x heads"
                     : distil ? "no token types" : roberta ? "type_vocab_size 1"
                     : nomic_moe ? "no positions, one token type, biases, Mixture-of-Experts layers"
                     : nomic ? "no positions, no biases, gated FFN"
                     : modernbert ? "no positions, no biases, gated FFN, no attn_norm in layer 0"
                     : gte ? "no positions, gated FFN without up bias"
                     : jina ? "no positions (ALiBi), gated FFN without gate bias"
                     : "type_vocab_size 2");
  CHECK(in.num_heads > 0 && H % in.num_heads == 0, "%s: info.num_heads %d", shape, in.num_heads);
  CHECK(ee_model_tokenizer(m) != NULL, "%s: ee_model_tokenizer", shape);
}

static void run_id_cases(const char *shape, ee_context *ctx, int H, int D, const json_t *cases,
                         const float *gold, size_t ngold) {
  size_t ci;
  json_t *c;
  json_array_foreach(cases, ci, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    seqs ids, types;
    seqs_from_json(json_object_get(c, "ids"), &ids);
    int has_types = seqs_from_json(json_object_get(c, "type_ids"), &types);
    json_int_t pat = json_integer_value(json_object_get(c, "pooled_at"));
    json_int_t hat = json_integer_value(json_object_get(c, "hidden_at"));
    float *pooled = calloc((size_t)ids.n * D, sizeof(float));
    float *hidden = calloc((size_t)ids.total * H + 1, sizeof(float));
    ee_error err = {0};
    ee_status rc = ee_embed_ids(ctx, ids.n, (const int32_t *const *)ids.v,
                                has_types ? (const int32_t *const *)types.v : NULL, ids.len,
                                pooled, hat >= 0 ? hidden : NULL, &err);
    CHECK_EQ_INT(rc, EE_OK, "%s/%s: ee_embed_ids (%s)", shape, name, err.msg);
    if (pat >= 0 && (size_t)pat + (size_t)ids.n * D <= ngold) {
      double d = max_abs_diff(pooled, gold + pat, (size_t)ids.n * D);
      CHECK(d <= TOL, "%s/%s: pooled of %d sequences, max diff %.3g", shape, name, ids.n, d);
    } else {
      CHECK(0, "%s/%s: pooled_at inside golden.bin", shape, name);
    }
    if (hat >= 0) {
      if ((size_t)hat + (size_t)ids.total * H <= ngold) {
        double d = max_abs_diff(hidden, gold + hat, (size_t)ids.total * H);
        CHECK(d <= TOL, "%s/%s: hidden states of %lld tokens, max diff %.3g", shape, name,
              (long long)ids.total, d);
      } else {
        CHECK(0, "%s/%s: hidden_at inside golden.bin", shape, name);
      }
    }
    /* Batch invariance: each sequence alone vs in the batch. */
    double worst = 0.0;
    float *one = calloc((size_t)D, sizeof(float));
    for (int i = 0; i < ids.n; i++) {
      const int32_t *const *tp = has_types ? (const int32_t *const *)&types.v[i] : NULL;
      rc = ee_embed_ids(ctx, 1, (const int32_t *const *)&ids.v[i], tp, &ids.len[i], one, NULL, &err);
      if (rc != EE_OK) worst = INFINITY;
      double d = max_abs_diff(one, pooled + (size_t)i * D, (size_t)D);
      if (d > worst) worst = d;
    }
    CHECK(worst <= TOL_BATCH, "%s/%s: each sequence alone vs in the batch, max diff %.3g", shape,
          name, worst);
    free(one);
    free(pooled);
    free(hidden);
    seqs_free(&ids);
    if (has_types) seqs_free(&types);
  }
}

/* Pooling modes the golden files do not pool with: for a case with hidden
** states, pool the reference hidden states in double (cls, mean, max; with
** and without L2 normalisation) and compare with the engine's pooled output
** under params overrides. */
static void check_pooling_modes(const char *shape, const char *dir, int H, const json_t *cases,
                                const float *gold, size_t ngold) {
  size_t ci;
  json_t *c;
  json_array_foreach(cases, ci, c) {
    json_int_t hat = json_integer_value(json_object_get(c, "hidden_at"));
    if (hat < 0 || !json_is_null(json_object_get(c, "type_ids"))) continue;
    seqs ids;
    seqs_from_json(json_object_get(c, "ids"), &ids);
    if ((size_t)hat + (size_t)ids.total * H > ngold) {
      seqs_free(&ids);
      continue;
    }
    float *got = calloc((size_t)ids.n * H, sizeof(float));
    double *want = calloc((size_t)H, sizeof(double));
    for (int mode = 0; mode < 6; mode++)
      for (int norm = 0; norm < 2; norm++) {
        ee_params p = ee_default_params();
        p.pooling = (ee_pooling)mode, p.normalize = norm;
        ee_model *m = NULL;
        ee_error err = {0};
        double worst = INFINITY;
        if (ee_model_load(dir, &p, &m, &err) == EE_OK) {
          ee_context *ctx = ee_context_new(m);
          if (ctx && ee_embed_ids(ctx, ids.n, (const int32_t *const *)ids.v, NULL, ids.len, got,
                                  NULL, &err) == EE_OK) {
            worst = 0;
            const float *h = gold + hat;
            for (int sq = 0; sq < ids.n; sq++) {
              /* sentence-transformers' modes: 0 cls, 1 mean, 2 max, 3 mean_sqrt_len_tokens
              ** (sum / sqrt(len)), 4 weightedmean (position j + 1 weighs token j), 5 lasttoken */
              const int L = ids.len[sq];
              for (int i = 0; i < H; i++) {
                double sum = 0, wsum = 0, mx = -INFINITY;
                for (int j = 0; j < L; j++) {
                  double x = h[(size_t)j * H + i], w = mode == 4 ? j + 1.0 : 1.0;
                  sum += w * x, wsum += w, mx = fmax(mx, x);
                }
                want[i] = mode == 0 ? h[i] : mode == 1 ? sum / L : mode == 2 ? mx
                        : mode == 3 ? sum / sqrt((double)L) : mode == 4 ? sum / wsum
                        : h[(size_t)(L - 1) * H + i];
              }
              if (norm) {
                double ss = 0;
                for (int i = 0; i < H; i++) ss += want[i] * want[i];
                for (int i = 0; i < H; i++) want[i] /= fmax(sqrt(ss), 1e-12);
              }
              for (int i = 0; i < H; i++)
                worst = fmax(worst, fabs(got[(size_t)sq * H + i] - want[i]));
              h += (size_t)ids.len[sq] * H;
            }
          }
          ee_context_free(ctx);
          ee_model_free(m);
        }
        static const char *names[] = {"cls", "mean", "max", "mean_sqrt_len_tokens", "weightedmean",
                                      "lasttoken"};
        CHECK(worst <= TOL, "%s/%s: %s pooling%s vs pooled reference hidden states, max diff %.3g",
              shape, json_string_value(json_object_get(c, "name")), names[mode],
              norm ? " + normalize" : "", worst);
      }
    free(got);
    free(want);
    seqs_free(&ids);
  }
}

/* All texts of all cases, for the batch-invariance check, each with its
** case's prompt (NULL: the case has none and was embedded by ee_embed_texts). */
typedef struct textset { int n, cap; const char **t; size_t *len; const char **prompt; float *vec; } textset;

/* Embeds n texts with prompt (NULL: ee_embed_texts, the path the cases
** without a prompt were checked on). */
static ee_status embed_prompted(ee_context *ctx, const char *prompt, int n, const char *const *t,
                                const size_t *len, float *out, ee_error *err) {
  return prompt ? ee_embed_texts_prompted(ctx, prompt, n, t, len, out, err)
                : ee_embed_texts(ctx, n, t, len, out, err);
}

static int same_prompt(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* A cross-encoder's text cases: "pairs" [[a, b], ...] with the reference
** tokenizer's "ids" and "type_ids" of each pair, and the scores at
** "pooled_at".  wp_encode_pair must give those ids, ee_score_pairs those
** scores, and every pair alone the scores of the whole case in one call. */
static void run_pair_case(const char *shape, const ee_model *m, ee_context *ctx, int D,
                          const json_t *c, const float *gold, size_t ngold) {
  const char *name = json_string_value(json_object_get(c, "name"));
  const json_t *pairs = json_object_get(c, "pairs");
  const int n = (int)json_array_size(pairs);
  ee_info in;
  ee_model_info(m, &in);
  seqs gids, gtypes;
  seqs_from_json(json_object_get(c, "ids"), &gids);
  seqs_from_json(json_object_get(c, "type_ids"), &gtypes);
  const char **a = calloc((size_t)n + 1, sizeof *a), **b = calloc((size_t)n + 1, sizeof *b);
  size_t *al = calloc((size_t)n + 1, sizeof *al), *bl = calloc((size_t)n + 1, sizeof *bl);
  float *score = calloc((size_t)n * D + 1, sizeof(float)), *alone = calloc((size_t)D + 1, sizeof(float));
  int tok_ok = gids.n == n && gtypes.n == n;
  wp_encoding enc = {0};
  for (int i = 0; i < n; i++) {
    const json_t *pr = json_array_get(pairs, (size_t)i);
    a[i] = json_string_value(json_array_get(pr, 0)), al[i] = json_string_length(json_array_get(pr, 0));
    b[i] = json_string_value(json_array_get(pr, 1)), bl[i] = json_string_length(json_array_get(pr, 1));
    wp_error werr;
    if (!tok_ok || !a[i] || !b[i] ||
        wp_encode_pair(ee_model_tokenizer(m), a[i], al[i], b[i], bl[i], in.max_length, &enc, &werr) != WP_OK ||
        enc.n != gids.len[i] || memcmp(enc.ids, gids.v[i], sizeof(int32_t) * (size_t)enc.n) != 0 ||
        memcmp(enc.type_ids, gtypes.v[i], sizeof(int32_t) * (size_t)enc.n) != 0) {
      printf("  note: %s/%s pair %d tokenizes differently (%d tokens, golden %d)\n", shape, name, i,
             enc.n, i < gids.n ? gids.len[i] : -1);
      tok_ok = 0;
    }
  }
  wp_encoding_free(&enc);
  CHECK(tok_ok, "%s/%s: wp_encode_pair gives the golden ids and type ids of %d pairs", shape, name, n);
  ee_error err = {0};
  ee_status rc = ee_score_pairs(ctx, n, a, al, b, bl, score, &err);
  CHECK_EQ_INT(rc, EE_OK, "%s/%s: ee_score_pairs (%s)", shape, name, err.msg);
  json_int_t pat = json_integer_value(json_object_get(c, "pooled_at"));
  if (pat >= 0 && (size_t)pat + (size_t)n * D <= ngold)
    CHECK(max_abs_diff(score, gold + pat, (size_t)n * D) <= TOL, "%s/%s: scores of %d pairs, max diff %.3g",
          shape, name, n, max_abs_diff(score, gold + pat, (size_t)n * D));
  else
    CHECK(0, "%s/%s: pooled_at inside golden.bin", shape, name);
  double worst = 0.0;
  for (int i = 0; i < n && rc == EE_OK; i++) {
    if (ee_score_pairs(ctx, 1, a + i, al + i, b + i, bl + i, alone, &err) != EE_OK) worst = INFINITY;
    worst = fmax(worst, max_abs_diff(alone, score + (size_t)i * D, (size_t)D));
  }
  CHECK(worst <= TOL_BATCH, "%s/%s: each pair alone vs the %d together, max diff %.3g", shape, name,
        n, worst);
  seqs_free(&gids);
  seqs_free(&gtypes);
  free(a), free(b), free(al), free(bl), free(score), free(alone);
}

static void run_text_cases(const char *shape, const ee_model *m, ee_context *ctx, int D,
                           const json_t *cases, const float *gold, size_t ngold, textset *all) {
  size_t ci;
  json_t *c;
  ee_info in;
  ee_model_info(m, &in);
  json_array_foreach(cases, ci, c) {
    if (json_object_get(c, "pairs")) {
      run_pair_case(shape, m, ctx, D, c, gold, ngold);
      continue;
    }
    const char *name = json_string_value(json_object_get(c, "name"));
    const json_t *texts = json_object_get(c, "texts");
    int n = (int)json_array_size(texts);
    /* A case with a prompt: every text is prompt + text, as sentence-transformers
    ** joins them (the golden ids are the joined string's). */
    const json_t *jp = json_object_get(c, "prompt");
    const char *prompt = json_string_value(jp);
    const size_t plen = prompt ? json_string_length(jp) : 0;
    seqs gids;
    seqs_from_json(json_object_get(c, "ids"), &gids);
    const char **tv = calloc((size_t)n + 1, sizeof *tv);
    size_t *tl = calloc((size_t)n + 1, sizeof *tl);
    for (int i = 0; i < n; i++) {
      tv[i] = json_string_value(json_array_get(texts, (size_t)i));
      tl[i] = json_string_length(json_array_get(texts, (size_t)i));
    }
    /* Tokenization must give the golden ids.  (The engine takes the prompt
    ** NUL-terminated: a golden prompt holding a NUL could not be passed.) */
    int tok_ok = gids.n == n && (!jp || (prompt && strlen(prompt) == plen));
    wp_encoding enc = {0};
    char *joined = NULL;
    for (int i = 0; i < n && tok_ok; i++) {
      wp_error werr;
      const char *t = tv[i];
      if (prompt) {
        free(joined);
        joined = malloc(plen + tl[i] + 1);
        if (!joined) {
          tok_ok = 0;
          break;
        }
        memcpy(joined, prompt, plen);
        memcpy(joined + plen, tv[i], tl[i]);
        t = joined;
      }
      if (wp_encode(ee_model_tokenizer(m), t, plen + tl[i], in.max_length, &enc, &werr) != WP_OK ||
          enc.n != gids.len[i] || memcmp(enc.ids, gids.v[i], sizeof(int32_t) * (size_t)enc.n) != 0) {
        printf("  note: %s/%s text %d tokenizes differently (%d tokens, golden %d)\n", shape,
               name, i, enc.n, gids.len[i]);
        tok_ok = 0;
      }
    }
    free(joined);
    CHECK(tok_ok, "%s/%s: tokenizer gives the golden ids for %d %stexts", shape, name, n,
          prompt ? "prompt + " : "");
    /* sentence-transformers' prompt_length (the tokens include_prompt false
    ** pools without): the prompt alone, [CLS] ... [SEP], less its [SEP]; no
    ** prompt is applied for "".  The golden took it from the HF tokenizer. */
    const json_t *jpl = json_object_get(c, "prompt_length");
    if (prompt || jpl) {
      int pl = 0;
      wp_error werr;
      if (plen > 0)
        pl = wp_encode(ee_model_tokenizer(m), prompt, plen, in.max_length, &enc, &werr) == WP_OK ? enc.n - 1 : -1;
      CHECK(json_is_integer(jpl) && json_integer_value(jpl) == pl,
            "%s/%s: prompt_length %d ([CLS] + the prompt's tokens; golden %lld)", shape, name, pl,
            (long long)json_integer_value(jpl));
    }
    wp_encoding_free(&enc);

    float *vec = calloc((size_t)n * D, sizeof(float));
    ee_error err = {0};
    ee_status rc = embed_prompted(ctx, prompt, n, tv, tl, vec, &err);
    CHECK_EQ_INT(rc, EE_OK, "%s/%s: %s (%s)", shape, name,
                 prompt ? "ee_embed_texts_prompted" : "ee_embed_texts", err.msg);
    json_int_t pat = json_integer_value(json_object_get(c, "pooled_at"));
    if (pat >= 0 && (size_t)pat + (size_t)n * D <= ngold) {
      double d = max_abs_diff(vec, gold + pat, (size_t)n * D);
      if (prompt)
        CHECK(d <= TOL, "%s/%s: vectors of %d texts with prompt \"%s\", max diff %.3g", shape, name, n,
              prompt, d);
      else
        CHECK(d <= TOL, "%s/%s: vectors of %d texts, max diff %.3g", shape, name, n, d);
    } else {
      CHECK(0, "%s/%s: pooled_at inside golden.bin", shape, name);
    }
    for (int i = 0; i < n; i++) {
      if (all->n == all->cap) {
        all->cap = all->cap ? 2 * all->cap : 64;
        all->t = realloc(all->t, sizeof *all->t * (size_t)all->cap);
        all->len = realloc(all->len, sizeof *all->len * (size_t)all->cap);
        all->prompt = realloc(all->prompt, sizeof *all->prompt * (size_t)all->cap);
        all->vec = realloc(all->vec, sizeof(float) * (size_t)all->cap * D);
      }
      all->t[all->n] = tv[i];
      all->len[all->n] = tl[i];
      all->prompt[all->n] = prompt; /* owned by the golden JSON, alive until run_shape ends */
      memcpy(all->vec + (size_t)all->n * D, vec + (size_t)i * D, sizeof(float) * D);
      all->n++;
    }
    free(vec);
    free(tv);
    free(tl);
    seqs_free(&gids);
  }
}

/* Embeds every text of all into out (all->n x D), each with its own prompt:
** the engine takes one prompt a call, so the texts are embedded one prompt
** group at a time (every text sharing a prompt in one call, in their order),
** which keeps a batch as large as the golden's cases allow; a shape whose
** cases have no prompt is one group, all its texts in a single call.
** *calls gets the number of calls.  Returns 0 if any call failed. */
static int embed_all(ee_context *ctx, const textset *all, int D, float *out, int *calls) {
  const char **t = calloc((size_t)all->n + 1, sizeof *t);
  size_t *len = calloc((size_t)all->n + 1, sizeof *len);
  int *idx = calloc((size_t)all->n + 1, sizeof *idx);
  char *done = calloc((size_t)all->n + 1, 1);
  float *vec = calloc((size_t)all->n * D + 1, sizeof(float));
  int ok = t && len && idx && done && vec;
  *calls = 0;
  for (int i = 0; ok && i < all->n; i++) {
    if (done[i]) continue;
    int k = 0;
    for (int j = i; j < all->n; j++)
      if (!done[j] && same_prompt(all->prompt[j], all->prompt[i])) {
        t[k] = all->t[j], len[k] = all->len[j], idx[k++] = j;
        done[j] = 1;
      }
    ee_error err = {0};
    ok = embed_prompted(ctx, all->prompt[i], k, t, len, vec, &err) == EE_OK;
    for (int q = 0; ok && q < k; q++)
      memcpy(out + (size_t)idx[q] * D, vec + (size_t)q * D, sizeof(float) * D);
    (*calls)++;
  }
  free(t), free(len), free(idx), free(done), free(vec);
  return ok;
}

/* Every text alone, all together, and all with batch_size 3: same vectors
** (each text with its case's prompt throughout). */
static void check_text_batches(const char *shape, const char *dir, ee_context *ctx, int D,
                               const textset *all) {
  if (all->n == 0) return;
  float *alone = calloc((size_t)all->n * D, sizeof(float));
  float *together = calloc((size_t)all->n * D, sizeof(float));
  ee_error err = {0};
  int ok = 1, calls = 0;
  for (int i = 0; i < all->n; i++)
    ok &= embed_prompted(ctx, all->prompt[i], 1, &all->t[i], &all->len[i], alone + (size_t)i * D, &err) == EE_OK;
  ok &= embed_all(ctx, all, D, together, &calls);
  double d1 = max_abs_diff(alone, all->vec, (size_t)all->n * D);
  double d2 = max_abs_diff(together, all->vec, (size_t)all->n * D);
  CHECK(ok && d1 <= TOL_BATCH && d2 <= TOL_BATCH,
        "%s: %d texts alone / all in %d call(s) (one per prompt) vs per case, max diff %.3g / %.3g", shape,
        all->n, calls, d1, d2);
  ee_params p = ee_default_params();
  p.batch_size = 3;
  ee_model *m3 = NULL;
  if (ee_model_load(dir, &p, &m3, &err) == EE_OK) {
    ee_context *c3 = ee_context_new(m3);
    ok = c3 && embed_all(c3, all, D, together, &calls);
    double d3 = max_abs_diff(together, all->vec, (size_t)all->n * D);
    CHECK(ok && d3 <= TOL_BATCH, "%s: %d texts with batch_size 3 vs 32, max diff %.3g", shape,
          all->n, d3);
    ee_context_free(c3);
    ee_model_free(m3);
  } else {
    CHECK(0, "%s: reload with batch_size 3 (%s)", shape, err.msg);
  }
  free(alone);
  free(together);
}

/* ee_gemm (kernels.c, the kernel this CPU picks or EE_KERNEL forces) on
** odd shapes vs double: partial panels and row tiles, bias, residual, GELU,
** and a split of the panels in two (as two threads do) giving the same. */
static void check_gemm(void) {
  static const int shapes[][3] = {{1, 16, 8}, {13, 37, 29}, {9, 48, 64}, {50, 33, 17}, {7, 70, 5}};
  double worst = 0.0, worst_split = 0.0;
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
    int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
    float *A = malloc(sizeof(float) * M * K), *W = malloc(sizeof(float) * N * K);
    float *bias = malloc(sizeof(float) * N), *R = malloc(sizeof(float) * M * N);
    float *C = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    float *raw = malloc(sizeof(float) * ((size_t)ee_pack_floats(N, K) + 16));
    float *pk = raw + (16 - ((uintptr_t)raw / sizeof(float)) % 16) % 16;
    for (int i = 0; i < M * K; i++) A[i] = (float)((i * 37 % 101) - 50) / 50.0f;
    for (int i = 0; i < N * K; i++) W[i] = (float)((i * 53 % 97) - 48) / 97.0f;
    for (int i = 0; i < N; i++) bias[i] = (float)(i % 7) * 0.1f - 0.3f;
    for (int i = 0; i < M * N; i++) R[i] = (float)(i % 11) * 0.05f;
    ee_pw pw;
    ee_pack(&pw, pk, W, N, K);
    for (int act = -1; act <= 0; act++) {
      ee_gemm(C, N, A, K, M, &pw, 0, pw.np, -1, bias, act < 0 ? R : NULL, N, act);
      int half = (pw.np / 2) & ~1;
      ee_gemm(C2, N, A, K, M, &pw, 0, half, half, bias, act < 0 ? R : NULL, N, act);
      ee_gemm(C2 + half * EE_NR, N, A, K, M, &pw, half, pw.np, pw.np, bias, act < 0 ? R : NULL, N,
              act); /* C at the range's first column */
      for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
          double acc = 0.0;
          for (int k = 0; k < K; k++) acc += (double)A[i * K + k] * W[j * K + k];
          acc += bias[j];
          if (act < 0) acc += R[i * N + j];
          else acc = 0.5 * acc * (1.0 + erf(acc / sqrt(2.0)));
          worst = fmax(worst, fabs(C[i * N + j] - acc) / fmax(1.0, fabs(acc)));
          worst_split = fmax(worst_split, fabs(C[i * N + j] - C2[i * N + j]));
        }
    }
    free(A), free(W), free(bias), free(R), free(C), free(C2), free(raw);
  }
  CHECK(worst <= 1e-5, "ee_gemm (%s kernel) on odd shapes vs double: max error %.3g",
        ee_kernel_name(), worst);
  CHECK(worst_split == 0.0, "ee_gemm (%s kernel) split in two column ranges: max diff %.3g",
        ee_kernel_name(), worst_split);
}

/* Runs every id case through a fresh model loaded with p; out[ci] gets case
** ci's hidden states (malloc'd, NULL where it failed).  Returns 0 if any
** step failed. */
static int embed_cases(const char *dir, const ee_params *p, int H, const json_t *cases,
                       float **out) {
  ee_model *m = NULL;
  ee_error err = {0};
  int ok = ee_model_load(dir, p, &m, &err) == EE_OK;
  ee_context *ctx = ok ? ee_context_new(m) : NULL;
  ok = ok && ctx;
  size_t ci;
  json_t *c;
  json_array_foreach(cases, ci, c) {
    out[ci] = NULL;
    if (!ok) continue;
    seqs ids, types;
    seqs_from_json(json_object_get(c, "ids"), &ids);
    int has_types = seqs_from_json(json_object_get(c, "type_ids"), &types);
    const int32_t *const *tp = has_types ? (const int32_t *const *)types.v : NULL;
    out[ci] = calloc((size_t)ids.total * H + 1, sizeof(float));
    if (!out[ci] || ee_embed_ids(ctx, ids.n, (const int32_t *const *)ids.v, tp, ids.len, NULL,
                                 out[ci], &err) != EE_OK) {
      free(out[ci]);
      out[ci] = NULL;
      ok = 0;
    }
    seqs_free(&ids);
    if (has_types) seqs_free(&types);
  }
  ee_context_free(ctx);
  ee_model_free(m);
  return ok;
}

/* Every id case run with 1, 2 and 3 threads vs the default params (whose
** outputs are computed once: this check is most of test_engine's time under
** the sanitizers). */
static void check_threads(const char *shape, const char *dir, int H, const json_t *cases) {
  const size_t n = json_array_size(cases);
  float **ref = calloc(n + 1, sizeof *ref), **got = calloc(n + 1, sizeof *got);
  ee_params p0 = ee_default_params();
  const int ref_ok = ref && got && embed_cases(dir, &p0, H, cases, ref);
  for (int nt = 1; nt <= 3; nt++) {
    ee_params p = ee_default_params();
    p.threads = nt;
    double worst = INFINITY;
    if (ref_ok && embed_cases(dir, &p, H, cases, got)) {
      worst = 0.0;
      size_t ci;
      json_t *c;
      json_array_foreach(cases, ci, c) {
        seqs ids;
        seqs_from_json(json_object_get(c, "ids"), &ids);
        worst = fmax(worst, max_abs_diff(got[ci], ref[ci], (size_t)ids.total * H));
        seqs_free(&ids);
      }
    }
    for (size_t ci = 0; got && ci < n; ci++) free(got[ci]);
    CHECK(worst <= TOL_BATCH, "%s: hidden states of every id case with %d thread(s) vs default, max diff %.3g",
          shape, nt, worst);
  }
  for (size_t ci = 0; ref && ci < n; ci++) free(ref[ci]);
  free(ref);
  free(got);
}

/* ee_erf against erf() in double: relative error on a dense grid of
** [-8, 8] plus tiny arguments, and GELU rows (every tail length).  The
** bound, 4.5e-7 (a few ulp), is what the rational erf keeps in float with
** or without FMA contraction; it moves GELU by under 1e-6 of max(1, |x|),
** far inside the 1e-4 contract on the vectors. */
static void check_erf(void) {
  enum { N = 400001 };
  float *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) x[i] = -8.0f + 16.0f * (float)i / (float)(N - 1);
  ee_erf(y, x, N);
  double worst_rel = 0.0, at = 0.0;
  for (int i = 0; i < N; i++) {
    double ref = erf((double)x[i]);
    double rel = ref != 0.0 ? fabs(y[i] - ref) / fabs(ref) : fabs((double)y[i]);
    if (rel > worst_rel || isnan(rel)) worst_rel = isnan(rel) ? INFINITY : rel, at = x[i];
  }
  CHECK(worst_rel <= 4.5e-7, "ee_erf on %d points of [-8, 8]: max relative error %.3g (at %.6g)",
        N, worst_rel, at);
  for (int i = 0; i < N; i++) x[i] = ldexpf(1.0f + (float)(i % 1000) / 1000.0f, -(i / 1000) % 120) * (i % 2 ? -1.0f : 1.0f);
  ee_erf(y, x, N);
  worst_rel = 0.0;
  for (int i = 0; i < N; i++) {
    double ref = erf((double)x[i]);
    double rel = fabs(y[i] - ref) / fabs(ref);
    if (rel > worst_rel || isnan(rel)) worst_rel = isnan(rel) ? INFINITY : rel, at = x[i];
  }
  CHECK(worst_rel <= 4.5e-7, "ee_erf on tiny arguments 2^-120..2: max relative error %.3g (at %.6g)",
        worst_rel, at);
  /* special values: NaN stays NaN, erf(+-Inf) = +-1, the sign of zero kept */
  x[0] = NAN, x[1] = INFINITY, x[2] = -INFINITY, x[3] = -0.0f, x[4] = 0.0f;
  ee_erf(y, x, 5);
  CHECK(isnan(y[0]) && y[1] == 1.0f && y[2] == -1.0f && y[3] == 0.0f && signbit(y[3]) &&
            y[4] == 0.0f && !signbit(y[4]),
        "ee_erf(NaN, Inf, -Inf, -0, 0) = (%g, %g, %g, %g, %g)", y[0], y[1], y[2], y[3], y[4]);
  /* GELU rows of lengths 1..37 (vector body and tails). */
  double worst_abs = 0.0;
  for (int n = 1; n <= 37; n++) {
    for (int i = 0; i < n; i++) x[i] = -7.0f + 0.37f * (float)(i * n % 41);
    memcpy(y, x, sizeof(float) * (size_t)n);
    ee_act_row(y, n, EE_ACT_GELU);
    for (int i = 0; i < n; i++) {
      double u = x[i], ref = 0.5 * u * (1.0 + erf(u / sqrt(2.0)));
      worst_abs = fmax(worst_abs, fabs(y[i] - ref) / fmax(1.0, fabs(u)));
    }
  }
  CHECK(worst_abs <= 4e-7, "GELU rows of 1..37 floats vs double: max error %.3g (relative to max(1,|x|))",
        worst_abs);
  free(x);
  free(y);
}

/* golden.json's "relative_position_buckets" (mpnet: torch's buckets, as HF's
** MPNetEncoder.relative_position_bucket computes them in float32, of every
** relative position key - query from "first" on) against the engine's
** ee_relative_position_bucket.  Needs no model. */
static void check_relative_buckets(const char *shape) {
  char gpath[1024];
  snprintf(gpath, sizeof gpath, "%s/%s/golden.json", fixtures, shape);
  json_error_t jerr;
  json_t *g = json_load_file(gpath, JSON_ALLOW_NUL, &jerr);
  const json_t *rb = g ? json_object_get(g, "relative_position_buckets") : NULL;
  if (!rb) {
    json_decref(g);
    return;
  }
  const json_t *b = json_object_get(rb, "buckets");
  const int nb = (int)json_integer_value(json_object_get(rb, "num_buckets"));
  const int maxd = (int)json_integer_value(json_object_get(rb, "max_distance"));
  const int first = (int)json_integer_value(json_object_get(rb, "first"));
  const int n = (int)json_array_size(b);
  int bad = 0, bad_at = 0, bad_got = 0, bad_want = 0;
  for (int i = 0; i < n; i++) {
    const int want = (int)json_integer_value(json_array_get(b, (size_t)i));
    const int got = ee_relative_position_bucket(first + i, nb, maxd);
    if (got != want && bad++ == 0) bad_at = first + i, bad_got = got, bad_want = want;
  }
  CHECK(n > 0 && nb > 0 && maxd > 0 && bad == 0,
        "%s: ee_relative_position_bucket(r, %d, %d) for r = %d..%d equals torch's buckets (%d differ)", shape,
        nb, maxd, first, first + n - 1, bad);
  if (bad)
    printf("  note: %s: first difference at relative position %d: engine %d, torch %d\n", shape, bad_at, bad_got,
           bad_want);
  json_decref(g);
}

static void run_shape(const char *models, const char *shape) {
  char gpath[1024], bpath[1024], dir[1024];
  snprintf(gpath, sizeof gpath, "%s/%s/golden.json", fixtures, shape);
  snprintf(bpath, sizeof bpath, "%s/%s/golden.bin", fixtures, shape);
  snprintf(dir, sizeof dir, "%s/%s", models, shape);
  char cfg[1100];
  snprintf(cfg, sizeof cfg, "%s/config.json", dir);
  FILE *probe = fopen(cfg, "r");
  if (!probe) {
    printf("SKIP: %s: no model at %s (run build/tools/gen_model)\n", shape, dir);
    return;
  }
  fclose(probe);
  json_error_t jerr;
  json_t *g = json_load_file(gpath, JSON_ALLOW_NUL, &jerr);
  size_t ngold = 0;
  float *gold = read_floats(bpath, &ngold);
  CHECK(g && gold, "%s: read %s and golden.bin (%zu floats)", shape, gpath, ngold);
  if (!g || !gold) {
    json_decref(g);
    free(gold);
    return;
  }
  ee_model *m = NULL;
  ee_error err = {0};
  ee_params p = ee_default_params();
  ee_status rc = ee_model_load(dir, &p, &m, &err);
  CHECK_EQ_INT(rc, EE_OK, "%s: ee_model_load(%s) (%s)", shape, dir, err.msg);
  if (rc == EE_OK) {
    ee_info in;
    ee_model_info(m, &in);
    const int H = in.hidden_size, D = ee_model_dims(m);
    check_info(shape, m, g);
    ee_context *ctx = ee_context_new(m);
    CHECK(ctx != NULL, "%s: ee_context_new", shape);
    textset all = {0};
    run_id_cases(shape, ctx, H, D, json_object_get(g, "id_cases"), gold, ngold);
    run_text_cases(shape, m, ctx, D, json_object_get(g, "text_cases"), gold, ngold, &all);
    check_text_batches(shape, dir, ctx, D, &all);
    /* pools the golden hidden states itself: only where pooling gives the vector */
    if (D == H) check_pooling_modes(shape, dir, H, json_object_get(g, "id_cases"), gold, ngold);
    check_threads(shape, dir, H, json_object_get(g, "id_cases"));
    free(all.t);
    free(all.len);
    free(all.prompt);
    free(all.vec);
    ee_context_free(ctx);
  }
  ee_model_free(m);
  json_decref(g);
  free(gold);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(void) {
  check_erf();
  check_gemm();
  const char *models = getenv("TEST_MODELS");
  if (!models || !models[0]) models = "build/test-models";
  const char *gd = getenv("GOLDEN_DIR");
  if (gd && gd[0]) fixtures = gd;
  DIR *d = opendir(fixtures);
  CHECK(d != NULL, "open %s (run from the repository root)", fixtures);
  if (!d) return check_finish();
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 64) {
    if (e->d_name[0] == '.') continue;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s/golden.json", fixtures, e->d_name);
    FILE *f = fopen(p, "r");
    if (!f) continue;
    fclose(f);
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, cmp_str);
  CHECK(n > 0, "found %d golden shapes under %s", n, fixtures);
  for (int i = 0; i < n; i++) {
    check_relative_buckets(names[i]);
    run_shape(models, names[i]);
    free(names[i]);
  }
  return check_finish();
}

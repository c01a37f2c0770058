/*
** wp_internal.h — what the tokenizer's .c files share; not a public API.
**
** Files and their jobs:
**   unicode.c         UTF-8 validation/decoding and the character data
**                     (flags, combining class, decomposition, lowercase)
**   vocab.c           the token hash table, vocab.txt, wp_load_dir,
**                     file reading (through se_file.h), accessors, wp_free
**   tokenizer_json.c  Hugging Face tokenizer.json and tokenizer_config.json
**   normalize.c       the streaming BertNormalizer + BertPreTokenizer
**   pylower.c         Python's str.lower() (sentence-transformers' do_lower_case)
**   nfc.c             the NFC normalizer of BPE tokenizers (ModernBERT), with
**                     the crate's alignments
**   wordpiece.c       wp_encode / wp_encode_pair: special tokens,
**                     WordPiece, truncation, the output encoding
**   unigram_json.c    tokenizer.json's Unigram model, its normalizers and
**                     Metaspace pre-tokenizer (SentencePiece, XLM-R)
**   charsmap.c        SentencePiece's precompiled normalisation map
**   spm_normalize.c   the SentencePiece-style normalizers and Metaspace
**   unigram.c         the Unigram model: Viterbi over the pieces
**   bpe_json.c        tokenizer.json's BPE model and ByteLevel
**                     pre-tokenizer (RoBERTa, GPT-2)
**   bytelevel.c       the ByteLevel pre-tokenizer (GPT-2's split, bytes as
**                     symbols) and the post-processor's offset trimming
**   bpe.c             the BPE model: the merge table and the merges of a word
*/
#ifndef WP_INTERNAL_H
#define WP_INTERNAL_H
#include "wordpiece.h"
#include "unicode_tables.h"
#include <stdarg.h>

/* Sizes that bound what hostile files can make us allocate. */
#define WP_MAX_FILE_BYTES   (64u << 20)  /* vocab.txt / tokenizer.json (LaBSE's 500k-token file is 15 MB) */
#define WP_MAX_TOKEN_BYTES  4096         /* one vocabulary entry */
#define WP_MAX_TOKEN_ID     (1 << 24)    /* ids at or above this are rejected */
#define WP_MAX_LITERALS     4096         /* added tokens matched in raw text */

/**************** interface to unicode.c ****************/

/* Length of the valid UTF-8 prefix of s[0..len): len when all is valid.
** Rejects overlongs, surrogates, code points above U+10FFFF, truncated
** sequences and stray continuation bytes, as Rust's str::from_utf8 does. */
size_t wpu_valid_prefix(const unsigned char *s, size_t len);

/* Decode one code point from valid UTF-8; returns its byte length. */
static inline int wpu_decode(const unsigned char *s, uint32_t *cp) {
  unsigned c = s[0];
  if (c < 0x80) { *cp = c; return 1; }
  if (c < 0xE0) { *cp = ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu); return 2; }
  if (c < 0xF0) { *cp = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu); return 3; }
  *cp = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
  return 4;
}

/* Decode the code point that ends at s[end] (end > 0, a character boundary
** of valid UTF-8); returns where it starts. */
static inline size_t wpu_decode_before(const unsigned char *s, size_t end, uint32_t *cp) {
  size_t i = end - 1;
  while ((s[i] & 0xC0) == 0x80) i--;
  wpu_decode(s + i, cp);
  return i;
}

/* Encode cp as UTF-8 into out (room for 4); returns the length. */
int wpu_encode(uint32_t cp, unsigned char *out);

static inline unsigned wpu_flags(uint32_t cp) {
  return cp < 0x110000 ? wpu_flag_blocks[wpu_flag_stage1[cp >> 8]][cp & 255] : 0;
}
static inline unsigned wpu_ccc(uint32_t cp) {
  return cp < 0x110000 ? wpu_ccc_blocks[wpu_ccc_stage1[cp >> 8]][cp & 255] : 0;
}
/* Full canonical decomposition of cp (which has WPU_DECOMP) into out
** (room for WPU_MAX_DECOMP); returns the count. */
int wpu_decompose(uint32_t cp, uint32_t *out);
/* Lowercase of cp (which has WPU_LOWER) into out (room for 2); returns the count. */
int wpu_lowercase(uint32_t cp, uint32_t *out);
/* The Cased and Case_Ignorable properties (for the Final_Sigma rule). */
int wpu_is_cased(uint32_t cp);
int wpu_is_case_ignorable(uint32_t cp);

/**************** interface to nfc.c ****************/

/* A normalised character whose original span is not the shifted one:
** it starts at byte npos of the NFC text and came from [start, end) of
** the text; characters after it come from their own place + delta. */
typedef struct wp_nfc_map { int32_t npos, start, end, delta; } wp_nfc_map;

/* A text's NFC, as the crate computes it, with its alignments.  Buffers
** are owned and reused across calls. */
typedef struct wp_nfc {
  char *text;              /* (len) the NFC text */
  size_t len, cap;
  wp_nfc_map *map;         /* (n_map) in npos order */
  size_t n_map, cap_map;
  struct wp_nfc_work *work; /* work memory */
} wp_nfc;

/* NFC of text[0..len) (valid UTF-8) into n; *changed 0 when the text is
** sure to be its own NFC (n->text is then not written).  WP_ERR_NOMEM, or
** WP_ERR_ARG when the result could pass INT32_MAX - 8 bytes. */
wp_status wp_nfc_run(wp_nfc *n, const char *text, size_t len, int *changed);
/* Walks the map in npos order: spans of the characters from npos on. */
typedef struct wp_nfc_cursor { size_t k; int32_t delta; } wp_nfc_cursor;
wp_nfc_cursor wp_nfc_seek(const wp_nfc *n, int32_t npos);
/* Original span of the NFC character at npos (nlen bytes), npos not
** before the cursor's last. */
void wp_nfc_span(const wp_nfc *n, wp_nfc_cursor *c, int32_t npos, int32_t nlen, int32_t *start, int32_t *end);
/* text[0..len) as NFC into *out (owned by the caller, NUL-terminated). */
wp_status wp_nfc_string(const char *text, size_t len, char **out, size_t *out_len);
void wp_nfc_free(wp_nfc *n);

/**************** interface to pylower.c ****************/

/* One character whose lowercase has another byte length: its bytes in the
** lowered text and in the source. */
typedef struct wp_len_change { int32_t lo_start, lo_end, src_start, src_end; } wp_len_change;

/* A text lowered as Python's str.lower() does, with what maps byte offsets
** in it back to the source.  Buffers are owned and reused across calls. */
typedef struct wp_lowered {
  char *text;              /* (len) the lowered UTF-8 */
  size_t len, cap;
  wp_len_change *changes;  /* (n_changes) in text order */
  size_t n_changes, cap_changes;
} wp_lowered;

/* Lower text[0..len) (valid UTF-8) into lo.  WP_ERR_NOMEM, or WP_ERR_ARG
** when the result would pass INT32_MAX - 8 bytes. */
wp_status wp_py_lower(wp_lowered *lo, const char *text, size_t len);
/* Source byte offset of a token starting (or ending) at lowered byte `pos`;
** an end inside a character that grew maps to the end of its source. */
int32_t wp_lowered_start(const wp_lowered *lo, int32_t pos);
int32_t wp_lowered_end(const wp_lowered *lo, int32_t pos);
void wp_lowered_free(wp_lowered *lo);

/**************** interface to vocab.c ****************/

/* What a literal's lstrip/rstrip takes: nothing, Unicode's white space (the
** crate's), or ASCII's (llama.cpp's isspace: a GGUF file's tokens). */
enum { WP_STRIP_NONE = 0, WP_STRIP_UNICODE = 1, WP_STRIP_ASCII = 2 };

/* One literal token (an added/special token) matched in the raw text. */
typedef struct wp_literal {
  char *text;          /* token text, owned */
  size_t len;          /* its length in bytes */
  int32_t id;          /* its id */
  int lstrip, rstrip;  /* the match takes the whitespace before / after it: WP_STRIP_* */
  char *norm;          /* normalised added tokens: text as the normaliser leaves it, owned */
  size_t norm_len;     /* its length (0: never matches) */
} wp_literal;

/* Whether a literal's strip of this kind takes character cp. */
static inline int wp_strip_takes(int kind, uint32_t cp) {
  if (kind == WP_STRIP_ASCII) return cp == ' ' || (cp >= '\t' && cp <= '\r');
  return kind && (wpu_flags(cp) & WPU_SPACE);
}

struct wp_tokenizer {
  wp_options opts;         /* normalisation and model options */
  char *arena;             /* every token's bytes, back to back */
  size_t arena_len;        /* bytes used in arena */
  size_t arena_cap;        /* bytes allocated for arena */
  uint32_t *tok_off;       /* (n_ids) arena offset of id i's text, or UINT32_MAX if no such id */
  uint32_t *tok_len;       /* (n_ids) length of id i's text */
  int32_t n_ids;           /* highest id + 1 */
  int32_t cap_ids;         /* allocated length of tok_off/tok_len */
  int32_t *slots;          /* (n_slots) open-addressing table of ids, -1 empty */
  uint32_t *slot_hash;     /* (n_slots) full hash of the id in each slot */
  size_t n_slots;          /* a power of two, at least twice n_entries */
  size_t n_entries;        /* distinct token texts in the table */
  size_t max_token_len;    /* longest token text, to bound WordPiece's search */
  int32_t special[WP_SPECIAL_COUNT]; /* ids of [PAD] [UNK] [CLS] [SEP] [MASK] or -1 */
  int32_t unk_id;          /* id of opts.unk_token */
  int32_t cls_id;          /* id added at the start */
  int32_t sep_id;          /* id added after each sequence */
  int roberta_pair;        /* RobertaProcessing: <s> A </s> </s> B </s>, type ids all 0 */
  int pair_layout;         /* WP_PAIR_BERT (the layouts above), or WP_PAIR_UNSUPPORTED: a pair
                           ** template of another shape, so wp_encode_pair refuses */
  wp_literal *literals;    /* (n_literals) tokens matched literally in raw text */
  int n_literals;          /* how many */
  unsigned char literal_first[32]; /* bitset of first bytes of literals, a quick filter */
  int literal_byte;        /* the first byte all literals share ('[' for BERT), or -1 */
  /* Added tokens marked "normalized" in tokenizer.json: the crate matches
  ** them in the normalised text (so MPNet's "<unk>" also matches "<UNK>"),
  ** after the others have split the raw text (normalize.c). */
  wp_literal *nlits;       /* (n_nlits) their raw and normalised texts */
  int n_nlits;
  size_t nlit_max;         /* longest normalised text, bytes */
  struct wp_unigram *uni;  /* a Unigram (SentencePiece) model, or NULL */
  struct wp_bpe *bpe;      /* a byte-level BPE model, or NULL (neither: WordPiece) */
};

enum { WP_PAIR_BERT = 0, WP_PAIR_UNSUPPORTED = 1 };

void wp_set_error(wp_error *err, wp_status code, const char *fmt, ...);
wp_tokenizer *wp_tok_new(void);
/* Give `id` the text tok[0..len) for wp_id_to_token and, when in_table,
** make the text findable; a text seen before moves to the new id (later
** duplicates override earlier ones). */
wp_status wp_tok_add(wp_tokenizer *t, const char *tok, size_t len, int32_t id, int in_table);
int32_t wp_tok_lookup(const wp_tokenizer *t, const char *a, size_t alen,
                      const char *b, size_t blen); /* id of a+b, or -1 */
/* The same with h = wp_fnv1a(wp_fnv1a(WP_FNV_SEED, a, alen), b, blen)
** already computed (WordPiece hashes all prefixes of a word in one pass). */
int32_t wp_tok_lookup_h(const wp_tokenizer *t, uint32_t h, const char *a, size_t alen,
                        const char *b, size_t blen);
#define WP_FNV_SEED 2166136261u
static inline uint32_t wp_fnv1a(uint32_t h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}
/* A token matched before normalisation, or (normalized) in the normalised
** text; normalised texts are computed by wp_tok_finish. */
#define WP_LIT_NORMALIZED 1 /* matched in the normalised text */
#define WP_LIT_LSTRIP     2 /* the match takes the whitespace before it */
#define WP_LIT_RSTRIP     4 /* ... and after it */
#define WP_LIT_ASCII_STRIP 8 /* ... ASCII white space only, as llama.cpp's (isspace) */
wp_status wp_tok_add_literal(wp_tokenizer *t, const char *text, size_t len, int32_t id, int flags);
/* (Re)compute the normalised texts of t->nlits under t->opts. */
wp_status wp_tok_normalize_literals(wp_tokenizer *t);
/* Resolve special ids, unk/cls/sep; errors name `path`. */
wp_status wp_tok_finish(wp_tokenizer *t, const char *path, wp_error *err);
/* Read a whole file (NUL-terminated copy, *len without the NUL). */
wp_status wp_read_file(const char *path, char **data, size_t *len, wp_error *err);
void wp_options_default(wp_options *o);

/**************** interface to wordpiece.c ****************/

/* The longest of lits[0..n) found at text[i..len), or NULL. */
const wp_literal *wp_literal_at(const wp_literal *lits, int n, const char *text, size_t i, size_t len);
/* The text an added token found at i takes: [*start, *end), widened by its
** lstrip over the whitespace before it (not before seg) and its rstrip over
** the whitespace after it. */
void wp_literal_span(const wp_literal *lit, const char *text, size_t seg, size_t i, size_t len, size_t *start,
                     size_t *end);

/**************** interface to tokenizer_json.c ****************/

wp_status wp_parse_tokenizer_json(const char *data, size_t len, const char *path,
                                  wp_tokenizer **out, wp_error *err);
struct json_t;
/* The same from the parsed document's root object (only read). */
wp_status wp_tokenizer_from_json(struct json_t *root, const char *path, wp_tokenizer **out, wp_error *err);
/* model.vocab as {"token": id, ...} into t (WordPiece's and BPE's); errors name path. */
wp_status wp_read_vocab_object(struct json_t *vocab, const char *path, wp_tokenizer *t, wp_error *err);
/* Apply tokenizer_config.json flags (do_lower_case, ...) to opts. */
wp_status wp_parse_tokenizer_config(const char *data, size_t len, const char *path,
                                    wp_options *opts, wp_error *err);

/**************** interface to normalize.c ****************/

/* Receives each word produced by the pre-tokenizer: its UTF-8 bytes
** (bytes[0..nbytes)), per-character byte starts cstart[0..nchars] (with
** cstart[nchars] == nbytes) and original spans span[2*i], span[2*i+1].
** When the word has more than max_chars characters, only nchars, the
** span of the first character and `end` (the end of the last) are valid
** and bytes is NULL. */
typedef struct wp_word {
  int32_t literal_id;         /* >= 0: a normalised added token, only start/end valid */
  const unsigned char *bytes; /* normalised UTF-8, or NULL when too long */
  const int32_t *cstart;      /* (nchars+1) byte start of each character */
  const int32_t *span;        /* (2*nchars) original byte span of each character */
  int32_t nbytes;             /* bytes in the word */
  int32_t nchars;             /* characters in the word */
  int32_t start;              /* original byte start of the word */
  int32_t end;                /* original byte end of the word */
} wp_word;

typedef int (*wp_word_fn)(void *ctx, const wp_word *w); /* nonzero aborts (OOM) */

typedef struct wp_norm wp_norm; /* per-call normaliser state, owned by the scratch */

/* Normalise and pre-tokenise text[0..len) (valid UTF-8; `base` is its byte
** offset in the caller's text), calling fn for each word. */
wp_status wp_normalize(wp_norm **state, const wp_tokenizer *t, const char *text,
                       size_t len, int32_t base, wp_word_fn fn, void *ctx);
void wp_norm_free(wp_norm *n);
/* text[0..len) through the normaliser alone (no pre-tokenisation) into
** *out (owned by the caller, NUL-terminated; *out_len bytes). */
wp_status wp_normalize_string(const wp_tokenizer *t, const char *text, size_t len, char **out,
                              size_t *out_len);

/**************** the Unigram (SentencePiece) model ****************/

/* Receives each token: its id and original byte span; nonzero aborts (OOM). */
typedef int (*wp_token_fn)(void *ctx, int32_t id, int32_t start, int32_t end);

/* charsmap.c: tokenizer.json's "Precompiled" normalizer */
typedef struct wp_charsmap wp_charsmap;
/* From the base64-decoded precompiled_charsmap; WP_ERR_FORMAT if malformed. */
wp_status wp_charsmap_load(const unsigned char *blob, size_t len, wp_charsmap **out);
/* The replacement of the shortest key that prefixes s[0..len): 1 with *to
** (not NUL-terminated, *to_len bytes), 0 if none, -1 if the map is corrupt. */
int wp_charsmap_lookup(const wp_charsmap *m, const unsigned char *s, size_t len, const char **to,
                       size_t *to_len);
/* The longest key that prefixes s[0..len): as wp_charsmap_lookup, with its
** length in *key_len (SentencePiece's and llama.cpp's normalisation). */
int wp_charsmap_longest(const wp_charsmap *m, const unsigned char *s, size_t len, size_t *key_len,
                        const char **to, size_t *to_len);
void wp_charsmap_free(wp_charsmap *m);

/* One normalizer of a Unigram tokenizer, applied in order. */
typedef enum wp_spm_step_kind {
  WP_SPM_PRECOMPILED,      /* map graphemes / characters through a charsmap */
  WP_SPM_REPLACE,          /* replace every `pattern` by `content` */
  WP_SPM_REPLACE_SPACES,   /* replace every run of 2+ spaces (Regex " {2,}") by `content` */
  WP_SPM_STRIP             /* drop whitespace at the start / end */
} wp_spm_step_kind;

typedef struct wp_spm_step {
  wp_spm_step_kind kind;
  wp_charsmap *map;        /* PRECOMPILED, owned */
  int longest;             /* PRECOMPILED: SentencePiece's longest-key matching over the text,
                           ** not the crate's per grapheme (a GGUF file's, for llama.cpp's) */
  uint32_t *pattern;       /* (n_pattern) REPLACE's code points, owned */
  size_t n_pattern;
  uint32_t *content;       /* (n_content) REPLACE*'s code points, owned */
  size_t n_content;
  int left, right;         /* STRIP's sides */
  int spaces_only;         /* STRIP: ' ' only, not all white space (not the crate's: a GGUF file's) */
} wp_spm_step;

#define WP_SPM_MAX_STEPS 8
#define WP_UNIGRAM_PREFIX_BITS (1u << 21)

typedef enum wp_prepend { WP_PREPEND_NEVER, WP_PREPEND_ALWAYS, WP_PREPEND_FIRST } wp_prepend;

typedef struct wp_unigram {
  double *score;           /* (n_scores) each vocabulary id's log probability */
  uint8_t *not_lowest;     /* (n_scores) or NULL: 1 for an id the lowest score skips */
  int32_t n_scores;
  int32_t unk_id;          /* model.unk_id */
  double unk_score;        /* an unknown character's: the lowest score - 10, as the crate */
  int byte_fallback;       /* unknown text as <0xNN> tokens where the vocabulary has them */
  uint8_t *prefix_bits;    /* bit (hash of a piece's proper prefix) % WP_UNIGRAM_PREFIX_BITS */
  wp_spm_step steps[WP_SPM_MAX_STEPS]; /* the normalizers */
  int n_steps;
  uint32_t replacement;    /* Metaspace's replacement for ' ' (U+2581) */
  wp_prepend prepend;      /* when Metaspace puts a replacement before a piece */
  int split;               /* Metaspace splits before each replacement */
  int whitespace_split;    /* a WhitespaceSplit runs before Metaspace */
} wp_unigram;

/* unigram_json.c: the Unigram parts of tokenizer.json into t (vocabulary,
** t->uni, t->opts.unk_token). */
struct json_t;
wp_status wp_parse_unigram(struct json_t *root, struct json_t *model, const char *path,
                           wp_tokenizer *t, wp_error *err);

/* unigram.c */
/* Scores and the prefix filter, once the vocabulary is in t. */
wp_status wp_unigram_finish(wp_tokenizer *t);
void wp_unigram_free(wp_unigram *u);
typedef struct wp_viterbi wp_viterbi; /* per-call work memory, owned by the scratch */
/* Cut one pre-tokenised piece (UTF-8 bytes b, cstart[0..nchars] character
** starts, al_s/al_e each character's original span) into tokens. */
wp_status wp_unigram_encode(wp_viterbi **state, const wp_tokenizer *t, const unsigned char *b,
                            const int32_t *cstart, int32_t nchars, const int32_t *al_s,
                            const int32_t *al_e, wp_token_fn fn, void *ctx);
void wp_viterbi_free(wp_viterbi *v);

/* spm_normalize.c */
typedef struct wp_spm_state wp_spm_state; /* per-call work memory, owned by the scratch */
/* Normalise, pre-tokenise and cut text[0..len) (valid UTF-8, `base` its
** offset in the caller's text).  WP_ERR_NOMEM, or WP_ERR_FORMAT when the
** charsmap turns out corrupt. */
wp_status wp_spm_encode(wp_spm_state **state, const wp_tokenizer *t, const char *text, size_t len,
                        int32_t base, wp_token_fn fn, void *ctx);
void wp_spm_state_free(wp_spm_state *s);
/* text[0..len) through the normalizers alone into *out (owned by the
** caller, NUL-terminated; *out_len bytes): an added token's normalised form. */
wp_status wp_spm_normalize_string(const wp_tokenizer *t, const char *text, size_t len, char **out,
                                  size_t *out_len);


/**************** the byte-level BPE model ****************/

/* One entry of the merge table: the pair (left, right) of ids merges into
** `into` with priority `rank` (lower first: its line in "merges"). */
typedef struct wp_merge { uint64_t pair; int32_t rank, into; } wp_merge;

typedef struct wp_bpe {
  int32_t byte_id[256];    /* id of each byte's byte-level character, -1 if not in the vocabulary */
  wp_merge *merges;        /* (n_slots) open addressing on pair, rank -1 empty */
  size_t n_slots;          /* a power of two, at least twice n_merges */
  size_t n_merges;
  int32_t unk_id;          /* model.unk_token's id, or -1: unknown bytes are dropped */
  int fuse_unk;            /* consecutive unknown bytes make one unk */
  int ignore_merges;       /* a word found whole in the vocabulary is one token */
  int add_prefix_space;    /* ByteLevel: a space before a segment not starting with one */
  int use_regex;           /* ByteLevel: GPT-2's split into words */
  int trim_offsets;        /* post_processor: offsets lose a token's spaces at either end */
  int trim_keep_prefix;    /* post_processor add_prefix_space: the first token's one space stays */
  int nfc;                 /* normalizer NFC (ModernBERT's), else none */
} wp_bpe;

/* bpe_json.c: the BPE parts of tokenizer.json into t (vocabulary, t->bpe). */
wp_status wp_parse_bpe(struct json_t *root, struct json_t *model, const char *path, wp_tokenizer *t,
                       wp_error *err);
/* GPT-2's bytes_to_unicode: the character that stands for `byte` in a
** byte-level vocabulary. */
uint32_t wp_byte_char(int byte);
/* The post_processor's trim_offsets/add_prefix_space (RobertaProcessing, ByteLevel). */
void wp_bpe_set_trim(wp_tokenizer *t, struct json_t *pp);

/* bpe.c */
/* Add the merge (left, right) -> into at `rank`; a later line with the same
** pair replaces it, as in the crate.  WP_ERR_NOMEM. */
wp_status wp_bpe_add_merge(wp_bpe *b, int32_t left, int32_t right, int32_t rank, int32_t into);
void wp_bpe_free(wp_bpe *b);
/* A word's symbols, merged in place: on entry id[0..n) and their spans
** (s[i], e[i]); returns the count left (ids and spans of the merged
** symbols), or -1 when out of memory.  Work memory in *heap. */
typedef struct wp_bpe_work wp_bpe_work;
int32_t wp_bpe_merge_word(wp_bpe_work **work, const wp_bpe *b, int32_t *id, int32_t *s, int32_t *e,
                          int32_t n);
void wp_bpe_work_free(wp_bpe_work *w);

/* bytelevel.c */
enum { C_SPACE, C_LETTER, C_NUMBER, C_OTHER };
/* The class GPT-2's pattern sees in a code point: \s, \p{L}, \p{N} or none. */
int wp_bl_char_class(uint32_t cp);
typedef struct wp_bl_state wp_bl_state; /* per-call work memory, owned by the scratch */
/* Split text[0..len) (valid UTF-8, `base` its offset in the caller's text)
** at added tokens marked "normalized", then into GPT-2's words, and merge
** each word's bytes.  WP_ERR_NOMEM. */
wp_status wp_bl_encode(wp_bl_state **state, const wp_tokenizer *t, const char *text, size_t len,
                       int32_t base, wp_token_fn fn, void *ctx);
void wp_bl_state_free(wp_bl_state *s);
/* The post_processor's trim_offsets on one sequence's n tokens (offsets
** into text, the text the tokenizer was given). */
void wp_bl_trim_offsets(const wp_tokenizer *t, const char *text, const int32_t *ids, int32_t *offs,
                        int64_t n);

#endif

/*
** wordpiece.h — a BERT WordPiece (and XLM-R Unigram) tokenizer that
** matches Hugging Face's Rust `tokenizers` crate id for id.
**
** Example:
**
**   wp_error err;
**   wp_tokenizer *tok = NULL;
**   if (wp_load_dir("models/all-MiniLM-L6-v2", &tok, &err) != WP_OK) {
**     fprintf(stderr, "%s\n", err.msg);
**     return 1;
**   }
**   wp_encoding enc = {0};
**   if (wp_encode(tok, "Hello, world!", 13, 512, &enc, &err) == WP_OK) {
**     for (int32_t i = 0; i < enc.n; i++) printf("%d ", enc.ids[i]);
**   }                                   // 101 7592 1010 2088 999 102
**   wp_encoding_free(&enc);
**   wp_free(tok);
**
** It also runs the Unigram (SentencePiece) tokenizer.json of XLM-R style
** models (paraphrase-multilingual-*, multilingual-e5-*): a precompiled
** charsmap (NFKC), Metaspace and a best-score (Viterbi) segmentation, with
** the same API; see unigram.c and spm_normalize.c.
**
** The WordPiece pipeline (see shared TOKENIZER-NOTES): literal special tokens are
** split out of the raw text first; each remaining piece is cleaned (control
** characters dropped, whitespace mapped to space), CJK ideographs are
** spaced, accents stripped (NFD, drop Mn) and text lowercased as the options
** say, then split on whitespace and punctuation, and each word is cut into
** WordPiece pieces by greedy longest match.  The Unicode tables reproduce
** the crate's Unicode 8.0 categories and 9.0 decompositions.
**
** Thread safety: a loaded wp_tokenizer is immutable; any number of threads
** may call wp_encode on it at once, each with its own wp_encoding.
** No SQLite and no BLAS here.
*/
#ifndef WORDPIECE_H
#define WORDPIECE_H
#include <stddef.h>
#include <stdint.h>

typedef struct wp_tokenizer wp_tokenizer;

typedef enum wp_status {
  WP_OK = 0,
  WP_ERR_NOMEM,   /* an allocation failed */
  WP_ERR_IO,      /* a file could not be opened or read */
  WP_ERR_FORMAT,  /* a vocabulary or tokenizer file is malformed or unsupported */
  WP_ERR_UTF8,    /* input text is not valid UTF-8 */
  WP_ERR_ARG      /* a bad argument (e.g. max_length < 2) */
} wp_status;

/* Error details; msg is always NUL-terminated, lowercase, no trailing period,
** and names the file or byte position at fault. */
typedef struct wp_error {
  wp_status code;
  char msg[512];
} wp_error;

/* Normalisation and model options.  wp_load_* fill these from the files;
** a caller may override any field with wp_options_override. */
typedef struct wp_options {
  int lowercase;              /* 1: lowercase (after accent stripping) */
  int strip_accents;          /* 1: NFD + drop Mn; -1: follow `lowercase` (BERT's default) */
  int clean_text;             /* 1: drop controls, map whitespace to space */
  int handle_chinese_chars;   /* 1: put spaces around CJK ideographs */
  int max_input_chars_per_word; /* longer words become one [UNK]; default 100 */
  int python_lower;           /* 1: Python's str.lower() on each whole text before anything
                              ** else, as sentence-transformers does when
                              ** sentence_bert_config.json says do_lower_case (so "[SEP]"
                              ** typed in a text is no special token, and a word-final
                              ** capital sigma becomes ς); offsets still index the text */
  int python_strip;           /* 1: Python's str.strip() on each whole text first, as
                              ** sentence-transformers does (for a Unigram model the spaces
                              ** at the ends would otherwise become tokens) */
  char continuing_subword_prefix[16]; /* "##" */
  char unk_token[64];         /* "[UNK]" */
} wp_options;

/* Which special token; ids are looked up by the token text in the vocabulary. */
typedef enum wp_special { WP_PAD = 0, WP_UNK, WP_CLS, WP_SEP, WP_MASK, WP_SPECIAL_COUNT } wp_special;

/* Load from a model directory: tokenizer.json if present, else vocab.txt
** with flags from tokenizer_config.json (do_lower_case, strip_accents,
** tokenize_chinese_chars) and BERT's defaults for what is absent. */
wp_status wp_load_dir(const char *dir, wp_tokenizer **out, wp_error *err);

/* Load one file.  `opts` may be NULL for BERT's uncased defaults. */
wp_status wp_load_vocab_txt(const char *path, const wp_options *opts,
                            wp_tokenizer **out, wp_error *err);
wp_status wp_load_tokenizer_json(const char *path, wp_tokenizer **out, wp_error *err);

/* Same, from bytes already in memory (used by the fuzzers). */
wp_status wp_load_vocab_txt_mem(const char *data, size_t len, const wp_options *opts,
                                wp_tokenizer **out, wp_error *err);
wp_status wp_load_tokenizer_json_mem(const char *data, size_t len,
                                     wp_tokenizer **out, wp_error *err);
/* Same, from a tokenizer.json document already built as a jansson value
** (a GGUF file's vocabulary: gguf_vocab.c), named `name` in messages;
** `root` is only read. */
struct json_t;
wp_status wp_load_tokenizer_json_value(struct json_t *root, const char *name, wp_tokenizer **out,
                                       wp_error *err);

void wp_free(wp_tokenizer *tok); /* accepts NULL */

/* Replace a loaded tokenizer's options (e.g. a vocab.txt loaded with the
** wrong casing).  Call before sharing the tokenizer between threads.
** Fails with WP_ERR_ARG if the vocabulary lacks opts->unk_token. */
wp_status wp_options_override(wp_tokenizer *tok, const wp_options *opts, wp_error *err);

const wp_options *wp_get_options(const wp_tokenizer *tok);
int32_t wp_vocab_size(const wp_tokenizer *tok);     /* highest id + 1 */
int32_t wp_special_id(const wp_tokenizer *tok, wp_special which); /* -1 if absent */
/* The ids wp_encode puts before and after a text ([CLS] and [SEP], or what
** tokenizer.json's post_processor names, e.g. MPNet's <s> and </s>). */
void wp_sequence_ids(const wp_tokenizer *tok, int32_t *first, int32_t *last);
/* 1 if wp_encode_pair can encode pairs with this tokenizer (BERT's or
** RoBERTa's pair layout), 0 if its pair template has another shape. */
int wp_supports_pairs(const wp_tokenizer *tok);
/* The token text for an id (not NUL-terminated; *len set), or NULL if out of range. */
const char *wp_id_to_token(const wp_tokenizer *tok, int32_t id, size_t *len);
/* The text token `id` stands for inside a decoded string, written to out
** (not NUL-terminated; cap must be at least wp_id_to_token's length + 1):
** llama.cpp's llama_token_to_piece for a GGUF of this vocabulary, i.e.
** WordPiece "##ing" -> "ing", "[unused0]" as it is, any other word-start
** token with a space before it (" hello"); Unigram's U+2581 as a space;
** byte-level BPE's characters back to their bytes.  Returns the length, or
** -1 for a special or added token (which has no piece: [CLS], <s>, ...), an
** id out of range, or a cap too small. */
int32_t wp_id_piece(const wp_tokenizer *tok, int32_t id, char *out, size_t cap);
/* A Unigram vocabulary's log probability of id; 0 for WordPiece and BPE,
** which have none (nor has llama.cpp's GGUF of them), and for ids out of range. */
double wp_id_score(const wp_tokenizer *tok, int32_t id);
/* 1 if a token with this id continues the word of the token before it:
** WordPiece's "##ing"; a Unigram piece without the leading "▁" (or <unk>),
** which the tokenizer never cuts from the piece before it.  So a text cut
** before a token for which this is 0 tokenizes into the same two halves. */
int wp_id_continues_word(const wp_tokenizer *tok, int32_t id);
/* The id of an exact token text, or -1. */
int32_t wp_token_to_id(const wp_tokenizer *tok, const char *token, size_t len);
/* The tokenizer's model: "WordPiece", "Unigram" or "BPE" (static strings). */
const char *wp_model_name(const wp_tokenizer *tok);

/* One encoded sequence.  Arrays are owned by the encoding and reused across
** calls (grown, never shrunk) so a caller encoding in a loop allocates only
** when a text is longer than any before it. */
typedef struct wp_encoding {
  int32_t *ids;        /* (n) token ids, [CLS] ... [SEP] */
  int32_t *type_ids;   /* (n) 0 for the first sequence, 1 for the second */
  int32_t *offsets;    /* (2n) byte [start, end) of each token in its input text; 0,0 for added [CLS]/[SEP] */
  int32_t n;           /* number of tokens */
  int32_t n_untruncated; /* tokens the content had before truncation (no specials) */
  int32_t cap;         /* allocated length of ids/type_ids (offsets: 2*cap) */
  struct wp_scratch *scratch; /* per-call work buffers, owned and reused like the arrays;
                              ** this is why encoding needs no lock on a shared tokenizer */
} wp_encoding;

/* Length of the longest valid UTF-8 prefix of s[0..len): len when it is all
** valid, else the byte "invalid UTF-8 at byte N" would name. */
size_t wp_utf8_valid_prefix(const char *s, size_t len);

/* Encode `text` (len bytes; may contain NUL) as [CLS] tokens [SEP], the
** content truncated to max_length - 2 tokens.  max_length <= 0 means no
** truncation.  Invalid UTF-8 gives WP_ERR_UTF8 "invalid UTF-8 at byte N",
** N being where the first invalid sequence starts (Rust's valid_up_to). */
wp_status wp_encode(const wp_tokenizer *tok, const char *text, size_t len,
                    int32_t max_length, wp_encoding *out, wp_error *err);

/* Encode a pair as [CLS] A [SEP] B [SEP] with type ids 0 / 1, truncating
** the longer sequence first (Hugging Face's "longest_first"); with
** tokenizer.json's RobertaProcessing (MPNet) or a TemplateProcessing pair
** template of that shape (XLM-R) as <s> A </s> </s> B </s>, type ids all 0,
** as the tokenizers crate does.  A pair template of another shape gives
** WP_ERR_ARG ("pairs are not supported"). */
wp_status wp_encode_pair(const wp_tokenizer *tok, const char *a, size_t alen,
                         const char *b, size_t blen, int32_t max_length,
                         wp_encoding *out, wp_error *err);

void wp_encoding_free(wp_encoding *enc); /* frees the arrays, zeroes the struct */

const char *wp_status_string(wp_status s);

#endif

/*
** test_model_files.c — what may stand on disk where a model file is
** expected (tokenizer/se_file.h states the policy).
**
**   build/tests/test_model_files
**
** 1. Hugging Face's cache layout, models--org--name/snapshots/<rev>/<file>
**    -> ../../blobs/<hash>, links every file to a place outside the model
**    directory: it must load and embed exactly like the plain directory.
** 2. Each file of the tiny model (tests/fuzz/fuzz_model.h) replaced in turn
**    by what is not a regular file: /dev/zero, /dev/urandom, a FIFO with no
**    writer, a directory, a socket, a dangling link, a link loop.  The load
**    must fail at once (a watchdog turns a hang into a FAIL line) with
**    EE_ERR_IO and a message naming the file and what it is.  Optional
**    files (modules.json, tokenizer.json) count too: a broken one is an
**    error, not a file to skip.
** 3. Sparse files far over the limits (a 2 GB vocab.txt that is one line, a
**    3 GB config.json, a 100 MB+ safetensors header, ...): rejected from
**    their size alone with a message naming the file and the limit, so the
**    process's peak RSS grows by far less than the files' sizes (checked
**    with getrusage).  Sparse files take no disk space.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "../../engine/embed_engine.h"
#include "../fuzz/fuzz_model.h"
#include "check.h"

static char g_root[256];  /* the mkdtemp directory */
static char g_plain[512]; /* the tiny model as plain files */

/* Every file fz_model_write writes, relative to the model directory. */
static const char *const MODEL_FILES[] = {
  "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json",
  "modules.json", "sentence_bert_config.json", "1_Pooling/config.json",
  "2_Dense/config.json", "2_Dense/model.safetensors",
};
/* The subdirectories those files are in (real directories in every copy). */
static const char *const MODEL_DIRS[] = {"1_Pooling", "2_Dense"};
#define N_MODEL_FILES (sizeof MODEL_FILES / sizeof MODEL_FILES[0])

/* ---- watchdog: a load that blocks (a FIFO opened without O_NONBLOCK) must
** show up as a failed check, not as a test run that never ends. */

static const char *volatile g_case = "(none)";

static void on_alarm(int sig) {
  (void)sig;
  static const char a[] = "FAIL: watchdog: the load blocked for 20 s in case: ";
  ssize_t r = write(1, a, sizeof a - 1);
  r = write(1, g_case, strlen(g_case));
  r = write(1, "\n", 1);
  (void)r;
  _exit(1);
}

/* ---- helpers ------------------------------------------------------------- */

static void path_in(char *out, size_t n, const char *dir, const char *name) {
  snprintf(out, n, "%s/%s", dir, name);
}

static int rm_cb(const char *p, const struct stat *s, int flag, struct FTW *ftw) {
  (void)s, (void)flag, (void)ftw;
  return remove(p);
}

static void die(const char *what, const char *path) {
  perror(path);
  fprintf(stderr, "test_model_files: %s failed\n", what);
  exit(2);
}

static void copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  if (!in || !out) die("copy", from);
  char buf[65536];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, k, out) != k) die("copy", to);
  fclose(in);
  if (fclose(out) != 0) die("copy", to);
}

/* <root>/<name>: a model directory whose files are absolute symlinks to the
** plain model's (1_Pooling and 2_Dense are real directories), so that a case can replace
** one of them without copying the others. */
static const char *linked_model(const char *name) {
  static char dir[600];
  char sub[700], p[700], target[700];
  path_in(dir, sizeof dir, g_root, name);
  if (mkdir(dir, 0700) != 0) die("mkdir", dir);
  for (size_t i = 0; i < sizeof MODEL_DIRS / sizeof MODEL_DIRS[0]; i++) {
    path_in(sub, sizeof sub, dir, MODEL_DIRS[i]);
    if (mkdir(sub, 0700) != 0) die("mkdir", sub);
  }
  for (size_t i = 0; i < N_MODEL_FILES; i++) {
    path_in(p, sizeof p, dir, MODEL_FILES[i]);
    path_in(target, sizeof target, g_plain, MODEL_FILES[i]);
    if (symlink(target, p) != 0) die("symlink", p);
  }
  return dir;
}

/* Embeds one fixed text with the model at dir into out (8 floats). */
static int embed_one(const char *dir, float *out, ee_error *err) {
  ee_model *m = NULL;
  if (ee_model_load(dir, NULL, &m, err) != EE_OK) return 0;
  ee_context *ctx = ee_context_new(m);
  const char *text = "the cat sat on the mat";
  size_t len = strlen(text);
  int ok = ctx && ee_model_dims(m) == FZ_H && ee_embed_texts(ctx, 1, &text, &len, out, err) == EE_OK;
  ee_context_free(ctx);
  ee_model_free(m);
  return ok;
}

static void expect_fail(const char *label, const char *dir, ee_status want, const char *sub1,
                        const char *sub2) {
  ee_model *m = NULL;
  ee_error err;
  memset(&err, 0, sizeof err);
  g_case = label;
  alarm(20);
  ee_status rc = ee_model_load(dir, NULL, &m, &err);
  alarm(0);
  CHECK_EQ_INT(rc, want, "%s: status %s (%s)", label, ee_status_string(want), err.msg);
  CHECK(m == NULL, "%s: no model returned", label);
  if (sub1) CHECK_STR_CONTAINS(err.msg, sub1, "%s: message names '%s'", label, sub1);
  if (sub2) CHECK_STR_CONTAINS(err.msg, sub2, "%s: message says '%s'", label, sub2);
  ee_model_free(m);
}

static long peak_rss_kb(void) {
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* ---- 1. Hugging Face's cache layout ----------------------------------------- */

static void hf_cache_layout(const float *ref) {
  /* hub/models--org--tiny/{blobs/<hash>, snapshots/<rev>/<file> -> ../../blobs/<hash>, refs/main} */
  char repo[600], blobs[700], snaps[700], snap[800], p[900], blob[900], target[900];
  path_in(repo, sizeof repo, g_root, "hub");
  mkdir(repo, 0700);
  path_in(repo, sizeof repo, g_root, "hub/models--org--tiny");
  path_in(blobs, sizeof blobs, repo, "blobs");
  path_in(snaps, sizeof snaps, repo, "snapshots");
  const char *rev = "0123456789abcdef0123456789abcdef01234567";
  path_in(snap, sizeof snap, snaps, rev);
  if (mkdir(repo, 0700) || mkdir(blobs, 0700) || mkdir(snaps, 0700) || mkdir(snap, 0700)) die("mkdir", repo);
  for (size_t i = 0; i < sizeof MODEL_DIRS / sizeof MODEL_DIRS[0]; i++) {
    path_in(p, sizeof p, snap, MODEL_DIRS[i]);
    if (mkdir(p, 0700) != 0) die("mkdir", p);
  }
  path_in(p, sizeof p, repo, "refs");
  mkdir(p, 0700);
  path_in(p, sizeof p, repo, "refs/main");
  FILE *f = fopen(p, "w");
  if (!f) die("fopen", p);
  fputs(rev, f);
  fclose(f);
  for (size_t i = 0; i < N_MODEL_FILES; i++) {
    char hash[80];
    snprintf(hash, sizeof hash, "%064zx", (size_t)0x5eed0000 + i); /* blobs are named by content hash */
    path_in(blob, sizeof blob, blobs, hash);
    path_in(p, sizeof p, g_plain, MODEL_FILES[i]);
    copy_file(p, blob);
    int nested = strchr(MODEL_FILES[i], '/') != NULL;
    snprintf(target, sizeof target, "%s../../blobs/%s", nested ? "../" : "", hash);
    path_in(p, sizeof p, snap, MODEL_FILES[i]);
    if (symlink(target, p) != 0) die("symlink", p);
  }
  float v[FZ_H];
  ee_error err = {0};
  g_case = "Hugging Face cache layout";
  alarm(20);
  int ok = embed_one(snap, v, &err);
  alarm(0);
  CHECK(ok, "Hugging Face cache layout (snapshots/<rev>/* -> ../../blobs/<hash>) loads and embeds (%s)", err.msg);
  CHECK(ok && memcmp(v, ref, sizeof v) == 0,
        "Hugging Face cache layout: the same vector as the plain directory");

  /* The model directory itself reached through a link (as tools that point
  ** at snapshots/main or at refs do), relative and outside the repo. */
  path_in(p, sizeof p, g_root, "tiny-link");
  snprintf(target, sizeof target, "hub/models--org--tiny/snapshots/%s", rev);
  if (symlink(target, p) != 0) die("symlink", p);
  memset(v, 0, sizeof v);
  ok = embed_one(p, v, &err);
  CHECK(ok && memcmp(v, ref, sizeof v) == 0,
        "a symlink to the snapshot directory loads and gives the same vector (%s)", err.msg);

  /* The same entry found by its name (ee_model_locate): what refs/main names. */
  char hub[700], located[EE_MODEL_PATH_MAX];
  path_in(hub, sizeof hub, g_root, "hub");
  setenv("HF_HUB_CACHE", hub, 1);
  unsetenv("SENTENCE_TRANSFORMERS_HOME");
  CHECK(ee_model_locate("org/tiny", located, &err) == EE_OK && strcmp(located, snap) == 0,
        "ee_model_locate(\"org/tiny\") is the snapshot refs/main names (%s)", located);
  memset(v, 0, sizeof v);
  ok = embed_one("org/tiny", v, &err);
  CHECK(ok && memcmp(v, ref, sizeof v) == 0, "ee_model_load(\"org/tiny\") loads it from HF_HUB_CACHE (%s)",
        err.msg);
  CHECK(ee_model_locate(g_plain, located, &err) == EE_OK && strcmp(located, g_plain) == 0,
        "ee_model_locate of an existing directory is that directory");
  expect_fail("a name not in the cache", "org/nope", EE_ERR_IO, "models--org--nope", "huggingface-cli download");
  expect_fail("a revision not in the cache entry", "org/tiny@v2", EE_ERR_IO, "no revision 'v2'", NULL);
  CHECK(ee_model_locate("", located, &err) == EE_ERR_INPUT, "ee_model_locate(\"\"): %s", err.msg);
  char longpath[5000];
  memset(longpath, 'a', sizeof longpath - 1);
  longpath[0] = '/';
  longpath[sizeof longpath - 1] = '\0';
  CHECK(ee_model_locate(longpath, located, &err) == EE_ERR_INPUT && strstr(err.msg, "too long"),
        "a 4999-byte path is refused: %s", err.msg);
  unsetenv("HF_HUB_CACHE");
  /* No cache at all: HOME and every variable unset. */
  static const char *const vars[] = {"HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HOME"};
  char *saved[4];
  for (int i = 0; i < 4; i++) {
    const char *val = getenv(vars[i]);
    saved[i] = val ? strdup(val) : NULL;
    unsetenv(vars[i]);
  }
  CHECK(ee_model_locate("org/tiny", located, &err) == EE_ERR_IO && strstr(err.msg, "are all unset"),
        "no HOME and no cache variable: %s", err.msg);
  for (int i = 0; i < 4; i++) {
    if (saved[i]) setenv(vars[i], saved[i], 1);
    free(saved[i]);
  }
}

/* ---- 2. not a regular file ----------------------------------------------------- */

enum kind { K_DEV_ZERO, K_DEV_URANDOM, K_FIFO, K_DIR, K_SOCKET, K_DANGLING, K_SELF_LOOP, K_LOOP2, K_COUNT };
static const char *const KIND_NAME[K_COUNT] = {
  "a link to /dev/zero", "a link to /dev/urandom", "a FIFO with no writer", "a directory",
  "a socket", "a dangling link", "a link to itself", "a two-link loop",
};
static const char *const KIND_MSG[K_COUNT] = {
  "not a regular file (a character device)", "not a regular file (a character device)",
  "not a regular file (a FIFO)", "not a regular file (a directory)",
  "not a regular file (a socket)", "dangling symbolic link",
  "too many levels of symbolic links", "too many levels of symbolic links",
};

/* Replaces dir/name (a link) by an entry of kind k.  Returns 0 if this
** system cannot make it (then the case is skipped with a note). */
static int make_kind(const char *dir, const char *name, enum kind k) {
  char p[900], q[900];
  path_in(p, sizeof p, dir, name);
  if (unlink(p) != 0) die("unlink", p);
  switch (k) {
    case K_DEV_ZERO: return symlink("/dev/zero", p) == 0;
    case K_DEV_URANDOM: return symlink("/dev/urandom", p) == 0;
    case K_FIFO: return mkfifo(p, 0600) == 0;
    case K_DIR: return mkdir(p, 0700) == 0;
    case K_SOCKET: {
      struct sockaddr_un a;
      memset(&a, 0, sizeof a);
      a.sun_family = AF_UNIX;
      if (strlen(p) >= sizeof a.sun_path) return 0;
      memcpy(a.sun_path, p, strlen(p));
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      int ok = s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0;
      if (s >= 0) close(s); /* the socket file stays */
      return ok;
    }
    case K_DANGLING: return symlink("no-such-blob", p) == 0;
    case K_SELF_LOOP: return symlink(strrchr(p, '/') + 1, p) == 0;
    case K_LOOP2:
      if (snprintf(q, sizeof q, "%s.loop", p) >= (int)sizeof q) return 0;
      return symlink(q, p) == 0 && symlink(p, q) == 0;
    case K_COUNT: break;
  }
  return 0;
}

static void not_regular_files(void) {
  /* tokenizer.json is optional too: a broken one must not fall back to vocab.txt. */
  static const char *const names[] = {
    "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "modules.json",
    "sentence_bert_config.json", "1_Pooling/config.json", "tokenizer.json",
    "2_Dense/config.json", "2_Dense/model.safetensors",
  };
  int n = 0;
  for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
    for (int k = 0; k < K_COUNT; k++) {
      char dname[64], label[200];
      snprintf(dname, sizeof dname, "nr-%zu-%d", f, k);
      const char *dir = linked_model(dname);
      char p[900];
      if (strcmp(names[f], "tokenizer.json") == 0) { /* absent from the tiny model: add a link first */
        path_in(p, sizeof p, dir, "tokenizer.json");
        if (symlink("vocab.txt", p) != 0) die("symlink", p);
      }
      snprintf(label, sizeof label, "%s is %s", names[f], KIND_NAME[k]);
      if (!make_kind(dir, names[f], (enum kind)k)) {
        printf("note: %s: cannot be made on this system, skipped\n", label);
        continue;
      }
      path_in(p, sizeof p, dir, names[f]);
      expect_fail(label, dir, EE_ERR_IO, p, KIND_MSG[k]);
      n++;
    }
  }
  CHECK_EQ_INT(n, (int)(sizeof names / sizeof names[0]) * K_COUNT, "every not-a-regular-file case ran");
}

/* ---- 3. far over the size limits -------------------------------------------------- */

/* dir/name becomes a sparse file of size bytes whose first bytes are head. */
static void sparse_file(const char *dir, const char *name, long long size, const void *head, size_t nhead) {
  char p[900];
  path_in(p, sizeof p, dir, name);
  unlink(p);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) die("open", p);
  if (nhead && write(fd, head, nhead) != (ssize_t)nhead) die("write", p);
  if (ftruncate(fd, (off_t)size) != 0) die("ftruncate", p);
  close(fd);
}

static void huge_files(void) {
  long before = peak_rss_kb();
  char p[900];
  struct { const char *name; long long size; const char *msg; } big[] = {
    {"vocab.txt", 2LL << 30, "is too large (2147483648 bytes, limit 67108864)"},      /* one 2 GB line */
    {"config.json", 3LL << 30, "is too large (3221225472 bytes, limit 67108864)"},
    {"tokenizer_config.json", (64LL << 20) + 1, "is too large (67108865 bytes, limit 67108864)"},
    {"modules.json", 1LL << 40, "is too large (1099511627776 bytes, limit 67108864)"},
    {"sentence_bert_config.json", 1LL << 32, "is too large (4294967296 bytes, limit 67108864)"},
    {"1_Pooling/config.json", 1LL << 31, "is too large (2147483648 bytes, limit 67108864)"},
    {"2_Dense/config.json", 1LL << 31, "is too large (2147483648 bytes, limit 67108864)"},
    {"tokenizer.json", 1LL << 33, "is too large (8589934592 bytes, limit 67108864)"},
    {"model.safetensors.index.json", 1LL << 31, "is too large (2147483648 bytes, limit 67108864)"},
  };
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
    char dname[64], label[200];
    snprintf(dname, sizeof dname, "big-%zu", i);
    const char *dir = linked_model(dname);
    if (strcmp(big[i].name, "model.safetensors.index.json") == 0) {
      path_in(p, sizeof p, dir, "model.safetensors"); /* the index is read when there is no single file */
      unlink(p);
    }
    sparse_file(dir, big[i].name, big[i].size, "{", 1);
    snprintf(label, sizeof label, "a %lld-byte %s", big[i].size, big[i].name);
    path_in(p, sizeof p, dir, big[i].name);
    expect_fail(label, dir, EE_ERR_FORMAT, p, big[i].msg);
  }

  /* vocab.txt within the file limit but one 10 MB line: the line limit. */
  const char *dir = linked_model("long-line");
  sparse_file(dir, "vocab.txt", 10 << 20, "[PAD]\n[UNK]\n", 12);
  char want[1200];
  path_in(p, sizeof p, dir, "vocab.txt");
  snprintf(want, sizeof want, "line 3 of %s is %d bytes long (limit 4096)", p, (10 << 20) - 12);
  expect_fail("vocab.txt with a 10 MB line", dir, EE_ERR_FORMAT, want, NULL);

  /* safetensors: a header length over 100 MB in a 300 MB file, and a
  ** 99 MB header of NUL bytes (within the limit: mapped, and rejected at
  ** its first byte without the rest being touched). */
  unsigned char len8[8];
  uint64_t hl = 150ULL << 20;
  for (int k = 0; k < 8; k++) len8[k] = (unsigned char)(hl >> (8 * k));
  dir = linked_model("st-big-header");
  sparse_file(dir, "model.safetensors", 300LL << 20, len8, 8);
  path_in(p, sizeof p, dir, "model.safetensors");
  snprintf(want, sizeof want, "header length 157286400 in %s is over the 100 MB limit", p);
  expect_fail("safetensors header length 150 MB", dir, EE_ERR_FORMAT, want, NULL);
  hl = 99ULL << 20;
  for (int k = 0; k < 8; k++) len8[k] = (unsigned char)(hl >> (8 * k));
  dir = linked_model("st-zero-header");
  sparse_file(dir, "model.safetensors", (100LL << 20), len8, 8);
  path_in(p, sizeof p, dir, "model.safetensors");
  expect_fail("99 MB safetensors header of NUL bytes", dir, EE_ERR_FORMAT, p, "invalid JSON header");

  long grown = peak_rss_kb() - before;
  CHECK(before > 0 && grown < 64 * 1024,
        "peak RSS grew by %ld KB over files totalling more than 1 TB (bound: 64 MB)", grown);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  const char *tmp = getenv("TMPDIR");
  snprintf(g_root, sizeof g_root, "%s/se-files-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(g_root)) die("mkdtemp", g_root);
  path_in(g_plain, sizeof g_plain, g_root, "plain");
  if (mkdir(g_plain, 0700) != 0 || fz_model_write(g_plain) != 0) die("writing the tiny model", g_plain);

  float ref[FZ_H];
  ee_error err = {0};
  int ok = embed_one(g_plain, ref, &err);
  CHECK(ok, "the tiny model loads from plain files (%s)", err.msg);
  const char *dir = linked_model("linked");
  float v[FZ_H];
  CHECK(embed_one(dir, v, &err) && memcmp(v, ref, sizeof v) == 0,
        "every file an absolute symlink to another directory: same vector (%s)", err.msg);
  if (ok) hf_cache_layout(ref);
  huge_files();
  not_regular_files();

  nftw(g_root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
  return check_finish();
}

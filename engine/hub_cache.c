/*
** hub_cache.c — find a model by its Hugging Face name in the local cache
** that sentence-transformers and transformers download into, so
** `embed_load('m', 'sentence-transformers/all-MiniLM-L6-v2')` works on a
** machine where Python has fetched it once.  Nothing is ever downloaded.
**
**   char dir[EE_PATH_MAX];
**   if (ee_model_locate("BAAI/bge-small-en-v1.5", dir, &err) == EE_OK) ...
**   // dir: ~/.cache/huggingface/hub/models--BAAI--bge-small-en-v1.5/snapshots/<commit>
**
** The cache layout is huggingface_hub's:
**   <cache>/models--<org>--<name>/refs/<revision>    the commit, as text
**   <cache>/models--<org>--<name>/snapshots/<commit>/ the files (links to ../../blobs)
** <cache> is, as huggingface_hub and sentence-transformers choose it:
** $SENTENCE_TRANSFORMERS_HOME (sentence-transformers' own cache_folder,
** same layout) if set, and then $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE,
** else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
** ~/.cache/huggingface/hub.  A name without an organisation is tried as
** "sentence-transformers/<name>" first, as sentence-transformers does.
** "@<revision>" picks a branch, tag or commit (default main).
**
** A name is looked up here only when nothing exists on disk under it, and
** only if it is a valid repo id (huggingface_hub's rules: letters, digits,
** "-", "_", "."; at most one "/"; no "--" or ".."; 96 characters at most),
** so a mistyped path is never read as a name.
**
** Then, when what was found is a directory of .gguf files without
** config.json (a GGUF repository), the one file it holds, or the one a
** "name:Q4_K_M" suffix names (gguf_pick.c).
*/
#include "engine_int.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPO_ID_MAX 96
#define REVISION_MAX 128

static int id_char(int c) { return isalnum(c) || c == '-' || c == '_' || c == '.'; }

/* Is s[0..n) a valid name part (non-empty, no leading/trailing "-" or ".",
** no "--" or "..")? */
static int valid_part(const char *s, size_t n) {
  if (n == 0 || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.') return 0;
  for (size_t i = 0; i < n; i++) {
    if (!id_char((unsigned char)s[i])) return 0;
    if (i > 0 && (s[i] == '-' || s[i] == '.') && s[i - 1] == s[i]) return 0;
  }
  return 1;
}

/* Split "org/name@rev" into its parts; 0 if it is not a repo id. */
static int parse_name(const char *name, char *org, char *repo, char *rev) {
  const char *at = strchr(name, '@');
  size_t n = at ? (size_t)(at - name) : strlen(name);
  if (n > REPO_ID_MAX) return 0;
  const char *slash = memchr(name, '/', n);
  size_t norg = slash ? (size_t)(slash - name) : 0;
  const char *r = slash ? slash + 1 : name;
  size_t nrepo = n - (size_t)(r - name);
  if ((slash && !valid_part(name, norg)) || !valid_part(r, nrepo)) return 0;
  memcpy(org, name, norg);
  org[norg] = '\0';
  memcpy(repo, r, nrepo);
  repo[nrepo] = '\0';
  const char *v = at ? at + 1 : "main";
  size_t nrev = strlen(v);
  if (nrev > REVISION_MAX || !valid_part(v, nrev)) return 0;
  memcpy(rev, v, nrev + 1);
  return 1;
}

/* The hub cache directories to search, in order; returns how many. */
static int cache_dirs(char dirs[2][EE_PATH_MAX]) {
  int n = 0;
  const char *st = getenv("SENTENCE_TRANSFORMERS_HOME");
  if (st && *st) snprintf(dirs[n++], EE_PATH_MAX, "%s", st);
  const char *hub = getenv("HF_HUB_CACHE");
  if (!hub || !*hub) hub = getenv("HUGGINGFACE_HUB_CACHE");
  const char *home = getenv("HF_HOME"), *xdg = getenv("XDG_CACHE_HOME"), *user = getenv("HOME");
  if (hub && *hub) snprintf(dirs[n++], EE_PATH_MAX, "%s", hub);
  else if (home && *home) snprintf(dirs[n++], EE_PATH_MAX, "%s/hub", home);
  else if (xdg && *xdg) snprintf(dirs[n++], EE_PATH_MAX, "%s/huggingface/hub", xdg);
  else if (user && *user) snprintf(dirs[n++], EE_PATH_MAX, "%s/.cache/huggingface/hub", user);
  return n;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The commit `rev` names in the cache entry `entry`: refs/<rev> holds it;
** a commit hash given directly is its own snapshot. */
static ee_status entry_snapshot(const char *entry, const char *rev, char *out, ee_error *err) {
  char refs[EE_PATH_MAX], path[EE_PATH_MAX], commit[REVISION_MAX + 1];
  ee_status rc;
  snprintf(commit, sizeof commit, "%s", rev);
  if ((rc = ee_path_join(refs, entry, "refs", err)) != EE_OK ||
      (rc = ee_path_join(path, refs, rev, err)) != EE_OK)
    return rc;
  char *text = NULL;
  size_t len = 0;
  if ((rc = ee_read_file(path, 1024, 1, &text, &len, err)) != EE_OK) return rc;
  int text_found = text != NULL;
  if (text) {
    while (len > 0 && isspace((unsigned char)text[len - 1])) len--;
    int hex = len > 0 && len <= REVISION_MAX;
    for (size_t i = 0; hex && i < len; i++) hex = isxdigit((unsigned char)text[i]) != 0;
    if (hex) memcpy(commit, text, len), commit[len] = '\0';
    se_free(text);
    if (!hex)
      return ee_set_error(err, EE_ERR_FORMAT, "%s does not hold a commit hash", path);
  }
  if ((rc = ee_path_join(refs, entry, "snapshots", err)) != EE_OK ||
      (rc = ee_path_join(out, refs, commit, err)) != EE_OK)
    return rc;
  if (is_dir(out)) return EE_OK;
  if (text_found)
    return ee_set_error(err, EE_ERR_IO,
                        "%s names commit %s, but %s is missing (an interrupted download?)", path,
                        commit, out);
  return ee_set_error(err, EE_ERR_IO,
                      "the Hugging Face cache entry %s has no revision '%s' (neither refs/%s nor "
                      "snapshots/%s)", entry, rev, rev, rev);
}

static ee_status locate_name(const char *name, char *out, ee_error *err) {
  if (!name || !name[0]) return ee_set_error(err, EE_ERR_INPUT, "no model directory or name given");
  struct stat st;
  char org[REPO_ID_MAX + 1], repo[REPO_ID_MAX + 1], rev[REVISION_MAX + 1];
  if (lstat(name, &st) == 0 || !parse_name(name, org, repo, rev)) {
    if (strlen(name) >= EE_PATH_MAX)
      return ee_set_error(err, EE_ERR_INPUT, "model path is too long (%zu bytes)", strlen(name));
    memcpy(out, name, strlen(name) + 1); /* a path: the loaders report what is wrong with it */
    return EE_OK;
  }
  char dirs[2][EE_PATH_MAX], tried[2 * EE_PATH_MAX] = "";
  int ndirs = cache_dirs(dirs);
  /* "name" alone: sentence-transformers/name first, then name itself. */
  const char *orgs[2] = {org[0] ? org : "sentence-transformers", org[0] ? NULL : ""};
  for (int d = 0; d < ndirs; d++) {
    for (int k = 0; k < 2 && orgs[k]; k++) {
      char folder[2 * REPO_ID_MAX + 16], entry[EE_PATH_MAX];
      if (orgs[k][0]) snprintf(folder, sizeof folder, "models--%s--%s", orgs[k], repo);
      else snprintf(folder, sizeof folder, "models--%s", repo);
      ee_status rc = ee_path_join(entry, dirs[d], folder, err);
      if (rc != EE_OK) return rc;
      if (is_dir(entry)) return entry_snapshot(entry, rev, out, err);
      size_t used = strlen(tried);
      snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", entry);
    }
  }
  if (ndirs == 0)
    return ee_set_error(err, EE_ERR_IO,
                        "no model directory '%s', and no Hugging Face cache to look in (HOME, "
                        "HF_HOME and HF_HUB_CACHE are all unset)", name);
  return ee_set_error(err, EE_ERR_IO,
                      "no model directory '%s', and no copy of it in the Hugging Face cache "
                      "(looked for %.1500s); download it once (huggingface-cli download %s%s%s) or "
                      "give the model's directory", name, tried, org[0] ? org : "sentence-transformers",
                      "/", repo);
}

ee_status ee_model_locate(const char *spec, char *out, ee_error *err) {
  char name[EE_PATH_MAX], tag[32];
  const int tagged = spec && ee_split_tag(spec, name, tag);
  ee_status rc = locate_name(tagged ? name : spec, out, err);
  if (rc != EE_OK) return rc;
  return ee_gguf_pick(out, tagged ? tag : NULL, err);
}

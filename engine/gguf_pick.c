/*
** gguf_pick.c — which .gguf file a model name means, when it names a
** directory of them (a Hugging Face GGUF repository: one file per
** quantisation, no config.json).
**
**   embed_load('m', '/models/nomic-embed-text-v1.5-GGUF')          one .gguf there: that file
**   embed_load('m', 'nomic-ai/nomic-embed-text-v1.5-GGUF:Q4_K_M')  the file whose name has Q4_K_M
**
** The ":TAG" form is llama.cpp's (`llama-server -hf repo:Q4_K_M`); the tag
** is matched as a whole word of the file name, case aside, so Q4_K does not
** pick a Q4_K_M file.  ee_model_locate (hub_cache.c) calls both functions.
*/
#include "engine_int.h"
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Does file name a carry quantisation tag (case aside) as a whole word:
** "Q4_K" in "m.Q4_K.gguf" but not in "m.Q4_K_M.gguf"? */
static int has_tag(const char *name, const char *tag) {
  const size_t n = strlen(tag);
  for (const char *p = name; *p; p++) {
    if (strncasecmp(p, tag, n) != 0) continue;
    int before = p == name || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
    int after = !(isalnum((unsigned char)p[n]) || p[n] == '_');
    if (before && after) return 1;
  }
  return 0;
}

/* A directory without config.json that holds one .gguf file (a Hugging
** Face GGUF repository's snapshot, say) is that file; several are an error
** listing them, since each is another quantisation of the model, unless tag
** (llama.cpp's "repo:Q4_K_M", or NULL) names one. */
ee_status ee_gguf_pick(char *dir, const char *tag, ee_error *err) {
  char cfg[EE_PATH_MAX];
  struct stat st;
  ee_status rc = ee_path_join(cfg, dir, "config.json", err);
  if (rc != EE_OK) return rc;
  if (stat(dir, &st) != 0) /* the loaders report a missing path */
    return tag ? ee_set_error(err, EE_ERR_IO, "no model directory '%s' (before ':%s')", dir, tag)
               : EE_OK;
  if (!S_ISDIR(st.st_mode) || ee_file_exists(cfg))
    return tag ? ee_set_error(err, EE_ERR_INPUT, "':%s' picks one of the .gguf files of a directory "
                              "without config.json, and %s is not one", tag, dir)
               : EE_OK;
  DIR *d = opendir(dir);
  if (!d) return EE_OK; /* the loaders report what is wrong with it */
  enum { SHOWN = 8 };
  char kept[SHOWN][256], *names[SHOWN];
  int n = 0, all = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    size_t len = strlen(e->d_name);
    if (len <= 5 || len >= sizeof kept[0] || strcmp(e->d_name + len - 5, ".gguf") != 0) continue;
    all++;
    if (tag && !has_tag(e->d_name, tag)) continue;
    if (n < SHOWN) memcpy(kept[n], e->d_name, len + 1), names[n] = kept[n];
    n++;
  }
  closedir(d);
  if (n == 0 && tag)
    return ee_set_error(err, EE_ERR_INPUT, "no .gguf file in %s has '%s' in its name (%d GGUF "
                        "files there)", dir, tag, all);
  if (n == 0) return EE_OK;
  int shown = n < SHOWN ? n : SHOWN;
  qsort(names, (size_t)shown, sizeof *names, cmp_str); /* readdir's order is the disk's */
  if (n == 1) {
    char path[EE_PATH_MAX];
    if ((rc = ee_path_join(path, dir, names[0], err)) != EE_OK) return rc;
    memcpy(dir, path, strlen(path) + 1); /* dir is EE_PATH_MAX bytes */
    return EE_OK;
  }
  char list[SHOWN * 260] = "";
  for (int i = 0; i < shown; i++)
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
  if (tag)
    return ee_set_error(err, EE_ERR_INPUT, "%d .gguf files in %s have '%s' in their names (%s%s): "
                        "give the path of one", n, dir, tag, list, n > shown ? ", ..." : "");
  return ee_set_error(err, EE_ERR_INPUT,
                      "%s has no config.json but %d GGUF files (%s%s): give the path of one, or "
                      "its quantisation after a colon, e.g. '%s:Q4_K_M'", dir, n, list,
                      n > shown ? ", ..." : "", dir);
}

/* "name:TAG", where name:TAG is no file but name may be, splits at the
** colon: TAG (letters, digits, '_', at most 31) then picks a .gguf file in
** name's directory, as llama.cpp's "-hf repo:Q4_K_M" does.  Returns 1 and
** fills name and tag, or 0 (spec is a plain name or path). */
int ee_split_tag(const char *spec, char *name, char *tag) {
  const char *colon = strrchr(spec, ':');
  struct stat st;
  if (!colon || colon == spec || lstat(spec, &st) == 0) return 0;
  size_t n = strlen(colon + 1);
  if (n == 0 || n > 31 || (size_t)(colon - spec) >= EE_PATH_MAX) return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)colon[1 + i]) && colon[1 + i] != '_') return 0;
  memcpy(name, spec, (size_t)(colon - spec));
  name[colon - spec] = '\0';
  memcpy(tag, colon + 1, n + 1);
  return 1;
}

/*
** prompts.c — the prompts a sentence-transformers model names in
** config_sentence_transformers.json:
**
**   {"prompts": {"query": "query: ", "document": "passage: "},
**    "default_prompt_name": null}
**
** sentence-transformers prepends a prompt to a text before tokenizing it, as
** one string (prompt + text, so truncation counts the prompt's tokens too):
** the one encode() is asked for by name, else the default_prompt_name's;
** since v5 encode_query() takes "query" and encode_document() the first of
** "document", "passage", "corpus" when the model has them.  The engine only
** reads and checks them (a default naming no prompt is refused, as
** sentence-transformers refuses it); which text gets which prompt is the
** caller's choice.
**
** The same file's "similarity_fn_name" (sentence-transformers v3) says
** which function the model was trained to be compared with: "cosine" (the
** default), "dot", "euclidean" or "manhattan"; another value is refused,
** as sentence-transformers refuses it.  A semantic index takes its default
** metric from it.
*/
#include "engine_int.h"
#include "../tokenizer/se_json.h"
#include <jansson.h>
#include <string.h>

void ee_prompts_free(ee_prompts *p) {
  for (int i = 0; i < p->n; i++) {
    se_free(p->names[i]);
    se_free(p->texts[i]);
  }
  se_free(p->names);
  se_free(p->texts);
  se_free(p->json);
  memset(p, 0, sizeof *p);
}

const char *ee_prompts_find(const ee_prompts *p, const char *name) {
  for (int i = 0; name && i < p->n; i++)
    if (strcmp(p->names[i], name) == 0) return p->texts[i];
  return NULL;
}

/* Copies the "prompts" object (already checked: every value a string). */
static ee_status copy_prompts(ee_prompts *p, const json_t *obj, const char *path, ee_error *err) {
  size_t n = json_object_size(obj);
  p->names = se_calloc(n ? n : 1, sizeof *p->names);
  p->texts = se_calloc(n ? n : 1, sizeof *p->texts);
  p->json = se_json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
  if (!p->names || !p->texts || !p->json)
    return ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)obj, key, val) {
    const char *text = json_string_value(val);
    p->names[p->n] = se_strndup(key, strlen(key));
    p->texts[p->n] = se_strndup(text, json_string_length(val));
    if (!p->names[p->n] || !p->texts[p->n]) {
      p->n++; /* so ee_prompts_free frees the one that was allocated */
      return ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
    }
    p->n++;
  }
  return EE_OK;
}

ee_status ee_prompts_load(const char *dir, ee_prompts *p, ee_error *err) {
  char path[EE_PATH_MAX];
  json_t *root = NULL;
  ee_status rc;
  memset(p, 0, sizeof *p);
  if ((rc = ee_path_join(path, dir, "config_sentence_transformers.json", err)) != EE_OK) return rc;
  if ((rc = ee_load_json(path, 1, &root, err)) != EE_OK) return rc;
  const json_t *prompts = root ? json_object_get(root, "prompts") : NULL;
  const json_t *dflt = root ? json_object_get(root, "default_prompt_name") : NULL;
  if (root && !json_is_object(root)) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "%s is not a JSON object", path);
    goto done;
  }
  if (prompts && !json_is_null(prompts)) {
    if (!json_is_object(prompts)) {
      rc = ee_set_error(err, EE_ERR_FORMAT, "\"prompts\" in %s is not an object of strings", path);
      goto done;
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)prompts, key, val) {
      if (!json_is_string(val)) { /* (a \u0000 inside is refused by the parser) */
        rc = ee_set_error(err, EE_ERR_FORMAT, "prompt '%.64s' in %s is not a string", key, path);
        goto done;
      }
    }
  }
  const json_t *sim = root ? json_object_get(root, "similarity_fn_name") : NULL;
  static const char *const sims[] = {"cosine", "dot", "euclidean", "manhattan"};
  p->similarity = sims[0];
  if (sim && !json_is_null(sim)) {
    const char *name = json_string_value(sim);
    p->similarity = NULL;
    for (size_t i = 0; name && i < sizeof sims / sizeof sims[0]; i++)
      if (strcmp(name, sims[i]) == 0) p->similarity = sims[i];
    if (!p->similarity) {
      rc = ee_set_error(err, EE_ERR_FORMAT,
                        "similarity_fn_name in %s must be cosine, dot, euclidean or manhattan", path);
      goto done;
    }
  }
  if (dflt && !json_is_null(dflt)) {
    const char *name = json_string_value(dflt);
    if (!name || !prompts || !json_object_get(prompts, name)) {
      rc = ee_set_error(err, EE_ERR_FORMAT,
                        "default_prompt_name in %s names no prompt of its \"prompts\"", path);
      goto done;
    }
  }
  if (prompts && json_is_object(prompts)) {
    if ((rc = copy_prompts(p, prompts, path, err)) != EE_OK) goto done;
    if (dflt && json_is_string(dflt)) {
      for (int i = 0; i < p->n; i++)
        if (strcmp(p->names[i], json_string_value(dflt)) == 0) p->dflt = p->names[i];
    }
  }
done:
  json_decref(root);
  if (rc != EE_OK) ee_prompts_free(p);
  return rc;
}

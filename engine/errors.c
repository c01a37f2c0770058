/*
** errors.c — error reporting and small file helpers for the engine.
**
**   ee_error err;
**   return ee_set_error(&err, EE_ERR_FORMAT, "bad thing in %s", path);
**
** Every engine function that can fail returns an ee_status and fills an
** ee_error (which may be NULL) whose message is lowercase, has no trailing
** period and names the file, tensor or argument at fault.  Messages longer
** than the 512-byte buffer are cut, never overflowed.
*/
#include "engine_int.h"
#include "../tokenizer/se_file.h"
#include "../tokenizer/se_json.h"
#include <jansson.h>
#include <stdio.h>
#include <string.h>

ee_status ee_set_error(ee_error *err, ee_status code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

const char *ee_status_string(ee_status s) {
  switch (s) {
    case EE_OK: return "ok";
    case EE_ERR_NOMEM: return "out of memory";
    case EE_ERR_IO: return "i/o error";
    case EE_ERR_FORMAT: return "malformed model file";
    case EE_ERR_UNSUPPORTED: return "unsupported model";
    case EE_ERR_INPUT: return "bad input";
  }
  return "unknown status";
}

ee_status ee_path_join(char *out, const char *dir, const char *name, ee_error *err) {
  int n = snprintf(out, EE_PATH_MAX, "%s/%s", dir, name);
  if (n < 0 || n >= EE_PATH_MAX)
    return ee_set_error(err, EE_ERR_INPUT, "path too long: %.200s/%.200s", dir, name);
  return EE_OK;
}

/* Anything under that name, even a dangling link or a FIFO: callers use it
** to pick which file to load, and loading then reports what is wrong with
** it, rather than the choice silently falling to another file. */
int ee_file_exists(const char *path) { return se_file_present(path); }

/* The whole file under se_file.h's policy: a regular file (symlinks
** followed), at most max_bytes, checked before anything is allocated. */
ee_status ee_read_file(const char *path, int64_t max_bytes, int missing_ok,
                       char **buf, size_t *len, ee_error *err) {
  char msg[sizeof err->msg];
  ee_status rc = EE_OK;
  switch (se_file_read(path, max_bytes, buf, len, msg, sizeof msg)) {
    case SE_FILE_OK: return EE_OK;
    case SE_FILE_MISSING:
      if (missing_ok) return EE_OK;
      rc = EE_ERR_IO;
      break;
    case SE_FILE_IO: rc = EE_ERR_IO; break;
    case SE_FILE_TOO_BIG: rc = EE_ERR_FORMAT; break;
    case SE_FILE_NOMEM: rc = EE_ERR_NOMEM; break;
  }
  return ee_set_error(err, rc, "%s", msg);
}

ee_status ee_load_json(const char *path, int missing_ok, json_t **out, ee_error *err) {
  char *buf = NULL;
  size_t len = 0;
  *out = NULL;
  ee_status rc = ee_read_file(path, EE_MAX_JSON_FILE, missing_ok, &buf, &len, err);
  if (rc == EE_OK && buf) {
    json_error_t jerr;
    int nomem;
    *out = se_json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr, &nomem);
    if (!*out && nomem)
      rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory parsing %s", path);
    else if (!*out)
      rc = ee_set_error(err, EE_ERR_FORMAT, "invalid JSON in %s: %s (line %d, column %d)", path,
                        jerr.text, jerr.line, jerr.column);
  }
  se_free(buf);
  return rc;
}

ee_status ee_from_wp(wp_status s) {
  switch (s) {
    case WP_OK: return EE_OK;
    case WP_ERR_NOMEM: return EE_ERR_NOMEM;
    case WP_ERR_IO: return EE_ERR_IO;
    case WP_ERR_UTF8:
    case WP_ERR_ARG: return EE_ERR_INPUT;
    case WP_ERR_FORMAT: break;
  }
  return EE_ERR_FORMAT;
}

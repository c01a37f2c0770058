/*
** sqlite-embed.h — the extension's entry point, for programs that link it
** statically (call sqlite3_embed_init via sqlite3_auto_extension) instead of
** loading build/embed0.so.
*/
#ifndef SQLITE_EMBED_H
#define SQLITE_EMBED_H
#include <sqlite3.h>

#define SQLITE_EMBED_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif
int sqlite3_embed_init(sqlite3 *db, char **pzErrMsg, const struct sqlite3_api_routines *pApi);
#ifdef __cplusplus
}
#endif
#endif

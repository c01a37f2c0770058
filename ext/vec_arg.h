/*
** vec_arg.h — reading the vector arguments of the vec_* SQL functions
** (vec_arg.c), and handing vectors back to SQLite.
**
** Three element types, as sqlite-vec has them, told apart by subtype:
**   float32  a BLOB of little-endian floats (subtype 223, or none), or JSON TEXT
**   int8     a BLOB of signed bytes with subtype 225 (vec_int8, vec_quantize_int8)
**   bit      a BLOB of bits with subtype 224, least significant bit first
**            (vec_bit, vec_quantize_binary)
** A BLOB read back from a table has lost its subtype and reads as float32;
** vec_int8(b) and vec_bit(b) mark it again.  Each function says which
** types it takes; any other is an error naming the argument and its type.
*/
#ifndef VEC_ARG_H
#define VEC_ARG_H
#include "ext_int.h"
#include <stdint.h>

#define VEC_MAX_DIMS 65536 /* like sqlite-vec's limit; bigger blobs are not vectors */

enum { VEC_F32 = 1, VEC_I8 = 2, VEC_BIT = 4 }; /* element types; or'ed: the types a function takes */

/* One vector argument.  Exactly one of a, i8, bits is set, by eType. */
typedef struct vec_arg {
  int eType;            /* VEC_F32, VEC_I8 or VEC_BIT */
  int n;                /* dimensions (for bit vectors, 8 per byte) */
  const float *a;       /* float32 elements: into aOwned or the BLOB */
  const int8_t *i8;     /* int8 elements, in the BLOB */
  const uint8_t *bits;  /* n / 8 bytes of bits, in the BLOB */
  float *aOwned;        /* sqlite3_malloc'd copy when the value needed converting, else NULL */
} vec_arg;

/* Reads argument iArg (0-based) of zFunc as one of the types in mAccept.
** Returns 1 with *p filled, or 0 after setting the result (NULL for a NULL
** argument, or an error); a float32 vector is checked finite. */
int vecArgRead(sqlite3_context *ctx, const char *zFunc, int iArg, sqlite3_value *pVal, int mAccept, vec_arg *p);
/* The same without a function context (for a table-valued function's
** xFilter): SQLITE_OK with *p filled, SQLITE_DONE for NULL, SQLITE_ERROR
** with *pzErr (sqlite3_malloc'd, without the function's name), or
** SQLITE_NOMEM. */
int vecArgParse(int iArg, sqlite3_value *pVal, int mAccept, vec_arg *p, char **pzErr);
/* Reads argv[0] and argv[1]: same type, same dimensions.  Returns 1, or 0
** with the result set and nothing to free. */
int vecArgsRead2(sqlite3_context *ctx, const char *zFunc, sqlite3_value **argv, int mAccept, vec_arg *pA,
                 vec_arg *pB);
void vecArgFree(vec_arg *p);

/* "float32", "int8" or "bit" (vec_type's answers). */
const char *vecTypeName(int eType);
/* Bytes that n elements of eType take (a bit vector: n / 8). */
int64_t vecByteCount(int eType, int64_t n);
/* p's elements, whichever of a, i8, bits its type sets (NULL if none). */
const void *vecArgElems(const vec_arg *p);

/* Parses a JSON array of numbers (eType VEC_F32: finite in float32) or of
** integers in [-128, 127] (VEC_I8) into a new sqlite3_malloc'd array of
** floats or int8 (*paOut, *pn).  Returns NULL on success or an error
** message (sqlite3_malloc'd); NULL with *paOut NULL: out of memory. */
char *vecParseJson(const char *zJson, int nJson, int eType, void **paOut, int *pn);

/* Hand a new sqlite3_malloc'd vector to SQLite as the result (takes it):
** n elements of the given type (for VEC_BIT, n / 8 bytes). */
void vecResult(sqlite3_context *ctx, int eType, void *p, int n);

#endif

/*
** se_file.h — open and read model files without trusting what a path names.
**
**   char msg[600]; char *data; size_t len;
**   se_file_status s = se_file_read("m/config.json", 64 << 20, &data, &len, msg, sizeof msg);
**   if (s == SE_FILE_MISSING) ... optional file absent ...
**   else if (s != SE_FILE_OK) ... msg names the file and the problem ...
**
** Shared by tokenizer/ (vocab.txt, tokenizer.json) and engine/ (config.json
** and co., safetensors), so both apply one policy:
**   - Symbolic links are followed wherever they point: Hugging Face's cache
**     keeps snapshots/<rev>/config.json -> ../../blobs/<hash>, outside the
**     model directory, and that layout must load.
**   - What the path resolves to must be a regular file.  A directory, FIFO,
**     socket or device (/dev/zero, /dev/urandom, a tty) is refused by stat()
**     before it is opened, so opening cannot block (a FIFO with no writer)
**     or have side effects (some devices act on open); the open itself uses
**     O_NONBLOCK and fstat() checks again, in case the name was swapped in
**     between.
**   - A dangling link or a link loop is an error naming the file, never
**     "missing" (an optional file that is a broken link is a broken model).
**   - A regular file is read only up to the caller's size limit, checked
**     against fstat() before anything is allocated, and exactly that many
**     bytes are read, so a file that grows while being read cannot make the
**     reader allocate more.
** Messages are lowercase without a trailing period and name the path.
*/
#ifndef SE_FILE_H
#define SE_FILE_H
#include <stddef.h>
#include <stdint.h>

typedef enum se_file_status {
  SE_FILE_OK = 0,
  SE_FILE_MISSING, /* nothing at all under that name (ENOENT, not even a link) */
  SE_FILE_IO,      /* cannot open or read: not a regular file, dangling link, permissions... */
  SE_FILE_TOO_BIG, /* a regular file over max_bytes */
  SE_FILE_NOMEM
} se_file_status;

/* Opens path for reading if it resolves to a regular file.  Returns the file
** descriptor (O_CLOEXEC) and its size, or -1 with *status and msg set. */
int se_file_open(const char *path, int64_t *size, se_file_status *status, char *msg, size_t nmsg);

/* Reads the whole regular file at path, if at most max_bytes long, into a
** NUL-terminated buffer from se_malloc (*data, *len; the caller frees).  On
** failure *data is NULL and msg says why. */
se_file_status se_file_read(const char *path, int64_t max_bytes, char **data, size_t *len,
                            char *msg, size_t nmsg);

/* 1 if anything is under that name, even a dangling link (lstat): the
** loaders use it to choose which file to read, so that a broken file is
** reported rather than silently skipped in favour of another. */
int se_file_present(const char *path);

#endif

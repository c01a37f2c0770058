/*
** se_file.c — open and read model files under one policy (see se_file.h):
** follow symlinks, accept only regular files, never block, bound the read.
**
**   int64_t size; se_file_status s; char msg[512];
**   int fd = se_file_open("m/model.safetensors", &size, &s, msg, sizeof msg);
**
** How: stat() first, so a FIFO, device or directory is refused without
** being opened; then open(O_NONBLOCK | O_NOCTTY) and fstat() on the
** descriptor, which is the check that counts (the name may have changed
** between the two calls).  stat() failing with ENOENT is told apart from a
** dangling link with lstat(), and ELOOP is named as a probable link loop.
*/
#include "se_file.h"
#include "se_alloc.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "an unknown kind of file";
}

/* "cannot <verb> <path>: <strerror, lowercased to our message style>". */
static void errno_message(char *msg, size_t n, const char *verb, const char *path, int e) {
  char why[128];
  snprintf(why, sizeof why, "%s", strerror(e));
  why[0] = (char)tolower((unsigned char)why[0]);
  snprintf(msg, n, "cannot %s %s: %s", verb, path, why);
}

/* stat() or open() of path failed with errno e: say why, as precisely as
** lstat() allows, and classify (only a name with nothing behind it, not
** even a link, is "missing"). */
static se_file_status open_failure(const char *path, int e, char *msg, size_t n) {
  struct stat lst;
  if (e == ELOOP) {
    snprintf(msg, n, "cannot open %s: too many levels of symbolic links (a symlink loop?)", path);
    return SE_FILE_IO;
  }
  if (e == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
    char target[256];
    ssize_t k = readlink(path, target, sizeof target - 1);
    target[k > 0 ? k : 0] = '\0';
    snprintf(msg, n, "cannot open %s: dangling symbolic link (its target '%s' does not exist)",
             path, target);
    return SE_FILE_IO;
  }
  errno_message(msg, n, "open", path, e);
  return e == ENOENT ? SE_FILE_MISSING : SE_FILE_IO;
}

/* A model cloned with git but without Git LFS has, in place of each large
** file, a pointer of ~130 bytes: "version https://git-lfs.github.com/spec/v1",
** "oid sha256:...", "size N".  Read as the file it stands for it gives
** baffling errors (a safetensors header billions of bytes long, a
** vocabulary without [UNK]), so it is named for what it is.  Returns 1 with
** msg set when fd holds such a pointer. */
static int lfs_pointer(int fd, const char *path, int64_t size, char *msg, size_t nmsg) {
  static const char magic[] = "version https://git-lfs.github.com/spec/v1";
  char head[1024];
  if (size < (int64_t)sizeof magic - 1 || size > (int64_t)sizeof head - 1) return 0;
  ssize_t n = pread(fd, head, (size_t)size, 0);
  if (n < (ssize_t)sizeof magic - 1 || memcmp(head, magic, sizeof magic - 1) != 0) return 0;
  head[n] = '\0';
  const char *sz = strstr(head, "\nsize ");
  long long real = sz ? strtoll(sz + 6, NULL, 10) : -1;
  char real_msg[48] = "";
  if (real > 0) snprintf(real_msg, sizeof real_msg, " of %lld bytes", real);
  snprintf(msg, nmsg,
           "%s is a Git LFS pointer (%lld bytes), not the file%s it stands for: the model was cloned "
           "without Git LFS; run 'git lfs install' and 'git lfs pull' in its directory, or download it "
           "with huggingface-cli",
           path, (long long)size, real_msg);
  return 1;
}

int se_file_open(const char *path, int64_t *size, se_file_status *status, char *msg, size_t nmsg) {
  struct stat st;
  *size = 0;
  if (stat(path, &st) != 0) {
    *status = open_failure(path, errno, msg, nmsg);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(msg, nmsg, "cannot read %s: not a regular file (%s)", path, file_kind(st.st_mode));
    *status = SE_FILE_IO;
    return -1;
  }
  /* O_NONBLOCK: if a FIFO was swapped in after stat(), open returns at once
  ** instead of waiting for a writer; it changes nothing for regular files. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    *status = open_failure(path, errno, msg, nmsg);
    return -1;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(msg, nmsg, "cannot read %s: not a regular file (%s)", path, file_kind(st.st_mode));
    close(fd);
    *status = SE_FILE_IO;
    return -1;
  }
  *size = (int64_t)st.st_size;
  if (lfs_pointer(fd, path, *size, msg, nmsg)) {
    close(fd);
    *status = SE_FILE_IO;
    return -1;
  }
  *status = SE_FILE_OK;
  return fd;
}

se_file_status se_file_read(const char *path, int64_t max_bytes, char **data, size_t *len,
                            char *msg, size_t nmsg) {
  se_file_status status;
  int64_t size;
  char *buf = NULL;
  *data = NULL;
  *len = 0;
  int fd = se_file_open(path, &size, &status, msg, nmsg);
  if (fd < 0) return status;
  if (size > max_bytes) {
    snprintf(msg, nmsg, "%s is too large (%lld bytes, limit %lld)", path, (long long)size,
             (long long)max_bytes);
    status = SE_FILE_TOO_BIG;
    goto done;
  }
  size_t n = (size_t)size, got = 0;
  if (!(buf = se_malloc(n + 1))) {
    snprintf(msg, nmsg, "out of memory reading %s", path);
    status = SE_FILE_NOMEM;
    goto done;
  }
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      errno_message(msg, nmsg, "read", path, errno);
      status = SE_FILE_IO;
      goto done;
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  if (got != n) {
    snprintf(msg, nmsg, "cannot read %s: it shrank while being read (%zu of %zu bytes)", path,
             got, n);
    status = SE_FILE_IO;
    goto done;
  }
  buf[n] = '\0';
  *data = buf;
  *len = n;
  buf = NULL;
done:
  se_free(buf);
  close(fd);
  return status;
}

int se_file_present(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

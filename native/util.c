/* Errors as messages that name the syscall and its argument, and small file helpers. */
#include "shim.h"

#include <stdarg.h>

char shim_err[SHIM_ERR_MAX];

/* strerror as Go spells it (lower case), since moby's messages are Go's. strerrordesc_np never
 * translates, which keeps gettext and its locale loading out of the static binary. */
const char *errstr(int err) {
  static char buf[128];
  const char *desc = strerrordesc_np(err);
  snprintf(buf, sizeof buf, "%s", desc ? desc : "unknown error");
  if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z')) buf[0] += 'a' - 'A';
  return buf;
}

int fail(int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(shim_err, sizeof shim_err, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof shim_err) snprintf(shim_err + n, sizeof shim_err - n, ": %s", errstr(err));
  return err > 0 ? -err : -EIO;
}

int fail_msg(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(shim_err, sizeof shim_err, fmt, ap);
  va_end(ap);
  return -EINVAL;
}

int write_all(int fd, const void *buf, size_t len) {
  for (const char *p = buf; len > 0;) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    p += n, len -= n;
  }
  return 0;
}

/* PATH.tmp, then rename: a reader sees no file or the whole file, never a part. No fsync: these
 * files live in the exec-root, whose state means nothing after the machine goes down (a reboot
 * clears it), and an fsync per start and exit costs milliseconds on a disk-backed /run. */
int write_file(const char *path, const char *data) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(errno, "open `%s`", tmp);
  int r = write_all(fd, data, strlen(data));
  close(fd);
  if (r < 0) return fail(-r, "write `%s`", tmp);
  if (rename(tmp, path) < 0) return fail(errno, "rename `%s`", tmp);
  return 0;
}

/* mkdir -p PATH, or only its parent directories. */
int mkdir_p(const char *path, int parent_only) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return fail(ENAMETOOLONG, "mkdir `%s`", path);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char c = *p;
    *p = '\0';
    if ((c || !parent_only) && mkdir(buf, 0755) < 0 && errno != EEXIST) return fail(errno, "mkdir `%s`", buf);
    if (!(*p = c)) return 0;
  }
}

/* The whole file, NUL-terminated, malloc'd; NULL with errno set. Works for /proc files. */
char *read_file(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  size_t cap = 4096, n = 0;
  char *buf = NULL, *bigger;
  for (ssize_t r = 1; fd >= 0 && r > 0; n += r) {
    if (n + 1 >= cap || !buf) {
      if (!(bigger = realloc(buf, buf ? (cap *= 2) : cap))) break;
      buf = bigger;
    }
    while ((r = read(fd, buf + n, cap - n - 1)) < 0 && errno == EINTR) continue;
    if (r == 0) {
      close(fd);
      buf[n] = '\0', *len = n;
      return buf;
    }
  }
  int saved = errno ? errno : ENOMEM;
  free(buf);
  if (fd >= 0) close(fd);
  errno = saved;
  return NULL;
}

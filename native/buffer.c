/* A byte queue in front of a non-blocking fd: what the fd has not taken yet is data[off..len).
 * The stdin of the container and each client's output use one. */
#include "shim.h"

int buf_append(struct buf *b, const void *p, size_t n) {
  if (b->len + n > b->cap && b->off) {
    memmove(b->data, b->data + b->off, b->len - b->off);
    b->len -= b->off, b->off = 0;
  }
  if (b->len + n > b->cap) {
    size_t cap = b->cap * 2 > b->len + n ? b->cap * 2 : b->len + n + 65536;
    char *data = realloc(b->data, cap);
    if (!data) return -ENOMEM;
    b->data = data, b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

/* Writes what the fd takes now; returns the bytes still pending, or -errno. A drained big buffer is
 * freed, so a burst does not stay in the RSS. */
ssize_t buf_flush(struct buf *b, int fd) {
  while (b->off < b->len) {
    ssize_t n = write(fd, b->data + b->off, b->len - b->off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) return -errno;
    b->off += n;
  }
  if (b->off == b->len && b->cap > 65536) free(b->data), b->data = NULL, b->cap = 0;
  if (b->off == b->len) b->off = b->len = 0;
  return b->len - b->off;
}

/* Clients of STATE_DIR/sock: non-blocking and framed (shim-protocol.h). Output goes to a client's
 * socket directly while it keeps up. A client more than CLIENT_HOLD_AT behind holds the container's
 * output back (as docker's attach does: the container waits, nothing is lost), until it has caught
 * up; one that takes nothing for CLIENT_STALL_SEC meanwhile, or lets more than
 * SHIM_CLIENT_BUFFER_MAX pile up, is dropped and the output goes on. */
#include "shim.h"

#include <sys/epoll.h>
#include <sys/uio.h>
#include <sys/time.h>

#define IN_CAP (SHIM_FRAME_HEADER + SHIM_FRAME_MAX)
/* Pending output past which a client holds the container's output back. */
#define CLIENT_HOLD_AT (1024 * 1024)
/* The kernel's buffer for a client's socket (SO_SNDBUFFORCE: past net.core.wmem_max, about 200 KiB
 * here): with room for bursts the shim and kapald take turns less often, 290 → 350 MB/s of attach
 * (bench/streams.ts). Memory is used only while a client is behind. */
#define CLIENT_SNDBUF (512 * 1024)
/* A client behind that long without taking a byte is dropped, so a stuck reader cannot stop the container. */
#define CLIENT_STALL_SEC 10

struct client {
  int fd;
  uint8_t attach; /* ATTACH_* */
  int eof;        /* half-closed by the client: no more input, output still wanted */
  uint32_t events;
  char *in; /* an incomplete incoming frame */
  size_t in_len;
  struct buf out;
  time_t progress; /* CLOCK_MONOTONIC seconds: when its socket last took output, or had none pending */
  struct client *next;
};

void client_set_attach(struct client *c, uint8_t flags) { c->attach = flags; }

static void client_watch(struct monitor *m, struct client *c) {
  uint32_t events = (c->eof || m->paused ? 0 : EPOLLIN) | (c->out.len > c->out.off ? EPOLLOUT : 0);
  epoll_set(m->ep, c->fd, events, &c->events);
}

static void client_drop(struct monitor *m, struct client *c) {
  struct client **p = &m->clients;
  while (*p != c) p = &(*p)->next;
  *p = c->next;
  epoll_set(m->ep, c->fd, 0, &c->events);
  close(c->fd);
  free(c->in), free(c->out.data), free(c);
}

static time_t monotonic_sec(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec;
}

/* Both return -1 when the client was dropped: it went away, or it cannot keep up. */
static int client_flush(struct monitor *m, struct client *c) {
  size_t before = c->out.len - c->out.off;
  ssize_t pending = buf_flush(&c->out, c->fd);
  if (pending < 0) return client_drop(m, c), -1;
  if ((size_t)pending < before) c->progress = monotonic_sec();
  client_watch(m, c);
  return 0;
}

/* Up to this many frames go out in one writev. */
#define SEND_FRAMES 8

/* Queues what a writev of iov[0..n) did not take (its first `sent` bytes went out). */
static int queue_rest(struct buf *out, const struct iovec *iov, int n, size_t sent) {
  for (int i = 0; i < n; i++) {
    size_t skip = sent < iov[i].iov_len ? sent : iov[i].iov_len;
    sent -= skip;
    if (iov[i].iov_len > skip && buf_append(out, (char *)iov[i].iov_base + skip, iov[i].iov_len - skip) < 0)
      return -ENOMEM;
  }
  return 0;
}

/* `len` bytes as frames of at most SHIM_FRAME_MAX. While nothing is pending for the client they go
 * straight to its socket (one writev for up to SEND_FRAMES frames, no copy); the rest is queued. */
static int client_send(struct monitor *m, struct client *c, int type, const char *p, size_t len) {
  uint8_t h[SEND_FRAMES][SHIM_FRAME_HEADER];
  struct iovec iov[2 * SEND_FRAMES];
  size_t frames = len ? (len + SHIM_FRAME_MAX - 1) / SHIM_FRAME_MAX : 1, done = 0;
  if (c->out.len - c->out.off + len + frames * SHIM_FRAME_HEADER > SHIM_CLIENT_BUFFER_MAX) return client_drop(m, c), -1;
  do {
    int n = 0;
    for (; n < SEND_FRAMES && (done < len || n == 0); n++) {
      size_t k = len - done < SHIM_FRAME_MAX ? len - done : SHIM_FRAME_MAX;
      memcpy(h[n], (uint8_t[SHIM_FRAME_HEADER]){type, k >> 24, k >> 16, k >> 8, k}, SHIM_FRAME_HEADER);
      iov[2 * n] = (struct iovec){h[n], SHIM_FRAME_HEADER};
      iov[2 * n + 1] = (struct iovec){(char *)p + done, k};
      done += k;
    }
    ssize_t sent = 0;
    if (c->out.len == c->out.off) { /* up to date so far */
      c->progress = monotonic_sec();
      while ((sent = writev(c->fd, iov, 2 * n)) < 0 && errno == EINTR) continue;
      if (sent < 0 && errno != EAGAIN) return client_drop(m, c), -1;
    }
    if (queue_rest(&c->out, iov, 2 * n, sent < 0 ? 0 : (size_t)sent) < 0) return client_drop(m, c), -1;
  } while (done < len);
  client_watch(m, c);
  return 0;
}

void clients_output(struct monitor *m, int type, const char *buf, size_t len) {
  uint8_t want = type == OUT_STDERR ? ATTACH_STDERR : ATTACH_STDOUT;
  for (struct client *c = m->clients, *next; c; c = next) {
    next = c->next;
    if (c->attach & want) client_send(m, c, type, buf, len);
  }
}

static void client_read(struct monitor *m, struct client *c) {
  if (!c->in && !(c->in = malloc(IN_CAP))) return client_drop(m, c);
  ssize_t n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n == 0 && (c->attach & (ATTACH_STDOUT | ATTACH_STDERR))) { /* half-closed: it still reads output */
    c->eof = 1;
    return client_watch(m, c);
  }
  if (n <= 0) return client_drop(m, c);
  size_t off = 0;
  for (c->in_len += n; c->in_len - off >= SHIM_FRAME_HEADER;) {
    const unsigned char *h = (const unsigned char *)c->in + off;
    uint32_t len = (uint32_t)h[1] << 24 | h[2] << 16 | h[3] << 8 | h[4];
    if (len > SHIM_FRAME_MAX) return client_drop(m, c);
    if (c->in_len - off < SHIM_FRAME_HEADER + len) break;
    monitor_client_frame(m, c, h[0], (const char *)h + SHIM_FRAME_HEADER, len);
    off += SHIM_FRAME_HEADER + len;
  }
  memmove(c->in, c->in + off, c->in_len -= off);
}

void clients_accept(struct monitor *m) {
  for (int fd; (fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0 || errno == EINTR;) {
    struct client *c = fd >= 0 ? calloc(1, sizeof *c) : NULL;
    if (!c) {
      if (fd >= 0) close(fd);
      continue;
    }
    c->fd = fd, c->next = m->clients, m->clients = c, c->progress = monotonic_sec();
    int sndbuf = CLIENT_SNDBUF;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf); /* best effort */
    client_watch(m, c);
    client_read(m, c); /* its CLIENT_ATTACH may be waiting already */
  }
}

void clients_event(struct monitor *m, int fd, uint32_t events) {
  struct client *c = m->clients;
  while (c && c->fd != fd) c = c->next;
  if (!c) return;
  if (events & EPOLLERR || (events & EPOLLHUP && c->eof)) return client_drop(m, c);
  if (events & EPOLLOUT && client_flush(m, c) < 0) return;
  if (events & (EPOLLIN | EPOLLHUP)) client_read(m, c);
}

/* 1 while an attached client is more than CLIENT_HOLD_AT behind (the monitor stops reading the
 * container's output then); drops those that have taken nothing for CLIENT_STALL_SEC. */
int clients_behind(struct monitor *m) {
  int behind = 0;
  for (struct client *c = m->clients, *next; c; c = next) {
    next = c->next;
    if (c->out.len - c->out.off <= CLIENT_HOLD_AT) continue;
    if (monotonic_sec() - c->progress >= CLIENT_STALL_SEC) client_drop(m, c);
    else behind = 1;
  }
  return behind;
}

void clients_pause(struct monitor *m, int paused) {
  if (m->paused == paused) return;
  m->paused = paused;
  for (struct client *c = m->clients; c; c = c->next) client_watch(m, c);
}

/* OUT_EXIT to everyone, then up to a second per client to take what is left before it is closed. */
void clients_exit(struct monitor *m, const char *json) {
  struct timeval timeout = {1, 0};
  while (m->clients) {
    struct client *c = m->clients;
    if (client_send(m, c, OUT_EXIT, json, strlen(json)) < 0) continue;
    fcntl(c->fd, F_SETFL, 0);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    buf_flush(&c->out, c->fd);
    client_drop(m, c);
  }
}

/* Clients of STATE_DIR/sock: non-blocking and framed (shim-protocol.h). A client that lets more
 * than SHIM_CLIENT_BUFFER_MAX of output pile up is dropped; the log still gets everything. */
#include "shim.h"

#include <sys/epoll.h>
#include <sys/time.h>

#define IN_CAP (SHIM_FRAME_HEADER + SHIM_FRAME_MAX)

struct client {
  int fd;
  uint8_t attach; /* ATTACH_* */
  int eof;        /* half-closed by the client: no more input, output still wanted */
  uint32_t events;
  char *in; /* an incomplete incoming frame */
  size_t in_len;
  struct buf out;
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

/* Both return -1 when the client was dropped: it went away, or it cannot keep up. */
static int client_flush(struct monitor *m, struct client *c) {
  if (buf_flush(&c->out, c->fd) < 0) return client_drop(m, c), -1;
  client_watch(m, c);
  return 0;
}

static int client_send(struct monitor *m, struct client *c, int type, const char *p, size_t len) {
  uint8_t h[SHIM_FRAME_HEADER] = {type, len >> 24, len >> 16, len >> 8, len};
  if (c->out.len - c->out.off + sizeof h + len > SHIM_CLIENT_BUFFER_MAX || buf_append(&c->out, h, sizeof h) < 0 ||
      buf_append(&c->out, p, len) < 0)
    return client_drop(m, c), -1;
  return client_flush(m, c);
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
    c->fd = fd, c->next = m->clients, m->clients = c;
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

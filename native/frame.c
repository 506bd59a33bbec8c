/* Blocking frames (shim-protocol.h) on the start channel and the child sync socket; an fd can ride
 * on a frame's header as SCM_RIGHTS. The monitor's clients are non-blocking: see clients.c. */
#include "shim.h"

union fd_control {
  char buf[CMSG_SPACE(sizeof(int))];
  struct cmsghdr align;
};

/* passfd < 0: none. */
int frame_send(int fd, int type, const void *payload, size_t len, int passfd) {
  uint8_t h[SHIM_FRAME_HEADER] = {type, len >> 24, len >> 16, len >> 8, len};
  union fd_control ctl;
  struct iovec iov = {h, sizeof h};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (passfd >= 0) {
    msg.msg_control = ctl.buf, msg.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &passfd, sizeof(int));
  }
  ssize_t n;
  while ((n = sendmsg(fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) continue;
  if (n < 0) return -errno;
  int r = write_all(fd, h + n, sizeof h - n);
  return r == 0 && len ? write_all(fd, payload, len) : r;
}

/* The header, by recvmsg: keeps a passed fd in *passfd (when wanted and not set yet), else closes it. */
static int recv_header(int fd, uint8_t *h, int *passfd) {
  union fd_control ctl;
  for (size_t got = 0; got < SHIM_FRAME_HEADER;) {
    struct iovec iov = {h + got, SHIM_FRAME_HEADER - got};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? -errno : got ? -EPROTO : 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      int passed;
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      memcpy(&passed, CMSG_DATA(c), sizeof passed);
      if (passfd && *passfd < 0) *passfd = passed;
      else close(passed);
    }
    got += n;
  }
  return 1;
}

/* One frame into buf (NUL-terminated; what passes cap is dropped): returns the payload length,
 * or 0 with *type = 0 at end of file, or -errno. */
int frame_recv(int fd, uint8_t *type, char *buf, size_t cap, int *passfd) {
  uint8_t h[SHIM_FRAME_HEADER];
  char scratch[256];
  *type = 0;
  int r = recv_header(fd, h, passfd);
  if (r <= 0) return r;
  uint32_t len = (uint32_t)h[1] << 24 | h[2] << 16 | h[3] << 8 | h[4];
  if (len > SHIM_FRAME_MAX) return -EMSGSIZE;
  for (uint32_t got = 0; got < len;) {
    int keep = got < cap - 1;
    size_t room = keep ? cap - 1 - got : sizeof scratch;
    ssize_t n = read(fd, keep ? buf + got : scratch, room < len - got ? room : len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? -errno : -EPROTO;
    got += n;
  }
  buf[len < cap ? len : cap - 1] = '\0';
  *type = h[0];
  return (int)len;
}

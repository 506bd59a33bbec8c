/* The monitor, once the container runs: one epoll loop that copies output to the log and to the
 * attached clients, client input to stdin, and turns the container's SIGCHLD into the exit file.
 * Everything is non-blocking: the container never waits for a reader. */
#include "shim.h"

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>

/* Output is read in pieces of up to this (the log takes any size, clients get SHIM_FRAME_MAX frames). */
#define OUTPUT_READ_MAX (128 * 1024)
#define OUTPUT_PIPE_SIZE (1024 * 1024)

/* Keeps fd registered for `events` (0: not registered); *cur holds what is registered now. */
void epoll_set(int ep, int fd, uint32_t events, uint32_t *cur) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  if (events == *cur) return;
  if (epoll_ctl(ep, !*cur ? EPOLL_CTL_ADD : !events ? EPOLL_CTL_DEL : EPOLL_CTL_MOD, fd, &ev) < 0)
    dprintf(STDERR_FILENO, "kapal-shim: epoll_ctl `%d`: %s\n", fd, errstr(errno));
  *cur = events;
}

static void watch(struct monitor *m, int fd) {
  uint32_t none = 0;
  if (fd >= 0) epoll_set(m->ep, fd, EPOLLIN, &none);
}

/* Before SHIM_GO's clients are accepted: stdin already takes their input. */
int monitor_init(struct monitor *m, const struct shim *sh) {
  sigset_t chld;
  const char *memcg = spec_str(&sh->spec.memory_cgroup);
  *m = (struct monitor){.listen_fd = sh->listen_fd, .log_fd = sh->log_fd, .pid = sh->pid, .out_fd = -1, .err_fd = -1};
  m->in_fd = sh->in[1], m->in_closing = !spec_flag(&sh->spec.stdin_), m->tty = spec_flag(&sh->spec.tty);
  if (*memcg && !(m->memory_cgroup = strdup(memcg))) return fail(ENOMEM, "strdup");
  if ((m->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) return fail(errno, "epoll_create1");
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if ((m->sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) return fail(errno, "signalfd `SIGCHLD`");
  watch(m, m->sigfd);
  watch(m, m->listen_fd);
  return 0;
}

static void stdin_flush(struct monitor *m) {
  ssize_t pending = m->in_fd >= 0 ? buf_flush(&m->in, m->in_fd) : (ssize_t)(m->in.len - m->in.off);
  if (m->in_fd >= 0 && (pending < 0 || (pending == 0 && m->in_closing))) { /* EPIPE: it closed its stdin */
    epoll_set(m->ep, m->in_fd, 0, &m->in_events);
    close(m->in_fd);
    m->in_fd = -1, m->in_closing = 1, m->in.off = m->in.len = pending = 0;
  }
  if (m->in_fd >= 0) epoll_set(m->ep, m->in_fd, pending ? EPOLLOUT : 0, &m->in_events);
  clients_pause(m, pending > SHIM_CLIENT_BUFFER_MAX); /* back-pressure on the writers */
}

void monitor_client_frame(struct monitor *m, struct client *c, uint8_t type, const char *p, uint32_t len) {
  const unsigned char *u = (const unsigned char *)p;
  uint32_t be = len == 4 ? (uint32_t)u[0] << 24 | u[1] << 16 | u[2] << 8 | u[3] : 0;
  struct winsize ws = {.ws_row = be >> 16, .ws_col = be & 0xffff};
  if (type == CLIENT_ATTACH && len >= 1) client_set_attach(c, u[0]);
  else if (type == CLIENT_STDIN && !m->in_closing && buf_append(&m->in, p, len) == 0) stdin_flush(m);
  else if (type == CLIENT_CLOSE_STDIN) m->in_closing = 1, stdin_flush(m);
  else if (type == CLIENT_RESIZE && len == 4 && m->tty && m->out_fd >= 0) ioctl(m->out_fd, TIOCSWINSZ, &ws);
  else if (type == CLIENT_SIGNAL && len == 4 && !m->reaped && be > 0 && be < 65) kill(m->pid, be);
}

/* After the exec: the output pipes, or the pty master (also stdin, through a dup of it). */
void monitor_attach_io(struct monitor *m, struct shim *sh) {
  if (sh->pty >= 0) {
    fcntl(sh->pty, F_SETFL, O_NONBLOCK);
    m->out_fd = sh->pty;
    if (!m->in_closing && (m->in_fd = fcntl(sh->pty, F_DUPFD_CLOEXEC, 3)) < 0) m->in_closing = 1;
  } else {
    m->out_fd = sh->out[0], m->err_fd = sh->err[0];
    /* Room for a burst while the shim is busy: fewer, bigger reads. Pages are taken only when used. */
    fcntl(m->out_fd, F_SETPIPE_SZ, OUTPUT_PIPE_SIZE);
    fcntl(m->err_fd, F_SETPIPE_SZ, OUTPUT_PIPE_SIZE);
  }
  watch(m, m->out_fd);
  watch(m, m->err_fd);
  stdin_flush(m); /* what clients sent before the start */
}

/* One read, to the log and the attached clients. Returns the bytes read, 0 at EOF (or EIO from a
 * pty without slaves), -1 when nothing is waiting. */
static ssize_t read_output(struct monitor *m, int *fd, int stream) {
  static char buf[OUTPUT_READ_MAX]; /* clients get it as frames of SHIM_FRAME_MAX */
  struct timespec now;
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
  if (n <= 0) {
    epoll_ctl(m->ep, EPOLL_CTL_DEL, *fd, NULL);
    close(*fd);
    return *fd = -1, 0;
  }
  clock_gettime(CLOCK_REALTIME, &now);
  if (m->log_fd >= 0) jsonlog_write(m->log_fd, stream, buf, n, &now);
  clients_output(m, stream == 2 ? OUT_STDERR : OUT_STDOUT, buf, n);
  return n;
}

static void reap_children(struct monitor *m) {
  struct signalfd_siginfo si;
  int status;
  while (read(m->sigfd, &si, sizeof si) == sizeof si) continue;
  for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;) {
    if (pid != m->pid) continue; /* an orphan reparented to us, the subreaper */
    m->status = status, m->reaped = 1;
    clock_gettime(CLOCK_REALTIME, &m->finished);
  }
}

static int oom_killed(const char *memory_cgroup) {
  char path[4096], *text, *line;
  size_t len;
  if (!memory_cgroup) return 0;
  snprintf(path, sizeof path, "%s/memory.oom_control", memory_cgroup);
  if (!(text = read_file(path, &len))) return 0;
  int killed = (line = strstr(text, "oom_kill ")) && atoll(line + 9) > 0;
  free(text);
  return killed;
}

static int finish(struct monitor *m) {
  char json[256];
  exit_json(json, sizeof json, m->status, oom_killed(m->memory_cgroup), &m->finished, m->pid);
  int r = write_file("exit", json);
  if (r < 0) dprintf(STDERR_FILENO, "kapal-shim: %s\n", shim_err);
  unlink("sock");
  clients_exit(m, json);
  return r < 0 ? 1 : 0;
}

/* Stops or resumes reading the container's output: while an attached client is behind, the
 * container waits (its pipe fills) instead of the client losing output. */
static void hold_output(struct monitor *m, int hold) {
  struct epoll_event ev = {.events = EPOLLIN};
  if (hold == m->output_held) return;
  m->output_held = hold;
  if (m->out_fd >= 0) ev.data.fd = m->out_fd, epoll_ctl(m->ep, hold ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, m->out_fd, &ev);
  if (m->err_fd >= 0) ev.data.fd = m->err_fd, epoll_ctl(m->ep, hold ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, m->err_fd, &ev);
}

int monitor_run(struct monitor *m) {
  struct epoll_event evs[16];
  while (!m->reaped) {
    hold_output(m, clients_behind(m));
    int n = epoll_wait(m->ep, evs, sizeof evs / sizeof evs[0], m->output_held ? 1000 : -1); /* held: check for stalls */
    if (n < 0 && errno != EINTR) return dprintf(STDERR_FILENO, "kapal-shim: epoll_wait: %s\n", errstr(errno)), 1;
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == m->sigfd) reap_children(m);
      else if (fd == m->listen_fd) clients_accept(m);
      else if (fd == m->out_fd) read_output(m, &m->out_fd, 1);
      else if (fd == m->err_fd) read_output(m, &m->err_fd, 2);
      else if (fd == m->in_fd) stdin_flush(m);
      else clients_event(m, fd, evs[i].events);
    }
  }
  while (m->out_fd >= 0 && read_output(m, &m->out_fd, 1) > 0) continue; /* what is left in the pipes */
  while (m->err_fd >= 0 && read_output(m, &m->err_fd, 2) > 0) continue;
  return finish(m);
}

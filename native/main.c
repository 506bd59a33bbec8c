/* kapal-shim: `run STATE_DIR` creates one container and stays as its monitor (conmon's job);
 * `exec STATE_DIR` starts one more process inside a running container and monitors it the same
 * way (enter.c); `init -- ARGS` is the minimal pid 1 that `init 1` runs inside a container.
 * shim-protocol.h draws the exchange with kapald and with the child; docs/shim.md the rest. */
#include "shim.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/un.h>

static int namespace_flags(const struct spec *s, unsigned long *flags) {
  static const char *const kinds[] = {"pid", "mnt", "uts", "ipc", "net", "cgroup"};
  static const unsigned long values[] = {CLONE_NEWPID, CLONE_NEWNS,  CLONE_NEWUTS,
                                         CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWCGROUP};
  *flags = CLONE_NEWNS; /* pivot_root needs a mount namespace of its own, whatever the spec says */
  for (size_t i = 0, k; i < s->namespace.n; i++) {
    for (k = 0; k < 6 && strcmp(kinds[k], s->namespace.v[i]) != 0; k++) continue;
    if (k == 6) return fail_msg("spec: unknown namespace `%s`", s->namespace.v[i]);
    *flags |= values[k];
  }
  if (s->uid_map.n) *flags |= CLONE_NEWUSER; /* the other namespaces are then owned by it */
  return 0;
}

/* STATE_DIR/sock, bound by its relative name (we are in STATE_DIR): long paths never matter. */
static int listen_on_sock(struct shim *sh) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX, .sun_path = "sock"};
  if ((sh->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
    return fail(errno, "socket `sock`");
  unlink("sock");
  mode_t old = umask(0177);
  int r = bind(sh->listen_fd, (struct sockaddr *)&addr, sizeof addr);
  umask(old);
  if (r < 0) return fail(errno, "bind `sock`");
  return listen(sh->listen_fd, 128) < 0 ? fail(errno, "listen `sock`") : 0;
}

static int make_pipe(int p[2], int shim_end) {
  if (pipe2(p, O_CLOEXEC) < 0) return fail(errno, "pipe2");
  return fcntl(p[shim_end], F_SETFL, O_NONBLOCK) < 0 ? fail(errno, "fcntl `O_NONBLOCK`") : 0;
}

static int open_stdio(struct shim *sh) {
  const char *log = spec_str(&sh->spec.log);
  if (*log && (sh->log_fd = jsonlog_open(&sh->spec)) < 0) return sh->log_fd;
  if ((sh->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) return fail(errno, "open `/dev/null`");
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sh->sync) < 0) return fail(errno, "socketpair `sync`");
  if (spec_flag(&sh->spec.tty)) return 0;
  int r = make_pipe(sh->out, 0);
  if (r == 0) r = make_pipe(sh->err, 0);
  if (r == 0 && spec_flag(&sh->spec.stdin_)) r = make_pipe(sh->in, 1);
  return r;
}

static int prepare(struct shim *sh, const char *dir) {
  char pid[32];
  sigset_t chld;
  if (fcntl(sh->start_fd, F_SETFD, FD_CLOEXEC) < 0) return fail(errno, "start channel: fcntl `3`");
  if (chdir(dir) < 0) return fail(errno, "chdir `%s`", dir);
  snprintf(pid, sizeof pid, "%d\n", getpid());
  int r = spec_load(&sh->spec, "spec", sh->exec);
  if (r == 0) r = namespace_flags(&sh->spec, &sh->ns_flags);
  if (r == 0) r = listen_on_sock(sh);
  if (r == 0) r = write_file("shim.pid", pid);
  if (r == 0 && sh->exec) r = enter_prepare(sh);
  if (r == 0 && !sh->exec && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) r = fail(errno, "prctl `PR_SET_CHILD_SUBREAPER`");
  if (r == 0 && !sh->exec) r = userns_private_mounts(sh);
  if (r < 0) return r;
  signal(SIGPIPE, SIG_IGN);
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL); /* for the monitor's signalfd; the child unblocks it */
  return open_stdio(sh);
}

/* A fork-like clone into the new namespaces (the child unshares its cgroup namespace itself, once
 * it is in its cgroups): the child runs on a copy of everything. An exec's child is a plain fork
 * (into the container's pid namespace, which enter_prepare chose for the shim's children). */
static int spawn_child(struct shim *sh) {
  unsigned long flags = sh->exec ? 0 : sh->ns_flags & ~CLONE_NEWCGROUP;
  pid_t pid = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0) return fail(errno, "clone `%#lx`", flags);
  if (pid == 0) child_main(sh);
  sh->pid = pid;
  int child_ends[] = {sh->sync[1], sh->out[1], sh->err[1], sh->in[0]};
  for (int i = 0; i < 4; i++)
    if (child_ends[i] >= 0) close(child_ends[i]);
  return 0;
}

/* A child in a user namespace of its own cannot move itself (child.c's join_cgroups does, else). */
static int move_child_to_cgroups(const struct shim *sh) {
  char pid[32];
  snprintf(pid, sizeof pid, "%d", sh->pid);
  return write_cgroups(sh, pid, 0);
}

/* After SYNC_GO: SYNC_PTY (tty only), then SYNC_ERROR, or EOF: the execve succeeded. */
static int wait_for_exec(struct shim *sh) {
  char msg[SHIM_ERR_MAX];
  for (;;) {
    uint8_t type;
    int fd = -1, r = frame_recv(sh->sync[0], &type, msg, sizeof msg, &fd);
    if (r < 0) return fail(-r, "child sync: recvmsg");
    if (type == SYNC_PTY && fd >= 0 && sh->pty < 0) sh->pty = fd;
    else if (fd >= 0) close(fd);
    if (type == SYNC_ERROR) return fail_msg("%s", msg);
    if (type == 0) return 0;
  }
}

static int start(struct shim *sh, struct monitor *m) {
  char buf[64];
  uint8_t type;
  uint32_t pid = htonl((uint32_t)sh->pid); /* kapald moves the network interfaces into its netns */
  int r = frame_send(sh->start_fd, SHIM_READY, &pid, sizeof pid, -1);
  if (r < 0) return fail(-r, "start channel: send SHIM_READY");
  r = frame_recv(sh->start_fd, &type, buf, sizeof buf, NULL);
  if (r < 0 || type != SHIM_GO) return fail_msg("start channel: no SHIM_GO from kapald (got type %d)", type);
  if ((r = monitor_init(m, sh)) < 0) return r;
  clients_accept(m); /* clients connected before GO see all the output */
  if (!child_joins_cgroups(sh) && (r = move_child_to_cgroups(sh)) < 0) return r;
  if (!sh->exec && (r = userns_prepare(sh)) < 0) return r;
  if ((r = frame_send(sh->sync[0], SYNC_GO, NULL, 0, -1)) < 0) return fail(-r, "child sync: send SYNC_GO");
  return wait_for_exec(sh);
}

static int fail_start(struct shim *sh) {
  dprintf(STDERR_FILENO, "kapal-shim: %s\n", shim_err);
  frame_send(sh->start_fd, SHIM_FAILED, shim_err, strlen(shim_err), -1);
  if (sh->pid > 0) kill(sh->pid, SIGKILL), waitpid(sh->pid, NULL, 0);
  unlink("sock");
  return 1;
}

/* Static glibc's start-up and the container's creation touched most of this binary, and fault-around
 * keeps 64 KiB windows of it mapped. The monitor needs few of those pages: drop the read-only clean
 * ones (refaulted from the file on use), so the monitor's RSS is what it uses. Not the RELRO part:
 * read-only now, but written at start-up (.got holds the ifunc targets glibc chose, memcpy's say),
 * and dropping it would bring back the file's bytes. */
static void drop_startup_pages(void) {
  char self[4096], *smaps;
  size_t len;
  unsigned long start = 0, end = 0;
  int ours = 0;
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0 || !(smaps = read_file("/proc/self/smaps", &len))) return;
  self[n] = '\0';
  for (char *line = strtok(smaps, "\n"); line; line = strtok(NULL, "\n")) {
    char *p, *path = strchr(line, '/');
    if (strncmp(line, "Private_Dirty:", 14) == 0) {
      if (ours && strtoul(line + 14, NULL, 10) == 0) madvise((void *)start, end - start, MADV_DONTNEED);
      continue;
    }
    unsigned long s = strtoul(line, &p, 16);
    if (*p != '-') continue; /* not a mapping's first line */
    start = s, end = strtoul(p + 1, &p, 16);
    ours = path && strcmp(path, self) == 0 && p[2] != 'w';
  }
  free(smaps);
}

static int run(const char *dir, int exec) {
  struct shim sh = {.start_fd = 3,
                    .exec = exec,
                    .target = -1,
                    .listen_fd = -1,
                    .sync = {-1, -1},
                    .out = {-1, -1},
                    .err = {-1, -1},
                    .in = {-1, -1},
                    .null_fd = -1,
                    .log_fd = -1,
                    .pty = -1,
                    .init_fd = -1};
  struct monitor m = {.ep = -1};
  char pid[32];
  int r = prepare(&sh, dir);
  if (r == 0) r = spawn_child(&sh);
  if (r == 0) r = start(&sh, &m);
  snprintf(pid, sizeof pid, "%d\n", sh.pid);
  if (r == 0) r = write_file("pid", pid);
  if (r < 0) return fail_start(&sh);
  uint8_t be[4] = {sh.pid >> 24, sh.pid >> 16, sh.pid >> 8, sh.pid};
  frame_send(sh.start_fd, SHIM_STARTED, be, sizeof be, -1); /* kapald may be gone: the container lives on */
  close(sh.start_fd), close(sh.sync[0]), close(sh.null_fd);
  if (sh.target >= 0) close(sh.target);
  monitor_attach_io(&m, &sh);
  spec_free(&sh.spec);
  mallopt(M_MMAP_THRESHOLD, 64 * 1024); /* a slow client's big buffer goes back to the kernel when freed */
  drop_startup_pages();
  return monitor_run(&m);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "run") == 0) return run(argv[2], 0);
  if (argc == 3 && strcmp(argv[1], "exec") == 0) return run(argv[2], 1);
  if (argc >= 4 && strcmp(argv[1], "init") == 0 && strcmp(argv[2], "--") == 0) return init_main(argv + 3);
  fprintf(stderr, "usage: kapal-shim run STATE_DIR\n       kapal-shim exec STATE_DIR\n"
                  "       kapal-shim init -- COMMAND [ARG...]\n");
  return 2;
}

/* kapal-shim's internal interfaces. One binary, two roles: `kapal-shim run STATE_DIR` creates the
 * container and stays as its monitor; `kapal-shim init -- ARGS` is the optional pid 1 inside it.
 * Fallible functions return 0 (or an fd) or -errno, leaving a message that names the syscall and
 * its argument in shim_err. Every .c file includes this header first. */
#ifndef KAPAL_SHIM_H
#define KAPAL_SHIM_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shim-protocol.h"

#define SHIM_ERR_MAX 1024
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MAX_GROUPS 64

/* spec.c: STATE_DIR/spec, NUL-terminated strings, `key` then a fixed number of values. */
struct list {
  const char **v; /* every value of every record of one key, `arity` per record */
  size_t n;
};
struct spec {
  char *buf;
  struct list version, rootfs, lower, upper, work, readonly, hostname, namespace, cgroup, memory_cgroup, bind, shm_size,
      masked, readonly_path, device, env, arg, cwd, user, group_add, cap, no_new_privileges, rlimit, tty, stdin_,
      console_size, log, log_max_size, log_max_file, init, privileged, uid_map, gid_map, join_pid, join_parent, netif,
      gateway, seccomp_bpf, sysctl,
      cgroup_mount, tmpfs, hold;
};
int spec_load(struct spec *s, const char *path, int exec);
void spec_free(struct spec *s);
const char *spec_str(const struct list *l); /* a single-valued key's value, "" when absent */
int spec_flag(const struct list *l);        /* the value is `1` */
int spec_has(const struct list *l, const char *value);
int parse_num(const char *s, int base, long long min, long long max, long long *out);

/* util.c */
extern char shim_err[SHIM_ERR_MAX];
int fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3))); /* "<fmt>: <strerror>" */
int fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));      /* exactly <fmt> (moby's words) */
const char *errstr(int err);
int write_all(int fd, const void *buf, size_t len);
int write_file(const char *path, const char *data); /* atomically: PATH.tmp, fsync, rename */
int mkdir_p(const char *path, int parent_only);
char *read_file(const char *path, size_t *len);

/* frame.c: blocking frames on the start channel and the child sync socket. */
int frame_send(int fd, int type, const void *payload, size_t len, int passfd);
int frame_recv(int fd, uint8_t *type, char *buf, size_t cap, int *passfd);

/* The user the command runs as (user.c). */
struct user {
  uid_t uid;
  gid_t gid;
  gid_t groups[MAX_GROUPS];
  int ngroups;
  char home[256];
};

/* The shim while it creates the container; the cloned child works on its own copy. */
struct shim {
  struct spec spec;
  int start_fd;           /* fd 3: the start channel to kapald */
  int listen_fd;          /* STATE_DIR/sock */
  int sync[2];            /* [0] the shim's end, [1] the child's */
  int out[2], err[2];     /* stdout/stderr pipes; -1 with a tty */
  int in[2];              /* stdin pipe; -1 without `stdin 1` or with a tty */
  int null_fd;            /* the host's /dev/null: stdin when there is no stdin pipe */
  int log_fd;             /* the json-file log, -1 without `log` */
  int pty;                /* the pty master from SYNC_PTY */
  unsigned long ns_flags; /* CLONE_NEW* */
  pid_t pid;
  int exec;   /* `kapal-shim exec`: join a running container instead of creating one */
  int target; /* exec: a pidfd of the container's pid 1, whose namespaces are joined */
  /* the child's own state, between its steps */
  int *bind_fds; /* open_tree copies of the bind sources */
  int init_fd;   /* sealed memfd copy of kapal-shim, for `init 1` */
  uint64_t caps;
  struct user user;
};

/* The child's steps, in child.c's order; each takes the shim state and returns 0 or -errno. */
__attribute__((noreturn)) void child_main(struct shim *sh);
int child_joins_cgroups(const struct shim *sh); /* or the shim moves it (a user namespace of its own) */
int write_cgroups(const struct shim *sh, const char *pid, int thread_file);
int mount_overlay(struct shim *sh); /* mounts.c */
int configure_network(struct shim *sh); /* network.c */
int load_seccomp(struct shim *sh);      /* seccomp.c */
/* userns.c */
int userns_enabled(const struct shim *sh);
int userns_prepare(struct shim *sh);
int userns_private_mounts(struct shim *sh);
int become_userns_root(struct shim *sh);
/* enter.c: `kapal-shim exec` */
int enter_prepare(struct shim *sh);
int join_namespaces(struct shim *sh);
int open_bind_sources(struct shim *sh);
int bind_is_idmapped(const struct shim *sh, size_t i); /* mounts.c */
int userns_staged_bind(const struct shim *sh, size_t i, char *path, size_t cap); /* userns.c */
int pivot_into_rootfs(struct shim *sh);
int detach_old_root(struct shim *sh);
int mount_proc_sys(struct shim *sh);
int mount_dev(struct shim *sh);
int mount_binds(struct shim *sh);
int mount_tmpfs(struct shim *sh);
int mask_paths(struct shim *sh);
int remount_rootfs_readonly(struct shim *sh);
int make_devices(const struct spec *s); /* devices.c */
int setup_stdio(struct shim *sh);       /* stdio.c */
int resolve_user(struct shim *sh);      /* user.c */
int set_rlimits(struct shim *sh);       /* privileges.c */
int drop_bounding_caps(struct shim *sh);
int switch_user(struct shim *sh);
int set_caps(struct shim *sh);
int exec_command(char *const argv[], char *const envp[]); /* exec.c: only returns on failure */
int init_main(char **argv);                               /* init.c */

/* jsonlog.c: the json-file log, rotated by size between records */
int jsonlog_open(const struct spec *s); /* the log's fd (kept across rotations), or -errno */
void jsonlog_write(int fd, int stream, const char *buf, size_t len, const struct timespec *ts);
void exit_json(char *out, size_t cap, int status, int oom_killed, const struct timespec *ts, pid_t pid);

/* buffer.c: what a non-blocking fd has not taken yet, data[off..len). */
struct buf {
  char *data;
  size_t off, len, cap;
};
int buf_append(struct buf *b, const void *p, size_t n);
ssize_t buf_flush(struct buf *b, int fd); /* the bytes still pending, or -errno */

/* monitor.c and clients.c: the loop that owns the running container. */
struct client;
struct monitor {
  int ep, sigfd, listen_fd, log_fd;
  int out_fd, err_fd; /* the pipes, or out_fd = the pty master */
  int in_fd;          /* stdin pipe or a dup of the pty master; -1 when closed */
  uint32_t in_events;
  struct buf in; /* stdin the container has not read yet */
  int in_closing, paused, tty, reaped, status;
  int output_held; /* not reading out_fd/err_fd: an attached client is behind (clients_behind) */
  pid_t pid;
  struct timespec finished;
  char *memory_cgroup;
  struct client *clients;
};
int monitor_init(struct monitor *m, const struct shim *sh);
void monitor_attach_io(struct monitor *m, struct shim *sh);
int monitor_run(struct monitor *m);
void monitor_client_frame(struct monitor *m, struct client *c, uint8_t type, const char *p, uint32_t len);
void epoll_set(int ep, int fd, uint32_t events, uint32_t *cur);
void clients_accept(struct monitor *m);
void clients_event(struct monitor *m, int fd, uint32_t events);
void clients_output(struct monitor *m, int type, const char *buf, size_t len);
void clients_pause(struct monitor *m, int paused);
int clients_behind(struct monitor *m); /* an attached client is behind: hold the output back */
void clients_exit(struct monitor *m, const char *json);
void client_set_attach(struct client *c, uint8_t flags);

#endif

/* The container's side between clone and execve: a checklist of named steps. A failing step goes
 * to the shim as SYNC_ERROR "<step>: <syscall> `<arg>`: <error>" (exec failures in moby's own
 * words) and the child exits 127. The sync fd is O_CLOEXEC, so EOF tells the shim exec worked. */
#include "shim.h"

#include <linux/close_range.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>

static int wait_for_go(struct shim *sh) {
  char buf[64];
  uint8_t type;
  int r = frame_recv(sh->sync[1], &type, buf, sizeof buf, NULL);
  if (r < 0) return fail(-r, "recvmsg `sync`");
  return type == SYNC_GO ? 0 : fail_msg("the shim went away before SYNC_GO");
}

/* Signals as a fresh process has them (the shim blocks SIGCHLD and ignores SIGPIPE). */
static int reset_process(struct shim *sh) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  umask(0); /* device and directory modes exactly as given; exec_process sets 022 */
  (void)sh;
  return 0;
}

int child_joins_cgroups(const struct shim *sh) { return sh->exec || !userns_enabled(sh); }

/* `pid` into each of the spec's cgroups: into `tasks` where there is one (v1) when `thread_file`,
 * else into cgroup.procs. */
int write_cgroups(const struct shim *sh, const char *pid, int thread_file) {
  char path[4096];
  for (size_t i = 0; i < sh->spec.cgroup.n; i++) {
    snprintf(path, sizeof path, "%s/%s", sh->spec.cgroup.v[i], thread_file ? "tasks" : "cgroup.procs");
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && thread_file) {
      snprintf(path, sizeof path, "%s/cgroup.procs", sh->spec.cgroup.v[i]);
      fd = open(path, O_WRONLY | O_CLOEXEC);
    }
    int r = fd < 0 ? -errno : write_all(fd, pid, strlen(pid));
    if (fd >= 0) close(fd);
    if (r < 0) return fail(-r, "cgroup: write `%s`", path);
  }
  return 0;
}

/* The child moves itself: "0" into `tasks` moves the calling thread, all there is, and skips the
 * global lock that a write to cgroup.procs takes, which waits for an RCU grace period (6-30 ms
 * measured here, against 0.3). cgroup v2 has no `tasks`: cgroup.procs it is. A child in a user
 * namespace of its own may not write there; the shim moves it (main.c) before SYNC_GO. */
static int join_cgroups(struct shim *sh) { return child_joins_cgroups(sh) ? write_cgroups(sh, "0", 1) : 0; }

/* Only now, with the child in its cgroups, so that they are the namespace's root. */
static int join_cgroup_ns(struct shim *sh) {
  if (sh->ns_flags & CLONE_NEWCGROUP && unshare(CLONE_NEWCGROUP) < 0) return fail(errno, "unshare `CLONE_NEWCGROUP`");
  return 0;
}

static int make_mounts_private(struct shim *sh) {
  (void)sh;
  return mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? fail(errno, "mount `/` private") : 0;
}

static int bring_up_loopback(struct shim *sh) {
  struct ifreq ifr = {.ifr_name = "lo"};
  if (!(sh->ns_flags & CLONE_NEWNET)) return 0;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno, "socket `AF_INET`");
  int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  r = r < 0 || ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? fail(errno, "ioctl `SIOCSIFFLAGS` `lo`") : 0;
  close(fd);
  return r;
}

/* The image may have no libc and no init: pid 1 runs from a sealed copy of this static binary. */
static int copy_init_binary(struct shim *sh) {
  struct stat st;
  if (!spec_flag(&sh->spec.init)) return 0;
  int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0 || fstat(src, &st) < 0) return fail(errno, "open `/proc/self/exe`");
  if ((sh->init_fd = memfd_create("kapal-init", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0)
    return fail(errno, "memfd_create `kapal-init`");
  for (off_t off = 0; off < st.st_size;)
    if (sendfile(sh->init_fd, src, &off, st.st_size - off) <= 0) return fail(errno, "sendfile `kapal-init`");
  close(src);
  if (fcntl(sh->init_fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return fail(errno, "fcntl `F_ADD_SEALS`");
  return 0;
}

static int set_hostname(struct shim *sh) {
  const char *name = spec_str(&sh->spec.hostname);
  if (*name && (sh->ns_flags & CLONE_NEWUTS) && sethostname(name, strlen(name)) < 0)
    return fail(errno, "sethostname `%s`", name);
  return 0;
}

/* `sysctl KEY VALUE` records (kapald allowed only namespaced ones) into the container's own
 * /proc/sys, before mask_paths makes it read-only. */
static int set_sysctls(struct shim *sh) {
  const struct list *l = &sh->spec.sysctl;
  char path[512];
  for (size_t i = 0; i + 1 < l->n; i += 2) {
    size_t n = (size_t)snprintf(path, sizeof path, "/proc/sys/%s", l->v[i]);
    if (n >= sizeof path) return fail_msg("sysctl `%s`: name too long", l->v[i]);
    for (char *c = path + strlen("/proc/sys/"); *c; c++)
      if (*c == '.') *c = '/';
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int r = fd < 0 ? -errno : write_all(fd, l->v[i + 1], strlen(l->v[i + 1]));
    if (fd >= 0) close(fd);
    if (r < 0) return fail(-r, "sysctl `%s`", l->v[i]);
  }
  return 0;
}

/* `hold 1` (docker cp on a stopped container): the file system is ready; closing the sync fd tells
 * the shim "started", and the child waits, holding the mount namespace, until kapald kills it. */
static int hold_for_copy(struct shim *sh) {
  if (!spec_flag(&sh->spec.hold)) return 0;
  close(sh->sync[1]);
  for (;;) pause();
}

/* As root and before a read-only remount, as docker creates WorkingDir when it creates the container. */
static int make_cwd(struct shim *sh) {
  const char *cwd = spec_str(&sh->spec.cwd);
  return *cwd ? mkdir_p(cwd, 0) : 0;
}

static int set_no_new_privs(struct shim *sh) {
  if (spec_flag(&sh->spec.no_new_privileges) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return fail(errno, "prctl `PR_SET_NO_NEW_PRIVS`");
  return 0;
}

static int enter_cwd(struct shim *sh) {
  const char *cwd = *spec_str(&sh->spec.cwd) ? spec_str(&sh->spec.cwd) : "/";
  return chdir(cwd) < 0 ? fail(errno, "chdir `%s`", cwd) : 0;
}

/* Nothing above 2 reaches the command; the sync fd stays open until the execve itself. */
static int close_fds(struct shim *sh) {
  (void)sh;
  return syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0 ? fail(errno, "close_range `3..`") : 0;
}

/* The shim's death kills the process (and, for pid 1, its whole pid namespace): a container
 * never runs on unmonitored, with nobody to drain its output or report its exit. Set after
 * switch_user, since a change of credentials clears it. */
static int set_parent_death_signal(struct shim *sh) {
  (void)sh;
  return prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ? fail(errno, "prctl `PR_SET_PDEATHSIG`") : 0;
}

/* The process's user and privileges, last before exec: the same for pid 1 and for an exec. */
// clang-format off
#define PROCESS_STEPS                                   \
    {"find_user", resolve_user},                        \
    {"set_rlimits", set_rlimits},                       \
    {"load_seccomp", load_seccomp},                     \
    {"drop_bounding_caps", drop_bounding_caps},         \
    {"switch_user", switch_user},                       \
    {"set_caps", set_caps},                             \
    {"set_parent_death_signal", set_parent_death_signal}, \
    {"set_no_new_privs", set_no_new_privs},             \
    {"enter_cwd", enter_cwd},                           \
    {"close_fds", close_fds}
// clang-format on

static const struct step {
  const char *name;
  int (*run)(struct shim *sh);
} steps[] = {
    {"wait_for_go", wait_for_go},
    {"become_userns_root", become_userns_root},
    {"reset_process", reset_process},
    {"join_cgroups", join_cgroups},
    {"join_cgroup_ns", join_cgroup_ns},
    {"open_bind_sources", open_bind_sources},
    {"make_mounts_private", make_mounts_private},
    {"bring_up_loopback", bring_up_loopback},
    {"configure_network", configure_network},
    {"mount_rootfs", mount_overlay},
    {"copy_init_binary", copy_init_binary},
    {"pivot_root", pivot_into_rootfs},
    {"mount_proc_sys", mount_proc_sys},
    {"set_sysctls", set_sysctls},
    {"detach_old_root", detach_old_root},
    {"mount_dev", mount_dev},
    {"mount_binds", mount_binds},
    {"mount_tmpfs", mount_tmpfs},
    {"mask_paths", mask_paths},
    {"set_hostname", set_hostname},
    {"setup_stdio", setup_stdio},
    {"make_cwd", make_cwd},
    {"remount_rootfs_readonly", remount_rootfs_readonly},
    {"hold", hold_for_copy},
    PROCESS_STEPS,
};

/* `kapal-shim exec`: the process joins what the container's pid 1 was given by the steps above. */
static const struct step exec_steps[] = {
    {"wait_for_go", wait_for_go},
    {"reset_process", reset_process},
    {"join_cgroups", join_cgroups},
    {"join_namespaces", join_namespaces},
    {"become_userns_root", become_userns_root},
    {"setup_stdio", setup_stdio},
    PROCESS_STEPS,
};

/* The spec's env, plus HOME from passwd when it has none (as runc does). */
static char **build_env(struct shim *sh) {
  const struct list *env = &sh->spec.env;
  char **envp = calloc(env->n + 2, sizeof *envp);
  int has_home = 0;
  for (size_t i = 0; envp && i < env->n; i++) {
    envp[i] = (char *)env->v[i];
    has_home |= strncmp(env->v[i], "HOME=", 5) == 0;
  }
  if (envp && !has_home && (envp[env->n] = malloc(strlen(sh->user.home) + 6)))
    strcat(strcpy(envp[env->n], "HOME="), sh->user.home);
  return envp;
}

static int exec_process(struct shim *sh) {
  const struct list *args = &sh->spec.arg;
  char **envp = build_env(sh), **argv = calloc(args->n + 4, sizeof *argv);
  size_t n = 0;
  if (!envp || !argv) return fail(ENOMEM, "exec: calloc");
  if (sh->init_fd >= 0) argv[n++] = "kapal-init", argv[n++] = "init", argv[n++] = "--";
  for (size_t i = 0; i < args->n; i++) argv[n++] = (char *)args->v[i];
  umask(022);
  if (sh->init_fd < 0) return exec_command(argv, envp);
  syscall(SYS_execveat, sh->init_fd, "", argv, envp, AT_EMPTY_PATH);
  return fail(errno, "exec init: execveat `kapal-init`");
}

__attribute__((noreturn)) void child_main(struct shim *sh) {
  char msg[SHIM_ERR_MAX + 64];
  int parent_ends[] = {sh->start_fd, sh->listen_fd, sh->sync[0], sh->out[0], sh->err[0], sh->in[1]};
  for (int i = 0; i < 6; i++)
    if (parent_ends[i] >= 0) close(parent_ends[i]);
  const struct step *list = sh->exec ? exec_steps : steps;
  size_t count = sh->exec ? sizeof exec_steps / sizeof exec_steps[0] : sizeof steps / sizeof steps[0];
  for (size_t i = 0; i < count; i++) {
    if (list[i].run(sh) == 0) continue;
    int n = snprintf(msg, sizeof msg, "%s: %s", list[i].name, shim_err);
    frame_send(sh->sync[1], SYNC_ERROR, msg, n < (int)sizeof msg ? n : (int)sizeof msg - 1, -1);
    _exit(127);
  }
  exec_process(sh);
  frame_send(sh->sync[1], SYNC_ERROR, shim_err, strlen(shim_err), -1);
  _exit(127);
}

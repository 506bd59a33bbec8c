/* `kapal-shim exec STATE_DIR`: a process started inside a running container (docker exec). The
 * shim pins the container's pid 1 with a pidfd, makes itself non-dumpable, and enters only the
 * pid namespace for its children; the child it forks joins the container's cgroups (the shim
 * writes its pid there, as for `run`) and every other namespace with one setns(pidfd), then takes
 * the container's user, capabilities and no_new_privs and execs. The shim itself stays outside,
 * as the exec'd process's monitor. */
#include "shim.h"

#include <sched.h>
#include <sys/prctl.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* The parent pid in /proc/PID/stat: the field after the state, after the last `)` of the name. */
static long long parent_of(long long pid) {
  char path[64], *text, *p;
  size_t len;
  long long ppid = -1;
  snprintf(path, sizeof path, "/proc/%lld/stat", pid);
  if (!(text = read_file(path, &len))) return -1;
  if ((p = strrchr(text, ')')) && sscanf(p + 1, " %*c %lld", &ppid) != 1) ppid = -1;
  free(text);
  return ppid;
}

/* The pidfd is taken before the parent check: if the pid was recycled before pidfd_open, the new
 * process is not the child of the container's shim; if pid 1 dies after it, setns fails (ESRCH)
 * instead of joining whatever got the number. */
static int open_target(struct shim *sh) {
  long long pid, parent;
  if (parse_num(spec_str(&sh->spec.join_pid), 10, 1, INT32_MAX, &pid) < 0 ||
      parse_num(spec_str(&sh->spec.join_parent), 10, 1, INT32_MAX, &parent) < 0)
    return fail_msg("spec: invalid `join-pid` or `join-parent`");
  if ((sh->target = syscall(SYS_pidfd_open, (pid_t)pid, 0)) < 0) return fail(errno, "pidfd_open `%lld`", pid);
  if (parent_of(pid) != parent) return fail_msg("container process %lld is not running", pid);
  return 0;
}

int enter_prepare(struct shim *sh) {
  /* Before anything of the container is joined: its processes may not ptrace us or open our
   * /proc entries (exe, fds, memory), the runc CVE-2019-5736 class. The child inherits this; its
   * execve resets it for the command, which is then the container's own binary. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return fail(errno, "prctl `PR_SET_DUMPABLE`");
  int r = open_target(sh);
  /* Affects only the children: the shim stays in the host's pid namespace. */
  if (r == 0 && setns(sh->target, CLONE_NEWPID) < 0) r = fail(errno, "setns `CLONE_NEWPID`");
  return r;
}

/* The child, already in the container's cgroups and pid namespace: all the other namespaces at
 * once (the kernel orders them, the user namespace first). The mount namespace's root becomes
 * the root and the working directory, so every path from here on is the container's. */
int join_namespaces(struct shim *sh) {
  int flags = (int)(sh->ns_flags & ~(unsigned long)CLONE_NEWPID);
  return setns(sh->target, flags) < 0 ? fail(errno, "setns `%#x`", flags) : 0;
}

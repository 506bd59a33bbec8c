/* rlimits, capabilities and the user switch, in the order that keeps each possible: rlimits and the
 * bounding set as root, then setgroups/setgid/setuid keeping the permitted set, then capset. */
#include "shim.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>

int set_rlimits(struct shim *sh) {
  for (size_t i = 0; i < sh->spec.rlimit.n / 3; i++) {
    const char *const *v = sh->spec.rlimit.v + i * 3;
    long long res, soft, hard;
    if (parse_num(v[0], 10, 0, RLIM_NLIMITS - 1, &res) < 0 || parse_num(v[1], 10, -1, INT64_MAX, &soft) < 0 ||
        parse_num(v[2], 10, -1, INT64_MAX, &hard) < 0)
      return fail_msg("rlimit `%s %s %s`: invalid value", v[0], v[1], v[2]);
    struct rlimit rl = {soft < 0 ? RLIM_INFINITY : (rlim_t)soft, hard < 0 ? RLIM_INFINITY : (rlim_t)hard};
    if (setrlimit(res, &rl) < 0) /* EPERM: above the hard limit, which only CAP_SYS_RESOURCE may raise */
      return fail(errno, "setrlimit `%s` soft %s hard %s", v[0], v[1], v[2]);
  }
  return 0;
}

int drop_bounding_caps(struct shim *sh) {
  for (size_t i = 0; i < sh->spec.cap.n; i++) {
    long long cap;
    if (parse_num(sh->spec.cap.v[i], 10, 0, 63, &cap) < 0)
      return fail_msg("cap `%s`: no such capability", sh->spec.cap.v[i]);
    sh->caps |= 1ULL << cap;
  }
  for (int cap = 0; cap < 64; cap++) {
    if (sh->caps & (1ULL << cap) || prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
    if (errno == EINVAL) break; /* past the kernel's last capability */
    return fail(errno, "prctl `PR_CAPBSET_DROP` `%d`", cap);
  }
  return 0;
}

int switch_user(struct shim *sh) {
  const struct user *u = &sh->user;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return fail(errno, "prctl `PR_SET_KEEPCAPS`");
  if (setgroups(u->ngroups, u->groups) < 0) return fail(errno, "setgroups `%d groups`", u->ngroups);
  if (setgid(u->gid) < 0) return fail(errno, "setgid `%u`", u->gid);
  if (setuid(u->uid) < 0) return fail(errno, "setuid `%u`", u->uid);
  return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ? fail(errno, "prctl `PR_SET_KEEPCAPS`") : 0;
}

/* As docker since 20.10.14 (runc 1.1.2): root keeps the spec's capabilities permitted and
 * effective, another user only in the bounding set; nothing is inheritable for anyone. */
int set_caps(struct shim *sh) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
  struct __user_cap_data_struct d[2] = {{0}};
  /* Nothing inheritable (CVE-2022-24769: an inheritable set lets a file capability or ambient
   * raise reach a non-root user); root gets them permitted and effective, others nothing. */
  for (int i = 0; i < 2; i++) d[i].permitted = d[i].effective = sh->user.uid == 0 ? (uint32_t)(sh->caps >> (32 * i)) : 0;
  if (syscall(SYS_capset, &h, d) < 0) return fail(errno, "capset `%#llx`", (unsigned long long)sh->caps);
  return 0;
}

/* The container's file system: the overlay rootfs and pivot_root, then, with every path resolved
 * inside the container (an image's symlinks cannot lead out of it), proc, sys, dev, binds, masks. */
#include "shim.h"

#include <sys/mount.h>
#include <sys/statvfs.h>

#define NOSUID_NODEV_NOEXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static int mount_at(const char *src, const char *dst, const char *type, unsigned long flags, const char *data) {
  int r = mkdir_p(dst, 0);
  if (r == 0 && mount(src, dst, type, flags, data) < 0) return fail(errno, "mount %s `%s`", type, dst);
  return r;
}

int mount_overlay(struct shim *sh) {
  const struct spec *s = &sh->spec;
  if (userns_enabled(sh)) return 0; /* the shim attached it, built from idmapped layers (userns.c) */
  char opts[4096]; /* mount(2) copies one page of options */
  size_t n = snprintf(opts, sizeof opts, "lowerdir=");
  for (size_t i = 0; i < s->lower.n && n < sizeof opts; i++)
    n += snprintf(opts + n, sizeof opts - n, "%s%s", i ? ":" : "", s->lower.v[i]);
  if (*spec_str(&s->upper) && n < sizeof opts)
    n += snprintf(opts + n, sizeof opts - n, ",upperdir=%s,workdir=%s", spec_str(&s->upper), spec_str(&s->work));
  if (n >= sizeof opts) return fail_msg("overlay options for %zu layers exceed %zu bytes", s->lower.n, sizeof opts);
  if (mount("overlay", spec_str(&s->rootfs), "overlay", 0, opts) < 0)
    return fail(errno, "mount overlay `%s`", spec_str(&s->rootfs));
  return 0;
}

/* A bind's MODE word: "ro" or "rw", then docker's propagation (rprivate when absent) and
 * "idmap" (a volume under --userns-remap, idmapped by the shim: userns.c). */
struct bind_mode {
  int readonly, idmap, recursive;
  uint64_t propagation;
};

static int parse_bind_mode(const char *mode, struct bind_mode *m) {
  static const struct {
    const char *name;
    uint64_t flag;
    int recursive;
  } props[] = {{"rprivate", MS_PRIVATE, 1}, {"private", MS_PRIVATE, 0}, {"rslave", MS_SLAVE, 1},
               {"slave", MS_SLAVE, 0},      {"rshared", MS_SHARED, 1}, {"shared", MS_SHARED, 0}};
  char buf[64], *save = NULL;
  *m = (struct bind_mode){.propagation = MS_PRIVATE, .recursive = 1};
  if (snprintf(buf, sizeof buf, "%s", mode) >= (int)sizeof buf) return fail_msg("bind mode `%s`: too long", mode);
  for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
    size_t i = 0;
    while (i < sizeof props / sizeof *props && strcmp(w, props[i].name) != 0) i++;
    if (i < sizeof props / sizeof *props) m->propagation = props[i].flag, m->recursive = props[i].recursive;
    else if (strcmp(w, "ro") == 0 || strcmp(w, "rw") == 0) m->readonly = w[1] == 'o';
    else if (strcmp(w, "idmap") == 0) m->idmap = 1;
    else return fail_msg("bind mode `%s`: unknown `%s`", mode, w);
  }
  return 0;
}

int bind_is_idmapped(const struct shim *sh, size_t i) {
  struct bind_mode m;
  return parse_bind_mode(sh->spec.bind.v[i * 3 + 2], &m) == 0 && m.idmap && userns_enabled(sh);
}

/* The bind sources are host paths, out of reach after pivot_root: take detached copies of their
 * mounts now, read-only ones made so already. Still before `/` is made private, so that a copy of
 * a shared host mount is its peer: rslave and rshared keep that tie, the default rprivate cuts it
 * (the non-recursive modes cut it below the top mount). */
int open_bind_sources(struct shim *sh) {
  const struct list *b = &sh->spec.bind;
  char staged[PATH_MAX];
  if (b->n && !(sh->bind_fds = calloc(b->n / 3, sizeof(int)))) return fail(ENOMEM, "calloc");
  for (size_t i = 0; i < b->n / 3; i++) sh->bind_fds[i] = -1;
  for (size_t i = 0; i < b->n / 3; i++) {
    struct bind_mode m;
    const char *src = b->v[i * 3];
    int r = parse_bind_mode(b->v[i * 3 + 2], &m);
    if (r < 0) return r;
    if (bind_is_idmapped(sh, i) && (r = userns_staged_bind(sh, i, staged, sizeof staged)) < 0) return r;
    if (bind_is_idmapped(sh, i)) src = staged;
    int fd = sh->bind_fds[i] = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (fd < 0) return fail(errno, "open_tree `%s`", src);
    struct mount_attr all = {.attr_set = m.readonly ? MOUNT_ATTR_RDONLY : 0, .propagation = m.recursive ? m.propagation : MS_PRIVATE};
    struct mount_attr top = {.propagation = m.propagation};
    if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &all, sizeof all) < 0)
      return fail(errno, "mount_setattr `%s` %s", src, b->v[i * 3 + 2]);
    if (!m.recursive && m.propagation != MS_PRIVATE && mount_setattr(fd, "", AT_EMPTY_PATH, &top, sizeof top) < 0)
      return fail(errno, "mount_setattr `%s` %s", src, b->v[i * 3 + 2]);
  }
  return 0;
}

int pivot_into_rootfs(struct shim *sh) {
  const char *rootfs = spec_str(&sh->spec.rootfs);
  if (chdir(rootfs) < 0) return fail(errno, "chdir `%s`", rootfs);
  return syscall(SYS_pivot_root, ".", ".") < 0 ? fail(errno, "pivot_root `%s`", rootfs) : 0;
}

/* After proc and sys: in a user namespace the kernel mounts them only while the host's are still
 * in the mount namespace (the old root, stacked on "." until now). */
int detach_old_root(struct shim *sh) {
  (void)sh;
  if (umount2(".", MNT_DETACH) < 0) return fail(errno, "umount2 `%s`", "old root");
  return chdir("/") < 0 ? fail(errno, "chdir `/`") : 0;
}

static int mount_cgroups(struct shim *sh, unsigned long ro);

int mount_proc_sys(struct shim *sh) {
  int r = mount_at("proc", "/proc", "proc", NOSUID_NODEV_NOEXEC, NULL);
  unsigned long ro = spec_flag(&sh->spec.privileged) ? 0 : MS_RDONLY;
  r = r < 0 ? r : mount_at("sysfs", "/sys", "sysfs", NOSUID_NODEV_NOEXEC | ro, NULL);
  return r < 0 ? r : mount_cgroups(sh, ro);
}

/* /sys/fs/cgroup as docker shows it: the container's own cgroups (its cgroup namespace is their
 * root), read-only unless privileged. `cgroup-mount TYPE DIR DATA`: cgroup2 over the whole
 * directory, or a tmpfs holding one cgroup v1 mount per hierarchy. */
static int mount_cgroups(struct shim *sh, unsigned long ro) {
  const struct list *l = &sh->spec.cgroup_mount;
  char path[256];
  if (!l->n) return 0;
  if (strcmp(l->v[0], "cgroup2") == 0) return mount_at("cgroup2", "/sys/fs/cgroup", "cgroup2", NOSUID_NODEV_NOEXEC | ro, NULL);
  int r = mount_at("tmpfs", "/sys/fs/cgroup", "tmpfs", NOSUID_NODEV_NOEXEC, "mode=755,size=64k");
  for (size_t i = 0; r == 0 && i + 2 < l->n; i += 3) {
    if (strchr(l->v[i + 1], '/') || snprintf(path, sizeof path, "/sys/fs/cgroup/%s", l->v[i + 1]) >= (int)sizeof path)
      return fail_msg("cgroup-mount: bad directory `%s`", l->v[i + 1]);
    r = mount_at("cgroup", path, "cgroup", NOSUID_NODEV_NOEXEC | ro, l->v[i + 2]);
  }
  if (r == 0 && mount(NULL, "/sys/fs/cgroup", NULL, MS_REMOUNT | MS_RDONLY | NOSUID_NODEV_NOEXEC, "mode=755,size=64k") < 0)
    r = fail(errno, "remount `/sys/fs/cgroup` read-only");
  return r;
}

static int dev_symlinks(void) {
  static const char *const links[][2] = {
      {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"},
      {"/proc/self/fd/2", "/dev/stderr"}, {"pts/ptmx", "/dev/ptmx"},         {"/proc/kcore", "/dev/core"},
  };
  for (int i = 0; i < 6; i++) {
    if (i == 5 && access("/proc/kcore", F_OK) < 0) continue; /* as runc: only when the kernel has one */
    if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST) return fail(errno, "symlink `%s`", links[i][1]);
  }
  return 0;
}

/* tmpfs /dev, the spec's device nodes, the usual symlinks, devpts, shm and mqueue. */
int mount_dev(struct shim *sh) {
  const char *size = spec_str(&sh->spec.shm_size);
  char shm[64] = "mode=1777";
  long long bytes = 0;
  int r = mount_at("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  if (r == 0) r = make_devices(&sh->spec);
  if (r == 0) r = dev_symlinks();
  if (r == 0)
    r = mount_at("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  if (r == 0 && *size && (r = parse_num(size, 10, 0, INT64_MAX, &bytes)) < 0) return fail_msg("shm-size: %s", size);
  if (bytes) snprintf(shm, sizeof shm, "mode=1777,size=%lld", bytes);
  if (r == 0) r = mount_at("shm", "/dev/shm", "tmpfs", NOSUID_NODEV_NOEXEC, shm);
  return r < 0 ? r : mount_at("mqueue", "/dev/mqueue", "mqueue", NOSUID_NODEV_NOEXEC, NULL);
}

/* The target takes the source's kind: a directory, or an empty file to mount a file over. */
static int make_bind_target(const char *dst, int src_fd) {
  struct stat st;
  if (fstat(src_fd, &st) < 0) return fail(errno, "fstat `%s`", dst);
  int r = mkdir_p(dst, !S_ISDIR(st.st_mode)), fd;
  if (r < 0 || S_ISDIR(st.st_mode)) return r;
  if ((fd = open(dst, O_RDONLY | O_CREAT | O_CLOEXEC, 0644)) < 0) return fail(errno, "create `%s`", dst);
  return close(fd);
}

int mount_binds(struct shim *sh) {
  for (size_t i = 0; i < sh->spec.bind.n / 3; i++) {
    const char *src = sh->spec.bind.v[i * 3], *dst = sh->spec.bind.v[i * 3 + 1];
    int r = make_bind_target(dst, sh->bind_fds[i]);
    if (r < 0) return r;
    if (move_mount(sh->bind_fds[i], "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
      return fail(errno, "move_mount `%s` to `%s`", src, dst);
  }
  return 0;
}

/* `tmpfs TARGET FLAGS DATA` (--tmpfs, --mount type=tmpfs): FLAGS are mount(2) flag words, DATA
 * tmpfs's own options (size, mode, ...). */
int mount_tmpfs(struct shim *sh) {
  static const struct {
    const char *name;
    unsigned long set;
  } words[] = {{"ro", MS_RDONLY}, {"noexec", MS_NOEXEC}, {"nosuid", MS_NOSUID}, {"nodev", MS_NODEV}, {"noatime", MS_NOATIME},
               {"nodiratime", MS_NODIRATIME}, {"relatime", MS_RELATIME}, {"strictatime", MS_STRICTATIME},
               {"sync", MS_SYNCHRONOUS}, {"dirsync", MS_DIRSYNC}};
  const struct list *l = &sh->spec.tmpfs;
  for (size_t i = 0; i + 2 < l->n; i += 3) {
    char flags[256], *save = NULL;
    unsigned long mflags = 0;
    if (strlen(l->v[i + 1]) >= sizeof flags) return fail_msg("tmpfs `%s`: options too long", l->v[i]);
    strcpy(flags, l->v[i + 1]);
    for (char *w = strtok_r(flags, ",", &save); w; w = strtok_r(NULL, ",", &save))
      for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (strcmp(w, words[k].name) == 0) mflags |= words[k].set;
    int r = mount_at("tmpfs", l->v[i], "tmpfs", mflags, *l->v[i + 2] ? l->v[i + 2] : NULL);
    if (r < 0) return r;
  }
  return 0;
}

/* MS_REMOUNT|MS_BIND replaces the mount's flags: keep the ones it has, add read-only. */
static int remount_ro(const char *path) {
  struct statvfs sv;
  if (statvfs(path, &sv) < 0) return fail(errno, "statvfs `%s`", path);
  unsigned long keep = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME);
  if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
    return fail(errno, "remount `%s` read-only", path);
  return 0;
}

int remount_rootfs_readonly(struct shim *sh) { return spec_flag(&sh->spec.readonly) ? remount_ro("/") : 0; }

/* Masked directories get an empty read-only tmpfs, masked files /dev/null; read-only paths are
 * bound onto themselves and remounted. Missing paths are skipped; privileged containers keep all. */
int mask_paths(struct shim *sh) {
  const struct spec *s = &sh->spec;
  struct stat st;
  int r = 0;
  for (size_t i = 0; !spec_flag(&s->privileged) && i < s->masked.n + s->readonly_path.n && r == 0; i++) {
    const char *p = i < s->masked.n ? s->masked.v[i] : s->readonly_path.v[i - s->masked.n];
    if (stat(p, &st) < 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
      return fail(errno, "stat `%s`", p);
    }
    if (i >= s->masked.n) r = mount(p, p, NULL, MS_BIND | MS_REC, NULL);
    else if (S_ISDIR(st.st_mode)) r = mount("tmpfs", p, "tmpfs", MS_RDONLY, NULL);
    else r = mount("/dev/null", p, NULL, MS_BIND, NULL);
    r = r < 0 ? fail(errno, "mount `%s`", p) : i >= s->masked.n ? remount_ro(p) : 0;
  }
  return r;
}

/* User namespaces (kapald --userns-remap): the shim writes the child's uid and gid maps, and builds
 * the root file system as an overlay of idmapped copies of the image layers, so the layers stay as
 * they are on disk and are still shared with every other container. */
#include "shim.h"

#include <sched.h>
#include <sys/mount.h>

int userns_enabled(const struct shim *sh) { return sh->spec.uid_map.n > 0; }

/* "inside outside count" lines, written in one write(2) as the kernel requires. */
static int write_map(pid_t pid, const char *file, const struct list *m) {
  char path[64], buf[1024];
  size_t n = 0;
  for (size_t i = 0; i + 2 < m->n && n < sizeof buf; i += 3)
    n += snprintf(buf + n, sizeof buf - n, "%s %s %s\n", m->v[i], m->v[i + 1], m->v[i + 2]);
  if (n >= sizeof buf) return fail_msg("%s: too many ranges", file);
  snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno, "open `%s`", path);
  ssize_t w = write(fd, buf, n);
  int err = errno;
  close(fd);
  return w == (ssize_t)n ? 0 : fail(w < 0 ? err : EIO, "write `%s`", path);
}

/* One image layer, idmapped into the container's user namespace, read-only, attached at `at`:
 * overlayfs takes layers only from the mount namespace it is created in, and the shim's is private. */
static int idmapped_layer(const char *dir, int userns, const char *at) {
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY, .userns_fd = userns};
  int fd = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC), r = 0;
  if (fd < 0) return fail(errno, "open_tree `%s`", dir);
  if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) r = fail(errno, "mount_setattr `%s` idmapped", dir);
  else if (mkdir(at, 0700) < 0 && errno != EEXIST) r = fail(errno, "mkdir `%s`", at);
  else if (move_mount(fd, "", AT_FDCWD, at, MOVE_MOUNT_F_EMPTY_PATH) < 0) r = fail(errno, "move_mount `%s`", at);
  close(fd);
  return r;
}

static int set_string(int fs, const char *key, const char *value) {
  return fsconfig(fs, FSCONFIG_SET_STRING, key, value, 0) < 0 ? fail(errno, "fsconfig overlay `%s=%s`", key, value) : 0;
}

/* The overlay as a detached mount (the child attaches it): lowers from idmapped layer copies,
 * top-most first, attached under STATE_DIR/layers only in the shim's own mount namespace and
 * detached again once the overlay holds them. */
static int build_rootfs(const struct shim *sh, int userns, int *mount_fd) {
  const struct spec *s = &sh->spec;
  char at[64];
  int fs = fsopen("overlay", FSOPEN_CLOEXEC), r = fs < 0 ? fail(errno, "fsopen `overlay`") : 0;
  if (r == 0 && mkdir("layers", 0700) < 0 && errno != EEXIST) r = fail(errno, "mkdir `layers`");
  for (size_t i = 0; r == 0 && i < s->lower.n; i++) {
    snprintf(at, sizeof at, "layers/%zu", i);
    if ((r = idmapped_layer(s->lower.v[i], userns, at)) == 0) r = set_string(fs, "lowerdir+", at);
  }
  if (r == 0) r = set_string(fs, "upperdir", spec_str(&s->upper));
  if (r == 0) r = set_string(fs, "workdir", spec_str(&s->work));
  if (r == 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) r = fail(errno, "fsconfig overlay create");
  if (r == 0 && (*mount_fd = fsmount(fs, FSMOUNT_CLOEXEC, 0)) < 0) r = fail(errno, "fsmount `overlay`");
  for (size_t i = 0; i < s->lower.n; i++) {
    snprintf(at, sizeof at, "layers/%zu", i);
    umount2(at, MNT_DETACH);
    rmdir(at);
  }
  rmdir("layers");
  if (fs >= 0) close(fs);
  return r;
}

/* The shim's own mount namespace, a slave of the host's: the layer mounts above never reach the
 * host, while the host's mounts and unmounts still reach the shim (and rslave binds). */
int userns_private_mounts(struct shim *sh) {
  if (!userns_enabled(sh)) return 0;
  if (unshare(CLONE_NEWNS) < 0) return fail(errno, "unshare `CLONE_NEWNS`");
  return mount("", "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ? fail(errno, "mount `/` slave") : 0;
}

/* Where the shim attaches bind i's idmapped copy in the child's mount namespace for the child to
 * take (beside the rootfs, so under the old root that pivot_root leaves behind). */
int userns_staged_bind(const struct shim *sh, size_t i, char *path, size_t cap) {
  const char *rootfs = spec_str(&sh->spec.rootfs), *slash = strrchr(rootfs, '/');
  int n = snprintf(path, cap, "%.*s/idmapped/%zu", slash ? (int)(slash - rootfs) : 0, rootfs, i);
  return n < 0 || (size_t)n >= cap ? fail_msg("staged bind %zu: path too long", i) : 0;
}

/* Volumes (binds marked `idmap`) as idmapped copies: their files keep the host's ids on disk and
 * the container's root owns what the host's root owns, as with the layers. */
static int idmapped_binds(const struct shim *sh, int userns, int *fds) {
  const struct list *b = &sh->spec.bind;
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns};
  char path[PATH_MAX];
  for (size_t i = 0; i < b->n / 3; i++) {
    if (!bind_is_idmapped(sh, i)) continue;
    const char *src = b->v[i * 3];
    int fd = fds[i] = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (fd < 0) return fail(errno, "open_tree `%s`", src);
    if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) return fail(errno, "mount_setattr `%s` idmapped", src);
    int r = userns_staged_bind(sh, i, path, sizeof path);
    if (r == 0) r = mkdir_p(path, 0);
    if (r < 0) return r;
  }
  return 0;
}

/* Attaches the overlay at the rootfs path, and the idmapped binds at their staging paths, inside
 * the child's mount namespace: the child, in its user namespace, may not attach a mount made by
 * the host's root, but the shim may, from there. */
static int attach_in_child(struct shim *sh, int overlay, const int *binds) {
  char path[PATH_MAX];
  int self = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC), here = open(".", O_PATH | O_CLOEXEC), r = 0;
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", sh->pid);
  int child = open(path, O_RDONLY | O_CLOEXEC);
  if (self < 0 || here < 0 || child < 0) r = fail(errno, "open mount namespaces");
  else if (setns(child, CLONE_NEWNS) < 0) r = fail(errno, "setns `%s`", path);
  else {
    if (move_mount(overlay, "", AT_FDCWD, spec_str(&sh->spec.rootfs), MOVE_MOUNT_F_EMPTY_PATH) < 0)
      r = fail(errno, "move_mount overlay `%s`", spec_str(&sh->spec.rootfs));
    for (size_t i = 0; r == 0 && i < sh->spec.bind.n / 3; i++) {
      if (binds[i] < 0) continue;
      if ((r = userns_staged_bind(sh, i, path, sizeof path)) == 0 && move_mount(binds[i], "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        r = fail(errno, "move_mount `%s`", path);
    }
    if (setns(self, CLONE_NEWNS) < 0 || fchdir(here) < 0) r = fail(errno, "setns back to the shim's mount namespace");
  }
  int fds[] = {self, here, child};
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0) close(fds[i]);
  return r;
}

/* Before SYNC_GO: the maps, then the rootfs, built here and attached in the child's namespace. */
int userns_prepare(struct shim *sh) {
  char path[64];
  int overlay = -1;
  if (!userns_enabled(sh)) return 0;
  int r = write_map(sh->pid, "uid_map", &sh->spec.uid_map);
  if (r == 0) r = write_map(sh->pid, "gid_map", &sh->spec.gid_map);
  if (r < 0) return r;
  snprintf(path, sizeof path, "/proc/%d/ns/user", sh->pid);
  int userns = open(path, O_RDONLY | O_CLOEXEC);
  if (userns < 0) return fail(errno, "open `%s`", path);
  size_t nbinds = sh->spec.bind.n / 3;
  int *binds = calloc(nbinds + 1, sizeof(int));
  if (!binds) r = fail(ENOMEM, "calloc");
  for (size_t i = 0; binds && i < nbinds; i++) binds[i] = -1;
  if (r == 0) r = build_rootfs(sh, userns, &overlay);
  if (r == 0) r = idmapped_binds(sh, userns, binds);
  close(userns);
  if (r == 0) r = attach_in_child(sh, overlay, binds);
  if (overlay >= 0) close(overlay);
  for (size_t i = 0; binds && i < nbinds; i++)
    if (binds[i] >= 0) close(binds[i]);
  free(binds);
  return r;
}

/* In the child, once its maps exist: become the namespace's root (uid and gid 0 inside). */
int become_userns_root(struct shim *sh) {
  if (!userns_enabled(sh)) return 0;
  if (setresgid(0, 0, 0) < 0) return fail(errno, "setresgid `0`");
  return setresuid(0, 0, 0) < 0 ? fail(errno, "setresuid `0`") : 0;
}

/* The spec's device nodes (docker's defaults and --device) in the container's tmpfs /dev. The
 * devices cgroup, which kapald sets, decides which of them may be opened. */
#include "shim.h"

#include <sys/sysmacros.h>

/* v: PATH TYPE MAJOR MINOR MODE UID GID */
static int make_device(const char *const *v) {
  static const int base[] = {10, 10, 8, 10, 10};
  static const long long max[] = {0xfff, 0xfffff, 07777, UINT32_MAX, UINT32_MAX};
  long long n[5];
  const char *path = v[0], *type = v[1];
  if (strcmp(type, "c") != 0 && strcmp(type, "b") != 0)
    return fail_msg("device `%s`: type `%s` is not c or b", path, type);
  for (int i = 0; i < 5; i++)
    if (parse_num(v[2 + i], base[i], 0, max[i], &n[i]) < 0)
      return fail_msg("device `%s`: invalid `%s`", path, v[2 + i]);
  int r = mkdir_p(path, 1);
  if (r < 0) return r;
  if (mknod(path, (*type == 'c' ? S_IFCHR : S_IFBLK) | n[2], makedev(n[0], n[1])) < 0 && errno != EEXIST)
    return fail(errno, "mknod `%s`", path);
  return chown(path, n[3], n[4]) < 0 ? fail(errno, "chown `%s`", path) : 0;
}

int make_devices(const struct spec *s) {
  int r = 0;
  for (size_t i = 0; i < s->device.n / 7 && r == 0; i++) r = make_device(s->device.v + i * 7);
  return r;
}

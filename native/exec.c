/* execve with the PATH lookup done here, against the container's env (never the shim's), failing
 * with the messages moby prints so kapald can map them to 127 and 126 as docker does. */
#include "shim.h"

#include <limits.h>

static const char *env_path(char *const envp[]) {
  for (size_t i = 0; envp[i]; i++)
    if (strncmp(envp[i], "PATH=", 5) == 0) return envp[i] + 5;
  return DEFAULT_PATH;
}

/* A name with a slash is used as given (Go's exec.LookPath reports a missing one with stat's error). */
static int exec_file(const char *name, char *const argv[], char *const envp[]) {
  struct stat st;
  if (stat(name, &st) < 0) return fail_msg("exec: \"%s\": stat %s: %s", name, name, errstr(errno));
  if (S_ISDIR(st.st_mode)) return fail_msg("exec: \"%s\": is a directory", name);
  execve(name, argv, envp);
  if (errno == EACCES) return fail_msg("exec: \"%s\": permission denied", name);
  return fail_msg("exec %s: %s", name, errstr(errno));
}

int exec_command(char *const argv[], char *const envp[]) {
  const char *name = argv[0], *dirs = env_path(envp);
  char path[PATH_MAX], denied[PATH_MAX] = "";
  if (strchr(name, '/')) return exec_file(name, argv, envp);
  for (const char *d = dirs; *name;) {
    size_t len = strcspn(d, ":");
    snprintf(path, sizeof path, "%.*s/%s", (int)(len ? len : 1), len ? d : ".", name);
    execve(path, argv, envp);
    int err = errno;
    if (err == EACCES && !*denied) snprintf(denied, sizeof denied, "%s", path);
    if (err == ENOENT && access(path, F_OK) == 0)
      return fail_msg("exec %s: %s", path, errstr(err)); /* no interpreter */
    if (err != EACCES && err != ENOENT && err != ENOTDIR) return fail_msg("exec %s: %s", path, errstr(err));
    if (!d[len]) break;
    d += len + 1;
  }
  if (*denied) return fail_msg("exec: \"%s\": permission denied", denied);
  return fail_msg("exec: \"%s\": executable file not found in $PATH", name);
}

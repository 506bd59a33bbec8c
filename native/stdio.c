/* The container's fds 0, 1 and 2: the pipes the shim reads, or a pty from the container's own
 * devpts instance, whose master goes to the shim as SYNC_PTY. */
#include "shim.h"

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>

static int dup_onto(int fd, int target) { return dup2(fd, target) < 0 ? fail(errno, "dup2 `%d`", target) : 0; }

/* The slave is also bind-mounted over /dev/console, as docker does for -t. */
static int mount_console(int slave) {
  char src[64];
  int fd = open("/dev/console", O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail(errno, "create `/dev/console`");
  close(fd);
  snprintf(src, sizeof src, "/proc/self/fd/%d", slave);
  return mount(src, "/dev/console", NULL, MS_BIND, NULL) < 0 ? fail(errno, "mount `/dev/console`") : 0;
}

static int open_pty(const struct spec *s, int *master, int *slave) {
  long long rows = 0, cols = 0;
  if (s->console_size.n == 2 && (parse_num(s->console_size.v[0], 10, 0, 65535, &rows) < 0 ||
                                 parse_num(s->console_size.v[1], 10, 0, 65535, &cols) < 0))
    return fail_msg("console-size: %s %s", s->console_size.v[0], s->console_size.v[1]);
  if ((*master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) return fail(errno, "open `/dev/ptmx`");
  if (unlockpt(*master) < 0) return fail(errno, "unlockpt `/dev/ptmx`");
  if ((*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
    return fail(errno, "ioctl `TIOCGPTPEER`");
  struct winsize ws = {.ws_row = rows, .ws_col = cols};
  if (rows && cols && ioctl(*slave, TIOCSWINSZ, &ws) < 0) return fail(errno, "ioctl `TIOCSWINSZ`");
  return 0;
}

static int setup_pty(struct shim *sh) {
  int master = -1, slave = -1, r = open_pty(&sh->spec, &master, &slave);
  if (r == 0 && ioctl(slave, TIOCSCTTY, 0) < 0) r = fail(errno, "ioctl `TIOCSCTTY`");
  if (r == 0 && !sh->exec) r = mount_console(slave); /* the container's console, not an exec's */
  for (int fd = 0; fd < 3 && r == 0; fd++) r = dup_onto(slave, fd);
  if (r == 0 && (r = frame_send(sh->sync[1], SYNC_PTY, NULL, 0, master)) < 0) r = fail(-r, "sendmsg `SYNC_PTY`");
  close(master), close(slave);
  return r;
}

int setup_stdio(struct shim *sh) {
  if (setsid() < 0) return fail(errno, "setsid");
  if (spec_flag(&sh->spec.tty)) return setup_pty(sh);
  int r = dup_onto(sh->in[0] >= 0 ? sh->in[0] : sh->null_fd, 0);
  if (r == 0) r = dup_onto(sh->out[1], 1);
  return r < 0 ? r : dup_onto(sh->err[1], 2);
}

/* The seccomp filter: kapald compiled the container's profile to BPF once (with libseccomp, for
 * its capabilities: src/runtime/seccomp/) and hands the program over as `seccomp-bpf HEX`; the
 * child loads it as the last step before its own setup. */
#include "shim.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int load_seccomp(struct shim *sh) {
  if (!sh->spec.seccomp_bpf.n) return 0;
  const char *hex = spec_str(&sh->spec.seccomp_bpf);
  size_t len = strlen(hex);
  if (len == 0 || len % (2 * sizeof(struct sock_filter)) != 0) return fail_msg("seccomp: program of %zu hex digits", len);
  struct sock_filter *code = malloc(len / 2);
  if (!code) return fail(ENOMEM, "seccomp: malloc");
  unsigned char *bytes = (unsigned char *)code;
  for (size_t i = 0; i < len / 2; i++) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return free(code), fail_msg("seccomp: program is not hex");
    bytes[i] = (unsigned char)(hi << 4 | lo);
  }
  struct sock_fprog prog = {.len = (unsigned short)(len / 2 / sizeof(struct sock_filter)), .filter = code};
  /* no_new_privs is the spec's own decision (set_no_new_privs); the child still holds
   * CAP_SYS_ADMIN here, which the kernel accepts instead. */
  int r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0 ? fail(errno, "prctl `PR_SET_SECCOMP`") : 0;
  free(code);
  return r;
}

/* The seccomp filter, built with libseccomp from the spec's `seccomp-*` records (kapald resolved
 * the profile: docker's default or the user's, for this container's capabilities) and loaded as
 * the last step before the process's own setup. Syscall names this architecture does not have
 * are skipped, as runc does. */
#include "shim.h"

#include <seccomp.h>

static int parse_action(const char *name, const char *errno_text, uint32_t *out) {
  long long e = 1;
  if (parse_num(errno_text, 10, 0, 4095, &e) < 0) return fail_msg("seccomp: bad errno `%s`", errno_text);
  static const struct {
    const char *name;
    uint32_t action;
  } actions[] = {
      {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},           {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD},
      {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD}, {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
      {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},             {"SCMP_ACT_LOG", SCMP_ACT_LOG},
  };
  if (strcmp(name, "SCMP_ACT_ERRNO") == 0) return *out = SCMP_ACT_ERRNO(e), 0;
  if (strcmp(name, "SCMP_ACT_TRACE") == 0) return *out = SCMP_ACT_TRACE(e), 0;
  for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
    if (strcmp(name, actions[i].name) == 0) return *out = actions[i].action, 0;
  return fail_msg("seccomp: unknown action `%s`", name);
}

static int parse_op(const char *name, enum scmp_compare *out) {
  static const char *ops[] = {[SCMP_CMP_NE] = "SCMP_CMP_NE", [SCMP_CMP_LT] = "SCMP_CMP_LT", [SCMP_CMP_LE] = "SCMP_CMP_LE",
                              [SCMP_CMP_EQ] = "SCMP_CMP_EQ", [SCMP_CMP_GE] = "SCMP_CMP_GE", [SCMP_CMP_GT] = "SCMP_CMP_GT",
                              [SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ"};
  for (int i = SCMP_CMP_NE; i <= SCMP_CMP_MASKED_EQ; i++)
    if (ops[i] && strcmp(name, ops[i]) == 0) return *out = i, 0;
  return fail_msg("seccomp: unknown operator `%s`", name);
}

/* "index,op,value,valueTwo;..." into at most 6 comparisons. */
static int parse_args(const char *text, struct scmp_arg_cmp *cmp, unsigned *n) {
  char buf[512], *save = NULL;
  *n = 0;
  if (strlen(text) >= sizeof buf) return fail_msg("seccomp: argument rules too long");
  strcpy(buf, text);
  for (char *part = strtok_r(buf, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
    char op[32];
    unsigned index;
    unsigned long long a, b;
    if (*n >= 6 || sscanf(part, "%u,%31[A-Z_],%llu,%llu", &index, op, &a, &b) != 4 || index > 5)
      return fail_msg("seccomp: bad argument rule `%s`", part);
    enum scmp_compare o = SCMP_CMP_EQ;
    if (parse_op(op, &o) < 0) return -EINVAL;
    cmp[(*n)++] = (struct scmp_arg_cmp){.arg = index, .op = o, .datum_a = a, .datum_b = b};
  }
  return 0;
}

static int add_rules(scmp_filter_ctx ctx, const struct spec *s, uint32_t default_action) {
  const struct list *r = &s->seccomp_rule;
  for (size_t i = 0; i + 3 < r->n; i += 4) {
    uint32_t action;
    struct scmp_arg_cmp cmp[6];
    unsigned n;
    if (parse_action(r->v[i + 1], r->v[i + 2], &action) < 0 || parse_args(r->v[i + 3], cmp, &n) < 0) return -EINVAL;
    int nr = seccomp_syscall_resolve_name(r->v[i]);
    if (nr == __NR_SCMP_ERROR || action == default_action) continue;
    int rc = seccomp_rule_add_array(ctx, action, nr, n, cmp);
    if (rc < 0) return fail(-rc, "seccomp_rule_add `%s`", r->v[i]);
  }
  return 0;
}

int load_seccomp(struct shim *sh) {
  const struct spec *s = &sh->spec;
  if (!s->seccomp_default.n) return 0;
  uint32_t default_action;
  if (parse_action(s->seccomp_default.v[0], s->seccomp_default.v[1], &default_action) < 0) return -EINVAL;
  scmp_filter_ctx ctx = seccomp_init(default_action);
  if (!ctx) return fail(ENOMEM, "seccomp_init");
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < s->seccomp_arch.n; i++) {
    uint32_t arch = seccomp_arch_resolve_name(s->seccomp_arch.v[i] + strlen("SCMP_ARCH_"));
    if (arch == 0) continue; /* an architecture this libseccomp does not know */
    rc = seccomp_arch_add(ctx, arch);
    if (rc == -EEXIST) rc = 0;
    else if (rc < 0) rc = fail(-rc, "seccomp_arch_add `%s`", s->seccomp_arch.v[i]);
  }
  /* no_new_privs is the spec's own decision (set_no_new_privs); the filter is loaded while the
   * process still has CAP_SYS_ADMIN, which the kernel accepts instead. */
  if (rc == 0 && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0) rc = fail(-rc, "seccomp_attr_set `NNP`");
  if (rc == 0) rc = add_rules(ctx, s, default_action);
  if (rc == 0 && (rc = seccomp_load(ctx)) < 0) rc = fail(-rc, "seccomp_load");
  seccomp_release(ctx);
  return rc;
}

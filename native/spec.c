/* Parses STATE_DIR/spec (src/runtime/shim/spec.ts writes it): NUL-terminated strings, each key
 * followed by a fixed number of values. The table below mirrors SPEC_ARITY; a unit test compares them. */
#include "shim.h"

struct key {
  const char *name;
  unsigned arity;
  int many; /* may repeat */
  size_t off;
};

// clang-format off
/* key, values per record, may repeat, where they go */
#define KEY(name, arity, many, field) {name, arity, many, offsetof(struct spec, field)}
static const struct key keys[] = {
    KEY("version", 1, 0, version), KEY("rootfs", 1, 0, rootfs), KEY("lower", 1, 1, lower),
    KEY("upper", 1, 0, upper), KEY("work", 1, 0, work), KEY("readonly", 1, 0, readonly),
    KEY("hostname", 1, 0, hostname), KEY("namespace", 1, 1, namespace), KEY("cgroup", 1, 1, cgroup),
    KEY("memory-cgroup", 1, 0, memory_cgroup), KEY("bind", 3, 1, bind), KEY("shm-size", 1, 0, shm_size),
    KEY("masked", 1, 1, masked), KEY("readonly-path", 1, 1, readonly_path), KEY("device", 7, 1, device),
    KEY("env", 1, 1, env), KEY("arg", 1, 1, arg), KEY("cwd", 1, 0, cwd),
    KEY("user", 1, 0, user), KEY("group-add", 1, 1, group_add), KEY("cap", 1, 1, cap),
    KEY("no-new-privileges", 1, 0, no_new_privileges), KEY("rlimit", 3, 1, rlimit), KEY("tty", 1, 0, tty),
    KEY("stdin", 1, 0, stdin_), KEY("console-size", 2, 0, console_size), KEY("log", 1, 0, log),
    KEY("log-max-size", 1, 0, log_max_size), KEY("log-max-file", 1, 0, log_max_file),
    KEY("init", 1, 0, init), KEY("privileged", 1, 0, privileged), KEY("uid-map", 3, 1, uid_map),
    KEY("gid-map", 3, 1, gid_map), KEY("join-pid", 1, 0, join_pid), KEY("join-parent", 1, 0, join_parent),
    KEY("netif", 3, 1, netif), KEY("gateway", 1, 0, gateway), KEY("seccomp-bpf", 1, 0, seccomp_bpf), KEY("sysctl", 2, 1, sysctl),
    KEY("cgroup-mount", 3, 1, cgroup_mount), KEY("tmpfs", 3, 1, tmpfs), KEY("hold", 1, 0, hold),
};
// clang-format on

static const struct key *find_key(const char *name) {
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (strcmp(keys[i].name, name) == 0) return &keys[i];
  return NULL;
}

static int list_add(struct list *l, const char *value) {
  if ((l->n & (l->n - 1)) == 0) { /* grow at 0, 1, 2, 4, 8, ... */
    const char **v = realloc(l->v, (l->n ? l->n * 2 : 1) * sizeof *v);
    if (!v) return fail(ENOMEM, "spec: realloc");
    l->v = v;
  }
  l->v[l->n++] = value;
  return 0;
}

/* One record: `key` at *p, then its values; advances *p past them. */
static int parse_record(struct spec *s, char **p, const char *end) {
  const char *name = *p;
  const struct key *k = find_key(name);
  if (!k) return fail_msg("spec: unknown key `%s`", name);
  struct list *l = (struct list *)((char *)s + k->off);
  if (l->n && !k->many) return fail_msg("spec: key `%s` given twice", name);
  *p += strlen(*p) + 1;
  for (unsigned i = 0; i < k->arity; i++, *p += strlen(*p) + 1) {
    if (*p >= end) return fail_msg("spec: key `%s` takes %u values, the file ends after %u", name, k->arity, i);
    int r = list_add(l, *p);
    if (r < 0) return r;
  }
  return 0;
}

static int check_required(const struct spec *s, int exec) {
  if (strcmp(spec_str(&s->version), "1") != 0) return fail_msg("spec: first record must be `version 1`");
  if (!s->arg.n) return fail_msg("spec: no `arg`: nothing to run");
  if (exec) return s->join_pid.n && s->join_parent.n ? 0 : fail_msg("spec: exec needs `join-pid` and `join-parent`");
  if (!s->rootfs.n || !*spec_str(&s->rootfs)) return fail_msg("spec: no `rootfs`");
  if (!s->lower.n) return fail_msg("spec: no `lower` directory");
  return 0;
}

int spec_load(struct spec *s, const char *path, int exec) {
  size_t len;
  memset(s, 0, sizeof *s);
  if (!(s->buf = read_file(path, &len))) return fail(errno, "spec: read `%s`", path);
  if (len == 0 || s->buf[len - 1] != '\0') return fail_msg("spec: `%s` does not end with a NUL byte", path);
  if (strcmp(s->buf, "version") != 0) return fail_msg("spec: first record must be `version 1`");
  for (char *p = s->buf; p < s->buf + len;) {
    int r = parse_record(s, &p, s->buf + len);
    if (r < 0) return r;
  }
  return check_required(s, exec);
}

void spec_free(struct spec *s) {
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) free(((struct list *)((char *)s + keys[i].off))->v);
  free(s->buf);
  memset(s, 0, sizeof *s);
}

const char *spec_str(const struct list *l) { return l->n ? l->v[0] : ""; }

int spec_flag(const struct list *l) { return strcmp(spec_str(l), "1") == 0; }

int spec_has(const struct list *l, const char *value) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i], value) == 0) return 1;
  return 0;
}

int parse_num(const char *s, int base, long long min, long long max, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, base);
  if (!*s || *end || errno || v < min || v > max) return fail_msg("invalid number `%s`", s);
  *out = v;
  return 0;
}

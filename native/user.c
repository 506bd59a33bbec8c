/* `user` (``, name, uid, uid:gid, name:group) resolved as runc's GetExecUser and moby's getUser do,
 * from the container's own /etc/passwd and /etc/group (never NSS: the host's databases do not apply). */
#include "shim.h"

struct query {
  const char *name; /* match by name, or by id when NULL */
  long long id;
  const char *member; /* for /etc/group: collect every group listing this user instead */
  struct user *u;
  char *matched; /* the entry's name, when found (256 bytes) */
  int found;
};

static int is_number(const char *s, long long *out) {
  char *end;
  errno = 0;
  *out = strtoll(s, &end, 10);
  return *s >= '0' && *s <= '9' && !*end && !errno && *out <= UINT32_MAX;
}

static int listed(char *members, const char *name) {
  for (char *m; (m = strsep(&members, ","));)
    if (strcmp(m, name) == 0) return 1;
  return 0;
}

/* f: a line split at ':': the name, x, the id, then passwd's gid, gecos, home or group's members. */
static int match(struct query *q, char **f, int n, int passwd) {
  long long id;
  if (n < 4 || !is_number(f[2], &id)) return 0;
  if (q->member) {
    if (listed(f[3], q->member) && q->u->ngroups < MAX_GROUPS) q->u->groups[q->u->ngroups++] = id;
    return 0;
  }
  if (q->name ? strcmp(f[0], q->name) != 0 : id != q->id) return 0;
  q->found = 1;
  if (q->matched) snprintf(q->matched, 256, "%s", f[0]);
  if (!passwd) return q->u->gid = id, 1;
  q->u->uid = id;
  q->u->gid = is_number(f[3], &id) ? id : 0;
  snprintf(q->u->home, sizeof q->u->home, "%s", n > 5 && *f[5] ? f[5] : "/");
  return 1;
}

/* Runs q over the entries of an /etc file until one matches; a missing file has no entries. */
static int scan(const char *path, struct query *q, int passwd) {
  size_t len;
  char *text = read_file(path, &len), *rest = text, *line, *f[7];
  if (!text) return errno == ENOENT ? 0 : fail(errno, "read `%s`", path);
  while ((line = strsep(&rest, "\n"))) {
    int n = 0;
    while (n < 7 && (f[n] = strsep(&line, ":"))) n++;
    if (match(q, f, n, passwd)) break;
  }
  free(text);
  return 0;
}

/* A user (passwd) or group by name or id; a name must exist, an id need not. */
static int find(const char *spec, int passwd, struct user *u, char *matched) {
  struct query q = {.u = u, .matched = matched};
  if (!is_number(spec, &q.id)) q.name = spec;
  int r = scan(passwd ? "/etc/passwd" : "/etc/group", &q, passwd);
  if (r == 0 && !q.found && q.name)
    return fail_msg("unable to find %s %s: no matching entries in %s file", passwd ? "user" : "group", spec,
                    passwd ? "passwd" : "group");
  if (r == 0 && !q.found) *(passwd ? &u->uid : &u->gid) = q.id;
  return r;
}

/* Groups as moby sets them: the primary group, the /etc/group entries listing the user (only when
 * the spec names no group), then `group-add`. */
int resolve_user(struct shim *sh) {
  struct user *u = &sh->user;
  char spec[512], *group, name[256] = "";
  snprintf(spec, sizeof spec, "%s", spec_str(&sh->spec.user));
  if ((group = strchr(spec, ':'))) *group++ = '\0';
  memset(u, 0, sizeof *u);
  strcpy(u->home, "/");
  int r = find(*spec ? spec : "0", 1, u, name);
  if (r == 0 && group && *group) r = find(group, 0, u, NULL);
  u->groups[u->ngroups++] = u->gid;
  if (r == 0 && !(group && *group) && *name) {
    struct query q = {.member = name, .u = u};
    r = scan("/etc/group", &q, 0);
  }
  for (size_t i = 0; r == 0 && i < sh->spec.group_add.n && u->ngroups < MAX_GROUPS; i++) {
    struct user g = *u;
    if ((r = find(sh->spec.group_add.v[i], 0, &g, NULL)) == 0) u->groups[u->ngroups++] = g.gid;
  }
  return r;
}

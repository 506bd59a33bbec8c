/* docker's json-file log: one {"log":...,"stream":...,"time":...} object per line, strings escaped
 * as moby's jsonlog does (ffjson: <, > and & as \u00XX, invalid UTF-8 as \ufffd), times as Go's
 * RFC3339Nano, rotated by size between records (`log-max-size`, `log-max-file`; docs/shim.md).
 * Also the exit file's JSON. */
#include "shim.h"

#include <limits.h>

struct out {
  int fd;              /* the log; rotation swaps the file behind this fd number */
  size_t len;          /* bytes in buf */
  long long size;      /* bytes in the current file, buf included */
  long long max_size;  /* rotate before a record once size reaches this; 0: never */
  int max_file;        /* files kept, the current one included */
  int rotated;         /* <path>.1 ... <path>.<rotated> exist */
  int failing;         /* the last write failed (and was reported) */
  char path[PATH_MAX]; /* <id>-json.log */
  char buf[65536];     /* 64 KiB: a quarter fewer cycles than 16 KiB at full speed (bench/streams.ts) */
};

static struct out o = {.fd = -1};

/* A write that fails (a full disk) drops the buffered records: the part of them that did reach
 * the file is cut off again, or the next record, once there is space, would continue a torn line
 * and be lost to readers. The failure is reported once, not per record (shim.log is in memory). */
static void flush(struct out *o) {
  size_t done = 0;
  while (done < o->len) {
    ssize_t n = write(o->fd, o->buf + done, o->len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    done += n;
  }
  if (done < o->len) {
    int err = errno;
    struct stat st;
    if (done && (fstat(o->fd, &st) < 0 || ftruncate(o->fd, st.st_size - (off_t)done) < 0))
      dprintf(STDERR_FILENO, "kapal-shim: write log: cut a torn record: %s\n", errstr(errno));
    if (!o->failing)
      dprintf(STDERR_FILENO, "kapal-shim: write log: %s; dropping output until a write succeeds\n", errstr(err));
    o->failing = 1;
    o->size -= o->len;
  } else if (o->len && o->failing) {
    dprintf(STDERR_FILENO, "kapal-shim: write log: writing again\n");
    o->failing = 0;
  }
  o->len = 0;
}

static void put(struct out *o, const void *p, size_t n) {
  if (o->len + n > sizeof o->buf) flush(o);
  memcpy(o->buf + o->len, p, n); /* n is at most a short piece or a record prefix, never > buf */
  o->len += n;
  o->size += n;
}

int jsonlog_open(const struct spec *s) {
  long long max_size = 0, max_file = 1;
  struct stat st;
  int r = *spec_str(&s->log_max_size) ? parse_num(spec_str(&s->log_max_size), 10, 0, LLONG_MAX, &max_size) : 0;
  if (r == 0 && *spec_str(&s->log_max_file)) r = parse_num(spec_str(&s->log_max_file), 10, 1, 1000000, &max_file);
  if (r < 0) return r;
  if ((size_t)snprintf(o.path, sizeof o.path, "%s", spec_str(&s->log)) >= sizeof o.path - 16)
    return fail(ENAMETOOLONG, "open log `%s`", spec_str(&s->log));
  if ((o.fd = open(o.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) < 0)
    return fail(errno, "open log `%s`", o.path);
  o.size = fstat(o.fd, &st) == 0 ? st.st_size : 0; /* a restarted container appends */
  o.max_size = max_size, o.max_file = (int)max_file;
  for (char name[PATH_MAX + 16]; o.rotated < o.max_file - 1; o.rotated++) {
    snprintf(name, sizeof name, "%s.%d", o.path, o.rotated + 1);
    if (access(name, F_OK) < 0) break;
  }
  return o.fd;
}

/* `to` becomes another name of `from` (atomically replacing what it named): a link to a temporary
 * name renamed over it, so `to` never disappears. */
static int relink(const char *from, const char *to, const char *tmp) {
  unlink(tmp);
  if (link(from, tmp) < 0) return errno == ENOENT ? 0 : fail(errno, "rotate log: link `%s`", from);
  if (rename(tmp, to) < 0) return fail(errno, "rotate log: rename `%s`", to);
  return 0;
}

/* Makes room for a new current file: .N-2 → .N-1, ..., .1 → .2, current → .1. Every name
 * exists at every moment (two names may share a file for a while), so a reader walking .1, .2, ...
 * never finds a gap in the middle. */
static int shift_files(struct out *o) {
  char from[PATH_MAX + 16], to[PATH_MAX + 16], tmp[PATH_MAX + 16];
  int top = o->rotated < o->max_file - 1 ? o->rotated + 1 : o->max_file - 1, r = 0;
  snprintf(tmp, sizeof tmp, "%s.tmp", o->path);
  for (int i = top; i >= 2 && r == 0; i--) {
    snprintf(from, sizeof from, "%s.%d", o->path, i - 1);
    snprintf(to, sizeof to, "%s.%d", o->path, i);
    r = relink(from, to, tmp);
  }
  snprintf(to, sizeof to, "%s.1", o->path);
  if (r == 0) r = relink(o->path, to, tmp);
  if (r == 0 && o->rotated < o->max_file - 1) o->rotated++;
  return r;
}

/* docker rotates before the record that finds the file full. The new file replaces the current
 * one by rename: a reader still holding the old one reads it to the end, and with max-file 1
 * (docker truncates in place) that is what keeps a follower from losing lines. */
static void rotate(struct out *o) {
  char next[PATH_MAX + 16];
  flush(o);
  o->size = 0; /* also when it fails: try again after another max-size, not at every record */
  snprintf(next, sizeof next, "%s.next", o->path);
  int fd = open(next, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640), r = 0;
  if (fd < 0) r = fail(errno, "rotate log: open `%s`", next);
  if (r == 0 && o->max_file > 1) r = shift_files(o);
  if (r == 0 && rename(next, o->path) < 0) r = fail(errno, "rotate log: rename `%s`", next);
  if (r == 0 && dup3(fd, o->fd, O_CLOEXEC) < 0) r = fail(errno, "rotate log: dup3 `%d`", o->fd);
  if (fd >= 0) close(fd);
  if (r < 0) dprintf(STDERR_FILENO, "kapal-shim: %s\n", shim_err);
}

/* Length of the UTF-8 sequence at s that Go's utf8.DecodeRune accepts, 0 when it is invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char lo = 0x80, hi = 0xBF;
  size_t len = s[0] >= 0xC2 && s[0] <= 0xDF   ? 2
               : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
               : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                              : 0;
  if (s[0] == 0xE0) lo = 0xA0;
  if (s[0] == 0xED) hi = 0x9F; /* no surrogates */
  if (s[0] == 0xF0) lo = 0x90;
  if (s[0] == 0xF4) hi = 0x8F; /* nothing past U+10FFFF */
  if (!len || n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  return len;
}

/* Bytes that are not copied as they are: control characters, `"` `\\` `<` `>` `&`, and every
 * non-ASCII byte (checked as UTF-8 on the slow path). */
static const unsigned char needs_care[256] = {
    [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, ['<'] = 1, ['>'] = 1, ['&'] = 1, [0x80 ... 0xff] = 1,
};

static void put_string(struct out *o, const unsigned char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t plain = 0; /* bytes at s[i - plain .. i) that need no escaping */
  for (size_t i = 0; i < n;) {
    if (!needs_care[s[i]]) { /* the common case, a run of plain ASCII: 2.5 times faster than byte by byte */
      size_t j = i + 1, stop = n - i > 4096 ? i + 4096 : n; /* plain stays under 8 KiB: put() takes no more */
      while (j < stop && !needs_care[s[j]]) j++;
      plain += j - i, i = j;
      if (plain >= 4096) put(o, s + i - plain, plain), plain = 0;
      continue;
    }
    unsigned char c = s[i];
    size_t k = c < 0x80 ? 1 : utf8_len(s + i, n - i);
    int special =
        c < 0x80 || k == 0 || (k == 3 && c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9));
    if (!special) {
      plain += k, i += k;
      if (plain >= 4096) put(o, s + i - plain, plain), plain = 0;
      continue;
    }
    put(o, s + i - plain, plain), plain = 0;
    char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
    if (c == '"' || c == '\\') put(o, (char[]){'\\', c}, 2);
    else if (c == '\n') put(o, "\\n", 2);
    else if (c == '\r') put(o, "\\r", 2);
    else if (k == 0) put(o, "\\ufffd", 6);
    else if (k == 3) put(o, (char[]){'\\', 'u', '2', '0', '2', s[i + 2] == 0xA8 ? '8' : '9'}, 6);
    else put(o, e, 6);
    i += k ? k : 1;
  }
  put(o, s + n - plain, plain);
}

/* Year, month, day of a day count since 1970-01-01 (Howard Hinnant's civil_from_days). gmtime_r
 * would do, but in static glibc it loads /etc/localtime and links a scanf for the TZ rules. */
static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d) {
  z += 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2);
}

/* 2026-11-29T18:29:47.123456789Z, with the fraction's trailing zeros (and a bare dot) dropped. */
static size_t format_time(char *out, const struct timespec *ts) {
  long long days = ts->tv_sec / 86400, secs = ts->tv_sec % 86400, year;
  unsigned month, day;
  if (secs < 0) secs += 86400, days--;
  civil_from_days(days, &year, &month, &day);
  size_t n = snprintf(out, 32, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", year, month, day, secs / 3600, secs / 60 % 60,
                      secs % 60);
  if (ts->tv_nsec) {
    n += snprintf(out + n, 12, ".%09ld", ts->tv_nsec);
    while (out[n - 1] == '0') n--;
  }
  out[n++] = 'Z';
  out[n] = '\0';
  return n;
}

/* One record per line; a piece after the last newline is a record of its own, without "\n". */
void jsonlog_write(int fd, int stream, const char *buf, size_t len, const struct timespec *ts) {
  char when[40], tail[96];
  format_time(when, ts);
  size_t tail_len =
      snprintf(tail, sizeof tail, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream == 2 ? "stderr" : "stdout", when);
  o.fd = fd;
  for (const char *p = buf, *end = buf + len; p < end;) {
    const char *nl = memchr(p, '\n', end - p);
    size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
    if (o.max_size && o.size >= o.max_size) rotate(&o);
    put(&o, "{\"log\":\"", 8);
    put_string(&o, (const unsigned char *)p, n);
    put(&o, tail, tail_len);
    p += n;
  }
  flush(&o);
}

void exit_json(char *out, size_t cap, int status, int oom_killed, const struct timespec *ts, pid_t pid) {
  char when[40];
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  int code = sig ? 128 + sig : WEXITSTATUS(status);
  format_time(when, ts);
  snprintf(out, cap, "{\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"finishedAt\":\"%s\",\"pid\":%d}", code, sig,
           oom_killed ? "true" : "false", when, pid);
}

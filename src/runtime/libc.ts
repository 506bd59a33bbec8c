// The one place kapald calls libc directly (through koffi): what Node's standard library lacks.
// Nothing here changes namespaces; the only mounts kapald makes itself are local volumes with
// driver options (host-mounts.ts), which live on the host for every container that uses them.

import koffi from 'koffi';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';

const libc = koffi.load('libc.so.6');

koffi.struct('kapal_group', {
  gr_name: 'char *',
  gr_passwd: 'char *',
  gr_gid: 'uint32_t',
  gr_mem: 'char **',
});

const c = {
  flock: libc.func('int flock(int fd, int operation)'),
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  sendto: libc.func('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)'),
  close: libc.func('int close(int fd)'),
  getgrnam: libc.func('kapal_group *getgrnam(const char *name)'),
  mknod: libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
  lsetxattr: libc.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
  lgetxattr: libc.func('intptr_t lgetxattr(const char *path, const char *name, void *value, size_t size)'),
  llistxattr: libc.func('intptr_t llistxattr(const char *path, void *list, size_t size)'),
  syscall4: libc.func('long syscall(long nr, int dirfd, const char *path, void *how, size_t size)'),
  mkdirat: libc.func('int mkdirat(int dirfd, const char *path, uint32_t mode)'),
  symlinkat: libc.func('int symlinkat(const char *target, int dirfd, const char *path)'),
  unlinkat: libc.func('int unlinkat(int dirfd, const char *path, int flags)'),
  fchownat: libc.func('int fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)'),
  readlinkat: libc.func('intptr_t readlinkat(int dirfd, const char *path, void *buf, size_t size)'),
  mount: libc.func('int mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)'),
  umount2: libc.func('int umount2(const char *target, int flags)'),
  strerror: libc.func('const char *strerror(int errnum)'),
  setfsuid: libc.func('int setfsuid(uint32_t uid)'),
  setfsgid: libc.func('int setfsgid(uint32_t gid)'),
  capget: libc.func('int capget(void *header, void *data)'),
  capset: libc.func('int capset(void *header, void *data)'),
  ioctl: libc.func('int ioctl(int fd, unsigned long request, ...)'),
  malloc_trim: libc.func('int malloc_trim(size_t pad)'),
};

const LOCK_EX = 2;
const LOCK_NB = 4;
const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SUN_PATH_MAX = 108;

export class SyscallError extends Error {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    detail: string,
  ) {
    super(`${syscall} ${detail}: errno ${errno}`);
  }
}

export const EWOULDBLOCK = 11;
export const ENODATA = 61;

/** Takes an exclusive, non-blocking lock; returns false when another process holds it. */
export function tryLockExclusive(fd: number, what: string): boolean {
  if (c.flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
  const errno = koffi.errno();
  if (errno === EWOULDBLOCK) return false;
  throw new SyscallError('flock', errno, `\`${what}\``);
}

/** getgrnam(3), so the socket group honours NSS like dockerd does. */
export function lookupGroupId(name: string): number | undefined {
  const ptr = c.getgrnam(name);
  if (!ptr) return undefined;
  return (koffi.decode(ptr, 'kapal_group') as { gr_gid: number }).gr_gid;
}

/**
 * Sends one sd_notify(3) datagram to `socketPath` (a path, or `@name` for the abstract
 * namespace). Node cannot send Unix datagrams itself.
 */
export function sendNotify(socketPath: string, message: string): void {
  const name = Buffer.from(socketPath.startsWith('@') ? `\0${socketPath.slice(1)}` : socketPath);
  if (name.length >= SUN_PATH_MAX) throw new Error(`NOTIFY_SOCKET path too long: ${socketPath}`);
  const addr = Buffer.alloc(2 + SUN_PATH_MAX);
  addr.writeUInt16LE(AF_UNIX, 0);
  name.copy(addr, 2);
  const addrlen = 2 + name.length + (socketPath.startsWith('@') ? 0 : 1);

  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SyscallError('socket', koffi.errno(), 'AF_UNIX SOCK_DGRAM');
  try {
    const payload = Buffer.from(message);
    const sent = Number(c.sendto(fd, payload, payload.length, 0, addr, addrlen));
    if (sent < 0) throw new SyscallError('sendto', koffi.errno(), `\`${socketPath}\``);
  } finally {
    c.close(fd);
  }
}

/** makedev(3) as glibc packs it: 12+20 bits of major, 8+24 bits of minor. */
function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** mknod(2): `mode` carries the file type (S_IFCHR, S_IFBLK, S_IFIFO) and the permission bits. */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  if (c.mknod(path, mode, makedev(major, minor)) !== 0) {
    throw new SyscallError('mknod', koffi.errno(), `\`${path}\` mode ${mode.toString(8)} dev ${major}:${minor}`);
  }
}

/** lsetxattr(2): sets an extended attribute on `path` itself, never on a symlink's target. */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  if (c.lsetxattr(path, name, value, value.length, 0) !== 0) {
    throw new SyscallError('lsetxattr', koffi.errno(), `\`${path}\` ${name}`);
  }
}

/** lgetxattr(2): the attribute's value, or undefined when `path` has no such attribute. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const size = Number(c.lgetxattr(path, name, null, 0));
  if (size < 0) {
    const errno = koffi.errno();
    if (errno === ENODATA) return undefined;
    throw new SyscallError('lgetxattr', errno, `\`${path}\` ${name}`);
  }
  const value = Buffer.alloc(size);
  const got = Number(c.lgetxattr(path, name, value, size));
  if (got < 0) throw new SyscallError('lgetxattr', koffi.errno(), `\`${path}\` ${name}`);
  return value.subarray(0, got);
}

/** llistxattr(2): the names of `path`'s own extended attributes (all namespaces root can see). */
export function llistxattr(path: string): string[] {
  const size = Number(c.llistxattr(path, null, 0));
  if (size < 0) throw new SyscallError('llistxattr', koffi.errno(), `\`${path}\``);
  if (size === 0) return [];
  const list = Buffer.alloc(size);
  const got = Number(c.llistxattr(path, list, size));
  if (got < 0) throw new SyscallError('llistxattr', koffi.errno(), `\`${path}\``);
  return list.subarray(0, got).toString('utf8').split('\0').filter(Boolean);
}

// ---- file systems and memory ----------------------------------------------------------------------

const FS_IOC_GETFLAGS = 0x80086601;
const FS_IOC_SETFLAGS = 0x40086602;
const FS_TOPDIR_FL = 0x00020000;

/**
 * Marks `dir` as the top of separate directory trees (`chattr +T`): ext4's Orlov allocator then
 * places each new subdirectory in a block group of its own choosing instead of beside `dir`.
 * Best effort; false where the file system has no such flag (tmpfs, overlayfs, xfs) and for a
 * symlink, which is not followed.
 */
export function markTopDirectory(dir: string): boolean {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch {
    return false; // a symlink (never followed), or not there
  }
  try {
    const flags = Buffer.alloc(4); // the kernel reads and writes an int, whatever the ioctl's name says
    if (c.ioctl(fd, FS_IOC_GETFLAGS, 'void *', flags) !== 0) return false;
    const current = flags.readInt32LE(0);
    if (current & FS_TOPDIR_FL) return true;
    flags.writeInt32LE(current | FS_TOPDIR_FL, 0);
    return c.ioctl(fd, FS_IOC_SETFLAGS, 'void *', flags) === 0;
  } finally {
    closeSync(fd);
  }
}

/** Returns the free memory of every malloc arena to the kernel, as far as it can. */
export function mallocTrim(): void {
  c.malloc_trim(0);
}

// ---- mounts ---------------------------------------------------------------------------------------

/** strerror(3) as Go prints an errno (moby's messages): "no such file or directory". */
export function errnoText(errno: number): string {
  const text = String(c.strerror(errno));
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** mount(2); the errno on failure. */
export function mount(source: string, target: string, type: string, flags: number, data: string): void {
  if (c.mount(source, target, type, flags, data || null) !== 0) throw new SyscallError('mount', koffi.errno(), `\`${target}\``);
}

export const MNT_DETACH = 2;

/** umount2(2); the errno on failure. */
export function umount2(target: string, flags: number): void {
  if (c.umount2(target, flags) !== 0) throw new SyscallError('umount2', koffi.errno(), `\`${target}\``);
}

// ---- file system ids --------------------------------------------------------------------------

const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

/**
 * Runs `fn` (synchronous: the ids belong to this thread only) creating files as `uid`:`gid`, as
 * a container's remapped root would, so that files made through an idmapped mount (a volume under
 * --userns-remap) get an owner the mount can map. setfsuid drops the file capabilities from the
 * effective set; they are raised again so that permissions are a root's, as for docker cp.
 */
export function asFsUser<T>(uid: number, gid: number, fn: () => T): T {
  if (uid === 0 && gid === 0) return fn();
  const header = Buffer.alloc(8);
  header.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
  const data = Buffer.alloc(24); // two of { effective, permitted, inheritable }
  c.setfsgid(gid);
  c.setfsuid(uid);
  try {
    if (c.capget(header, data) !== 0) throw new SyscallError('capget', koffi.errno(), 'this thread');
    data.writeUInt32LE(data.readUInt32LE(4), 0);
    data.writeUInt32LE(data.readUInt32LE(16), 12);
    if (c.capset(header, data) !== 0) throw new SyscallError('capset', koffi.errno(), 'this thread');
    return fn();
  } finally {
    c.setfsuid(0); // back to 0: the kernel raises the file capabilities again itself
    c.setfsgid(0);
  }
}

// ---- *at() calls for file systems a container can change under us (docker cp) --------------------

const SYS_OPENAT2 = 437; // the same number on every architecture
export const O_PATH = 0o10000000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_EMPTY_PATH = 0x1000;

/** openat2(2): `path` below `dirfd` as `resolve` allows; the errno on failure. */
export function openat2(dirfd: number, path: string, flags: number, resolve: number, mode = 0): number {
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags | O_CLOEXEC), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  const fd = Number(c.syscall4(SYS_OPENAT2, dirfd, path, how, how.length));
  if (fd < 0) throw new SyscallError('openat2', koffi.errno(), `\`${path}\``);
  return fd;
}

export function mkdirat(dirfd: number, path: string, mode: number): void {
  if (c.mkdirat(dirfd, path, mode) !== 0) throw new SyscallError('mkdirat', koffi.errno(), `\`${path}\``);
}

export function symlinkat(target: string, dirfd: number, path: string): void {
  if (c.symlinkat(target, dirfd, path) !== 0) throw new SyscallError('symlinkat', koffi.errno(), `\`${path}\``);
}

export function unlinkat(dirfd: number, path: string, flags = 0): void {
  if (c.unlinkat(dirfd, path, flags) !== 0) throw new SyscallError('unlinkat', koffi.errno(), `\`${path}\``);
}

export function fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number): void {
  if (c.fchownat(dirfd, path, uid, gid, flags) !== 0) throw new SyscallError('fchownat', koffi.errno(), `\`${path}\``);
}

/** readlinkat(2); with `path` '' the symlink an O_PATH|O_NOFOLLOW fd refers to. */
export function readlinkat(dirfd: number, path: string): string {
  const buf = Buffer.alloc(4096);
  const n = Number(c.readlinkat(dirfd, path, buf, buf.length));
  if (n < 0) throw new SyscallError('readlinkat', koffi.errno(), `\`${path}\``);
  return buf.subarray(0, n).toString();
}

// ---- seccomp: profiles compiled with the host's libseccomp ----------------------------------------

let seccompLib: {
  init: (action: number) => unknown;
  release: (ctx: unknown) => void;
  archAdd: (ctx: unknown, arch: number) => number;
  archResolve: (name: string) => number;
  syscallResolve: (name: string) => number;
  ruleAdd: (ctx: unknown, action: number, nr: number, count: number, args: Buffer | null) => number;
  attrSet: (ctx: unknown, attr: number, value: number) => number;
  exportBpf: (ctx: unknown, fd: number) => number;
} | undefined;

function seccompFunctions(): NonNullable<typeof seccompLib> {
  if (seccompLib) return seccompLib;
  const lib = koffi.load('libseccomp.so.2');
  seccompLib = {
    init: lib.func('void *seccomp_init(uint32_t def_action)'),
    release: lib.func('void seccomp_release(void *ctx)'),
    archAdd: lib.func('int seccomp_arch_add(void *ctx, uint32_t arch_token)'),
    archResolve: lib.func('uint32_t seccomp_arch_resolve_name(const char *name)'),
    syscallResolve: lib.func('int seccomp_syscall_resolve_name(const char *name)'),
    ruleAdd: lib.func('int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, const void *arg_array)'),
    attrSet: lib.func('int seccomp_attr_set(void *ctx, int attr, uint32_t value)'),
    exportBpf: lib.func('int seccomp_export_bpf(void *ctx, int fd)'),
  };
  return seccompLib;
}

const SCMP_ACTIONS: Record<string, (errno: number) => number> = {
  SCMP_ACT_ALLOW: () => 0x7fff0000,
  SCMP_ACT_KILL: () => 0,
  SCMP_ACT_KILL_THREAD: () => 0,
  SCMP_ACT_KILL_PROCESS: () => 0x80000000,
  SCMP_ACT_TRAP: () => 0x00030000,
  SCMP_ACT_LOG: () => 0x7ffc0000,
  SCMP_ACT_ERRNO: (e) => 0x00050000 | (e & 0xffff),
  SCMP_ACT_TRACE: (e) => 0x7ff00000 | (e & 0xffff),
};
const SCMP_OPS: Record<string, number> = { SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7 };
const SCMP_FLTATR_CTL_NNP = 3;
const O_TMPFILE = 0o20200000;
const NR_SCMP_ERROR = -1;
const EEXIST = 17;

/**
 * A resolved profile as a BPF program (what seccomp_load would install), built with libseccomp:
 * syscall names this architecture lacks are skipped, as runc does; no_new_privs stays the
 * container's own setting.
 */
export function compileSeccomp(p: { defaultAction: string; defaultErrno: number; arches: string[]; rules: { name: string; action: string; errno: number; args: string }[] }): Buffer {
  const s = seccompFunctions();
  const action = (name: string, errno: number) => {
    const f = SCMP_ACTIONS[name];
    if (!f) throw new Error(`seccomp: unknown action ${name}`);
    return f(errno) >>> 0;
  };
  const defaultAction = action(p.defaultAction, p.defaultErrno);
  const ctx = s.init(defaultAction);
  if (!ctx) throw new Error('seccomp_init failed');
  try {
    for (const a of p.arches) {
      const token = s.archResolve(a.replace(/^SCMP_ARCH_/, ''));
      if (token === 0) continue;
      const rc = s.archAdd(ctx, token);
      if (rc < 0 && -rc !== EEXIST) throw new SyscallError('seccomp_arch_add', -rc, a);
    }
    if (s.attrSet(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0) throw new Error('seccomp_attr_set NNP failed');
    for (const r of p.rules) {
      const act = action(r.action, r.errno);
      if (act === defaultAction) continue;
      const nr = s.syscallResolve(r.name);
      if (nr === NR_SCMP_ERROR) continue;
      const parts = r.args ? r.args.split(';') : [];
      const args = parts.length ? Buffer.alloc(24 * parts.length) : null;
      parts.forEach((part, i) => {
        const [index, op, a, b] = part.split(',');
        args!.writeUInt32LE(Number(index), i * 24);
        args!.writeUInt32LE(SCMP_OPS[op!] ?? 0, i * 24 + 4);
        args!.writeBigUInt64LE(BigInt(a!), i * 24 + 8);
        args!.writeBigUInt64LE(BigInt(b!), i * 24 + 16);
      });
      const rc = s.ruleAdd(ctx, act, nr, parts.length, args);
      if (rc < 0) throw new SyscallError('seccomp_rule_add', -rc, r.name);
    }
    // An unnamed file (O_TMPFILE): libseccomp writes the whole program before we read, whatever its size.
    const fd = openSync(tmpdir(), O_TMPFILE | constants.O_RDWR, 0o600);
    try {
      const rc = s.exportBpf(ctx, fd);
      if (rc < 0) throw new SyscallError('seccomp_export_bpf', -rc, '');
      const size = fstatSync(fd).size;
      const bpf = Buffer.alloc(size);
      for (let off = 0; off < size; ) {
        const n = readSync(fd, bpf, off, size - off, off);
        if (n <= 0) break;
        off += n;
      }
      return bpf;
    } finally {
      closeSync(fd);
    }
  } finally {
    s.release(ctx);
  }
}

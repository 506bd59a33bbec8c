// docker cp inside a running container, without a window for its processes to redirect us: the
// container's root is opened once (/proc/PID/root, its own mount namespace, volumes included),
// every path is resolved by the kernel with openat2(RESOLVE_IN_ROOT) — symlinks land inside
// that root, never on the host — and what is found is used through the file descriptor that
// lookup returned: children are opened relative to their parent's descriptor without following
// symlinks, file contents through the descriptor's own /proc/self/fd entry.

import { chmodSync, closeSync, fchmodSync, futimesSync, fstatSync, openSync, readdirSync, readSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { KapalError, invalidArgument, notFound } from '../domain/errors.js';
import {
  AT_EMPTY_PATH, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, O_DIRECTORY, O_NOFOLLOW, O_PATH, RESOLVE_BENEATH, RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, SyscallError, asFsUser, errnoText, fchownat, mkdirat, openat2, readlinkat, symlinkat, unlinkat,
} from './libc.js';
import { splitDev } from './host-devices.js';

const ENOENT = 2;
const ENOTDIR = 20;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const IN_ROOT = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
const CHILD = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

/** docker's X-Docker-Container-Path-Stat: Go's FileMode bits. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

function goMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m |= 2 ** 31;
  if (st.isSymbolicLink()) m |= 2 ** 27;
  if (st.isBlockDevice()) m |= 2 ** 26;
  if (st.isFIFO()) m |= 2 ** 25;
  if (st.isSocket()) m |= 2 ** 24;
  if (st.mode & 0o4000) m |= 2 ** 23;
  if (st.mode & 0o2000) m |= 2 ** 22;
  if (st.isCharacterDevice()) m |= 2 ** 26 + 2 ** 21;
  if (st.mode & 0o1000) m |= 2 ** 20;
  return m >>> 0;
}

/** The container's root, as a descriptor to resolve in. */
function openRoot(pid: number): number {
  return openat2(-100, `/proc/${pid}/root`, O_PATH | O_DIRECTORY, 0); // the magic link to its root: followed once, here
}

const missing = (err: unknown) => err instanceof SyscallError && (err.errno === ENOENT || err.errno === ENOTDIR);

function withFd<T>(fd: number, fn: (fd: number) => T): T {
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * `p` in the container: the last component itself (not a symlink's target) unless `p` ends with
 * "/" or "/." (docker's rule); an O_PATH descriptor.
 */
function lookup(root: number, p: string, container: string): number {
  const norm = path.posix.normalize(`/${p}`);
  const follow = p.endsWith('/') || p.endsWith('/.') || norm === '/';
  try {
    if (follow) return openat2(root, norm, O_PATH, IN_ROOT);
    return withFd(openat2(root, path.posix.dirname(norm), O_PATH | O_DIRECTORY, IN_ROOT), (parent) => openat2(parent, path.posix.basename(norm), O_PATH | O_NOFOLLOW, CHILD));
  } catch (err) {
    if (missing(err)) throw notFound(`Could not find the file ${p} in container ${container}`);
    throw err;
  }
}

function statOf(fd: number, name: string): PathStat {
  const st = fstatSync(fd);
  return { name, size: st.size, mode: goMode(st), mtime: st.mtime.toISOString(), linkTarget: st.isSymbolicLink() ? readlinkat(fd, '') : '' };
}

/** HEAD /containers/{id}/archive: the path's stat, as docker's header carries it. */
export function statPath(pid: number, p: string, container: string): PathStat {
  return withFd(openRoot(pid), (root) => withFd(lookup(root, p, container), (fd) => statOf(fd, path.posix.basename(path.posix.normalize(`/${p}`)) || '/')));
}

/** Re-opens what an O_PATH descriptor refers to, for reading: the same inode, no lookup by name. */
const reopen = (fd: number) => openSync(`/proc/self/fd/${fd}`, 'r');

/** GET /containers/{id}/archive: the path's stat and a tar of it (named by its base name). */
export function archivePath(pid: number, p: string, container: string): { stat: PathStat; tar: Readable } {
  const root = openRoot(pid);
  let top: number;
  try {
    top = lookup(root, p, container);
  } finally {
    closeSync(root);
  }
  const base = path.posix.basename(path.posix.normalize(`/${p}`)) || '.';
  const name = p.endsWith('/.') ? '.' : base;
  const stat = statOf(top, base);
  const pack = tar.pack();
  type Header = Parameters<typeof pack.entry>[0];
  // Depth-first, one entry at a time; every descriptor is closed once its entries are out.
  const stack: { fd: number; name: string }[] = [{ fd: top, name }];
  const header = (st: Stats, entryName: string, extra: Partial<Header>): Header => ({ name: entryName, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime, ...extra });
  const next = (): void => {
    const item = stack.pop();
    if (!item) {
      pack.finalize();
      return;
    }
    const done = (err?: Error | null) => (err ? pack.destroy(err) : next());
    try {
      const st = fstatSync(item.fd);
      if (st.isDirectory()) {
        const names = readdirSync(`/proc/self/fd/${item.fd}`).sort().reverse();
        for (const child of names) {
          try {
            stack.push({ fd: openat2(item.fd, child, O_PATH | O_NOFOLLOW, CHILD), name: `${item.name}/${child}` });
          } catch (err) {
            if (!missing(err)) throw err; // gone meanwhile: not copied
          }
        }
        closeSync(item.fd);
        pack.entry(header(st, item.name, { type: 'directory' }), done);
      } else if (st.isSymbolicLink()) {
        const linkname = readlinkat(item.fd, '');
        closeSync(item.fd);
        pack.entry(header(st, item.name, { type: 'symlink', linkname }), done);
      } else if (st.isFile()) {
        const body = withFd(reopen(item.fd), (fd) => {
          const buf = Buffer.alloc(fstatSync(fd).size);
          for (let off = 0; off < buf.length; ) {
            const n = readSync(fd, buf, off, buf.length - off, off);
            if (n === 0) return buf.subarray(0, off);
            off += n;
          }
          return buf;
        });
        closeSync(item.fd);
        pack.entry(header(st, item.name, { type: 'file', size: body.length }), body, done);
      } else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
        closeSync(item.fd);
        const dev = splitDev(st.rdev);
        pack.entry(header(st, item.name, { type: st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: dev.major, devminor: dev.minor }), done);
      } else {
        closeSync(item.fd); // sockets are not copied
        next();
      }
    } catch (err) {
      for (const rest of stack) closeSync(rest.fd);
      stack.length = 0;
      pack.destroy(err as Error);
    }
  };
  next();
  return { stat, tar: pack as unknown as Readable };
}

/**
 * The entry's parent directory below `dest`; missing ones are made (0755, the container's root's)
 * as docker's untar does for archives that do not list every directory.
 */
function openParent(dest: number, parent: string, owner: { uid: number; gid: number }, asRoot: <T>(fn: () => T) => T): number {
  try {
    return openat2(dest, parent, O_PATH | O_DIRECTORY, CHILD);
  } catch (err) {
    if (!(err instanceof SyscallError && err.errno === ENOENT)) throw err;
  }
  let dir = openat2(dest, '.', O_PATH | O_DIRECTORY, CHILD);
  for (const part of parent.split('/')) {
    try {
      let next: number;
      try {
        next = openat2(dir, part, O_PATH | O_DIRECTORY, CHILD);
      } catch (err) {
        if (!(err instanceof SyscallError && err.errno === ENOENT)) throw err;
        asRoot(() => mkdirat(dir, part, 0o755));
        fchownat(dir, part, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW);
        next = openat2(dir, part, O_PATH | O_DIRECTORY, CHILD);
      }
      closeSync(dir);
      dir = next;
    } catch (err) {
      closeSync(dir);
      throw err;
    }
  }
  return dir;
}

/**
 * PUT /containers/{id}/archive: a tar extracted into directory `p` of the container. Entries are
 * created relative to their parent's descriptor, never through a symlink; nothing lands above
 * `p`. Owners: the container's root (`owner`, the mapped one under --userns-remap), or the
 * archive's (shifted likewise) with `copyUIDGID`.
 */
export async function extractInto(pid: number, p: string, container: string, input: Readable, opts: { owner: { uid: number; gid: number }; copyUIDGID: boolean; noOverwriteDirNonDir: boolean }): Promise<void> {
  const root = openRoot(pid);
  let dest: number;
  try {
    dest = openat2(root, path.posix.normalize(`/${p}`), O_PATH | O_DIRECTORY, IN_ROOT);
  } catch (err) {
    closeSync(root);
    if (missing(err)) throw notFound(`Could not find the file ${p} in container ${container}`);
    throw err;
  }
  closeSync(root);
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    input.on('error', reject);
  });
  // Files are made as the container's root: under --userns-remap, through an idmapped volume,
  // the host's root has no id the mount can map.
  const asRoot = <T>(fn: () => T): T => asFsUser(opts.owner.uid, opts.owner.gid, fn);
  extract.on('entry', (h, stream, next) => {
    // The failure is the extract's (below); the entry stream errors too when it is destroyed.
    stream.on('error', () => {});
    let dir = -1;
    const fail = (err: unknown) => {
      if (dir >= 0) closeSync(dir);
      dir = -1;
      stream.resume();
      // In moby's words; the errno's text, as Go prints it.
      extract.destroy(err instanceof SyscallError ? new KapalError('Internal', `Error processing tar file: ${h.name}: ${errnoText(err.errno)}`) : (err as Error));
    };
    try {
      const rel = path.posix.normalize(h.name).replace(/^(\.\/)+|\/+$/g, '');
      if (rel === '' || rel === '.') return void (stream.resume(), next());
      if (rel.startsWith('../') || rel === '..' || path.posix.isAbsolute(rel)) throw invalidArgument(`archive entry ${JSON.stringify(h.name)} leaves the destination`);
      const parent = path.posix.dirname(rel) === '.' ? undefined : path.posix.dirname(rel);
      const base = path.posix.basename(rel);
      dir = parent ? openParent(dest, parent, opts.owner, asRoot) : openat2(dest, '.', O_PATH | O_DIRECTORY, CHILD);
      const uid = opts.copyUIDGID ? (h.uid ?? 0) + opts.owner.uid : opts.owner.uid;
      const gid = opts.copyUIDGID ? (h.gid ?? 0) + opts.owner.gid : opts.owner.gid;
      const existing = (() => {
        try {
          return withFd(openat2(dir, base, O_PATH | O_NOFOLLOW, CHILD), (fd) => fstatSync(fd));
        } catch (err) {
          if (missing(err)) return undefined;
          throw err;
        }
      })();
      const mode = (h.mode ?? 0o644) & 0o7777;
      if (h.type === 'directory') {
        if (existing && !existing.isDirectory()) {
          if (opts.noOverwriteDirNonDir) throw invalidArgument(`cannot overwrite non-directory ${rel} with directory`);
          unlinkat(dir, base);
        }
        if (!existing || !existing.isDirectory()) asRoot(() => mkdirat(dir, base, mode));
        fchownat(dir, base, uid, gid, AT_SYMLINK_NOFOLLOW);
        withFd(openat2(dir, base, O_PATH | O_DIRECTORY | O_NOFOLLOW, CHILD), (fd) => chmodSync(`/proc/self/fd/${fd}`, mode));
        closeSync(dir);
        dir = -1;
        stream.resume();
        stream.on('end', next);
        return;
      }
      if (existing) {
        if (existing.isDirectory() && opts.noOverwriteDirNonDir) throw invalidArgument(`cannot overwrite directory ${rel} with non-directory`);
        unlinkat(dir, base, existing.isDirectory() ? AT_REMOVEDIR : 0);
      }
      if (h.type === 'symlink') {
        asRoot(() => symlinkat(h.linkname ?? '', dir, base));
        fchownat(dir, base, uid, gid, AT_SYMLINK_NOFOLLOW);
        closeSync(dir);
        dir = -1;
        stream.resume();
        stream.on('end', next);
        return;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        closeSync(dir);
        dir = -1;
        stream.resume();
        stream.on('end', next); // devices, fifos and hard links are not copied in
        return;
      }
      const fd = asRoot(() => openat2(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, CHILD, mode));
      closeSync(dir);
      dir = -1;
      stream.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        try {
          for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
        } catch (err) {
          fail(err);
        }
      });
      stream.on('end', () => {
        try {
          fchownat(fd, '', uid, gid, AT_EMPTY_PATH);
          fchmodSync(fd, mode); // the archive's mode, not kapald's umask
          if (h.mtime) futimesSync(fd, h.mtime, h.mtime); // and its time, as docker's untar keeps it
          closeSync(fd);
          next();
        } catch (err) {
          fail(err);
        }
      });
    } catch (err) {
      fail(err);
    }
  });
  input.pipe(extract);
  try {
    await done;
  } finally {
    closeSync(dest);
  }
}

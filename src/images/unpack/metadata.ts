// Ownership, xattrs, mode and times of an unpacked entry, in that order: chown clears setuid and
// file capabilities, so it comes first; mode comes after the xattrs; times come last.
// Every call here acts on the entry itself and never follows a symlink.

import { chmodSync, fchmodSync, fchownSync, futimesSync, lchownSync, lstatSync, lutimesSync } from 'node:fs';
import { constants } from 'node:os';
import { lsetxattr, SyscallError } from '../../runtime/libc.js';
import type { LayerEntry, NoteSink } from './layer-entry.js';

/**
 * trusted.* is where overlayfs keeps its own state (opaque, redirect, metacopy, origin): a layer
 * that could write it would steer the merged view. Only the unpacker's whiteout handling sets it.
 */
const RESERVED_XATTR_PREFIX = 'trusted.';

/** File systems and LSMs refuse some attributes (security.selinux without a policy, user.* on a symlink). */
const REFUSALS = new Set([constants.errno.EPERM, constants.errno.EOPNOTSUPP, constants.errno.ENOTSUP]);

export function setXattrs(path: string, entry: LayerEntry, note: NoteSink): void {
  for (const [name, value] of entry.xattrs) {
    if (name.startsWith(RESERVED_XATTR_PREFIX)) {
      note({ level: 'warn', entry: entry.name, message: `xattr ${name} dropped: trusted.* is reserved for overlayfs` });
      continue;
    }
    try {
      lsetxattr(path, name, value);
    } catch (err) {
      if (!(err instanceof SyscallError) || !REFUSALS.has(err.errno)) throw err;
      const level = name.startsWith('security.') ? 'debug' : 'warn';
      note({ level, entry: entry.name, message: `xattr ${name} not kept: the file system refused it (errno ${err.errno})` });
    }
  }
}

/** For a regular file, through the descriptor it was written by. */
export function applyFileMetadata(fd: number, path: string, entry: LayerEntry, note: NoteSink): void {
  fchownSync(fd, entry.uid, entry.gid);
  setXattrs(path, entry, note);
  fchmodSync(fd, entry.mode);
  futimesSync(fd, entry.atime, entry.mtime);
}

/**
 * For anything created by path. chmod(2) would follow a symlink, so it runs only after lstat has
 * shown that `path` is not one; a symlink's own mode means nothing on Linux.
 */
export function applyPathMetadata(path: string, entry: LayerEntry, note: NoteSink, opts: { times: boolean }): void {
  lchownSync(path, entry.uid, entry.gid);
  setXattrs(path, entry, note);
  if (!lstatSync(path).isSymbolicLink()) chmodSync(path, entry.mode);
  if (opts.times) lutimesSync(path, entry.atime, entry.mtime);
}

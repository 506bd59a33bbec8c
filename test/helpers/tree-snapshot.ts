// Describes every inode under a directory (type, owner, mode, links, times, content hash, link
// target, device, xattrs) without following symlinks, so a test can prove that nothing changed.

import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join, relative } from 'node:path';
import { lgetxattr, llistxattr } from '../../src/runtime/libc.js';

function kind(st: Stats): string {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isCharacterDevice()) return 'chr';
  if (st.isBlockDevice()) return 'blk';
  if (st.isFIFO()) return 'fifo';
  return 'other';
}

function describe(path: string, st: Stats): string {
  const xattrs = llistxattr(path)
    .sort()
    .map((name) => `${name}=${lgetxattr(path, name)?.toString('hex')}`);
  const body = st.isFile()
    ? createHash('sha256').update(readFileSync(path)).digest('hex')
    : st.isSymbolicLink()
      ? `-> ${readlinkSync(path)}`
      : '';
  return [
    kind(st),
    `${st.uid}:${st.gid}`,
    (st.mode & 0o7777).toString(8),
    `ino=${st.ino} nlink=${st.nlink} size=${st.size} rdev=${st.rdev}`,
    `mtime=${st.mtimeMs} ctime=${st.ctimeMs}`,
    body,
    xattrs.join(','),
  ].join(' ');
}

/** relative path → description, for `root` and everything below it except the `exclude` paths. */
export function snapshotTree(root: string, exclude: readonly string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (path: string) => {
    if (exclude.includes(path)) return;
    const st = lstatSync(path);
    out.set(relative(root, path) || '.', describe(path, st));
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) visit(join(path, name));
  };
  visit(root);
  return out;
}

/** The paths whose description differs between two snapshots, with both descriptions. */
export function changedPaths(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].sort().flatMap((name) => {
    const a = before.get(name);
    const b = after.get(name);
    return a === b ? [] : [`${name}: ${a ?? '(absent)'} => ${b ?? '(absent)'}`];
  });
}

// Creates one non-whiteout entry inside the layer root. Whatever already sits at the entry's path
// is removed first (a directory over a directory is kept), so nothing is ever written through it.

import { closeSync, constants as fsConstants, linkSync, lstatSync, mkdirSync, openSync, rmSync, symlinkSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { invalidArgument } from '../../domain/errors.js';
import { mknod } from '../../runtime/libc.js';
import type { LayerEntry, NoteSink } from './layer-entry.js';
import { applyFileMetadata, applyPathMetadata } from './metadata.js';
import { entryComponents, lstatOrUndefined, type LayerRoot } from './safe-path.js';

/** O_EXCL never follows a final symlink; O_NOFOLLOW says so twice. */
const CREATE_FILE = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;

const NODE_TYPE = {
  'char-device': fsConstants.S_IFCHR,
  'block-device': fsConstants.S_IFBLK,
  fifo: fsConstants.S_IFIFO,
} as const;

/** A directory whose times are set once the whole layer is in, since later entries change them. */
export interface PendingDirTimes {
  parts: string[];
  ino: number;
  atime: number;
  mtime: number;
}

/** Removes what is at `path` unless both it and the new entry are directories; true when kept. */
export function clearPath(path: string, keepDirectory: boolean): boolean {
  const st = lstatOrUndefined(path);
  if (st === undefined) return false;
  if (st.isDirectory()) {
    if (keepDirectory) return true;
    rmSync(path, { recursive: true }); // lstat-based: removes symlinks inside, never follows them
    return false;
  }
  unlinkSync(path);
  return false;
}

/**
 * Synchronous calls on purpose: each lands in the page cache in microseconds, where an async
 * call per chunk, chown, chmod and utime costs a thread-pool round trip (most of the time of a
 * layer with many files). The event loop still turns between the archive's chunks.
 */
async function writeFile(path: string, entry: LayerEntry, data: AsyncIterable<Buffer>, note: NoteSink): Promise<void> {
  const fd = openSync(path, CREATE_FILE, 0o600);
  try {
    for await (const chunk of data) {
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
    }
    applyFileMetadata(fd, path, entry, note);
  } finally {
    closeSync(fd);
  }
}

/** The hardlink's target: confined by the same rules, existing, and not a directory. */
function hardlinkTarget(root: LayerRoot, entry: LayerEntry, parts: string[]): string {
  const targetParts = entryComponents(entry.linkname, 'hardlink target');
  const target = targetParts.length > 0 ? root.lookup(targetParts, `hardlink target ${JSON.stringify(entry.linkname)}`) : undefined;
  const st: Stats | undefined = target === undefined ? undefined : lstatOrUndefined(target);
  const quoted = `${JSON.stringify(entry.name)} -> ${JSON.stringify(entry.linkname)}`;
  if (target === undefined || st === undefined) throw invalidArgument(`layer hardlink ${quoted}: target is not in the layer`);
  if (st.isDirectory()) throw invalidArgument(`layer hardlink ${quoted}: target is a directory`);
  if (targetParts.join('/') === parts.join('/')) throw invalidArgument(`layer hardlink ${quoted}: links to itself`);
  return target;
}

/**
 * Writes `entry` at `parts` (already confined; parents already prepared by the caller) and
 * returns the directory times to apply at the end, if any.
 */
export async function writeEntry(
  root: LayerRoot,
  parts: string[],
  path: string,
  entry: LayerEntry,
  data: AsyncIterable<Buffer>,
  note: NoteSink,
): Promise<PendingDirTimes | undefined> {
  switch (entry.kind) {
    case 'file':
      clearPath(path, false);
      await writeFile(path, entry, data, note);
      return undefined;
    case 'directory': {
      if (!clearPath(path, true)) mkdirSync(path, 0o700);
      applyPathMetadata(path, entry, note, { times: false });
      return { parts, ino: lstatSync(path).ino, atime: entry.atime, mtime: entry.mtime };
    }
    case 'symlink':
      clearPath(path, false);
      symlinkSync(entry.linkname, path);
      applyPathMetadata(path, entry, note, { times: true });
      return undefined;
    case 'hardlink': {
      const target = hardlinkTarget(root, entry, parts);
      clearPath(path, false);
      // link(2) does not follow a symlink target: linking to an in-layer symlink copies the link.
      // The inode's owner, mode and times belong to the entry that created it; they are left alone.
      linkSync(target, path);
      return undefined;
    }
    case 'char-device':
    case 'block-device':
    case 'fifo':
      clearPath(path, false);
      if (entry.kind === 'fifo') mknod(path, NODE_TYPE.fifo | (entry.mode & 0o777));
      else mknod(path, NODE_TYPE[entry.kind] | (entry.mode & 0o777), entry.devmajor, entry.devminor);
      applyPathMetadata(path, entry, note, { times: true });
      return undefined;
  }
}

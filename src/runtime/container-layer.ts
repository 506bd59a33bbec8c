// A container's writable layer (its overlay upper directory) read as docker reads it: the changes
// against the image (`docker diff`), a layer tar with OCI whiteouts (`docker commit`), and the
// merged file system over the image's layers (`docker export`). Paths
// come from readdir of the host directory and entries are lstat'ed, never followed; file content
// is opened with O_NOFOLLOW. The container is paused or stopped while this runs.

import { chmodSync, closeSync, constants, fstatSync, lchownSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { lgetxattr } from './libc.js';
import { splitDev } from './host-devices.js';

/** docker's Kind: 0 changed, 1 added, 2 deleted. */
export interface LayerChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** What the runtime puts in every container and docker keeps out of diff and commit (its init layer). */
const RUNTIME_PATHS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/dev', '/proc', '/sys', '/etc/mtab']);

interface TarEntry {
  /** The path in the container ("/etc/passwd"). */
  path: string;
  /** Where its bytes are on the host. */
  host: string;
  st: Stats;
  whiteout: boolean;
  opaque: boolean;
}

const isWhiteoutDevice = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

function* walk(upper: string, rel = '/', excluded: Set<string>): Generator<TarEntry> {
  let names: string[];
  try {
    names = readdirSync(path.join(upper, rel)).sort();
  } catch {
    return;
  }
  for (const name of names) {
    const p = path.posix.join(rel, name);
    if (RUNTIME_PATHS.has(p) || excluded.has(p)) continue;
    const host = path.join(upper, p);
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (!st) continue;
    const opaque = st.isDirectory() && lgetxattr(host, 'trusted.overlay.opaque')?.toString() === 'y';
    yield { path: p, host, st, whiteout: isWhiteoutDevice(st), opaque };
    if (st.isDirectory()) yield* walk(upper, p, excluded);
  }
}

/** Whether `p` exists in one image layer, without following a symlink on the way. */
function inLayer(layer: string, p: string): boolean {
  let dir = layer;
  const parts = p.split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    dir = path.join(dir, parts[i]!);
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (!st || isWhiteoutDevice(st)) return false;
    if (i < parts.length - 1 && !st.isDirectory()) return false;
  }
  return true;
}

/**
 * The writable layer's entries worth reporting: a directory the image has too is left out when
 * nothing below it counts (overlayfs copied it up only because the runtime made a mount point in
 * it, as for /etc/hosts), the way docker's init layer keeps those out of diff and commit.
 */
function layerEntries(upper: string, lowers: string[], excluded: Set<string>): { entry: TarEntry; kind: 0 | 1 | 2 }[] {
  const all = [...walk(upper, '/', excluded)].map((entry) => ({
    entry,
    kind: (entry.whiteout ? 2 : lowers.some((l) => inLayer(l, entry.path)) ? 0 : 1) as 0 | 1 | 2,
  }));
  const keep = new Set<string>();
  for (let i = all.length - 1; i >= 0; i--) {
    const { entry, kind } = all[i]!;
    const copiedUpDir = kind === 0 && entry.st.isDirectory() && !entry.opaque;
    if (!copiedUpDir || keep.has(entry.path)) {
      keep.add(entry.path);
      for (let p = path.posix.dirname(entry.path); p !== '/'; p = path.posix.dirname(p)) keep.add(p);
    }
  }
  return all.filter((e) => keep.has(e.entry.path));
}

/** `docker diff`: every path of the writable layer, added, changed or deleted against the image's layers (topmost first). */
export function layerChanges(upper: string, lowers: string[], excluded: Set<string>): LayerChange[] {
  return layerEntries(upper, lowers, excluded).map(({ entry, kind }) => ({ Path: entry.path, Kind: kind }));
}


/** Entries as a tar; whiteouts and opaque directories as OCI's `.wh.` markers. */
function tarOf(entries: Iterator<TarEntry>, shift: { uid: number; gid: number }): Readable {
  const pack = tar.pack();
  type EntryHeader = Parameters<typeof pack.entry>[0];
  const header = (e: TarEntry, extra: Partial<EntryHeader>): EntryHeader => ({
    name: e.path.slice(1),
    mode: e.st.mode & 0o7777,
    // Under --userns-remap the layers hold the host's ids of the container's users: back to theirs.
    uid: e.st.uid >= shift.uid ? e.st.uid - shift.uid : e.st.uid,
    gid: e.st.gid >= shift.gid ? e.st.gid - shift.gid : e.st.gid,
    mtime: e.st.mtime,
    ...extra,
  });
  const marker = (name: string): EntryHeader => ({ name, mode: 0o644, type: 'file', size: 0, mtime: new Date(0) });
  const next = (): void => {
    const step = entries.next();
    if (step.done) {
      pack.finalize();
      return;
    }
    const e = step.value;
    const write = (h: EntryHeader, body: Buffer = Buffer.alloc(0), then: () => void = next) => {
      pack.entry(h, body, (err) => (err ? pack.destroy(err) : then()));
    };
    try {
      const dir = path.posix.dirname(e.path).slice(1);
      if (e.whiteout) write(marker(path.posix.join(dir, `.wh.${path.posix.basename(e.path)}`)));
      else if (e.st.isDirectory()) write(header(e, { type: 'directory' }), undefined, e.opaque ? () => write(marker(`${e.path.slice(1)}/.wh..wh..opq`)) : next);
      else if (e.st.isSymbolicLink()) write(header(e, { type: 'symlink', linkname: readlinkSync(e.host) }));
      else if (e.st.isCharacterDevice() || e.st.isBlockDevice()) {
        const { major, minor } = splitDev(e.st.rdev);
        write(header(e, { type: e.st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor }));
      } else if (e.st.isFIFO()) write(header(e, { type: 'fifo' }));
      else if (e.st.isFile()) {
        const body = readRegular(e.host);
        write(header(e, { type: 'file', size: body.length }), body);
      } else next(); // sockets are not file system content
    } catch (err) {
      pack.destroy(err as Error);
    }
  };
  next();
  return pack as unknown as Readable;
}

/** The writable layer as an OCI layer tar: overlay whiteouts become `.wh.` entries, opaque directories `.wh..wh..opq`. */
export function layerTar(upper: string, lowers: string[], excluded: Set<string>, shift: { uid: number; gid: number } = { uid: 0, gid: 0 }): Readable {
  return tarOf(layerEntries(upper, lowers, excluded).map((e) => e.entry)[Symbol.iterator](), shift);
}

/** A directory `rel` of one layer, if it is a real directory there (no symlink on the way). */
function layerDir(layer: string, rel: string): string | undefined {
  let dir = layer;
  for (const part of rel.split('/').filter(Boolean)) {
    dir = path.join(dir, part);
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return undefined;
  }
  return dir;
}

/** The merged file system of `layers` (topmost first), as overlayfs shows it: whiteouts hide, opaque directories end the search. */
function* merged(layers: string[], rel = '/'): Generator<TarEntry> {
  const found = new Map<string, TarEntry | null>();
  for (const layer of layers) {
    const dir = layerDir(layer, rel);
    if (!dir) {
      // A file (or whiteout) in this layer at `rel` hides the directories below it.
      if (rel !== '/' && lstatSync(path.join(layer, rel), { throwIfNoEntry: false })) break;
      continue;
    }
    for (const name of readdirSync(dir)) {
      if (found.has(name)) continue;
      const host = path.join(dir, name);
      const st = lstatSync(host, { throwIfNoEntry: false });
      if (!st) continue;
      found.set(name, isWhiteoutDevice(st) ? null : { path: path.posix.join(rel, name), host, st, whiteout: false, opaque: false });
    }
    if (rel !== '/' && lgetxattr(dir, 'trusted.overlay.opaque')?.toString() === 'y') break;
  }
  for (const name of [...found.keys()].sort()) {
    const e = found.get(name);
    if (!e) continue;
    yield e;
    if (e.st.isDirectory()) yield* merged(layers, e.path);
  }
}

/** `docker export`: the container's whole file system (its writable layer over the image's), without its mounts' content. */
export function mergedTar(layers: string[], shift: { uid: number; gid: number } = { uid: 0, gid: 0 }): Readable {
  return tarOf(merged(layers), shift);
}

/** A regular file's bytes, opened without following a symlink swapped in for it. */
function readRegular(file: string): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is no longer a regular file`);
    const buf = Buffer.alloc(st.size);
    for (let off = 0; off < st.size; ) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/**
 * docker's volume copy-up: what the image (and the container's layer) has at `target` is copied
 * into `dest`, a new and empty volume directory, before the volume is mounted over it. Entries
 * are read without following symlinks (symlinks are copied as symlinks) and written into a
 * directory no container can see yet.
 */
export function copyIntoVolume(layers: string[], target: string, dest: string, shift: { uid: number; gid: number } = { uid: 0, gid: 0 }): number {
  let copied = 0;
  for (const e of merged(layers, target)) {
    const out = path.join(dest, path.posix.relative(target, e.path));
    if (e.st.isDirectory()) mkdirSync(out, { mode: e.st.mode & 0o7777 });
    else if (e.st.isSymbolicLink()) symlinkSync(readlinkSync(e.host), out);
    else if (e.st.isFile()) writeFileSync(out, readRegular(e.host), { mode: e.st.mode & 0o7777, flag: 'wx' });
    else continue; // devices and fifos stay in the image
    lchownSync(out, e.st.uid + shift.uid, e.st.gid + shift.gid);
    if (!e.st.isSymbolicLink()) chmodSync(out, e.st.mode & 0o7777);
    copied++;
  }
  // The volume's root takes the mode and owner of the directory it covers.
  const top = layers.map((l) => layerDir(l, target)).find((d) => d !== undefined);
  if (top) {
    const st = lstatSync(top);
    chmodSync(dest, st.mode & 0o7777);
    lchownSync(dest, st.uid + shift.uid, st.gid + shift.gid);
  }
  return copied;
}

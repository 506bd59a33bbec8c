// Mounts on the host as kapald sees them: /proc/self/mountinfo read for moby's propagation
// checks, and the host mounts of local volumes with driver options (`-o type= -o device= -o o=`),
// which docker's local driver makes at DATA-ROOT/volumes/NAME/_data while containers use them.

import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { KapalError } from '../domain/errors.js';
import { MNT_DETACH, SyscallError, errnoText, mount, umount2 } from './libc.js';

export interface MountInfo {
  mountPoint: string;
  /** The optional fields: `shared:N`, `master:N`, ... */
  optional: string[];
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function readMountInfo(file = '/proc/self/mountinfo'): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (fields.length < 7 || sep < 6) continue;
    mounts.push({ mountPoint: unescape(fields[4]!), optional: fields.slice(6, sep) });
  }
  return mounts;
}

const within = (p: string, dir: string): boolean => dir === '/' || p === dir || p.startsWith(`${dir}/`);

/** The mount a path is on: the one with the longest mount point above it (the last one mounted wins). */
export function sourceMount(p: string, mounts = readMountInfo()): MountInfo {
  let found: MountInfo | undefined;
  for (const m of mounts) if (within(p, m.mountPoint) && (!found || m.mountPoint.length >= found.mountPoint.length)) found = m;
  if (!found) throw new KapalError('Internal', `could not find source mount of ${p}`);
  return found;
}

export function isMountPoint(p: string, mounts = readMountInfo()): boolean {
  return mounts.some((m) => m.mountPoint === p);
}

/**
 * moby's checks before a bind with propagation: `shared`/`rshared` need the source on a shared
 * mount, `slave`/`rslave` on a shared or slave one, or the tie the mode asks for cannot exist.
 */
export function checkPropagation(source: string, propagation: string, mounts = readMountInfo()): void {
  if (!/^r?(shared|slave)$/.test(propagation)) return;
  let real: string;
  try {
    real = realpathSync(source);
  } catch {
    real = source;
  }
  const m = sourceMount(real, mounts);
  const shared = m.optional.some((o) => o.startsWith('shared:'));
  const slave = m.optional.some((o) => o.startsWith('master:'));
  if (propagation.endsWith('shared') && !shared) {
    throw new KapalError('Internal', `path ${JSON.stringify(real)} is mounted on ${JSON.stringify(m.mountPoint)} but it is not a shared mount`);
  }
  if (propagation.endsWith('slave') && !shared && !slave) {
    throw new KapalError('Internal', `path ${JSON.stringify(real)} is mounted on ${JSON.stringify(m.mountPoint)} but it is not a shared or slave mount`);
  }
}

// ---- local volumes with options ---------------------------------------------------------------

const MS_RDONLY = 0x1;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;
const MS_SYNCHRONOUS = 0x10;
const MS_REMOUNT = 0x20;
const MS_MANDLOCK = 0x40;
const MS_DIRSYNC = 0x80;
const MS_NOATIME = 0x400;
const MS_NODIRATIME = 0x800;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_UNBINDABLE = 0x20000;
const MS_PRIVATE = 0x40000;
const MS_SLAVE = 0x80000;
const MS_SHARED = 0x100000;
const MS_RELATIME = 0x200000;
const MS_STRICTATIME = 0x1000000;
const PROPAGATION_FLAGS = MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED;

/** mount(8)'s option words as moby/sys/mount knows them: [clears the flag, flag]. */
const FLAG_WORDS: Record<string, [boolean, number]> = {
  defaults: [false, 0],
  ro: [false, MS_RDONLY],
  rw: [true, MS_RDONLY],
  suid: [true, MS_NOSUID],
  nosuid: [false, MS_NOSUID],
  dev: [true, MS_NODEV],
  nodev: [false, MS_NODEV],
  exec: [true, MS_NOEXEC],
  noexec: [false, MS_NOEXEC],
  sync: [false, MS_SYNCHRONOUS],
  async: [true, MS_SYNCHRONOUS],
  dirsync: [false, MS_DIRSYNC],
  remount: [false, MS_REMOUNT],
  mand: [false, MS_MANDLOCK],
  nomand: [true, MS_MANDLOCK],
  atime: [true, MS_NOATIME],
  noatime: [false, MS_NOATIME],
  diratime: [true, MS_NODIRATIME],
  nodiratime: [false, MS_NODIRATIME],
  bind: [false, MS_BIND],
  rbind: [false, MS_BIND | MS_REC],
  unbindable: [false, MS_UNBINDABLE],
  runbindable: [false, MS_UNBINDABLE | MS_REC],
  private: [false, MS_PRIVATE],
  rprivate: [false, MS_PRIVATE | MS_REC],
  shared: [false, MS_SHARED],
  rshared: [false, MS_SHARED | MS_REC],
  slave: [false, MS_SLAVE],
  rslave: [false, MS_SLAVE | MS_REC],
  relatime: [false, MS_RELATIME],
  norelatime: [true, MS_RELATIME],
  strictatime: [false, MS_STRICTATIME],
  nostrictatime: [true, MS_STRICTATIME],
};

/** `o=` split into mount(2) flags and the file system's own data, as moby does. */
export function parseMountOptions(options: string): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const word of options.split(',').filter(Boolean)) {
    const known = FLAG_WORDS[word];
    if (!known) data.push(word);
    else if (known[0]) flags &= ~known[1];
    else flags |= known[1];
  }
  return { flags, data: data.join(',') };
}

/** A `password=` in the options never reaches a message (moby hides cifs passwords too). */
const hidePassword = (s: string): string => s.replace(/(^|,)password=[^,]*/g, '$1password=********');

/**
 * mount(2) of a local volume at `target`, as moby/sys/mount does it: the mount, then a change
 * of propagation, then the read-only remount a bind needs. Errors in moby's words.
 */
export function mountVolume(device: string, target: string, type: string, options: string): void {
  const { flags, data } = parseMountOptions(options);
  const fail = (op: string, src: string, f: number, d: string, err: unknown): KapalError => {
    const errno = err instanceof SyscallError ? errnoText(err.errno) : String(err);
    const where = src ? `${src}:${target}` : target;
    const detail = `${where}${f ? `, flags: 0x${f.toString(16)}` : ''}${d ? `, data: ${hidePassword(d)}` : ''}`;
    return new KapalError('Internal', `failed to mount local volume: ${op} ${detail}: ${errno}`);
  };
  const plain = flags & ~PROPAGATION_FLAGS;
  try {
    mount(device, target, type, plain, data);
  } catch (err) {
    throw fail('mount', device, plain, data, err);
  }
  const steps: [string, number][] = [];
  if (flags & PROPAGATION_FLAGS) steps.push(['mount', flags & (PROPAGATION_FLAGS | MS_REC)]);
  if ((plain & (MS_BIND | MS_RDONLY)) === (MS_BIND | MS_RDONLY)) steps.push(['remount', plain | MS_REMOUNT]);
  for (const [op, f] of steps) {
    try {
      mount('', target, '', f, '');
    } catch (err) {
      unmountVolume(target);
      throw fail(op, '', f, '', err);
    }
  }
}

/** A lazy unmount (moby's too); one that is not mounted any more is fine. */
export function unmountVolume(target: string): void {
  try {
    umount2(target, MNT_DETACH);
  } catch (err) {
    if (err instanceof SyscallError && err.errno === 22 && !isMountPoint(path.resolve(target))) return; // EINVAL: not a mount point
    throw err;
  }
}

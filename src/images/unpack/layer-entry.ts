// One tar entry as the unpacker sees it: tar-stream's header with PAX overrides applied (ids,
// times, SCHILY xattrs), the type narrowed to what a layer may hold, the mode cut to 12 bits.

import type { Header } from 'tar-stream';
import { invalidArgument } from '../../domain/errors.js';

export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo';

export interface LayerEntry {
  name: string;
  kind: EntryKind;
  /** Permission bits including setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, fractional when PAX gave sub-second precision. */
  atime: number;
  mtime: number;
  /** Symlink target text, or the hardlink's target entry name. */
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Array<[name: string, value: Buffer]>;
}

/** Something the unpacker chose to skip or could not keep; the caller logs it at `level`. */
export interface UnpackNote {
  level: 'debug' | 'warn';
  entry: string;
  message: string;
}

export type NoteSink = (note: UnpackNote) => void;

/** tar-stream's header as it really arrives: any type (null when unknown), the PAX records, the data offset. */
export type RawHeader = Omit<Header, 'type' | 'pax'> & {
  type: string | null;
  pax?: Record<string, string> | null;
  byteOffset?: number;
};

const KINDS: Record<string, EntryKind> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'char-device',
  'block-device': 'block-device',
  fifo: 'fifo',
};

const XATTR_PREFIX = 'SCHILY.xattr.';
const MAX_ID = 0xfffffffe; // (uid_t)-1 means "leave unchanged" to chown
const MAX_DEVICE_NUMBER = 0xffffffff;

function id(value: number, pax: string | undefined, what: string, name: string): number {
  const n = pax !== undefined ? Number(pax) : value;
  if (!Number.isInteger(n) || n < 0 || n > MAX_ID) throw invalidArgument(`layer entry ${JSON.stringify(name)} has an invalid ${what} ${n}`);
  return n;
}

function seconds(pax: string | undefined, fallback: Date | undefined): number {
  const n = pax !== undefined ? Number(pax) : (fallback?.getTime() ?? 0) / 1000;
  return Number.isFinite(n) && n > 0 ? n : 0; // like moby, nothing before the epoch
}

function deviceNumber(value: number, name: string): number {
  const n = value;
  if (!Number.isInteger(n) || n < 0 || n > MAX_DEVICE_NUMBER) {
    throw invalidArgument(`layer entry ${JSON.stringify(name)} has an invalid device number ${n}`);
  }
  return n;
}

/**
 * tar-stream decodes PAX values as UTF-8, so a binary value (security.capability, say) that is
 * not valid UTF-8 arrives with U+FFFD in it and can no longer be restored byte for byte.
 */
function xattrs(pax: Record<string, string>, name: string, note: NoteSink): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (const [key, value] of Object.entries(pax)) {
    if (!key.startsWith(XATTR_PREFIX)) continue;
    const attr = key.slice(XATTR_PREFIX.length);
    if (value.includes('\uFFFD')) {
      note({ level: 'warn', entry: name, message: `xattr ${attr} dropped: its value is not valid UTF-8 and was altered by the tar reader` });
      continue;
    }
    out.push([attr, Buffer.from(value, 'utf8')]);
  }
  return out;
}

/** The entry, or undefined (with a note) for a type a layer cannot hold. */
export function toLayerEntry(header: RawHeader, note: NoteSink): LayerEntry | undefined {
  const name = header.name;
  const kind = header.type === null ? undefined : KINDS[header.type];
  if (kind === undefined) {
    note({ level: 'warn', entry: name, message: `entry of unsupported tar type ${String(header.type)} skipped` });
    return undefined;
  }
  const pax = header.pax ?? {};
  const mtime = seconds(pax.mtime, header.mtime);
  const atime = Math.max(seconds(pax.atime, undefined), mtime);
  return {
    name,
    kind,
    mode: header.mode & 0o7777,
    uid: id(header.uid, pax.uid, 'uid', name),
    gid: id(header.gid, pax.gid, 'gid', name),
    atime,
    mtime,
    linkname: header.linkname ?? '',
    devmajor: deviceNumber(header.devmajor, name),
    devminor: deviceNumber(header.devminor, name),
    xattrs: xattrs(pax, name, note),
  };
}

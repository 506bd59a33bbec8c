// OCI whiteouts turned into overlayfs ones: `.wh.NAME` becomes a 0:0 character device NAME, and
// `.wh..wh..opq` marks its directory opaque. The `.wh.` files themselves are never created.

import { constants as fsConstants, lchownSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { invalidArgument } from '../../domain/errors.js';
import { lsetxattr, mknod } from '../../runtime/libc.js';
import type { NoteSink } from './layer-entry.js';
import { clearPath } from './write-entry.js';

const PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
/** `.wh..wh.` names other than the opaque marker are aufs bookkeeping (`.wh..wh.plnk`, ...). */
const META_PREFIX = '.wh..wh.';

export const isWhiteout = (base: string): boolean => base.startsWith(PREFIX);

/**
 * Applies the whiteout named by the last of `parts`; `path` is that name's confined location,
 * so its directory is the layer root or a real directory inside it.
 */
export function applyWhiteout(parts: string[], path: string, entryName: string, note: NoteSink): void {
  const base = parts[parts.length - 1]!;
  const dir = dirname(path);
  if (base === OPAQUE) {
    lsetxattr(dir, 'trusted.overlay.opaque', Buffer.from('y'));
    return;
  }
  if (base.startsWith(META_PREFIX)) {
    note({ level: 'debug', entry: entryName, message: 'aufs metadata entry skipped' });
    return;
  }
  const hidden = base.slice(PREFIX.length);
  if (hidden === '' || hidden === '.' || hidden === '..') {
    throw invalidArgument(`layer whiteout ${JSON.stringify(entryName)} names no file`);
  }
  const target = join(dir, hidden);
  clearPath(target, false); // whatever this layer put there earlier
  mknod(target, fsConstants.S_IFCHR, 0, 0);
  lchownSync(target, 0, 0);
}

// Exclusive ownership of a state directory (data-root, exec-root) or socket path: an flock'd
// file holding our PID. The kernel drops the lock when kapald dies, even by kill -9, so a stale
// lock can never keep a restarted daemon out.

import { closeSync, mkdirSync, openSync, readFileSync, ftruncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { tryLockExclusive } from '../runtime/libc.js';

export class LockHeldError extends Error {
  override name = 'LockHeldError';
}

export interface StateLock {
  release(): void;
}

export function lockFile(file: string, what: string): StateLock {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o711 });
  const fd = openSync(file, 'a+', 0o600);
  let locked = false;
  try {
    locked = tryLockExclusive(fd, file);
    if (!locked) {
      const holder = readFileSync(file, 'utf8').trim();
      throw new LockHeldError(`${what} is in use by another kapald${holder ? ` (pid ${holder})` : ''}`);
    }
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  // Closing the fd drops the lock; the file stays so the next daemon locks the same inode.
  return { release: () => closeSync(fd) };
}

// Exclusive ownership of a state directory (data-root, exec-root) or socket path: an flock'd
// file holding our PID. The kernel drops the lock when kapald dies, even by kill -9, so a stale
// lock can never keep a restarted daemon out.

import { closeSync, constants as fsConstants, mkdirSync, openSync, readFileSync, ftruncateSync, writeSync } from 'node:fs';
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

/**
 * Runs `fn` holding an exclusive flock on a directory (Linux allows flock on a directory fd).
 * For short critical sections like "probe the socket path, replace it if stale, bind": two
 * daemons starting at once take turns instead of unlinking each other's socket, and no lock
 * file is left beside a user's socket.
 */
export async function withDirectoryLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const fd = openSync(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    for (let waited = 0; !tryLockExclusive(fd, dir); waited += 10) {
      if (waited > 5000) throw new LockHeldError(`${dir} stayed locked by another kapald for 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return await fn();
  } finally {
    closeSync(fd);
  }
}

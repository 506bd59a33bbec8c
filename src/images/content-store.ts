// Blobs by sha256 under DATA-ROOT/images/blobs/sha256/<hex>. Every blob is written to a temporary
// file while its digest is computed and only renamed into place once the digest is known (and,
// when the caller expects one, verified), so a blob file is always complete and correct.

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { invalidArgument } from '../domain/errors.js';

export interface BlobInfo {
  digest: string;
  size: number;
}

const DIGEST = /^sha256:([a-f0-9]{64})$/;
/** Blobs are read in large chunks: fewer, larger writes when they are unpacked or sent. */
const READ_CHUNK = 1024 * 1024;

export function hexOf(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw invalidArgument(`invalid digest: ${digest}`);
  return m[1]!;
}

export class ContentStore {
  readonly dir: string;
  private readonly tmp: string;

  constructor(root: string) {
    this.dir = path.join(root, 'blobs', 'sha256');
    this.tmp = path.join(root, 'tmp');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    mkdirSync(this.tmp, { recursive: true, mode: 0o700 });
  }

  path(digest: string): string {
    return path.join(this.dir, hexOf(digest));
  }

  has(digest: string): boolean {
    try {
      return statSync(this.path(digest)).isFile();
    } catch {
      return false;
    }
  }

  size(digest: string): number {
    return statSync(this.path(digest)).size;
  }

  read(digest: string): Buffer {
    return readFileSync(this.path(digest));
  }

  open(digest: string): Readable {
    return createReadStream(this.path(digest), { highWaterMark: READ_CHUNK });
  }

  /**
   * Streams `input` into the store. With `expected`, a mismatch is an error and nothing is kept;
   * a blob already present is not written twice.
   */
  async write(input: Readable | AsyncIterable<Buffer>, expected?: string): Promise<BlobInfo> {
    if (expected !== undefined) hexOf(expected);
    const tmpFile = path.join(this.tmp, `blob-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    // Synchronous writes: into the page cache they take microseconds, where a thread-pool round
    // trip per chunk dominated the time of a load.
    const fd = openSync(tmpFile, 'wx', 0o600);
    try {
      try {
        for await (const chunk of input) {
          const buf = chunk as Buffer;
          hash.update(buf);
          size += buf.length;
          for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
        }
      } catch (err) {
        // A write by fd names no file; moby's errors do (`write /var/lib/docker/...: no space
        // left on device`), and a caller tells the store's own failures by their path.
        const e = err as NodeJS.ErrnoException;
        if (e.syscall === 'write' && e.path === undefined) e.path = tmpFile;
        throw err;
      } finally {
        closeSync(fd);
      }
      const digest = `sha256:${hash.digest('hex')}`;
      if (expected !== undefined && digest !== expected) {
        throw invalidArgument(`digest mismatch: expected ${expected}, got ${digest}`);
      }
      renameSync(tmpFile, this.path(digest));
      return { digest, size };
    } finally {
      rmSync(tmpFile, { force: true });
    }
  }

  /** Writes bytes already in memory (configs, manifests). */
  writeBytes(bytes: Buffer): Promise<BlobInfo> {
    return this.write(Readable.from([bytes]));
  }

  remove(digest: string): void {
    rmSync(this.path(digest), { force: true });
  }

  /** Every digest present, for garbage collection. */
  list(): string[] {
    return readdirSync(this.dir)
      .filter((name) => /^[a-f0-9]{64}$/.test(name))
      .map((hex) => `sha256:${hex}`);
  }

  /** Removes temporary files left by an interrupted write (called at start). */
  clearTemporary(): void {
    for (const name of readdirSync(this.tmp)) rmSync(path.join(this.tmp, name), { recursive: true, force: true });
  }
}

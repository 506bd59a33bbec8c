// Blobs by sha256 under DATA-ROOT/images/blobs/sha256/<hex>. Every blob is written to a temporary
// file while its digest is computed and only renamed into place once the digest is known (and,
// when the caller expects one, verified), so a blob file is always complete and correct.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument } from '../domain/errors.js';

export interface BlobInfo {
  digest: string;
  size: number;
}

const DIGEST = /^sha256:([a-f0-9]{64})$/;

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
    return createReadStream(this.path(digest));
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
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(input, meter, createWriteStream(tmpFile, { mode: 0o600 }));
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

// Unpacked layers under DATA-ROOT/images/layers/<chain-id hex>, one directory per chain ID, each
// an overlayfs lower directory shared by every image that reaches it. A layer is unpacked into a
// private staging directory and renamed into place only when complete and verified.

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { markTopDirectory } from '../runtime/libc.js';
import { hexOf } from './content-store.js';

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const parent = out[out.length - 1];
    out.push(parent === undefined ? diffId : `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}`);
  }
  return out;
}

export class LayerStore {
  readonly dir: string;
  private readonly staging: string;

  constructor(root: string) {
    this.dir = path.join(root, 'layers');
    this.staging = path.join(root, 'tmp');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    mkdirSync(this.staging, { recursive: true, mode: 0o700 });
    // Each layer in block groups of its own: ext4 scans past every inode freed in the last minutes
    // before it reuses a group's inodes, which made each file of a layer cost most of a millisecond
    // where layers had come and gone (issue 3's figures).
    markTopDirectory(this.staging);
  }

  path(chainId: string): string {
    return path.join(this.dir, hexOf(chainId));
  }

  has(chainId: string): boolean {
    try {
      return statSync(this.path(chainId)).isDirectory();
    } catch {
      return false;
    }
  }

  /** A fresh private directory (0700) to unpack one layer into. */
  stage(): string {
    return mkdtempSync(path.join(this.staging, 'layer-'));
  }

  /** Moves a completely unpacked layer into place; a layer already there wins. */
  commit(stagingDir: string, chainId: string): void {
    if (this.has(chainId)) {
      rmSync(stagingDir, { recursive: true, force: true });
      return;
    }
    renameSync(stagingDir, this.path(chainId));
  }

  discard(stagingDir: string): void {
    rmSync(stagingDir, { recursive: true, force: true });
  }

  remove(chainId: string): void {
    rmSync(this.path(chainId), { recursive: true, force: true });
  }

  /** Chain IDs with a directory on disk, for garbage collection at start. */
  list(): string[] {
    return readdirSync(this.dir)
      .filter((name) => /^[a-f0-9]{64}$/.test(name))
      .map((hex) => `sha256:${hex}`);
  }
}

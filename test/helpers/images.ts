// The busybox fixture image (test/fixtures/build-busybox-image.mjs), built into a test's temp dir.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir, ROOT } from './daemon.js';

export interface FixtureImage {
  dir: string;
  /** docker save archive, docker 25+ format. */
  dockerArchive: string;
  /** The same image as an OCI layout tar. */
  ociArchive: string;
  /** sha256:<config digest>, the image ID docker computes. */
  id: string;
  diffIds: string[];
  /** The image's only layer, an uncompressed root file system tar (for docker import). */
  rootfsTar: string;
}

export function buildFixtureImage(t: { teardown(fn: () => unknown): void }, tag = 'busybox:latest'): FixtureImage {
  const dir = makeTempDir(t, 'fixture');
  execFileSync(process.execPath, [path.join(ROOT, 'test/fixtures/build-busybox-image.mjs'), dir, '--tag', tag], { stdio: 'ignore' });
  const index = JSON.parse(readFileSync(path.join(dir, 'busybox-oci/index.json'), 'utf8'));
  const manifestDigest: string = index.manifests[0].digest;
  const manifest = JSON.parse(readFileSync(path.join(dir, 'busybox-oci/blobs/sha256', manifestDigest.slice(7)), 'utf8'));
  const config = JSON.parse(readFileSync(path.join(dir, 'busybox-oci/blobs/sha256', manifest.config.digest.slice(7)), 'utf8'));
  return {
    dir,
    dockerArchive: path.join(dir, 'busybox.tar'),
    ociArchive: path.join(dir, 'busybox-oci.tar'),
    id: manifest.config.digest,
    diffIds: config.rootfs.diff_ids,
    rootfsTar: path.join(dir, 'busybox-oci/blobs/sha256', manifest.layers[0].digest.slice(7)),
  };
}

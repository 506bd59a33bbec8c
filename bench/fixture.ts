// The busybox fixture image (test/fixtures/build-busybox-image.mjs), built for a benchmark and
// loaded into its daemon.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, withCleanup, type BenchDaemon } from './harness.js';

/** Builds the fixture into a temporary directory for `fn`, removed afterwards (also when interrupted). */
export async function withFixture<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kapal-bench-fixture-'));
  return withCleanup(() => rmSync(dir, { recursive: true, force: true }), async () => {
    execFileSync(process.execPath, [path.join(ROOT, 'test/fixtures/build-busybox-image.mjs'), dir], { stdio: 'ignore' });
    return fn(dir);
  });
}

/** The fixture's only layer: an uncompressed rootfs tar. */
export function fixtureLayer(dir: string): string {
  const blob = (digest: string) => path.join(dir, 'busybox-oci/blobs/sha256', digest.slice(7));
  const index = JSON.parse(readFileSync(path.join(dir, 'busybox-oci/index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  return blob(manifest.layers[0].digest);
}

/** Loads the fixture built in `dir` (or a fresh one) into the daemon as busybox:latest. */
export async function loadFixture(d: BenchDaemon, dir?: string): Promise<void> {
  if (dir === undefined) return withFixture((built) => loadFixture(d, built));
  const res = await d.request('POST', '/images/load?quiet=1', readFileSync(path.join(dir, 'busybox.tar')), { 'Content-Type': 'application/x-tar' });
  if (res.status !== 200) throw new Error(`load failed: ${res.body}`);
}

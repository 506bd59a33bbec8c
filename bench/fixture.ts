// The busybox fixture image (test/fixtures/build-busybox-image.mjs) loaded into a bench daemon.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, withCleanup, type BenchDaemon } from './harness.js';

export async function loadFixture(d: BenchDaemon): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kapal-bench-fixture-'));
  await withCleanup(() => rmSync(dir, { recursive: true, force: true }), async () => {
    execFileSync(process.execPath, [path.join(ROOT, 'test/fixtures/build-busybox-image.mjs'), dir], { stdio: 'ignore' });
    const res = await d.request('POST', '/images/load?quiet=1', readFileSync(path.join(dir, 'busybox.tar')), { 'Content-Type': 'application/x-tar' });
    if (res.status !== 200) throw new Error(`load failed: ${res.body}`);
  });
}

// Image benchmarks: loading a 100 MB image, and pulling it from a registry on loopback.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { measure, startDaemon, withCleanup, type Stats } from './harness.js';

export interface ImageResults {
  sizeBytes: number;
  load: Stats;
  loadMBps: number;
  pull?: Stats;
  pullMBps?: number;
  pullSkipped?: string;
}

/** A root file system of `files` random (incompressible) files of `fileSize` bytes, as one tar. */
async function rootfsTar(files: number, fileSize: number): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  pack.entry({ name: 'data/', type: 'directory', mode: 0o755 });
  for (let i = 0; i < files; i++) pack.entry({ name: `data/f${i}`, mode: 0o644 }, randomBytes(fileSize));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function benchImages(quick: boolean): Promise<ImageResults> {
  const runs = quick ? 3 : 10;
  const d = await startDaemon('images');
  try {
    // 100 MB in 400 files of 256 KiB, imported then saved: a docker save archive of the image.
    const rootfs = await rootfsTar(400, 256 * 1024);
    await d.request('POST', '/images/create?fromSrc=-&repo=bench%3A1', rootfs, { 'Content-Type': 'application/x-tar' });
    const archive = (await d.request('GET', '/images/bench:1/get')).body;
    const remove = async () => {
      await d.request('DELETE', '/images/bench:1');
    };
    const load = await measure(runs, async () => {
      const res = await d.request('POST', '/images/load', archive, { 'Content-Type': 'application/x-tar' });
      if (!res.body.toString().includes('Loaded image: bench:1')) throw new Error(`load failed: ${res.body}`);
    }, remove);
    const results: ImageResults = { sizeBytes: archive.length, load, loadMBps: archive.length / 1e6 / (load.median / 1000) };

    if (!existsSync('/usr/bin/docker-registry')) {
      results.pullSkipped = '/usr/bin/docker-registry is not installed';
      return results;
    }
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kapal-bench-registry-'));
    writeFileSync(path.join(dir, 'config.yml'), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\nlog:\n  level: error\n`);
    const registry = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
    const registryExited = new Promise((r) => registry.once('exit', r));
    await withCleanup(async () => {
      registry.kill('SIGTERM');
      await registryExited;
      rmSync(dir, { recursive: true, force: true });
    }, async () => {
      for (let i = 0; i < 200; i++) {
        const up = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false);
        if (up) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const name = `127.0.0.1:${port}/bench/image`;
      await d.request('POST', `/images/bench:1/tag?repo=${encodeURIComponent(name)}&tag=1`);
      await d.request('POST', `/images/${name}/push?tag=1`);
      const removeAll = async () => {
        await d.request('DELETE', `/images/${name}:1`);
        await d.request('DELETE', '/images/bench:1');
      };
      const pull = await measure(runs, async () => {
        const res = await d.request('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=1`);
        if (!res.body.toString().includes('Status: Downloaded newer image')) throw new Error(`pull failed: ${res.body}`);
      }, removeAll);
      results.pull = pull;
      results.pullMBps = archive.length / 1e6 / (pull.median / 1000);
    });
    return results;
  } finally {
    await d.stop();
  }
}

// Container start cost: create + start + wait + remove of `true` with network none over the API,
// against `crun run` of the same rootfs in the same run; the shim's RSS per running container; and
// kapald's RSS when idle.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, measure, startDaemon, withCleanup, type BenchDaemon, type Stats } from './harness.js';

export interface ContainerResults {
  lifecycle: Stats;
  crun?: Stats;
  crunSkipped?: string;
  shimRssKiB: number;
  kapaldIdleRssKiB: number;
}

const json = { 'Content-Type': 'application/json' };

async function lifecycle(d: BenchDaemon): Promise<void> {
  const created = await d.request('POST', '/containers/create', Buffer.from(JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } })), json);
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.body}`);
  const id = JSON.parse(created.body.toString()).Id as string;
  const wait = d.request('POST', `/containers/${id}/wait?condition=next-exit`);
  const started = await d.request('POST', `/containers/${id}/start`);
  if (started.status !== 204) throw new Error(`start: ${started.status} ${started.body}`);
  const code = JSON.parse((await wait).body.toString()).StatusCode;
  if (code !== 0) throw new Error(`true exited ${code}`);
  const removed = await d.request('DELETE', `/containers/${id}`);
  if (removed.status !== 204) throw new Error(`remove: ${removed.status}`);
}

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** RSS once the idle daemon has settled (V8 shrinks its heap some seconds after the last work). */
async function settledRss(pid: number): Promise<number> {
  let last = rssKiB(pid);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = rssKiB(pid);
    if (i >= 9 && now === last) return now;
    last = now;
  }
  return last;
}

/** crun refuses hybrid cgroups while cgroup2 exposes hugetlb; a v1 hugetlb mount fixes that (PLATFORM.md). */
async function withHugetlbMount<T>(fn: () => Promise<T>): Promise<T> {
  const dir = '/sys/fs/cgroup/hugetlb';
  if (existsSync(path.join(dir, 'tasks'))) return fn();
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', dir]);
  return withCleanup(() => {
    spawnSync('umount', [dir]);
    spawnSync('rmdir', [dir]);
  }, fn);
}

async function benchCrun(rootfsTar: string, runs: number): Promise<Stats> {
  const bundle = mkdtempSync(path.join(os.tmpdir(), 'kapal-bench-crun-'));
  return withCleanup(() => rmSync(bundle, { recursive: true, force: true }), async () => {
    mkdirSync(path.join(bundle, 'rootfs'));
    execFileSync('tar', ['-xf', rootfsTar, '-C', path.join(bundle, 'rootfs')]);
    execFileSync('crun', ['spec'], { cwd: bundle });
    const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    spec.process.args = ['true'];
    spec.process.terminal = false;
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
    const root = path.join(bundle, 'state');
    let n = 0;
    return await withHugetlbMount(() =>
      measure(runs, async () => {
        const r = spawnSync('crun', ['--root', root, 'run', '--bundle', bundle, `kapal-bench-${process.pid}-${n++}`], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`crun run exited ${r.status}: ${r.stderr}`);
      }),
    );
  });
}

/** The busybox fixture's only layer: an uncompressed rootfs tar. */
function fixtureLayer(dir: string): string {
  const blob = (digest: string) => path.join(dir, 'busybox-oci/blobs/sha256', digest.slice(7));
  const index = JSON.parse(readFileSync(path.join(dir, 'busybox-oci/index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  return blob(manifest.layers[0].digest);
}

export async function benchContainers(quick: boolean): Promise<ContainerResults> {
  const runs = quick ? 10 : 50;
  const d = await startDaemon('containers');
  const fixtures = mkdtempSync(path.join(os.tmpdir(), 'kapal-bench-fixture-'));
  return withCleanup(() => rmSync(fixtures, { recursive: true, force: true }), async () => {
    execFileSync(process.execPath, [path.join(ROOT, 'test/fixtures/build-busybox-image.mjs'), fixtures], { stdio: 'ignore' });
    const load = await d.request('POST', '/images/load?quiet=1', readFileSync(path.join(fixtures, 'busybox.tar')), { 'Content-Type': 'application/x-tar' });
    if (load.status !== 200) throw new Error(`load failed: ${load.body}`);
    const kapaldIdleRssKiB = await settledRss(d.pid);
    const stats = await measure(runs, () => lifecycle(d), async () => {}, 3);

    // One running container: the shim's RSS while it monitors.
    const created = await d.request('POST', '/containers/create', Buffer.from(JSON.stringify({ Image: 'busybox', Cmd: ['sleep', '60'] })), json);
    const id = JSON.parse(created.body.toString()).Id as string;
    await d.request('POST', `/containers/${id}/start`);
    await new Promise((r) => setTimeout(r, 300));
    const shimPid = Number(readFileSync(path.join(d.dir, 'exec/containers', id, 'shim.pid'), 'utf8'));
    const shimRssKiB = rssKiB(shimPid);
    await d.request('DELETE', `/containers/${id}?force=1`);

    const results: ContainerResults = { lifecycle: stats, shimRssKiB, kapaldIdleRssKiB };
    if (!existsSync('/usr/bin/crun')) results.crunSkipped = 'crun is not installed (bin/setup installs it)';
    else results.crun = await benchCrun(fixtureLayer(fixtures), runs);
    return results;
  }).finally(() => d.stop());
}

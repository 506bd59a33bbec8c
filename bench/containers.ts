// Container start cost: create + start + wait + remove of `true` with network none and on the
// default bridge over the API,
// against `crun run` of the same rootfs in the same run; the shim's RSS per running container; and
// kapald's RSS when idle.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContainer, measure, rssKiB, startContainer, startDaemon, statsOf, withCleanup, type BenchDaemon, type Stats } from './harness.js';
import { fixtureLayer, loadFixture, withFixture } from './fixture.js';
import { measureFloorIdleRss } from './memory-floor.js';

export interface ContainerResults {
  lifecycle: Stats;
  /** The same on the default bridge: veth, address, route, /etc/hosts. */
  lifecycleBridge: Stats;
  crun?: Stats;
  crunSkipped?: string;
  shimRssKiB: number;
  kapaldIdleRssKiB: number;
  /** The same libraries serving one route (memory-floor.ts). */
  floorIdleRssKiB: number;
}

async function lifecycle(d: BenchDaemon, network = 'none'): Promise<void> {
  const id = await createContainer(d, ['true'], { NetworkMode: network });
  const wait = d.request('POST', `/containers/${id}/wait?condition=next-exit`);
  await startContainer(d, id);
  const code = JSON.parse((await wait).body.toString()).StatusCode;
  if (code !== 0) throw new Error(`true exited ${code}`);
  const removed = await d.request('DELETE', `/containers/${id}`);
  if (removed.status !== 204) throw new Error(`remove: ${removed.status}`);
}

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

export async function benchContainers(quick: boolean): Promise<ContainerResults> {
  const runs = quick ? 10 : 50;
  const d = await startDaemon('containers');
  return withFixture(async (fixtures) => {
    await loadFixture(d, fixtures);
    const kapaldIdleRssKiB = await settledRss(d.pid);
    // Interleaved, so both see the same machine: none, bridge, none, bridge, ...
    const none: number[] = [];
    const bridge: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      for (const [network, times] of [['none', none], ['bridge', bridge]] as const) {
        const start = process.hrtime.bigint();
        await lifecycle(d, network);
        if (i >= 3) times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
    const stats = statsOf(none);
    const bridgeStats = statsOf(bridge);

    // One running container: the shim's RSS while it monitors.
    const id = await createContainer(d, ['sleep', '60']);
    await startContainer(d, id);
    await new Promise((r) => setTimeout(r, 300));
    const shimPid = Number(readFileSync(path.join(d.dir, 'exec/containers', id, 'shim.pid'), 'utf8'));
    const shimRssKiB = rssKiB(shimPid);
    await d.request('DELETE', `/containers/${id}?force=1`);

    const floorIdleRssKiB = await measureFloorIdleRss(settledRss);
    const results: ContainerResults = { lifecycle: stats, lifecycleBridge: bridgeStats, shimRssKiB, kapaldIdleRssKiB, floorIdleRssKiB };
    if (!existsSync('/usr/bin/crun')) results.crunSkipped = 'crun is not installed (bin/setup installs it)';
    else results.crun = await benchCrun(fixtureLayer(fixtures), runs);
    return results;
  }).finally(() => d.stop());
}

// Resource limits as cgroup writes and moby's checks of them; cgroup v2 against a fake cgroupfs
// tree (a plain directory: this host runs v1, so the fake is the only v2 here — the names say so).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { checkLimits, limitsOf, memorySwapOf } from '../../src/domain/resources.js';
import { limitWarnings, v1Writes, v2Writes } from '../../src/runtime/cgroups/limits.js';
import { CgroupsV2 } from '../../src/runtime/cgroups/v2.js';
import { sampleV1, sampleV2 } from '../../src/runtime/cgroups/stats.js';
import { makeTempDir } from '../helpers/daemon.js';

const all = { memory: true, cpu: true, pids: true, swap: true, blkioWeight: true, oomKillDisable: true, cpuset: true };
const host = { cpus: 2, cpusetCpus: '0-1', cpusetMems: '0' };

t.test('v1: memory with swap written unlimited first, CPU quota from --cpus, pids, cpuset, shares', async (t) => {
  const l = limitsOf({ Memory: 32 << 20, NanoCpus: 5e8, PidsLimit: 20, CpusetCpus: '0', CpuShares: 512, MemoryReservation: 16 << 20, OomKillDisable: true });
  t.same(v1Writes(l, all).map((w) => `${w.file}=${w.value}`), [
    'memory.memsw.limit_in_bytes=-1', `memory.limit_in_bytes=${32 << 20}`, `memory.memsw.limit_in_bytes=${64 << 20}`,
    `memory.soft_limit_in_bytes=${16 << 20}`, 'memory.oom_control=1', 'cpu.cfs_period_us=100000', 'cpu.cfs_quota_us=50000',
    'cpu.shares=512', 'cpuset.cpus=0', 'pids.max=20',
  ]);
  t.same(v1Writes(limitsOf({ Memory: 32 << 20 }), { ...all, swap: false }).map((w) => w.file), ['memory.limit_in_bytes'], 'no memsw without swap accounting');
  t.same(v1Writes(limitsOf({ CpuQuota: 20000, CpuPeriod: 50000 }), all).map((w) => w.value), ['50000', '20000']);
  t.same(v1Writes(limitsOf({ PidsLimit: -1 }), all), [{ controller: 'pids', file: 'pids.max', value: 'max' }]);
  t.same(v1Writes(limitsOf({}), all), [], 'no limits, no writes');
  t.equal(memorySwapOf(limitsOf({ Memory: 10, MemorySwap: -1 })), -1);
});

t.test('v2: memory.max with swap alone in memory.swap.max, cpu.max, cpu.weight and io.weight as runc converts them', async (t) => {
  const l = limitsOf({ Memory: 64 << 20, MemorySwap: 96 << 20, NanoCpus: 15e8, CpuShares: 1024, BlkioWeight: 500, PidsLimit: 7 });
  t.same(v2Writes(l, all).map((w) => `${w.file}=${w.value}`), [
    `memory.max=${64 << 20}`, `memory.swap.max=${32 << 20}`, 'cpu.max=150000 100000', 'cpu.weight=39', 'pids.max=7', 'io.weight=default 4950',
  ]);
  t.same(v2Writes(limitsOf({ Memory: 64 << 20, MemorySwap: -1 }), all).map((w) => w.value), [String(64 << 20), 'max']);
});

t.test('moby\'s checks, in its words', async (t) => {
  const bad: [Record<string, unknown>, string][] = [
    [{ Memory: 4 << 20 }, 'Minimum memory limit allowed is 6MB'],
    [{ Memory: 20 << 20, MemorySwap: 10 << 20 }, 'Minimum memoryswap limit should be larger than memory limit, see usage'],
    [{ MemorySwap: 10 << 20 }, 'You should always set the Memory limit when using Memoryswap limit, see usage'],
    [{ NanoCpus: 3e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    [{ NanoCpus: 1e9, CpuPeriod: 100000 }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set'],
    [{ CpusetCpus: '5' }, 'Requested CPUs are not available - requested 5, available: 0-1'],
    [{ CpusetCpus: 'x' }, 'Invalid value x for cpuset cpus'],
    [{ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000'],
    [{ CpuPeriod: 10 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)'],
    [{ Memory: 10 << 20, MemoryReservation: 20 << 20 }, 'Minimum memory limit can not be less than memory reservation limit, see usage'],
  ];
  for (const [hc, message] of bad) t.throws(() => checkLimits(limitsOf(hc), host), { kind: 'InvalidArgument', message }, message);
  t.doesNotThrow(() => checkLimits(limitsOf({ Memory: 6 << 20, NanoCpus: 2e9, CpusetCpus: '0-1', BlkioWeight: 10 }), host));
  t.same(limitWarnings(limitsOf({ Memory: 10 << 20, MemorySwap: 20 << 20 }), { ...all, swap: false }), ['Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.']);
});

t.test('cgroup v2 on a fake cgroupfs tree: kapald leaves its own cgroup for a leaf, hands the controllers down and writes the limits', async (t) => {
  const root = makeTempDir(t, 'fake-cgroup2');
  const own = path.join(root, 'system.slice/kapald.service');
  mkdirSync(own, { recursive: true });
  for (const dir of [root, path.join(root, 'system.slice'), own]) writeFileSync(path.join(dir, 'cgroup.controllers'), 'cpuset cpu io memory pids');
  writeFileSync(path.join(own, 'cgroup.procs'), `${process.pid}\n`);
  const v2 = new CgroupsV2({ mount: root, own: '/system.slice/kapald.service' }, undefined);
  // The kernel creates these files in a new cgroup; the fake tree gets them as the writes land.
  const cg = v2.create('c1', { privileged: false, limits: limitsOf({ Memory: 64 << 20, PidsLimit: 9, NanoCpus: 5e8 }) });
  const dir = path.join(own, 'kapal', 'c1');
  t.same(cg.dirs, [dir]);
  t.equal(readFileSync(path.join(own, 'kapald', 'cgroup.procs'), 'utf8'), String(process.pid), 'kapald moved itself into a leaf');
  t.equal(readFileSync(path.join(own, 'cgroup.subtree_control'), 'utf8'), '+cpu +cpuset +io +memory +pids');
  t.equal(readFileSync(path.join(root, 'cgroup.subtree_control'), 'utf8'), '+cpu +cpuset +io +memory +pids');
  t.equal(readFileSync(path.join(dir, 'memory.max'), 'utf8'), String(64 << 20));
  t.equal(readFileSync(path.join(dir, 'memory.swap.max'), 'utf8'), String(64 << 20));
  t.equal(readFileSync(path.join(dir, 'cpu.max'), 'utf8'), '50000 100000');
  t.equal(readFileSync(path.join(dir, 'pids.max'), 'utf8'), '9');
  v2.update('c1', limitsOf({ Memory: 96 << 20, PidsLimit: -1 }));
  t.equal(readFileSync(path.join(dir, 'memory.max'), 'utf8'), String(96 << 20));
  t.equal(readFileSync(path.join(dir, 'pids.max'), 'utf8'), 'max');

  writeFileSync(path.join(dir, 'cpu.stat'), 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 30\n');
  writeFileSync(path.join(dir, 'memory.current'), '1048576\n');
  writeFileSync(path.join(dir, 'memory.stat'), 'anon 4096\ninactive_file 8192\n');
  writeFileSync(path.join(dir, 'pids.current'), '3\n');
  writeFileSync(path.join(dir, 'io.stat'), '8:0 rbytes=10 wbytes=20 rios=1 wios=2\n');
  const s = sampleV2(dir);
  t.same(s.cpu_stats.cpu_usage, { total_usage: 2500000, usage_in_kernelmode: 500000, usage_in_usermode: 2000000 });
  t.same(s.cpu_stats.throttling_data, { periods: 4, throttled_periods: 1, throttled_time: 30000 });
  t.match(s.memory_stats, { usage: 1048576, limit: 96 << 20, stats: { anon: 4096, inactive_file: 8192 } });
  t.same(s.pids_stats, { current: 3 });
  t.same(s.blkio_stats.io_service_bytes_recursive, [{ major: 8, minor: 0, op: 'read', value: 10 }, { major: 8, minor: 0, op: 'write', value: 20 }]);
});

t.test('cgroup v1 stats are read from each controller\'s directory (a fake tree of the same files)', async (t) => {
  const root = makeTempDir(t, 'fake-cgroup1');
  const dirs: Record<string, string> = {};
  for (const c of ['cpuacct', 'cpu', 'memory', 'pids', 'blkio']) mkdirSync((dirs[c] = path.join(root, c)));
  writeFileSync(path.join(dirs.cpuacct!, 'cpuacct.usage'), '123456789\n');
  writeFileSync(path.join(dirs.cpuacct!, 'cpuacct.usage_percpu'), '100000000 23456789 \n');
  writeFileSync(path.join(dirs.cpuacct!, 'cpuacct.stat'), 'user 10\nsystem 2\n');
  writeFileSync(path.join(dirs.memory!, 'memory.usage_in_bytes'), '2097152\n');
  writeFileSync(path.join(dirs.memory!, 'memory.limit_in_bytes'), '33554432\n');
  writeFileSync(path.join(dirs.memory!, 'memory.stat'), 'total_inactive_file 4096\n');
  writeFileSync(path.join(dirs.pids!, 'pids.current'), '2\n');
  writeFileSync(path.join(dirs.pids!, 'pids.max'), 'max\n');
  writeFileSync(path.join(dirs.blkio!, 'blkio.throttle.io_service_bytes_recursive'), '8:0 Read 4096\n8:0 Write 0\nTotal 4096\n');
  const s = sampleV1((c) => dirs[c]);
  t.same(s.cpu_stats.cpu_usage, { total_usage: 123456789, percpu_usage: [100000000, 23456789], usage_in_kernelmode: 2e7, usage_in_usermode: 1e8 });
  t.match(s.memory_stats, { usage: 2097152, limit: 33554432, stats: { total_inactive_file: 4096 } });
  t.same(s.pids_stats, { current: 2 }, 'no limit shown for max');
  t.same(s.blkio_stats.io_service_bytes_recursive, [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 0 }]);
  t.ok(s.cpu_stats.system_cpu_usage! > 0);
});

// Resource limits as cgroup file writes, for v1 (one hierarchy per controller) and v2 (one
// unified directory). Pure data, so both are tested without a kernel; the drivers write them in
// this order (memory+swap first unlimited, then memory, then the swap limit: the kernel refuses a
// memory limit above the swap limit and the other way round, whichever the old values were).

import { memorySwapOf, type ResourceLimits } from '../../domain/resources.js';

export interface CgroupWrite {
  /** The controller whose hierarchy (v1) holds the file; informational on v2. */
  controller: 'memory' | 'cpu' | 'cpuset' | 'pids' | 'blkio' | 'io';
  file: string;
  value: string;
}

const CFS_PERIOD = 100_000;

/** What the host's cgroups can do, for writes and warnings. */
export interface CgroupFeatures {
  memory: boolean;
  cpu: boolean;
  pids: boolean;
  swap: boolean;
  blkioWeight: boolean;
  oomKillDisable: boolean;
  cpuset: boolean;
}

function cpuQuota(l: ResourceLimits): { period: number; quota: number } | undefined {
  if (l.NanoCpus > 0) return { period: CFS_PERIOD, quota: Math.round((l.NanoCpus * CFS_PERIOD) / 1e9) };
  if (l.CpuQuota !== 0 || l.CpuPeriod !== 0) return { period: l.CpuPeriod || CFS_PERIOD, quota: l.CpuQuota || -1 };
  return undefined;
}

export function v1Writes(l: ResourceLimits, f: CgroupFeatures): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  if (l.Memory > 0) {
    if (f.swap) w.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: '-1' });
    w.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: String(l.Memory) });
    if (f.swap) w.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(memorySwapOf(l)) });
  }
  if (l.MemoryReservation > 0) w.push({ controller: 'memory', file: 'memory.soft_limit_in_bytes', value: String(l.MemoryReservation) });
  if (l.OomKillDisable && f.oomKillDisable) w.push({ controller: 'memory', file: 'memory.oom_control', value: '1' });
  const q = cpuQuota(l);
  if (q) {
    w.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(q.period) });
    w.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(q.quota) });
  }
  if (l.CpuShares > 0) w.push({ controller: 'cpu', file: 'cpu.shares', value: String(Math.max(2, l.CpuShares)) });
  if (l.CpusetCpus) w.push({ controller: 'cpuset', file: 'cpuset.cpus', value: l.CpusetCpus });
  if (l.CpusetMems) w.push({ controller: 'cpuset', file: 'cpuset.mems', value: l.CpusetMems });
  if (l.PidsLimit !== null && l.PidsLimit !== 0) w.push({ controller: 'pids', file: 'pids.max', value: l.PidsLimit > 0 ? String(l.PidsLimit) : 'max' });
  if (l.BlkioWeight > 0 && f.blkioWeight) w.push({ controller: 'blkio', file: 'blkio.weight', value: String(l.BlkioWeight) });
  return w;
}

/** cgroup v2: memory.max, memory.swap.max (swap alone), cpu.max, cpu.weight, io.weight (runc's conversions). */
export function v2Writes(l: ResourceLimits, f: CgroupFeatures): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  if (l.Memory > 0) {
    w.push({ controller: 'memory', file: 'memory.max', value: String(l.Memory) });
    const swap = memorySwapOf(l);
    if (f.swap) w.push({ controller: 'memory', file: 'memory.swap.max', value: swap < 0 ? 'max' : String(swap - l.Memory) });
  }
  if (l.MemoryReservation > 0) w.push({ controller: 'memory', file: 'memory.low', value: String(l.MemoryReservation) });
  const q = cpuQuota(l);
  if (q) w.push({ controller: 'cpu', file: 'cpu.max', value: `${q.quota < 0 ? 'max' : q.quota} ${q.period}` });
  if (l.CpuShares > 0) w.push({ controller: 'cpu', file: 'cpu.weight', value: String(Math.floor(1 + ((Math.max(2, l.CpuShares) - 2) * 9999) / 262142)) });
  if (l.CpusetCpus) w.push({ controller: 'cpuset', file: 'cpuset.cpus', value: l.CpusetCpus });
  if (l.CpusetMems) w.push({ controller: 'cpuset', file: 'cpuset.mems', value: l.CpusetMems });
  if (l.PidsLimit !== null && l.PidsLimit !== 0) w.push({ controller: 'pids', file: 'pids.max', value: l.PidsLimit > 0 ? String(l.PidsLimit) : 'max' });
  if (l.BlkioWeight > 0 && f.blkioWeight) w.push({ controller: 'io', file: 'io.weight', value: `default ${Math.floor(1 + ((l.BlkioWeight - 10) * 9999) / 990)}` });
  return w;
}

/** moby's warnings for limits this host's cgroups cannot apply (daemon_unix.go). */
export function limitWarnings(l: ResourceLimits, f: CgroupFeatures): string[] {
  const out: string[] = [];
  if (l.Memory > 0 && l.MemorySwap !== 0 && !f.swap) out.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
  if (l.OomKillDisable && !f.oomKillDisable) out.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
  if (l.OomKillDisable && l.Memory === 0 && f.oomKillDisable) out.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  return out;
}

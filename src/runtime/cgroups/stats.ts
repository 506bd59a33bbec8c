// One sample of a container's resource use from its cgroups (v1 or v2) and its network
// namespace, in the shape of docker's stats (cpu_stats, memory_stats, pids_stats, blkio_stats,
// networks), so `docker stats` computes CPU % and memory as it does against dockerd.

import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import path from 'node:path';

/** USER_HZ: the unit of /proc/stat and cpuacct.stat (100 on every Linux docker supports). */
const TICK_NS = 1e7;

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface StatsSample {
  cpu_stats: CpuStats;
  memory_stats: { usage?: number; max_usage?: number; failcnt?: number; limit?: number; stats?: Record<string, number> };
  pids_stats: { current?: number; limit?: number };
  blkio_stats: {
    io_service_bytes_recursive: { major: number; minor: number; op: string; value: number }[] | null;
    io_serviced_recursive: { major: number; minor: number; op: string; value: number }[] | null;
    io_queue_recursive: null;
    io_service_time_recursive: null;
    io_wait_time_recursive: null;
    io_merged_recursive: null;
    io_time_recursive: null;
    sectors_recursive: null;
  };
  networks?: Record<string, { rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }>;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

const num = (text: string | undefined): number | undefined => {
  const n = Number(text?.trim());
  return text !== undefined && Number.isFinite(n) ? n : undefined;
};

/** "key value" lines (memory.stat, cpu.stat). */
function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

/** The whole machine's CPU time in ns (/proc/stat), docker's system_cpu_usage. */
export function systemCpuUsage(): number {
  const line = read('/proc/stat')?.split('\n').find((l) => l.startsWith('cpu '));
  const ticks = (line ?? '').split(/\s+/).slice(1, 9).reduce((sum, v) => sum + (Number(v) || 0), 0);
  return ticks * TICK_NS;
}

/** The interfaces of the network namespace `pid` lives in (/proc/PID/net/dev), without lo. */
export function networkStats(pid: number): StatsSample['networks'] {
  const text = pid > 0 ? read(`/proc/${pid}/net/dev`) : undefined;
  if (!text) return undefined;
  const out: NonNullable<StatsSample['networks']> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    out[m[1]!] = { rx_bytes: f[0]!, rx_packets: f[1]!, rx_errors: f[2]!, rx_dropped: f[3]!, tx_bytes: f[8]!, tx_packets: f[9]!, tx_errors: f[10]!, tx_dropped: f[11]! };
  }
  return out;
}

/** A memory limit as docker shows it: no more than the machine has. */
const capLimit = (limit: number | undefined) => (limit === undefined ? totalmem() : Math.min(limit, totalmem()));

const noBlkio = (): StatsSample['blkio_stats'] => ({
  io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
  io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
});

/** "8:0 Read 4096" lines of v1 blkio (the Total line left out). */
function blkioV1(text: string | undefined) {
  if (text === undefined) return null;
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}

/** cgroup v1: `dirOf(controller)` is the container's directory in that controller's hierarchy. */
export function sampleV1(dirOf: (controller: string) => string | undefined): StatsSample {
  const file = (controller: string, name: string) => {
    const dir = dirOf(controller);
    return dir ? read(path.join(dir, name)) : undefined;
  };
  const acct = keyValues(file('cpuacct', 'cpuacct.stat'));
  const throttle = keyValues(file('cpu', 'cpu.stat'));
  const percpu = file('cpuacct', 'cpuacct.usage_percpu')?.trim().split(/\s+/).filter(Boolean).map(Number);
  const memLimit = num(file('memory', 'memory.limit_in_bytes'));
  const pidsMax = file('pids', 'pids.max')?.trim();
  return {
    cpu_stats: {
      cpu_usage: {
        total_usage: num(file('cpuacct', 'cpuacct.usage')) ?? 0,
        ...(percpu ? { percpu_usage: percpu } : {}),
        usage_in_kernelmode: (acct.system ?? 0) * TICK_NS,
        usage_in_usermode: (acct.user ?? 0) * TICK_NS,
      },
      system_cpu_usage: systemCpuUsage(),
      online_cpus: availableParallelism(),
      throttling_data: { periods: throttle.nr_periods ?? 0, throttled_periods: throttle.nr_throttled ?? 0, throttled_time: throttle.throttled_time ?? 0 },
    },
    memory_stats: {
      usage: num(file('memory', 'memory.usage_in_bytes')) ?? 0,
      max_usage: num(file('memory', 'memory.max_usage_in_bytes')) ?? 0,
      failcnt: num(file('memory', 'memory.failcnt')) ?? 0,
      limit: capLimit(memLimit),
      stats: keyValues(file('memory', 'memory.stat')),
    },
    pids_stats: { current: num(file('pids', 'pids.current')) ?? 0, ...(pidsMax && pidsMax !== 'max' ? { limit: Number(pidsMax) } : {}) },
    blkio_stats: {
      ...noBlkio(),
      io_service_bytes_recursive: blkioV1(file('blkio', 'blkio.throttle.io_service_bytes_recursive')),
      io_serviced_recursive: blkioV1(file('blkio', 'blkio.throttle.io_serviced_recursive')),
    },
  };
}

/** cgroup v2: everything in the container's one directory. */
export function sampleV2(dir: string): StatsSample {
  const file = (name: string) => read(path.join(dir, name));
  const cpu = keyValues(file('cpu.stat'));
  const memMax = file('memory.max')?.trim();
  const pidsMax = file('pids.max')?.trim();
  const io = (file('io.stat') ?? '').split('\n').flatMap((line) => {
    const m = /^(\d+):(\d+) (.*)$/.exec(line.trim());
    if (!m) return [];
    const kv = Object.fromEntries(m[3]!.split(' ').map((p) => p.split('=')));
    const dev = { major: Number(m[1]), minor: Number(m[2]) };
    return [{ ...dev, op: 'read', value: Number(kv.rbytes ?? 0) }, { ...dev, op: 'write', value: Number(kv.wbytes ?? 0) }];
  });
  return {
    cpu_stats: {
      cpu_usage: { total_usage: (cpu.usage_usec ?? 0) * 1000, usage_in_kernelmode: (cpu.system_usec ?? 0) * 1000, usage_in_usermode: (cpu.user_usec ?? 0) * 1000 },
      system_cpu_usage: systemCpuUsage(),
      online_cpus: availableParallelism(),
      throttling_data: { periods: cpu.nr_periods ?? 0, throttled_periods: cpu.nr_throttled ?? 0, throttled_time: (cpu.throttled_usec ?? 0) * 1000 },
    },
    memory_stats: {
      usage: num(file('memory.current')) ?? 0,
      limit: capLimit(memMax && memMax !== 'max' ? Number(memMax) : undefined),
      stats: keyValues(file('memory.stat')),
    },
    pids_stats: { current: num(file('pids.current')) ?? 0, ...(pidsMax && pidsMax !== 'max' ? { limit: Number(pidsMax) } : {}) },
    blkio_stats: { ...noBlkio(), io_service_bytes_recursive: io },
  };
}

/** What docker reports for a container that is not running: zeros and empty sets. */
export function emptySample(): StatsSample {
  return {
    cpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory_stats: {},
    pids_stats: {},
    blkio_stats: noBlkio(),
  };
}

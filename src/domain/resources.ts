// A container's resource limits (docker's HostConfig fields), checked with moby's rules and
// words, and normalized the way dockerd stores them (swap defaults to as much as memory).

import { invalidArgument } from './errors.js';

export interface ResourceLimits {
  /** Bytes; 0 = unlimited. */
  Memory: number;
  /** Memory plus swap, bytes; 0 = twice Memory (docker's default), -1 = unlimited swap. */
  MemorySwap: number;
  MemoryReservation: number;
  /** CPUs in units of 1e-9 (--cpus 1.5 = 1500000000). */
  NanoCpus: number;
  CpuShares: number;
  CpuPeriod: number;
  CpuQuota: number;
  CpusetCpus: string;
  CpusetMems: string;
  /** null or 0 = unlimited; -1 too. */
  PidsLimit: number | null;
  BlkioWeight: number;
  OomKillDisable: boolean | null;
}

export const LIMIT_KEYS = [
  'Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems',
  'PidsLimit', 'BlkioWeight', 'OomKillDisable',
] as const;

const MIN_MEMORY = 6 * 1024 * 1024;

export function limitsOf(hc: Record<string, unknown>): ResourceLimits {
  const num = (k: string) => (typeof hc[k] === 'number' ? (hc[k] as number) : 0);
  return {
    Memory: num('Memory'),
    MemorySwap: num('MemorySwap'),
    MemoryReservation: num('MemoryReservation'),
    NanoCpus: num('NanoCpus'),
    CpuShares: num('CpuShares'),
    CpuPeriod: num('CpuPeriod'),
    CpuQuota: num('CpuQuota'),
    CpusetCpus: typeof hc.CpusetCpus === 'string' ? hc.CpusetCpus : '',
    CpusetMems: typeof hc.CpusetMems === 'string' ? hc.CpusetMems : '',
    PidsLimit: typeof hc.PidsLimit === 'number' ? hc.PidsLimit : null,
    BlkioWeight: num('BlkioWeight'),
    OomKillDisable: typeof hc.OomKillDisable === 'boolean' ? hc.OomKillDisable : null,
  };
}

/** A cpuset list ("0-2,4") as numbers; undefined when malformed. */
export function parseCpuList(list: string): number[] | undefined {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (to < from) return undefined;
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}

/** moby's checks (daemon/daemon_unix.go verifyPlatformContainerResources), in its words. */
export function checkLimits(l: ResourceLimits, host: { cpus: number; cpusetCpus: string; cpusetMems: string }, opts: { update?: boolean } = {}): void {
  if (l.Memory !== 0 && l.Memory < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (l.MemorySwap > 0 && l.Memory === 0 && !opts.update) throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (l.MemorySwap > 0 && l.MemorySwap < l.Memory) throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (l.Memory > 0 && l.MemoryReservation > 0 && l.MemoryReservation > l.Memory) {
    throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (l.MemoryReservation !== 0 && l.MemoryReservation < MIN_MEMORY) throw invalidArgument('Minimum memory reservation allowed is 6MB');
  if (l.NanoCpus > 0 && (l.CpuPeriod > 0 || l.CpuQuota > 0)) {
    throw invalidArgument(`Conflicting options: Nano CPUs and CPU ${l.CpuPeriod > 0 ? 'Period' : 'Quota'} cannot both be set`);
  }
  if (l.NanoCpus < 0 || l.NanoCpus > host.cpus * 1e9) {
    throw invalidArgument(`Range of CPUs is from 0.01 to ${host.cpus}.00, as there are only ${host.cpus} CPUs available`);
  }
  if (l.NanoCpus > 0 && l.NanoCpus < 1e7) throw invalidArgument(`Range of CPUs is from 0.01 to ${host.cpus}.00, as there are only ${host.cpus} CPUs available`);
  if (l.CpuPeriod !== 0 && (l.CpuPeriod < 1000 || l.CpuPeriod > 1000000)) throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (l.CpuQuota !== 0 && l.CpuQuota !== -1 && l.CpuQuota < 1000) throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (l.CpuShares < 0) throw invalidArgument('invalid CPU shares');
  for (const [key, value, available] of [['CPUs', l.CpusetCpus, host.cpusetCpus], ['memory nodes', l.CpusetMems, host.cpusetMems]] as const) {
    if (!value) continue;
    const wanted = parseCpuList(value);
    if (!wanted) throw invalidArgument(`Invalid value ${value} for cpuset ${key === 'CPUs' ? 'cpus' : 'mems'}`);
    const have = new Set(parseCpuList(available) ?? []);
    if (wanted.some((n) => !have.has(n))) throw invalidArgument(`Requested ${key} are not available - requested ${value}, available: ${available}`);
  }
  if (l.BlkioWeight !== 0 && (l.BlkioWeight < 10 || l.BlkioWeight > 1000)) throw invalidArgument('Range of blkio weight is from 10 to 1000');
}

/** Memory plus swap as the kernel gets it: docker's default of twice the memory; -1 unlimited. */
export function memorySwapOf(l: ResourceLimits): number {
  if (l.Memory <= 0) return 0;
  if (l.MemorySwap === 0) return l.Memory * 2;
  return l.MemorySwap;
}

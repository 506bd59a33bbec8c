// Facts about the host that /info and /version report, read once at start.

import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface HostFacts {
  hostname: string;
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  /** uname -m, e.g. x86_64 (docker's Architecture). */
  machine: string;
  /** Go's GOARCH spelling, e.g. amd64 (docker's Arch). */
  goArch: string;
  ncpu: number;
  memTotal: number;
  cgroupVersion: '1' | '2';
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function readHostFacts(): HostFacts {
  const release = readOsRelease();
  return {
    hostname: os.hostname(),
    kernelVersion: os.release(),
    operatingSystem: release.PRETTY_NAME ?? 'Linux',
    osVersion: release.VERSION_ID ?? '',
    machine: os.machine(),
    goArch: GOARCH[process.arch] ?? process.arch,
    ncpu: os.availableParallelism(),
    memTotal: os.totalmem(),
    cgroupVersion: detectCgroupVersion(),
  };
}

function readOsRelease(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const m = /^([A-Z_]+)=("?)(.*)\2$/.exec(line.trim());
        if (m) out[m[1]!] = m[3]!;
      }
      return out;
    } catch {
      // try the next one
    }
  }
  return out;
}

/** Pure v2 when /sys/fs/cgroup itself is cgroup2; otherwise v1 (legacy or hybrid). */
export function detectCgroupVersion(mountinfo = '/proc/self/mountinfo'): '1' | '2' {
  try {
    for (const line of readFileSync(mountinfo, 'utf8').split('\n')) {
      const fields = line.split(' ');
      const sep = fields.indexOf('-');
      if (fields[4] === '/sys/fs/cgroup' && sep > 0 && fields[sep + 1] === 'cgroup2') return '2';
    }
  } catch {
    // fall through
  }
  return '1';
}

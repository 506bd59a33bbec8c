// Where the cgroup v1 hierarchies are mounted and where kapald itself sits in each, read from
// /proc/self/mountinfo and /proc/self/cgroup.

import { readFileSync } from 'node:fs';

export interface CgroupHierarchy {
  /** "memory", "cpu,cpuacct", ... as the kernel lists them. */
  controllers: string[];
  mount: string;
  /** kapald's own cgroup in this hierarchy ("/" or "/system.slice/kapald.service"). */
  own: string;
}

/** The v1 hierarchies with at least one controller (name=systemd and the unified mount are skipped). */
export function readV1Hierarchies(mountinfo = '/proc/self/mountinfo', cgroupFile = '/proc/self/cgroup'): CgroupHierarchy[] {
  const mounts = new Map<string, string>();
  for (const line of readFileSync(mountinfo, 'utf8').split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 0 || fields[sep + 1] !== 'cgroup') continue;
    const controllers = (fields[sep + 3] ?? '').split(',').filter((o) => o !== 'rw' && o !== 'ro' && !o.includes('='));
    if (controllers.length === 0 || fields[3] !== '/') continue;
    mounts.set(controllers.sort().join(','), fields[4]!);
  }
  const out: CgroupHierarchy[] = [];
  for (const line of readFileSync(cgroupFile, 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m || m[1] === '' || m[1]!.startsWith('name=')) continue;
    const controllers = m[1]!.split(',').sort();
    const mount = mounts.get(controllers.join(','));
    if (mount) out.push({ controllers, mount, own: m[2]! });
  }
  return out;
}

// What the runtime needs from cgroups, whichever version the host runs: a directory set per
// container to put its first process in, its processes, freezing, and removal.

import { readFileSync } from 'node:fs';
import { detectCgroupVersion } from '../host-facts.js';
import { readV1Hierarchies } from './hierarchies.js';
import { CgroupsV1 } from './v1.js';
import { CgroupsV2, readV2Mount } from './v2.js';

export interface ContainerCgroups {
  /** Every directory the container's first process is written into. */
  dirs: string[];
  memory: string | undefined;
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /**
   * Whether device access is confined (v1's devices controller). Without it kapal drops
   * CAP_MKNOD, so a container cannot make nodes for host devices.
   */
  readonly confinesDevices: boolean;
  paths(id: string): ContainerCgroups;
  create(id: string, opts: { privileged: boolean }): ContainerCgroups;
  remove(id: string): void;
  pids(id: string): number[];
  setFrozen(id: string, frozen: boolean): Promise<void>;
}

/** v2 when /sys/fs/cgroup is cgroup2, else the v1 hierarchies (a hybrid host uses v1). */
export function hostCgroups(parent: string | undefined): CgroupDriver {
  if (detectCgroupVersion() === '2') return new CgroupsV2(readV2Mount('/sys/fs/cgroup'), parent);
  return new CgroupsV1(readV1Hierarchies(), parent);
}

/** The PIDs listed in a cgroup.procs file; none when the cgroup is gone. */
export function readProcs(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export const sleepSync = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/**
 * rmdir that waits out EBUSY while the kernel finishes tearing down the last processes (by
 * default 20 tries 5 ms apart).
 */
export function removeCgroupDir(dir: string, rmdir: (d: string) => void, wait = { tries: 20, ms: 5 }): void {
  for (let attempt = 0; ; attempt++) {
    try {
      rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= wait.tries) throw err;
      sleepSync(wait.ms);
    }
  }
}

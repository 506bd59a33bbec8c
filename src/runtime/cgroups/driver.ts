// What the runtime needs from cgroups, whichever version the host runs: a directory set per
// container to put its first process in, its processes, freezing, and removal.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectCgroupVersion } from '../host-facts.js';
import { readV1Hierarchies } from './hierarchies.js';
import { CgroupsV1 } from './v1.js';
import { CgroupsV2, readV2Mount } from './v2.js';
import type { CgroupFeatures, CgroupWrite } from './limits.js';
import type { ResourceLimits } from '../../domain/resources.js';

export interface ContainerCgroups {
  /** Every directory the container's first process is written into. */
  dirs: string[];
  memory: string | undefined;
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** Which limits this host can apply (the rest are warned about at create). */
  readonly features: CgroupFeatures;
  /**
   * Whether device access is confined (v1's devices controller). Without it kapal drops
   * CAP_MKNOD, so a container cannot make nodes for host devices.
   */
  readonly confinesDevices: boolean;
  paths(id: string): ContainerCgroups;
  /** The container's cgroups with its limits; nothing is left behind when a write fails. */
  create(id: string, opts: { privileged: boolean; limits: ResourceLimits; deviceRules?: string[] }): ContainerCgroups;
  /** New limits for a running container (docker update). */
  update(id: string, limits: ResourceLimits): void;
  /** What the container's /sys/fs/cgroup mounts: its hierarchies (v1) or the unified tree (v2). */
  containerMounts(): { type: 'cgroup' | 'cgroup2'; dir: string; data: string }[];
  /** The container's directory of a controller (stats), if that controller is there. */
  controllerDir(id: string, controller: string): string | undefined;
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

/** Applies `writes`; `dirOf` names the directory of a write's controller (undefined: skipped). */
export function applyWrites(writes: CgroupWrite[], dirOf: (w: CgroupWrite) => string | undefined): void {
  for (const w of writes) {
    const dir = dirOf(w);
    if (!dir) continue;
    try {
      writeFileSync(path.join(dir, w.file), w.value);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      throw new Error(`cgroup: write ${w.value} to ${w.file}: ${code === 'EBUSY' ? 'device or resource busy (the container uses more than that)' : (err as Error).message}`, { cause: err });
    }
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

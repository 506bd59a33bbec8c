// Per-container cgroups on the unified hierarchy (cgroup v2): <own cgroup>/<parent>/<id>, with
// cgroup.freeze for pause. Device confinement on v2 needs an eBPF program, which kapal does not
// load yet; the driver says so (confinesDevices: false) and the runtime drops CAP_MKNOD instead.

import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CgroupDriver, ContainerCgroups } from './driver.js';
import { readProcs, removeCgroupDir } from './driver.js';

export interface V2Mount {
  mount: string;
  /** kapald's own cgroup ("0::/path" in /proc/self/cgroup). */
  own: string;
}

export function readV2Mount(mount: string, cgroupFile = '/proc/self/cgroup'): V2Mount {
  const line = readFileSync(cgroupFile, 'utf8').split('\n').find((l) => l.startsWith('0::'));
  return { mount, own: line?.slice(3) || '/' };
}

export class CgroupsV2 implements CgroupDriver {
  readonly version = 2 as const;
  readonly confinesDevices = false;

  constructor(
    private readonly unified: V2Mount,
    private readonly parent: string | undefined,
  ) {}

  private dir(id: string): string {
    const rel = this.parent?.startsWith('/') ? this.parent : path.posix.join(this.unified.own, this.parent ?? 'kapal');
    return path.join(this.unified.mount, rel, id);
  }

  paths(id: string): ContainerCgroups {
    return { dirs: [this.dir(id)], memory: undefined };
  }

  create(id: string): ContainerCgroups {
    mkdirSync(this.dir(id), { recursive: true });
    return this.paths(id);
  }

  remove(id: string): void {
    removeCgroupDir(this.dir(id), rmdirSync);
  }

  pids(id: string): number[] {
    return readProcs(path.join(this.dir(id), 'cgroup.procs'));
  }

  /** cgroup.freeze, then cgroup.events until the kernel reports `frozen` as asked. */
  async setFrozen(id: string, frozen: boolean): Promise<void> {
    const dir = this.dir(id);
    writeFileSync(path.join(dir, 'cgroup.freeze'), frozen ? '1' : '0');
    const want = `frozen ${frozen ? 1 : 0}`;
    for (let i = 0; i < 1000; i++) {
      if (readFileSync(path.join(dir, 'cgroup.events'), 'utf8').split('\n').includes(want)) return;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`cgroup of container ${id} did not report ${want}`);
  }
}

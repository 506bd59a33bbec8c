// Per-container cgroups on the unified hierarchy (cgroup v2): <own cgroup>/<parent>/<id>, with
// cgroup.freeze for pause. Device confinement on v2 needs an eBPF program, which kapal does not
// load yet; the driver says so (confinesDevices: false) and the runtime drops CAP_MKNOD instead.

import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CgroupDriver, ContainerCgroups } from './driver.js';
import { applyWrites, readProcs, removeCgroupDir } from './driver.js';
import { v2Writes, type CgroupFeatures } from './limits.js';
import type { ResourceLimits } from '../../domain/resources.js';

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

  /** The controllers the containers' parent may hand down (its cgroup.controllers). */
  private available(): Set<string> {
    try {
      return new Set(readFileSync(path.join(path.dirname(this.dir('x')), 'cgroup.controllers'), 'utf8').trim().split(/\s+/));
    } catch {
      try {
        return new Set(readFileSync(path.join(this.unified.mount, 'cgroup.controllers'), 'utf8').trim().split(/\s+/));
      } catch {
        return new Set();
      }
    }
  }

  get features(): CgroupFeatures {
    const c = this.available();
    return { memory: c.has('memory'), cpu: c.has('cpu'), pids: c.has('pids'), swap: c.has('memory'), blkioWeight: c.has('io'), oomKillDisable: false, cpuset: c.has('cpuset') };
  }

  containerMounts(): { type: 'cgroup2'; dir: string; data: string }[] {
    return [{ type: 'cgroup2', dir: '', data: '' }];
  }

  controllerDir(id: string, controller: string): string | undefined {
    return controller === 'cpuacct' || this.available().has(controller) ? this.dir(id) : undefined;
  }

  /**
   * The parent gets the controllers the limits need in its cgroup.subtree_control (it holds no
   * process: kapald stays in its own cgroup, above it), then the container its directory.
   */
  create(id: string, opts: { privileged: boolean; limits: ResourceLimits; deviceRules?: string[] }): ContainerCgroups {
    const dir = this.dir(id);
    mkdirSync(dir, { recursive: true });
    try {
      this.delegate(path.dirname(dir));
      this.update(id, opts.limits);
    } catch (err) {
      this.remove(id);
      throw err;
    }
    return this.paths(id);
  }

  private delegated = false;

  /**
   * The controllers limits need, handed down from the mount's root to `parent` (each level's
   * cgroup.subtree_control). v2 lets a cgroup hand controllers down only while no process sits
   * in it, so kapald first moves itself from its own cgroup into a leaf of it, `kapald`, when
   * the containers live below its own cgroup (the default; a systemd unit with Delegate=yes).
   */
  private delegate(parent: string): void {
    if (this.delegated) return;
    const wanted = ['cpu', 'cpuset', 'io', 'memory', 'pids'];
    const ownDir = path.join(this.unified.mount, this.unified.own);
    if (parent.startsWith(`${ownDir}/`) && this.unified.own !== '/' && readProcs(path.join(ownDir, 'cgroup.procs')).length > 0) {
      mkdirSync(path.join(ownDir, 'kapald'), { recursive: true });
      writeFileSync(path.join(ownDir, 'kapald', 'cgroup.procs'), String(process.pid));
    }
    const levels: string[] = [];
    for (let d = parent; d.startsWith(this.unified.mount) && d.length > this.unified.mount.length; d = path.dirname(d)) levels.unshift(d);
    for (const level of [path.dirname(levels[0] ?? parent), ...levels]) {
      let offered: Set<string>;
      try {
        offered = new Set(readFileSync(path.join(level, 'cgroup.controllers'), 'utf8').trim().split(/\s+/));
      } catch {
        continue;
      }
      const enable = wanted.filter((c) => offered.has(c));
      try {
        if (enable.length > 0) writeFileSync(path.join(level, 'cgroup.subtree_control'), enable.map((c) => `+${c}`).join(' '));
      } catch {
        // A level with processes of its own (not ours to move): limits that need these
        // controllers then fail with the file they could not write.
      }
    }
    this.delegated = true;
  }

  update(id: string, limits: ResourceLimits): void {
    applyWrites(v2Writes(limits, this.features), (w) => this.controllerDir(id, w.controller));
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

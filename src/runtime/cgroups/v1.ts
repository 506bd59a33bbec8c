// Per-container cgroups on cgroup v1: a directory per hierarchy, <parent>/<container id>, where
// <parent> is --cgroup-parent or "kapal" below kapald's own cgroup. kapald creates and configures
// the directories (plain file writes); the shim moves the container's first process in.

import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CgroupDriver, ContainerCgroups } from './driver.js';
import { applyWrites, readProcs, removeCgroupDir } from './driver.js';
import { v1Writes, type CgroupFeatures } from './limits.js';
import type { ResourceLimits } from '../../domain/resources.js';
import type { CgroupHierarchy } from './hierarchies.js';

/** moby's default device rules (oci/devices_linux.go, DefaultSpec). */
export const DEFAULT_DEVICE_RULES = [
  'c *:* m', 'b *:* m',
  'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm',
  'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm',
];

export class CgroupsV1 implements CgroupDriver {
  readonly version = 1 as const;

  constructor(
    private readonly hierarchies: CgroupHierarchy[],
    private readonly parent: string | undefined,
  ) {}

  get confinesDevices(): boolean {
    return this.find('devices') !== undefined;
  }

  get features(): CgroupFeatures {
    const has = (controller: string, file: string) => {
      const h = this.find(controller);
      return h !== undefined && existsSync(path.join(h.mount, file));
    };
    return {
      memory: this.find('memory') !== undefined,
      cpu: this.find('cpu') !== undefined,
      pids: this.find('pids') !== undefined,
      swap: has('memory', 'memory.memsw.limit_in_bytes'),
      blkioWeight: has('blkio', 'blkio.weight'),
      oomKillDisable: this.find('memory') !== undefined,
      cpuset: this.find('cpuset') !== undefined,
    };
  }

  containerMounts(): { type: 'cgroup'; dir: string; data: string }[] {
    return this.hierarchies.map((h) => ({ type: 'cgroup' as const, dir: path.basename(h.mount), data: h.controllers.join(',') }));
  }

  controllerDir(id: string, controller: string): string | undefined {
    const h = this.find(controller);
    return h && this.dir(h, id);
  }

  update(id: string, limits: ResourceLimits): void {
    applyWrites(v1Writes(limits, this.features), (w) => this.controllerDir(id, w.controller));
  }

  private base(h: CgroupHierarchy): string {
    const rel = this.parent?.startsWith('/') ? this.parent : path.posix.join(h.own, this.parent ?? 'kapal');
    return path.join(h.mount, rel);
  }

  private dir(h: CgroupHierarchy, id: string): string {
    return path.join(this.base(h), id);
  }

  private find(controller: string): CgroupHierarchy | undefined {
    return this.hierarchies.find((h) => h.controllers.includes(controller));
  }

  paths(id: string): ContainerCgroups {
    const memory = this.find('memory');
    return { dirs: this.hierarchies.map((h) => this.dir(h, id)), memory: memory && this.dir(memory, id) };
  }

  /** Creates the container's directories and its device rules; undone by remove(). */
  create(id: string, opts: { privileged: boolean; limits: ResourceLimits; deviceRules?: string[] }): ContainerCgroups {
    try {
      for (const h of this.hierarchies) {
        const dir = this.dir(h, id);
        if (h.controllers.includes('cpuset')) this.mkdirCpuset(h, dir);
        else mkdirSync(dir, { recursive: true });
        if (h.controllers.includes('devices')) this.deviceRules(dir, opts.privileged, opts.deviceRules ?? []);
      }
      this.update(id, opts.limits);
    } catch (err) {
      this.remove(id);
      throw err;
    }
    return this.paths(id);
  }

  /** A new cpuset cgroup starts with empty cpus/mems; copy them down from the nearest parent. */
  private mkdirCpuset(h: CgroupHierarchy, dir: string): void {
    const chain: string[] = [];
    for (let d = dir; d.startsWith(h.mount) && d !== h.mount && !existsSync(d); d = path.dirname(d)) chain.unshift(d);
    for (const d of chain) {
      mkdirSync(d);
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        const own = readFileSync(path.join(d, file), 'utf8').trim();
        if (own === '') writeFileSync(path.join(d, file), readFileSync(path.join(path.dirname(d), file), 'utf8').trim());
      }
    }
  }

  /** docker's allow list, then --device's and --device-cgroup-rule's. */
  private deviceRules(dir: string, privileged: boolean, extra: string[]): void {
    if (privileged) {
      writeFileSync(path.join(dir, 'devices.allow'), 'a');
      return;
    }
    writeFileSync(path.join(dir, 'devices.deny'), 'a');
    for (const rule of [...DEFAULT_DEVICE_RULES, ...extra]) writeFileSync(path.join(dir, 'devices.allow'), rule);
  }

  /** Removes the container's directories; the kernel refuses while a process is still inside. */
  remove(id: string): void {
    for (const h of this.hierarchies) removeCgroupDir(this.dir(h, id), rmdirSync);
  }

  /** PIDs (host view) of every process of the container. */
  pids(id: string): number[] {
    const h = this.find('pids') ?? this.find('freezer') ?? this.hierarchies[0];
    return h ? readProcs(path.join(this.dir(h, id), 'cgroup.procs')) : [];
  }

  /** Freezes (or thaws) every process of the container and waits until the kernel says so. */
  async setFrozen(id: string, frozen: boolean): Promise<void> {
    const h = this.find('freezer');
    if (!h) throw new Error('no freezer cgroup hierarchy is mounted: pause needs it');
    const file = path.join(this.dir(h, id), 'freezer.state');
    const want = frozen ? 'FROZEN' : 'THAWED';
    for (let i = 0; i < 1000; i++) {
      writeFileSync(file, want);
      if (readFileSync(file, 'utf8').trim() === want) return;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`freezer of container ${id} did not reach ${want}`);
  }
}

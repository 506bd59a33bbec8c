// Makes sure a test leaves no container behind, pass or fail: shims started for a test's
// exec-root are found by their command line (`kapal-shim run|exec <exec-root>/containers/<id>…`),
// their containers (the shims' children) and then the shims get SIGKILL, and the test's private
// cgroup parent is removed from every hierarchy. Synchronous (waits block for at most about 2 s),
// so it also runs from a process 'exit' handler when a test file is cut short.

import { readFileSync, readdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { removeCgroupDir, sleepSync } from '../../src/runtime/cgroups/driver.js';
import { readV1Hierarchies } from '../../src/runtime/cgroups/hierarchies.js';
import { readMountInfo } from '../../src/runtime/host-mounts.js';
import { shimProcesses } from '../../src/check/machine.js';
import { MNT_DETACH, umount2 } from '../../src/runtime/libc.js';

function processes(): { pid: number; ppid: number; argv: string[] }[] {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(name), ppid, argv });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** PIDs of the shims serving containers (and their execs) under `execRoot`. */
export function shimsOf(execRoot: string): number[] {
  return shimProcesses(execRoot).map((s) => s.pid);
}

export function killContainers(execRoot: string): number {
  const shims = shimsOf(execRoot);
  if (shims.length === 0) return 0;
  const all = processes();
  for (const shim of shims) {
    for (const child of all.filter((p) => p.ppid === shim)) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (let i = 0; i < 100 && shimsOf(execRoot).length > 0; i++) sleepSync(20);
  for (const shim of shimsOf(execRoot)) {
    try {
      process.kill(shim, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return shims.length;
}

/** Removes `<own cgroup>/<parent>` and the container cgroups under it, in every v1 hierarchy. */
export function removeCgroupParent(parent: string): void {
  for (const h of readV1Hierarchies()) {
    const base = path.join(h.mount, h.own, parent);
    let children: string[] = [];
    try {
      children = readdirSync(base, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      continue;
    }
    for (const dir of [...children.map((c) => path.join(base, c)), base]) {
      try {
        removeCgroupDir(dir, rmdirSync, { tries: 100, ms: 20 }); // killed processes may take a while
      } catch {
        // still busy after 2 s, or not ours to remove: a clean-up never fails the test
      }
    }
  }
}

/**
 * Unmounts (lazily, deepest first) whatever is mounted at or below `dir`: the host mounts of local
 * volumes with options, and what a test mounted itself; before a recursive removal of `dir`,
 * which would otherwise walk into them (into a bound host directory, too).
 */
export function unmountBelow(dir: string): number {
  const points = readMountInfo()
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    try {
      umount2(p, MNT_DETACH);
    } catch {
      // gone meanwhile, or an ancestor's lazy unmount took it
    }
  }
  return points.length;
}

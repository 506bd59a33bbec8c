// The host's device nodes, for privileged containers (moby gives them every device under /dev,
// as runc's HostDevices does); the pseudo-terminal and shared-memory trees stay the container's own.

import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { DeviceSpec } from './shim/spec.js';

const SKIPPED = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/fd', '/dev/console', '/dev/ptmx']);

/** Linux's dev_t split (glibc major()/minor()). */
export function splitDev(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  return {
    major: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)),
    minor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)),
  };
}

export function hostDevices(root = '/dev', depth = 3): DeviceSpec[] {
  const out: DeviceSpec[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = path.join(root, name);
    if (SKIPPED.has(p)) continue;
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory() && depth > 1) out.push(...hostDevices(p, depth - 1));
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      out.push({ path: p, type: st.isBlockDevice() ? 'b' : 'c', ...splitDev(st.rdev), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    }
  }
  return out;
}

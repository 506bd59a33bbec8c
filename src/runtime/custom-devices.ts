// `--device` and `--device-cgroup-rule`: host device nodes made again inside the container (or
// bound in, in a user namespace), and the devices cgroup rules that let the container use them,
// in moby's words when they are wrong.

import { statSync } from 'node:fs';
import path from 'node:path';
import { invalidArgument } from '../domain/errors.js';
import { hostDevices, splitDev } from './host-devices.js';
import type { DeviceSpec } from './shim/spec.js';

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

const PERMISSIONS = /^[rwm]{1,3}$/;
const RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** The nodes to create for HostConfig.Devices (a directory gives every device below it). */
export function customDevices(mappings: DeviceMapping[] | null | undefined): { devices: DeviceSpec[]; rules: string[] } {
  const devices: DeviceSpec[] = [];
  const rules: string[] = [];
  for (const m of mappings ?? []) {
    const perms = m.CgroupPermissions || 'rwm';
    if (!PERMISSIONS.test(perms)) throw invalidArgument(`invalid device cgroup permissions ${JSON.stringify(perms)} for ${m.PathOnHost}`);
    const target = m.PathInContainer || m.PathOnHost;
    if (!path.isAbsolute(m.PathOnHost) || !path.isAbsolute(target)) throw invalidArgument(`${m.PathOnHost}:${target} is not an absolute path`);
    let st;
    try {
      st = statSync(m.PathOnHost);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message;
      throw invalidArgument(`error gathering device information while adding custom device "${m.PathOnHost}": ${code}`);
    }
    const found: DeviceSpec[] = st.isDirectory()
      ? hostDevices(m.PathOnHost).map((d) => ({ ...d, path: path.join(target, path.relative(m.PathOnHost, d.path)) }))
      : st.isCharacterDevice() || st.isBlockDevice()
        ? [{ path: target, type: st.isBlockDevice() ? 'b' : 'c', ...splitDev(st.rdev), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }]
        : [];
    if (found.length === 0) throw invalidArgument(`error gathering device information while adding custom device "${m.PathOnHost}": not a device node`);
    if (!target.startsWith('/dev/')) throw invalidArgument(`device ${target} must be below /dev in the container`);
    devices.push(...found);
    rules.push(...found.map((d) => `${d.type} ${d.major}:${d.minor} ${perms}`));
  }
  return { devices, rules };
}

/** `--device-cgroup-rule 'c 42:* rmw'`, checked. */
export function deviceCgroupRules(rules: string[] | null | undefined): string[] {
  for (const r of rules ?? []) if (!RULE.test(r)) throw invalidArgument(`invalid device cgroup format '${r}'`);
  return [...(rules ?? [])];
}

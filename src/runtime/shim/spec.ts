// The container spec kapald hands to kapal-shim: everything the shim needs, as data, written to
// STATE_DIR/spec. The format is a flat list of NUL-terminated strings, `key` followed by a fixed
// number of values per key (SPEC_ARITY), so the C side parses it without a JSON library and no
// value (an argument, an env entry) needs escaping. docs/shim.md lists the keys.

import { writeFileSync, renameSync } from 'node:fs';

export type NamespaceKind = 'pid' | 'mnt' | 'uts' | 'ipc' | 'net' | 'cgroup';

export interface BindSpec {
  source: string;
  target: string;
  readonly: boolean;
}

export interface DeviceSpec {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
}

export interface RlimitSpec {
  resource: number;
  soft: number;
  hard: number;
}

/** One line of a uid_map or gid_map: `count` ids from `inside` in the container are `outside` on the host. */
export interface IdRange {
  inside: number;
  outside: number;
  count: number;
}

export interface ShimSpec {
  rootfs: string;
  /** Top-most first, as overlayfs lowerdir lists them. */
  lowers: string[];
  upper: string;
  work: string;
  readonlyRootfs: boolean;
  hostname: string;
  namespaces: NamespaceKind[];
  cgroups: string[];
  memoryCgroup: string | undefined;
  binds: BindSpec[];
  shmSize: number;
  maskedPaths: string[];
  readonlyPaths: string[];
  devices: DeviceSpec[];
  env: string[];
  args: string[];
  cwd: string;
  user: string;
  groupAdd: string[];
  /** Capability numbers kept in every set (bounding, effective, permitted, inheritable). */
  caps: number[];
  noNewPrivileges: boolean;
  rlimits: RlimitSpec[];
  tty: boolean;
  stdin: boolean;
  consoleSize: [number, number];
  logPath: string;
  init: boolean;
  privileged: boolean;
  /** Non-empty: a user namespace with these maps (kapald --userns-remap). */
  uidMap: IdRange[];
  gidMap: IdRange[];
}

/** Values per key; native/spec.c has the same table. */
export const SPEC_ARITY: Record<string, number> = {
  version: 1,
  rootfs: 1,
  lower: 1,
  upper: 1,
  work: 1,
  readonly: 1,
  hostname: 1,
  namespace: 1,
  cgroup: 1,
  'memory-cgroup': 1,
  bind: 3,
  'shm-size': 1,
  masked: 1,
  'readonly-path': 1,
  device: 7,
  env: 1,
  arg: 1,
  cwd: 1,
  user: 1,
  'group-add': 1,
  cap: 1,
  'no-new-privileges': 1,
  rlimit: 3,
  tty: 1,
  stdin: 1,
  'console-size': 2,
  log: 1,
  init: 1,
  privileged: 1,
  'uid-map': 3,
  'gid-map': 3,
};

const flag = (b: boolean) => (b ? '1' : '0');

export function encodeSpec(spec: ShimSpec): Buffer {
  const records: string[][] = [['version', '1']];
  const add = (key: string, ...values: (string | number)[]) => {
    if (values.length !== SPEC_ARITY[key]) throw new Error(`spec key ${key} takes ${SPEC_ARITY[key]} values`);
    for (const v of values) if (String(v).includes('\0')) throw new Error(`spec value for ${key} contains a NUL byte`);
    records.push([key, ...values.map(String)]);
  };
  add('rootfs', spec.rootfs);
  for (const l of spec.lowers) add('lower', l);
  add('upper', spec.upper);
  add('work', spec.work);
  add('readonly', flag(spec.readonlyRootfs));
  add('hostname', spec.hostname);
  for (const ns of spec.namespaces) add('namespace', ns);
  for (const c of spec.cgroups) add('cgroup', c);
  if (spec.memoryCgroup) add('memory-cgroup', spec.memoryCgroup);
  for (const b of spec.binds) add('bind', b.source, b.target, b.readonly ? 'ro' : 'rw');
  add('shm-size', spec.shmSize);
  for (const p of spec.maskedPaths) add('masked', p);
  for (const p of spec.readonlyPaths) add('readonly-path', p);
  for (const d of spec.devices) add('device', d.path, d.type, d.major, d.minor, d.mode.toString(8), d.uid, d.gid);
  for (const e of spec.env) add('env', e);
  for (const a of spec.args) add('arg', a);
  add('cwd', spec.cwd);
  add('user', spec.user);
  for (const g of spec.groupAdd) add('group-add', g);
  for (const c of spec.caps) add('cap', c);
  add('no-new-privileges', flag(spec.noNewPrivileges));
  for (const r of spec.rlimits) add('rlimit', r.resource, r.soft, r.hard);
  add('tty', flag(spec.tty));
  add('stdin', flag(spec.stdin));
  add('console-size', spec.consoleSize[0], spec.consoleSize[1]);
  add('log', spec.logPath);
  add('init', flag(spec.init));
  add('privileged', flag(spec.privileged));
  for (const r of spec.uidMap) add('uid-map', r.inside, r.outside, r.count);
  for (const r of spec.gidMap) add('gid-map', r.inside, r.outside, r.count);
  return Buffer.from(records.flat().map((s) => `${s}\0`).join(''));
}

/** Writes the spec atomically, so the shim never reads half of one. */
export function writeSpec(file: string, spec: ShimSpec): void {
  writeFileSync(`${file}.tmp`, encodeSpec(spec), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

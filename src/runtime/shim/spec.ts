// The container spec kapald hands to kapal-shim: everything the shim needs, as data, written to
// STATE_DIR/spec. The format is a flat list of NUL-terminated strings, `key` followed by a fixed
// number of values per key (SPEC_ARITY), so the C side parses it without a JSON library and no
// value (an argument, an env entry) needs escaping. docs/shim.md lists the keys.

import { writeFileSync, renameSync } from 'node:fs';
import type { ResolvedSeccomp } from '../seccomp/profile.js';
import { seccompProgram } from '../seccomp/compile.js';

export type NamespaceKind = 'pid' | 'mnt' | 'uts' | 'ipc' | 'net' | 'cgroup';

export interface BindSpec {
  source: string;
  target: string;
  readonly: boolean;
  /** docker's propagation modes; rprivate when absent. */
  propagation?: string | undefined;
  /** Idmapped into the container's user namespace by the shim (volumes under --userns-remap). */
  idmap?: boolean | undefined;
}

/** A bind's MODE field: ro or rw, then its propagation and `idmap` (native/mounts.c). */
const bindMode = (b: BindSpec): string => [b.readonly ? 'ro' : 'rw', b.propagation ?? '', b.idmap ? 'idmap' : ''].filter(Boolean).join(',');

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

/** The process a container or an exec runs: its command, user, privileges and stdio. */
export interface ProcessSpec {
  env: string[];
  args: string[];
  cwd: string;
  user: string;
  groupAdd: string[];
  /** Capability numbers kept: the bounding set, and permitted and effective for root (never inheritable). */
  caps: number[];
  noNewPrivileges: boolean;
  rlimits: RlimitSpec[];
  tty: boolean;
  stdin: boolean;
  consoleSize: [number, number];
  /** Non-empty: a user namespace with these maps (kapald --userns-remap). */
  uidMap: IdRange[];
  gidMap: IdRange[];
  /** The seccomp filter, loaded just before the process's last steps; absent: none. */
  seccomp?: ResolvedSeccomp | undefined;
}

export interface ShimSpec extends ProcessSpec {
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
  /** The json-file log; '' for none (the `none` driver). */
  logPath: string;
  /** Rotate the log before a record once it holds this many bytes; 0 or absent: never (docs/shim.md). */
  logMaxSize?: number;
  /** Log files kept, the current one included (1 when absent). */
  logMaxFile?: number;
  init: boolean;
  privileged: boolean;
  /** Interfaces kapald moves into the child's netns before SHIM_GO, for the child to configure. */
  interfaces?: InterfaceSpec[];
  /** The default route's gateway, if the container has one. */
  gateway?: string | undefined;
  /** Namespaced sysctls, written into the container's /proc/sys. */
  sysctls?: [string, string][];
  /** Stop after the file system is built and wait to be killed (docker cp on a stopped container). */
  hold?: boolean;
  /** tmpfs mounts (--tmpfs, --mount type=tmpfs), after the binds. */
  tmpfs?: { target: string; flags: string[]; data: string }[];
  /** What /sys/fs/cgroup shows inside: cgroup2, or one cgroup v1 mount per hierarchy. */
  cgroupMounts?: { type: 'cgroup' | 'cgroup2'; dir: string; data: string }[];
}

/** An interface inside the container: the veth peer named `name`, given `address`/`prefixLength`. */
export interface InterfaceSpec {
  name: string;
  address: string;
  prefixLength: number;
}

/**
 * `kapal-shim exec`: one more process in a running container. The shim joins the namespaces of
 * the container's pid 1 (checked to be the child of the container's shim) and its cgroups.
 */
export interface ExecSpec extends ProcessSpec {
  /** The container's pid 1 and its shim, as the host sees them. */
  joinPid: number;
  joinParent: number;
  /** The container's namespaces, as its ShimSpec lists them. */
  namespaces: NamespaceKind[];
  cgroups: string[];
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
  'log-max-size': 1,
  'log-max-file': 1,
  init: 1,
  privileged: 1,
  'uid-map': 3,
  'gid-map': 3,
  'join-pid': 1,
  'join-parent': 1,
  netif: 3,
  gateway: 1,
  'seccomp-bpf': 1,
  sysctl: 2,
  'cgroup-mount': 3,
  tmpfs: 3,
  hold: 1,
};

const flag = (b: boolean) => (b ? '1' : '0');

type AddRecord = (key: string, ...values: (string | number)[]) => void;

function encodeRecords(write: (add: AddRecord) => void): Buffer {
  const records: string[][] = [['version', '1']];
  write((key, ...values) => {
    if (values.length !== SPEC_ARITY[key]) throw new Error(`spec key ${key} takes ${SPEC_ARITY[key]} values`);
    for (const v of values) if (String(v).includes('\0')) throw new Error(`spec value for ${key} contains a NUL byte`);
    records.push([key, ...values.map(String)]);
  });
  return Buffer.from(records.flat().map((s) => `${s}\0`).join(''));
}

/** The records a container and an exec share: the process, its user and privileges, its stdio. */
function addProcess(add: AddRecord, spec: ProcessSpec): void {
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
  for (const r of spec.uidMap) add('uid-map', r.inside, r.outside, r.count);
  for (const r of spec.gidMap) add('gid-map', r.inside, r.outside, r.count);
  if (spec.seccomp) add('seccomp-bpf', seccompProgram(spec.seccomp).toString('hex'));
}

export function encodeExecSpec(spec: ExecSpec): Buffer {
  return encodeRecords((add) => {
    add('join-pid', spec.joinPid);
    add('join-parent', spec.joinParent);
    for (const ns of spec.namespaces) add('namespace', ns);
    for (const c of spec.cgroups) add('cgroup', c);
    addProcess(add, spec);
  });
}

export function encodeSpec(spec: ShimSpec): Buffer {
  return encodeRecords((add) => {
    add('rootfs', spec.rootfs);
    for (const l of spec.lowers) add('lower', l);
    add('upper', spec.upper);
    add('work', spec.work);
    add('readonly', flag(spec.readonlyRootfs));
    add('hostname', spec.hostname);
    for (const ns of spec.namespaces) add('namespace', ns);
    for (const c of spec.cgroups) add('cgroup', c);
    if (spec.memoryCgroup) add('memory-cgroup', spec.memoryCgroup);
    for (const b of spec.binds) add('bind', b.source, b.target, bindMode(b));
    add('shm-size', spec.shmSize);
    for (const p of spec.maskedPaths) add('masked', p);
    for (const p of spec.readonlyPaths) add('readonly-path', p);
    for (const d of spec.devices) add('device', d.path, d.type, d.major, d.minor, d.mode.toString(8), d.uid, d.gid);
    addProcess(add, spec);
    if (spec.logPath) {
      add('log', spec.logPath);
      add('log-max-size', spec.logMaxSize ?? 0);
      add('log-max-file', spec.logMaxFile ?? 1);
    }
    add('init', flag(spec.init));
    add('privileged', flag(spec.privileged));
    for (const [key, value] of spec.sysctls ?? []) add('sysctl', key, value);
    for (const m of spec.cgroupMounts ?? []) add('cgroup-mount', m.type, m.dir, m.data);
    for (const m of spec.tmpfs ?? []) add('tmpfs', m.target, m.flags.join(','), m.data);
    if (spec.hold) add('hold', '1');
    for (const i of spec.interfaces ?? []) add('netif', i.name, i.address, i.prefixLength);
    if (spec.gateway) add('gateway', spec.gateway);
  });
}

/** Writes an encoded spec atomically, so the shim never reads half of one. */
export function writeSpec(file: string, encoded: Buffer): void {
  writeFileSync(`${file}.tmp`, encoded, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

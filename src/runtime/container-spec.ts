// A container as the shim spec: namespaces, rootfs layers, docker's masked and read-only paths,
// default devices, capabilities, rlimits and the process environment. Pure data; the shim acts.

import { readFileSync } from 'node:fs';
import type { Container } from '../domain/container.js';
import { commandOf } from '../domain/container.js';
import { invalidArgument } from '../domain/errors.js';
import { logRotation } from '../domain/log-config.js';
import { containerCapabilities } from './capabilities.js';
import { hostDevices } from './host-devices.js';
import type { BindSpec, DeviceSpec, NamespaceKind, RlimitSpec, ShimSpec } from './shim/spec.js';
import type { UsernsRemap } from './userns.js';
import { containerSeccomp } from './seccomp/container-seccomp.js';
import { customDevices, type DeviceMapping } from './custom-devices.js';
import { containerSysctls } from './sysctls.js';

/** moby's defaults (oci/defaults.go): paths hidden from containers, and paths made read-only. */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const dev = (path: string, major: number, minor: number): DeviceSpec => ({ path, type: 'c', major, minor, mode: 0o666, uid: 0, gid: 0 });
export const DEFAULT_DEVICES: DeviceSpec[] = [
  dev('/dev/null', 1, 3), dev('/dev/zero', 1, 5), dev('/dev/full', 1, 7),
  dev('/dev/random', 1, 8), dev('/dev/urandom', 1, 9), dev('/dev/tty', 5, 0),
];

/** docker's defaults, then every other device of the host (--privileged). */
function privilegedDevices(): DeviceSpec[] {
  const defaults = new Set(DEFAULT_DEVICES.map((d) => d.path));
  return [...DEFAULT_DEVICES, ...hostDevices().filter((d) => !defaults.has(d.path))];
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * moby CreateDaemonEnvironment + ReplaceOrAppendEnvValues: a bare KEY unsets KEY. An exec passes
 * its own Env (applied last) and its own Tty, which decides TERM.
 */
export function processEnv(c: Pick<Container, 'config'>, exec?: { env: string[]; tty: boolean }): string[] {
  const env = new Map<string, string>([['PATH', DEFAULT_PATH], ['HOSTNAME', c.config.Hostname]]);
  if (exec ? exec.tty : c.config.Tty) env.set('TERM', 'xterm');
  for (const entry of [...c.config.Env, ...(exec?.env ?? [])]) {
    const eq = entry.indexOf('=');
    if (eq < 0) env.delete(entry);
    else env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/** The namespaces a container gets (and an exec joins): all but net with the host's network. */
export function namespacesOf(c: Pick<Container, 'hostConfig'>): NamespaceKind[] {
  const namespaces: NamespaceKind[] = ['pid', 'mnt', 'uts', 'ipc', 'cgroup'];
  if (c.hostConfig.NetworkMode !== 'host') namespaces.push('net');
  return namespaces;
}

const RLIMITS: Record<string, number> = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8, as: 9,
  locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14, rttime: 15,
};
const LIMIT_NAMES: Record<string, string> = {
  cpu: 'Max cpu time', fsize: 'Max file size', data: 'Max data size', stack: 'Max stack size', core: 'Max core file size',
  rss: 'Max resident set', nproc: 'Max processes', nofile: 'Max open files', memlock: 'Max locked memory', as: 'Max address space',
  locks: 'Max file locks', sigpending: 'Max pending signals', msgqueue: 'Max msgqueue size', nice: 'Max nice priority',
  rtprio: 'Max realtime priority', rttime: 'Max realtime timeout',
};

/** The host's hard limit for `name` (kapald has no CAP_SYS_RESOURCE on every machine), or Infinity. */
function hostHardLimit(name: string, limits: string): number {
  const line = limits.split('\n').find((l) => l.startsWith(LIMIT_NAMES[name]!));
  const hard = line?.slice(26).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? Infinity : Number(hard);
}

export function rlimitsOf(ulimits: Container['hostConfig']['Ulimits'], limits?: string): RlimitSpec[] {
  if (!ulimits?.length) return [];
  const host = limits ?? readFileSync('/proc/self/limits', 'utf8');
  return ulimits.map((u) => {
    const resource = RLIMITS[u.Name];
    if (resource === undefined) throw invalidArgument(`invalid ulimit type: ${u.Name}`);
    if (u.Soft > u.Hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    const hostHard = hostHardLimit(u.Name, host);
    const hard = u.Hard < 0 ? Infinity : u.Hard;
    if (hard > hostHard) {
      throw invalidArgument(`ulimit ${u.Name}: hard limit ${u.Hard} is above the host's hard limit ${hostHard}, which kapald cannot raise`);
    }
    return { resource, soft: u.Soft < 0 ? -1 : u.Soft, hard: u.Hard < 0 ? -1 : u.Hard };
  });
}

/** The container's capability numbers: docker's defaults with CapAdd/CapDrop, or all with Privileged. */
export function capabilitiesOf(c: Pick<Container, 'hostConfig'>, available: number[]): number[] {
  const hc = c.hostConfig;
  return containerCapabilities({ capAdd: hc.CapAdd, capDrop: hc.CapDrop, privileged: hc.Privileged, available });
}

/** `--security-opt no-new-privileges[=true|:true]`. */
export function noNewPrivileges(c: Pick<Container, 'hostConfig'>): boolean {
  return (c.hostConfig.SecurityOpt ?? []).some((o) => /^no-new-privileges(?:[:=]true)?$/.test(o));
}

/** In a user namespace a node cannot be made: the host's is bound in (at its container path). */
function deviceBind(d: DeviceSpec, custom: DeviceSpec[]): BindSpec {
  const source = custom.includes(d) ? hostPathOf(d) : d.path;
  return { source, target: d.path, readonly: false };
}

/** The host node of a --device entry: found again by major:minor under /dev. */
function hostPathOf(d: DeviceSpec): string {
  return hostDevices().find((h) => h.type === d.type && h.major === d.major && h.minor === d.minor)?.path ?? d.path;
}

export interface SpecInputs {
  /** Layer directories topmost first (overlayfs lowerdir order). */
  layers: string[];
  rootfs: string;
  upper: string;
  work: string;
  cgroups: string[];
  memoryCgroup: string | undefined;
  binds: BindSpec[];
  logPath: string;
  /** kapald's own bounding set: what the container can have at most. */
  availableCaps: number[];
  /** --userns-remap: the container runs in a user namespace with these maps. */
  userns?: UsernsRemap | undefined;
}

/** The json-file log and its rotation; no log at all with the `none` driver. */
function logSpec(c: Container, logPath: string): Pick<ShimSpec, 'logPath' | 'logMaxSize' | 'logMaxFile'> {
  const { maxSize, maxFile } = logRotation(c.hostConfig.LogConfig);
  return { logPath: c.hostConfig.LogConfig.Type === 'none' ? '' : logPath, logMaxSize: maxSize, logMaxFile: maxFile };
}

export function buildShimSpec(c: Container, io: SpecInputs): ShimSpec {
  const hc = c.hostConfig;
  const args = commandOf(c.config);
  const caps = capabilitiesOf(c, io.availableCaps);
  const custom = customDevices(hc.Devices as DeviceMapping[] | null | undefined);
  return {
    rootfs: io.rootfs,
    lowers: io.layers,
    upper: io.upper,
    work: io.work,
    readonlyRootfs: hc.ReadonlyRootfs,
    hostname: c.config.Hostname,
    namespaces: namespacesOf(c),
    cgroups: io.cgroups,
    memoryCgroup: io.memoryCgroup,
    binds: io.userns ? [...[...DEFAULT_DEVICES, ...custom.devices].map((d) => deviceBind(d, custom.devices)), ...io.binds] : io.binds,
    shmSize: hc.ShmSize,
    maskedPaths: hc.Privileged ? [] : ((hc.MaskedPaths as string[] | null) ?? MASKED_PATHS),
    readonlyPaths: hc.Privileged ? [] : ((hc.ReadonlyPaths as string[] | null) ?? READONLY_PATHS),
    // In a user namespace mknod is refused: the host's own nodes are bound in instead (as runc does).
    devices: io.userns ? [] : hc.Privileged ? privilegedDevices() : [...DEFAULT_DEVICES, ...custom.devices],
    env: processEnv(c),
    args,
    cwd: c.config.WorkingDir || '/',
    user: c.config.User,
    groupAdd: hc.GroupAdd ?? [],
    caps,
    noNewPrivileges: noNewPrivileges(c),
    rlimits: rlimitsOf(hc.Ulimits),
    seccomp: containerSeccomp(c, caps),
    sysctls: containerSysctls(hc.Sysctls as Record<string, string> | null | undefined, { hostNetwork: hc.NetworkMode === 'host' }),
    tty: c.config.Tty,
    stdin: c.config.OpenStdin,
    consoleSize: hc.ConsoleSize ?? [0, 0],
    ...logSpec(c, io.logPath),
    init: hc.Init === true,
    privileged: hc.Privileged,
    uidMap: io.userns?.uidMap ?? [],
    gidMap: io.userns?.gidMap ?? [],
  };
}

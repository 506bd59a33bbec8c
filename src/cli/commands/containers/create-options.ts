// The flags `kapal run` and `kapal create` share, and the POST /containers/create body they make,
// as the docker CLI builds it (-p into ExposedPorts and PortBindings, -v into Binds or, for an
// anonymous volume, Config.Volumes, --mount into Mounts, sizes like 512m into bytes, ...).

import { readFileSync } from 'node:fs';
import type { FlagSpec, FlagValues } from '../../flags.js';
import { bool, int, list, str } from '../../flags.js';
import { UsageError } from '../../output.js';

export const CREATE_FLAGS: FlagSpec = {
  'add-host': { arg: 'list', multi: true, help: 'Add a custom host-to-IP mapping (host:ip)' },
  attach: { short: 'a', arg: 'list', multi: true, help: 'Attach to STDIN, STDOUT or STDERR' },
  'blkio-weight': { arg: 'uint16', help: 'Block IO (relative weight), between 10 and 1000, or 0 to disable' },
  'cap-add': { arg: 'list', multi: true, help: 'Add Linux capabilities' },
  'cap-drop': { arg: 'list', multi: true, help: 'Drop Linux capabilities' },
  'cgroup-parent': { arg: 'string', help: 'Optional parent cgroup for the container' },
  cidfile: { arg: 'string', help: 'Write the container ID to the file' },
  'cpu-period': { arg: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  'cpu-quota': { arg: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  'cpu-shares': { short: 'c', arg: 'int', help: 'CPU shares (relative weight)' },
  cpus: { arg: 'decimal', help: 'Number of CPUs' },
  'cpuset-cpus': { arg: 'string', help: 'CPUs in which to allow execution (0-3, 0,1)' },
  'cpuset-mems': { arg: 'string', help: 'MEMs in which to allow execution (0-3, 0,1)' },
  device: { arg: 'list', multi: true, help: 'Add a host device to the container' },
  'device-cgroup-rule': { arg: 'list', multi: true, help: 'Add a rule to the cgroup allowed devices list' },
  dns: { arg: 'list', multi: true, help: 'Set custom DNS servers' },
  entrypoint: { arg: 'string', help: 'Overwrite the default ENTRYPOINT of the image' },
  env: { short: 'e', arg: 'list', multi: true, help: 'Set environment variables' },
  'env-file': { arg: 'list', multi: true, help: 'Read in a file of environment variables' },
  expose: { arg: 'list', multi: true, help: 'Expose a port or a range of ports' },
  'group-add': { arg: 'list', multi: true, help: 'Add additional groups to join' },
  hostname: { short: 'h', arg: 'string', help: 'Container host name' },
  init: { help: 'Run an init inside the container that forwards signals and reaps processes' },
  interactive: { short: 'i', help: 'Keep STDIN open even if not attached' },
  ip: { arg: 'string', help: 'IPv4 address (e.g., 172.30.100.104)' },
  label: { short: 'l', arg: 'list', multi: true, help: 'Set meta data on a container' },
  'label-file': { arg: 'list', multi: true, help: 'Read in a line delimited file of labels' },
  'log-driver': { arg: 'string', help: 'Logging driver for the container' },
  'log-opt': { arg: 'list', multi: true, help: 'Log driver options' },
  memory: { short: 'm', arg: 'bytes', help: 'Memory limit' },
  'memory-reservation': { arg: 'bytes', help: 'Memory soft limit' },
  'memory-swap': { arg: 'bytes', help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  mount: { arg: 'mount', multi: true, help: 'Attach a filesystem mount to the container' },
  name: { arg: 'string', help: 'Assign a name to the container' },
  network: { arg: 'network', help: 'Connect a container to a network' },
  'network-alias': { arg: 'list', multi: true, help: 'Add network-scoped alias for the container' },
  'oom-kill-disable': { help: 'Disable OOM Killer' },
  'pids-limit': { arg: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
  privileged: { help: 'Give extended privileges to this container' },
  publish: { short: 'p', arg: 'list', multi: true, help: "Publish a container's port(s) to the host" },
  'publish-all': { short: 'P', help: 'Publish all exposed ports to random ports' },
  pull: { arg: 'string', help: 'Pull image before running ("always", "missing", "never")', default: '"missing"' },
  quiet: { short: 'q', help: 'Suppress the pull output' },
  'read-only': { help: "Mount the container's root filesystem as read only" },
  restart: { arg: 'string', help: 'Restart policy to apply when a container exits', default: '"no"' },
  rm: { help: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  'security-opt': { arg: 'list', multi: true, help: 'Security Options' },
  'shm-size': { arg: 'bytes', help: 'Size of /dev/shm' },
  'stop-signal': { arg: 'string', help: 'Signal to stop the container' },
  'stop-timeout': { arg: 'int', help: 'Timeout (in seconds) to stop a container' },
  sysctl: { arg: 'map', multi: true, help: 'Sysctl options' },
  tmpfs: { arg: 'list', multi: true, help: 'Mount a tmpfs directory' },
  tty: { short: 't', help: 'Allocate a pseudo-TTY' },
  ulimit: { arg: 'ulimit', multi: true, help: 'Ulimit options' },
  user: { short: 'u', arg: 'string', help: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  userns: { arg: 'string', help: 'User namespace to use' },
  volume: { short: 'v', arg: 'list', multi: true, help: 'Bind mount a volume' },
  workdir: { short: 'w', arg: 'string', help: 'Working directory inside the container' },
};

/** go-units' RAMInBytes: 512m, 1g, 100k, 1.5GB, a plain number of bytes. */
export function ramInBytes(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: invalid size: '${text}'`);
  const scale = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[m[2]!.toLowerCase() as 'k'];
  return Math.round(Number(m[1]) * scale);
}

/** `-e KEY=VALUE`, or `-e KEY` for KEY's value in this environment (left out when unset). */
function envList(flags: FlagValues): string[] {
  const out: string[] = [];
  for (const file of list(flags, 'env-file')) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const l = line.replace(/^\s+/, '');
      if (l === '' || l.startsWith('#')) continue;
      out.push(...envEntry(l.replace(/\r$/, '')));
    }
  }
  for (const e of list(flags, 'env')) out.push(...envEntry(e));
  return out;
}

function envEntry(e: string): string[] {
  if (e.includes('=')) return [e];
  const v = process.env[e];
  return v === undefined ? [] : [`${e}=${v}`];
}

function labels(flags: FlagValues): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (l: string) => {
    const eq = l.indexOf('=');
    out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  };
  for (const file of list(flags, 'label-file')) for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim() && !line.trim().startsWith('#')) add(line.trim());
  for (const l of list(flags, 'label')) add(l);
  return out;
}

/** `-p [ip:][hostPort:]containerPort[/proto]`, ranges included, as docker's nat.ParsePortSpec. */
export function publishSpecs(specs: string[]): { exposed: Record<string, object>; bindings: Record<string, { HostIp: string; HostPort: string }[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const spec of specs) {
    const [main, proto = 'tcp'] = spec.split('/') as [string, string?];
    const parts = main.startsWith('[') ? (/^\[([^\]]+)\]:(.*)$/.exec(main) ?? []).slice(1) : main.split(':');
    let ip = '';
    let host = '';
    let container: string;
    if (parts.length === 1) container = parts[0]!;
    else if (parts.length === 2) [host, container] = parts as [string, string];
    else if (parts.length === 3) [ip, host, container] = parts as [string, string, string];
    else throw new UsageError(`invalid argument "${spec}" for "-p, --publish" flag: invalid proto: ${spec}`);
    const range = (text: string): [number, number] => {
      const m = /^(\d+)(?:-(\d+))?$/.exec(text);
      if (!m) throw new UsageError(`invalid argument "${spec}" for "-p, --publish" flag: invalid containerPort: ${text}`);
      return [Number(m[1]), Number(m[2] ?? m[1])];
    };
    const [c0, c1] = range(container!);
    const hostRange = host ? range(host) : undefined;
    for (let p = c0; p <= c1; p++) {
      const key = `${p}/${proto}`;
      exposed[key] = {};
      const hostPort = hostRange ? (hostRange[1] > hostRange[0] && c1 > c0 ? String(hostRange[0] + p - c0) : hostRange[0] === hostRange[1] ? String(hostRange[0]) : `${hostRange[0]}-${hostRange[1]}`) : '';
      (bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
    }
  }
  return { exposed, bindings };
}

/** `--mount type=bind,source=/a,target=/b,readonly,...` as the docker CLI sends it. */
export function mountSpec(spec: string): Record<string, unknown> {
  const m: Record<string, unknown> = { Type: 'volume' };
  const bind: Record<string, unknown> = {};
  const volume: Record<string, unknown> = {};
  const tmpfs: Record<string, unknown> = {};
  const driverOpts: Record<string, string> = {};
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const yes = value === undefined || value === 'true' || value === '1';
    switch (key) {
      case 'type': m.Type = value; break;
      case 'source': case 'src': m.Source = value; break;
      case 'target': case 'destination': case 'dst': m.Target = value; break;
      case 'readonly': case 'ro': m.ReadOnly = yes; break;
      case 'bind-propagation': bind.Propagation = value; break;
      case 'bind-create-mountpoint': bind.CreateMountpoint = yes; break;
      case 'volume-nocopy': volume.NoCopy = yes; break;
      case 'volume-subpath': volume.Subpath = value; break;
      case 'volume-driver': volume.DriverConfig = { Name: value }; break;
      case 'volume-opt': {
        const i = (value ?? '').indexOf('=');
        driverOpts[(value ?? '').slice(0, i)] = (value ?? '').slice(i + 1);
        break;
      }
      case 'tmpfs-size': tmpfs.SizeBytes = ramInBytes(value ?? '', 'mount'); break;
      case 'tmpfs-mode': tmpfs.Mode = parseInt(value ?? '', 8); break;
      default: throw new UsageError(`invalid argument "${spec}" for "--mount" flag: unexpected key '${key}' in '${field}'`);
    }
  }
  if (Object.keys(bind).length) m.BindOptions = bind;
  if (Object.keys(driverOpts).length) volume.DriverConfig = { ...(volume.DriverConfig as object), Options: driverOpts };
  if (Object.keys(volume).length) m.VolumeOptions = volume;
  if (Object.keys(tmpfs).length) m.TmpfsOptions = tmpfs;
  return m;
}

function restartPolicy(text: string | undefined): { Name: string; MaximumRetryCount?: number } | undefined {
  if (text === undefined) return undefined;
  const [name, count] = text.split(':') as [string, string?];
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) throw new UsageError(`invalid restart policy: ${text}`);
  return count === undefined ? { Name: name } : { Name: name, MaximumRetryCount: Number(count) };
}

function ulimits(specs: string[]): { Name: string; Soft: number; Hard: number }[] {
  return specs.map((u) => {
    const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(u);
    if (!m) throw new UsageError(`invalid argument "${u}" for "--ulimit" flag: invalid ulimit argument: ${u}`);
    return { Name: m[1]!, Soft: Number(m[2]), Hard: Number(m[3] ?? m[2]) };
  });
}

function devices(specs: string[]): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] {
  return specs.map((d) => {
    const [host, inside, perms] = d.split(':') as [string, string?, string?];
    if (inside && /^[rwm]+$/.test(inside) && perms === undefined) return { PathOnHost: host, PathInContainer: host, CgroupPermissions: inside };
    return { PathOnHost: host, PathInContainer: inside ?? host, CgroupPermissions: perms ?? 'rwm' };
  });
}

export interface CreateRequest {
  name: string | undefined;
  body: Record<string, unknown>;
}

/** The create request for IMAGE and its command, from run's or create's flags. */
export function createRequest(flags: FlagValues, image: string, cmd: string[], opts: { detach: boolean }): CreateRequest {
  const tty = bool(flags, 'tty');
  const interactive = bool(flags, 'interactive');
  const attach = list(flags, 'attach').map((a) => a.toLowerCase());
  const attachAll = !opts.detach && attach.length === 0;
  const volumes: Record<string, object> = {};
  const binds: string[] = [];
  for (const v of list(flags, 'volume')) {
    if (v.split(':').length === 1) volumes[v] = {};
    else binds.push(v);
  }
  const ports = publishSpecs(list(flags, 'publish'));
  for (const e of list(flags, 'expose')) ports.exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  const tmpfs: Record<string, string> = {};
  for (const t of list(flags, 'tmpfs')) {
    const i = t.indexOf(':');
    tmpfs[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
  }
  const sysctls: Record<string, string> = {};
  for (const s of list(flags, 'sysctl')) {
    const i = s.indexOf('=');
    if (i < 0) throw new UsageError(`invalid argument "${s}" for "--sysctl" flag: sysctl '${s}' is not allowed`);
    sysctls[s.slice(0, i)] = s.slice(i + 1);
  }
  const logOpts: Record<string, string> = {};
  for (const o of list(flags, 'log-opt')) {
    const i = o.indexOf('=');
    logOpts[o.slice(0, i)] = o.slice(i + 1);
  }
  const memory = str(flags, 'memory');
  const swap = str(flags, 'memory-swap');
  const cpus = str(flags, 'cpus');
  const entrypoint = str(flags, 'entrypoint');
  const network = str(flags, 'network');
  const endpoint: Record<string, unknown> = {};
  if (list(flags, 'network-alias').length) endpoint.Aliases = list(flags, 'network-alias');
  if (str(flags, 'ip')) endpoint.IPAMConfig = { IPv4Address: str(flags, 'ip') };
  const shm = str(flags, 'shm-size');
  const reservation = str(flags, 'memory-reservation');
  const hostConfig: Record<string, unknown> = {
    Binds: binds.length ? binds : null,
    Mounts: list(flags, 'mount').length ? list(flags, 'mount').map(mountSpec) : undefined,
    Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    PortBindings: ports.bindings,
    PublishAllPorts: bool(flags, 'publish-all'),
    NetworkMode: network ?? 'default',
    RestartPolicy: restartPolicy(str(flags, 'restart')) ?? { Name: 'no' },
    AutoRemove: bool(flags, 'rm'),
    Privileged: bool(flags, 'privileged'),
    ReadonlyRootfs: bool(flags, 'read-only'),
    CapAdd: list(flags, 'cap-add').length ? list(flags, 'cap-add') : null,
    CapDrop: list(flags, 'cap-drop').length ? list(flags, 'cap-drop') : null,
    SecurityOpt: list(flags, 'security-opt').length ? list(flags, 'security-opt') : null,
    Init: bool(flags, 'init') ? true : null,
    Memory: memory ? ramInBytes(memory, 'memory') : 0,
    MemorySwap: swap ? (swap === '-1' ? -1 : ramInBytes(swap, 'memory-swap')) : 0,
    MemoryReservation: reservation ? ramInBytes(reservation, 'memory-reservation') : 0,
    NanoCpus: cpus ? Math.round(Number(cpus) * 1e9) : 0,
    CpuShares: int(flags, 'cpu-shares', 0),
    CpuPeriod: int(flags, 'cpu-period', 0),
    CpuQuota: int(flags, 'cpu-quota', 0),
    CpusetCpus: str(flags, 'cpuset-cpus') ?? '',
    CpusetMems: str(flags, 'cpuset-mems') ?? '',
    BlkioWeight: int(flags, 'blkio-weight', 0),
    PidsLimit: int(flags, 'pids-limit'),
    OomKillDisable: bool(flags, 'oom-kill-disable'),
    Ulimits: list(flags, 'ulimit').length ? ulimits(list(flags, 'ulimit')) : null,
    Devices: devices(list(flags, 'device')),
    DeviceCgroupRules: list(flags, 'device-cgroup-rule').length ? list(flags, 'device-cgroup-rule') : null,
    Dns: list(flags, 'dns'),
    ExtraHosts: list(flags, 'add-host').length ? list(flags, 'add-host') : null,
    GroupAdd: list(flags, 'group-add').length ? list(flags, 'group-add') : null,
    Sysctls: Object.keys(sysctls).length ? sysctls : undefined,
    ShmSize: shm ? ramInBytes(shm, 'shm-size') : undefined,
    LogConfig: { Type: str(flags, 'log-driver') ?? '', Config: logOpts },
    UsernsMode: str(flags, 'userns') ?? '',
    CgroupParent: str(flags, 'cgroup-parent') ?? '',
    // The terminal's size from the start, as the docker CLI sends it, so the first read of it inside is right.
    ConsoleSize: tty && process.stdout.isTTY ? [process.stdout.rows, process.stdout.columns] : undefined,
  };
  const config: Record<string, unknown> = {
    Image: image,
    Cmd: cmd.length ? cmd : null,
    Entrypoint: entrypoint === undefined ? undefined : entrypoint === '' ? [''] : [entrypoint],
    Env: envList(flags),
    Labels: labels(flags),
    Hostname: str(flags, 'hostname') ?? '',
    User: str(flags, 'user') ?? '',
    WorkingDir: str(flags, 'workdir') ?? '',
    Tty: tty,
    OpenStdin: interactive,
    StdinOnce: interactive && !opts.detach,
    AttachStdin: interactive && (attachAll || attach.includes('stdin')),
    AttachStdout: attachAll || attach.includes('stdout'),
    AttachStderr: attachAll || attach.includes('stderr'),
    ExposedPorts: ports.exposed,
    Volumes: Object.keys(volumes).length ? volumes : undefined,
    StopSignal: str(flags, 'stop-signal'),
    StopTimeout: int(flags, 'stop-timeout'),
    HostConfig: hostConfig,
    NetworkingConfig: network && Object.keys(endpoint).length ? { EndpointsConfig: { [network]: endpoint } } : undefined,
  };
  return { name: str(flags, 'name'), body: JSON.parse(JSON.stringify(config)) as Record<string, unknown> };
}

// How a create request and the image's config become the container's Config and HostConfig:
// moby's merge (daemon/commit.go merge, daemon/create.go), then docker's defaults, so inspect
// shows a fully populated HostConfig whatever the client sent.

import type { ContainerConfig, HostConfig } from '../domain/container.js';
import type { ContainerDefaults } from '../domain/image.js';
import { restartPolicyError } from '../domain/restart-policy.js';
import { invalidArgument } from '../domain/errors.js';
import { effectiveLogConfig, type LogConfig } from '../domain/log-config.js';

export interface CreateRequest {
  Image: string;
  Hostname?: string | undefined;
  Domainname?: string | undefined;
  User?: string | undefined;
  AttachStdin?: boolean | undefined;
  AttachStdout?: boolean | undefined;
  AttachStderr?: boolean | undefined;
  Tty?: boolean | undefined;
  OpenStdin?: boolean | undefined;
  StdinOnce?: boolean | undefined;
  Env?: string[] | null | undefined;
  Cmd?: string[] | string | null | undefined;
  Entrypoint?: string[] | string | null | undefined;
  WorkingDir?: string | undefined;
  Labels?: Record<string, string> | null | undefined;
  ExposedPorts?: Record<string, object> | null | undefined;
  Volumes?: Record<string, object> | null | undefined;
  StopSignal?: string | undefined;
  StopTimeout?: number | null | undefined;
  HostConfig?: Record<string, unknown> | null | undefined;
  NetworkingConfig?: { EndpointsConfig?: Record<string, object> | null | undefined } | null | undefined;
  [key: string]: unknown;
}

/** A shell-form string is a one-element list, as moby's strslice decodes it. */
const asList = (v: string[] | string | null | undefined): string[] | null | undefined => (typeof v === 'string' ? [v] : v);

const envKey = (entry: string): string => {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
};

export function mergeEnv(requested: string[], image: string[]): string[] {
  if (requested.length === 0) return [...image];
  const keys = new Set(requested.map(envKey));
  return [...requested, ...image.filter((e) => !keys.has(envKey(e)))];
}

export function mergeConfig(req: CreateRequest, image: ContainerDefaults): ContainerConfig {
  let entrypoint = asList(req.Entrypoint);
  let cmd = asList(req.Cmd);
  if (!entrypoint || entrypoint.length === 0) {
    if (!cmd || cmd.length === 0) cmd = image.Cmd ?? null;
    if (entrypoint == null) entrypoint = image.Entrypoint ?? null;
  }
  if (entrypoint && entrypoint.length === 1 && entrypoint[0] === '') entrypoint = null;
  if ((!entrypoint || entrypoint.length === 0) && (!cmd || cmd.length === 0)) throw invalidArgument('no command specified');

  const union = <T>(a: Record<string, T> | null | undefined, b: Record<string, T> | null | undefined) =>
    a && Object.keys(a).length > 0 ? { ...(b ?? {}), ...a } : b ?? undefined;

  const config: ContainerConfig = {
    Hostname: req.Hostname ?? '',
    Domainname: req.Domainname ?? '',
    User: req.User || image.User || '',
    AttachStdin: req.AttachStdin ?? false,
    AttachStdout: req.AttachStdout ?? false,
    AttachStderr: req.AttachStderr ?? false,
    Tty: req.Tty ?? false,
    OpenStdin: req.OpenStdin ?? false,
    StdinOnce: req.StdinOnce ?? false,
    Env: mergeEnv(req.Env ?? [], image.Env ?? []),
    Cmd: cmd ?? null,
    Image: req.Image,
    Volumes: union(req.Volumes, image.Volumes) ?? null,
    WorkingDir: req.WorkingDir || image.WorkingDir || '',
    Entrypoint: entrypoint ?? null,
    OnBuild: null,
    Labels: { ...(image.Labels ?? {}), ...(req.Labels ?? {}) },
  };
  const exposed = union(req.ExposedPorts, image.ExposedPorts);
  if (exposed) config.ExposedPorts = exposed;
  const stopSignal = req.StopSignal || image.StopSignal;
  if (stopSignal) config.StopSignal = stopSignal;
  if (typeof req.StopTimeout === 'number') config.StopTimeout = req.StopTimeout;
  return config;
}

/** moby's HostConfig defaults, as `docker inspect` shows them for a plain `docker create`. */
function hostConfigDefaults(): HostConfig {
  return {
    Binds: null,
    ContainerIDFile: '',
    LogConfig: { Type: 'json-file', Config: {} },
    NetworkMode: 'bridge',
    PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: 'private',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: 'private',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    UTSMode: '',
    UsernsMode: '',
    ShmSize: 67108864,
    Runtime: 'kapal-shim',
    Isolation: '',
    CpuShares: 0,
    Memory: 0,
    NanoCpus: 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: 0,
    MemorySwappiness: null,
    OomKillDisable: null,
    PidsLimit: null,
    Ulimits: [],
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
  };
}

const isUnset = (v: unknown): boolean => v === undefined || v === null || v === '';

/**
 * The request's HostConfig over docker's defaults. Empty strings and zero sizes mean "default",
 * as they do for dockerd (LogConfig.Type "", ShmSize 0, NetworkMode "default"). `logDefaults` is
 * kapald's log-driver and log-opts; `defaultPidsLimit` its default-pids-limit, which a request
 * without PidsLimit gets, written into HostConfig as dockerd writes its default-shm-size, so
 * inspect shows the limit that applies (0 or -1 asked for explicitly still means none).
 */
export function completeHostConfig(
  requested: Record<string, unknown> | null | undefined,
  logDefaults: LogConfig = { Type: 'json-file', Config: {} },
  defaultPidsLimit = 0,
): HostConfig {
  const out = hostConfigDefaults();
  for (const [key, value] of Object.entries(requested ?? {})) {
    if (isUnset(value)) continue;
    (out as Record<string, unknown>)[key] = value;
  }
  out.LogConfig = effectiveLogConfig(requested?.LogConfig as { Type?: string; Config?: Record<string, string> | null } | undefined, logDefaults);
  if (!requested?.ShmSize) out.ShmSize = 67108864;
  if (out.MemorySwappiness === -1) out.MemorySwappiness = null;
  if (typeof out.PidsLimit === 'number' && out.PidsLimit <= 0) out.PidsLimit = null; // moby: 0 and -1 are none
  else if (isUnset(requested?.PidsLimit) && defaultPidsLimit > 0) out.PidsLimit = defaultPidsLimit;
  const rp = (requested?.RestartPolicy ?? {}) as { Name?: string; MaximumRetryCount?: number };
  out.RestartPolicy = { Name: rp.Name || 'no', MaximumRetryCount: rp.MaximumRetryCount ?? 0 };
  const policyError = restartPolicyError(out.RestartPolicy);
  if (policyError) throw invalidArgument(policyError);
  if (out.AutoRemove && out.RestartPolicy.Name !== 'no') throw invalidArgument('can\'t create \'AutoRemove\' container with restart policy');
  return out;
}

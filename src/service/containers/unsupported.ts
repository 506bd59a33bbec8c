// Settings kapal accepts in a create request but cannot honour yet. Where ignoring one would lose
// data or weaken isolation silently (binds, shared namespaces) the request is refused; where docker
// itself would run on with a warning (limits the kernel lacks, for one) kapal warns, and the
// docker CLI prints each warning before the container runs.

import type { ContainerConfig, HostConfig } from '../../domain/container.js';
import { invalidArgument } from '../../domain/errors.js';

const nonEmpty = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== '' && v !== false && v !== 0 && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** Refused: running without them would put data or isolation somewhere the user does not expect. */
const REFUSED: [keyof HostConfig | string, string][] = [
  ['VolumesFrom', '--volumes-from is not supported by kapal yet'],
  ['Links', 'links (--link) are not supported by kapal'],
];

const SHARED_NAMESPACES: [keyof HostConfig | string, string, string[]][] = [
  ['PidMode', '--pid', ['', 'private']],
  ['IpcMode', '--ipc', ['', 'private', 'shareable', 'none']],
  ['UTSMode', '--uts', ['', 'private']],
  ['UsernsMode', '--userns', ['', 'host']],
  ['CgroupnsMode', '--cgroupns', ['', 'private']],
];

/** Accepted with a warning: the container runs, without this. */
const WARNED: [string[], string][] = [
  [['KernelMemory'], 'kernel memory limits are not supported: limitation discarded'],
  [['CpuRealtimePeriod', 'CpuRealtimeRuntime'], 'CPU real-time scheduling limits are not applied yet: limitation discarded'],
  [['BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps'], 'per-device block IO limits are not applied yet: limitation discarded'],
  [['DeviceRequests'], 'device requests (--gpus) are not supported: request discarded'],
  [['ExtraHosts'], 'extra hosts (--add-host) are not written to /etc/hosts yet'],
  [['Dns', 'DnsOptions', 'DnsSearch'], 'DNS settings are not written to /etc/resolv.conf yet'],
];

export function unsupportedSettings(config: ContainerConfig, hc: HostConfig): string[] {
  const h = hc as Record<string, unknown>;
  for (const [key, message] of REFUSED) if (nonEmpty(h[key])) throw invalidArgument(message);
  for (const [key, flag, allowed] of SHARED_NAMESPACES) {
    const value = typeof h[key] === 'string' ? (h[key] as string) : '';
    if (!allowed.includes(value)) throw invalidArgument(`${flag}=${value} is not supported by kapal yet`);
  }
  const warnings: string[] = [];
  for (const [keys, message] of WARNED) if (keys.some((k) => nonEmpty(h[k]))) warnings.push(message);
  const securityOpt = (hc.SecurityOpt ?? []).filter((o) => !/^no-new-privileges(?:[:=]true)?$/.test(o) && !/^seccomp[=:]/.test(o));
  if (securityOpt.length > 0) warnings.push(`security options ${securityOpt.join(', ')} are not applied yet`);
  return warnings;
}

// Containers in the shapes of Docker's API: the list summary (docker ps), inspect, and moby's
// human Status strings ("Up 5 seconds", "Exited (0) 2 minutes ago").

import type { Container } from '../../domain/container.js';
import { ZERO_TIME, commandOf } from '../../domain/container.js';
import type { PublishedPort } from '../../domain/network.js';
import type { EndpointView } from '../../service/networks/endpoints.js';
import { networkSettings, networksMap, summaryPorts } from './network.js';

/** moby's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/** moby container/state.go String(). */
export function statusText(c: Container, now = Date.now()): string {
  const s = c.state;
  switch (s.status) {
    case 'running':
      return `Up ${humanDuration(now - Date.parse(s.startedAt ?? ''))}`;
    case 'paused':
      return `Up ${humanDuration(now - Date.parse(s.startedAt ?? ''))} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt ?? ''))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      return s.finishedAt ? `Exited (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago` : `Exited (${s.exitCode})`;
  }
}

/** A container's endpoints and published ports, for the presenters. */
export interface ContainerNetworking {
  views: EndpointView[];
  ports: PublishedPort[];
  /** docker's MountPoint list (inspect's Mounts; ps shows the same). */
  mounts?: object[];
}

export function containerSummary(c: Container, image: string, net: ContainerNetworking, sizes?: { rw: number; rootFs: number }) {
  const cmd = commandOf(c.config);
  return {
    Id: c.id,
    Names: [c.name],
    Image: image,
    ImageID: c.imageId,
    // moby's words: an argument with a space in single quotes, nothing escaped.
    Command: cmd.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' '),
    Created: Math.floor(Date.parse(c.createdAt) / 1000),
    Ports: summaryPorts(c, net.ports),
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Labels: c.config.Labels,
    State: c.state.status,
    Status: statusText(c),
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode },
    NetworkSettings: { Networks: networksMap(c, net.views) },
    Mounts: net.mounts ?? [],
  };
}

export interface InspectPaths {
  logPath: string;
  resolvConf: string;
  hostname: string;
  hosts: string;
  upper: string;
  work: string;
  merged: string;
  lowerDirs: string[];
}

export function containerInspect(c: Container, paths: InspectPaths, net: ContainerNetworking, sizes?: { rw: number; rootFs: number }, execIds: string[] | null = null) {
  const [path = '', ...args] = commandOf(c.config);
  const s = c.state;
  const hostNetwork = c.hostConfig.NetworkMode === 'host';
  return {
    Id: c.id,
    Created: c.createdAt,
    Path: path,
    Args: args,
    State: {
      Status: s.status,
      Running: s.status === 'running' || s.status === 'paused' || s.status === 'restarting',
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt ?? ZERO_TIME,
      FinishedAt: s.finishedAt ?? ZERO_TIME,
    },
    Image: c.imageId,
    ResolvConfPath: hostNetwork ? '/etc/resolv.conf' : paths.resolvConf,
    HostnamePath: hostNetwork ? '/etc/hostname' : paths.hostname,
    HostsPath: hostNetwork ? '/etc/hosts' : paths.hosts,
    LogPath: paths.logPath,
    Name: c.name,
    RestartCount: c.restartCount,
    Driver: 'overlayfs',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds,
    HostConfig: c.hostConfig,
    GraphDriver: {
      Data: { LowerDir: paths.lowerDirs.join(':'), MergedDir: paths.merged, UpperDir: paths.upper, WorkDir: paths.work },
      Name: 'overlayfs',
    },
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Mounts: net.mounts ?? [],
    Config: c.config,
    NetworkSettings: networkSettings(c, net.views, net.ports),
  };
}

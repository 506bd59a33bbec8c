// Containers in the shapes of Docker's API: the list summary (docker ps), inspect, and moby's
// human Status strings ("Up 5 seconds", "Exited (0) 2 minutes ago").

import type { Container } from '../../domain/container.js';
import { ZERO_TIME, commandOf } from '../../domain/container.js';
import type { PublishedPort } from '../../domain/network.js';
import type { EndpointView } from '../../service/networks/endpoints.js';
import { networkSettings, networksMap, summaryPorts } from './network.js';
import { humanDuration } from '../../domain/human-duration.js';

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

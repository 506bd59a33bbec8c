// /_ping, /version and /info: what the daemon says about itself.

import { API_VERSION, MIN_API_VERSION } from '../domain/api-version.js';
import type { DaemonConfig } from '../daemon/config.js';
import type { BuildInfo } from '../daemon/build-info.js';
import { readFileSync } from 'node:fs';
import type { HostFacts } from '../runtime/host-facts.js';
import type { EngineStore } from '../store/engine-store.js';

function ipForwarding(): boolean {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

export interface SystemDeps {
  /** The controllers containers' limits can use on this host. */
  cgroupFeatures: () => { memory: boolean; swap: boolean; cpu: boolean; cpuset: boolean; pids: boolean; oomKillDisable: boolean };
  config: DaemonConfig;
  host: HostFacts;
  build: BuildInfo;
  engine: EngineStore;
  /** Counts from the stores that own containers and images, as they are added. */
  counts: () => { containers: { running: number; paused: number; stopped: number }; images: number; eventListeners?: number };
}

export class SystemService {
  constructor(private readonly deps: SystemDeps) {}

  version() {
    const { build, host } = this.deps;
    const details = {
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: build.gitCommit,
      Os: 'linux',
      Arch: host.goArch,
      KernelVersion: host.kernelVersion,
      BuildTime: build.buildTime,
      Experimental: 'false',
    };
    return {
      Platform: { Name: `kapal ${build.version}` },
      Components: [
        { Name: 'Engine', Version: build.version, Details: details },
        { Name: 'Node.js', Version: process.versions.node, Details: {} },
      ],
      Version: build.version,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: build.gitCommit,
      Os: 'linux',
      Arch: host.goArch,
      KernelVersion: host.kernelVersion,
      BuildTime: build.buildTime,
    };
  }

  info() {
    const { config, host, build, engine } = this.deps;
    const { containers, images, eventListeners } = this.deps.counts();
    const features = this.deps.cgroupFeatures();
    const insecure = ['127.0.0.0/8', ...config.insecureRegistries.filter((r) => r.includes('/'))];
    return {
      ID: engine.id(),
      Containers: containers.running + containers.paused + containers.stopped,
      ContainersRunning: containers.running,
      ContainersPaused: containers.paused,
      ContainersStopped: containers.stopped,
      Images: images,
      Driver: 'overlayfs',
      DriverStatus: [] as [string, string][],
      DockerRootDir: config.dataRoot,
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file', 'none'] },
      // What this host's cgroups let kapal apply (docker info warns about each false one).
      MemoryLimit: features.memory,
      SwapLimit: features.swap,
      CpuCfsPeriod: features.cpu,
      CpuCfsQuota: features.cpu,
      CPUShares: features.cpu,
      CPUSet: features.cpuset,
      PidsLimit: features.pids,
      OomKillDisable: features.oomKillDisable,
      IPv4Forwarding: ipForwarding(),
      Debug: config.debug,
      NFd: 0,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: config.logDriver,
      CgroupDriver: 'cgroupfs',
      CgroupVersion: host.cgroupVersion,
      NEventsListener: eventListeners ?? 0,
      KernelVersion: host.kernelVersion,
      OperatingSystem: host.operatingSystem,
      OSVersion: host.osVersion,
      OSType: 'linux',
      Architecture: host.machine,
      NCPU: host.ncpu,
      MemTotal: host.memTotal,
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        InsecureRegistryCIDRs: insecure,
        IndexConfigs: {},
        Mirrors: config.registryMirrors,
      },
      GenericResources: null,
      HttpProxy: maskProxyCredentials(process.env.HTTP_PROXY ?? process.env.http_proxy ?? ''),
      HttpsProxy: maskProxyCredentials(process.env.HTTPS_PROXY ?? process.env.https_proxy ?? ''),
      NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
      Name: host.hostname,
      Labels: config.labels,
      ExperimentalBuild: false,
      ServerVersion: build.version,
      Runtimes: { 'kapal-shim': { path: 'kapal-shim' } },
      DefaultRuntime: 'kapal-shim',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: config.liveRestore,
      Isolation: '',
      InitBinary: '',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=builtin', ...(config.usernsRemap ? ['name=userns'] : [])],
      Warnings: [] as string[],
    };
  }
}

/** As moby does: a proxy URL's user and password never leave the daemon. */
export function maskProxyCredentials(proxy: string): string {
  try {
    const url = new URL(proxy);
    if (!url.username && !url.password) return proxy;
    url.username = url.username ? 'xxxxx' : '';
    url.password = url.password ? 'xxxxx' : '';
    return url.toString();
  } catch {
    return proxy;
  }
}

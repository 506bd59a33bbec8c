// Reading containers: moby's lookup (full ID, name, unique prefix), docker ps with its filters,
// sizes, and the host paths inspect reports. ContainerService adds the lifecycle on top.

import type { Container } from '../../domain/container.js';
import { isRunning } from '../../domain/container-lifecycle.js';
import { invalidArgument, notFound } from '../../domain/errors.js';
import type { LogConfig } from '../../domain/log-config.js';
import type { ContainerRuntime } from '../../runtime/container-runtime.js';
import type { ContainerStore } from '../../store/container-store.js';
import type { EventService } from '../events.js';
import type { ImageService } from '../image-service.js';
import type { ContainerEndpoints, EndpointView } from '../networks/endpoints.js';
import type { VolumeService } from '../volumes/service.js';
import { containerMounts, type ContainerMount } from '../../domain/volume.js';
import type { PublishedPort } from '../../domain/network.js';
import { diskUsage } from './disk-usage.js';
import { checkFilters, containerMatches } from './filters.js';

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ContainerServiceDeps {
  store: ContainerStore;
  images: ImageService;
  runtime: ContainerRuntime;
  /** Container events are published here, after the store has the change. */
  events: EventService;
  log: Logger;
  /** Volumes: made and recorded at create, their directories at start. */
  volumes: VolumeService;
  /** The containers' side of networks: endpoints at create, addresses and ports at start. */
  networks: ContainerEndpoints;
  /** kapald's log-driver and log-opts (json-file with no options when absent). */
  logDefaults?: LogConfig | undefined;
  /** daemon.json default-pids-limit: PidsLimit of a container created without one (0: none). */
  defaultPidsLimit?: number | undefined;
}

export class ContainerQueries {
  constructor(protected readonly deps: ContainerServiceDeps) {}

  /** moby's lookup: full ID, then exact name, then a unique ID prefix. */
  find(ref: string): Container | undefined {
    const { store } = this.deps;
    if (/^[a-f0-9]{64}$/.test(ref)) {
      const c = store.get(ref);
      if (c) return c;
    }
    const byName = store.byName(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return byName;
    if (/^[a-f0-9]+$/.test(ref)) {
      const matches = store.byIdPrefix(ref);
      if (matches.length === 1) return matches[0];
      if (matches.length > 1) throw invalidArgument(`Multiple IDs found with provided prefix: ${ref}`);
    }
    return undefined;
  }

  get(ref: string): Container {
    const c = this.find(ref);
    if (!c) throw notFound(`No such container: ${ref}`);
    return c;
  }

  list(opts: { all: boolean; limit: number; filters: Map<string, string[]> }): Container[] {
    checkFilters(opts.filters);
    const net = opts.filters.has('network') || opts.filters.has('publish') || opts.filters.has('expose') ? this.deps.networks.snapshot() : undefined;
    const ctx = {
      lookup: (ref: string) => this.get(ref),
      ancestorIds: (ref: string) => new Set([this.deps.images.get(ref).id]),
      networks: (c: Container) => net!.views(c.id).map((v) => ({ id: v.network.id, name: v.network.name })),
      published: (c: Container) => net!.ports(c.id),
    };
    let out = this.deps.store.list().filter((c) => containerMatches(c, opts.filters, ctx));
    const showAll = opts.all || opts.limit > 0 || opts.filters.has('status') || opts.filters.has('exited') || opts.filters.has('before') || opts.filters.has('since');
    if (!showAll) out = out.filter((c) => isRunning(c.state.status));
    if (opts.limit > 0) out = out.slice(0, opts.limit);
    return out;
  }

  /** The container's mounts as requested, anonymous volumes with the names they were made with. */
  mountsOf(c: Container): ContainerMount[] {
    const hc = c.hostConfig as Record<string, unknown>;
    const mounts = containerMounts({ binds: hc.Binds as string[] | null, mounts: hc.Mounts as never, tmpfs: hc.Tmpfs as Record<string, string> | null, volumes: c.config.Volumes });
    return this.deps.volumes.resolve(c.id, mounts);
  }

  /** docker inspect's Mounts. */
  mountsView(c: Container): object[] {
    return this.mountsOf(c).map((m) =>
      m.type === 'bind'
        ? { Type: 'bind', Source: m.source, Destination: m.target, Mode: m.readonly ? 'ro' : '', RW: !m.readonly, Propagation: m.propagation }
        : m.type === 'volume'
          ? { Type: 'volume', Name: m.name, Source: this.deps.volumes.mountpoint(m.name), Destination: m.target, Driver: 'local', Mode: m.readonly ? 'ro' : 'z', RW: !m.readonly, Propagation: '' }
          : { Type: 'tmpfs', Source: '', Destination: m.target, Mode: '', RW: !m.flags.includes('ro'), Propagation: '' },
    );
  }

  /** The container's endpoints and published ports (inspect). */
  networking(c: Container): { views: EndpointView[]; ports: PublishedPort[]; mounts: object[] } {
    return { views: this.deps.networks.endpointViews(c.id), ports: this.deps.networks.publishedPorts(c.id), mounts: this.mountsView(c) };
  }

  /** Every container's, read once (docker ps). */
  networkingOfAll(): ReturnType<ContainerEndpoints['snapshot']> {
    return this.deps.networks.snapshot();
  }

  counts(): { running: number; paused: number; stopped: number } {
    const by = this.deps.store.counts();
    const running = (by.get('running') ?? 0) + (by.get('restarting') ?? 0);
    const paused = by.get('paused') ?? 0;
    let total = 0;
    for (const n of by.values()) total += n;
    return { running, paused, stopped: total - running - paused };
  }

  /** Bytes the container added to its image (its upper dir). */
  sizeRw(c: Container): number {
    return diskUsage(this.deps.runtime.layout.upper(c.id));
  }

  imageSize(c: Container): number {
    return this.deps.images.find(c.imageId)?.size ?? 0;
  }

  /**
   * The image as docker ps shows it: the name the container was created with while that name
   * still means the same image, else the image ID (moby daemon/list.go).
   */
  imageDisplayName(c: Container): string {
    let current: string | undefined;
    try {
      current = this.deps.images.find(c.imageName)?.id;
    } catch {
      current = undefined;
    }
    return current === c.imageId ? c.imageName : c.imageId;
  }

  logPath(c: Container): string {
    return this.deps.runtime.layout.logPath(c.id);
  }

  /** The host paths docker's inspect reports. */
  paths(c: Container) {
    const l = this.deps.runtime.layout;
    const image = this.deps.images.find(c.imageId);
    return {
      logPath: c.hostConfig.LogConfig.Type === 'none' ? '' : l.logPath(c.id), // as docker shows a driver without a file
      resolvConf: l.resolvConf(c.id),
      hostname: l.hostnameFile(c.id),
      hosts: l.hostsFile(c.id),
      upper: l.upper(c.id),
      work: l.work(c.id),
      merged: l.rootfs(c.id),
      lowerDirs: image ? this.deps.images.layerPaths(image) : [],
    };
  }
}

// Volume use cases: docker's volumes API (list, create, inspect, remove, prune) on the local
// driver — a directory DATA-ROOT/volumes/<name>/_data, or with driver options a file system
// mounted there while running containers use it — and what containers need: their volumes made
// and recorded at create, ready at start, released at exit, anonymous ones removed with them.

import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { copyIntoVolume } from '../../runtime/container-layer.js';
import path from 'node:path';
import { conflict, invalidArgument, notFound } from '../../domain/errors.js';
import { VALID_VOLUME_NAME, newVolumeName, type ContainerMount, type Volume } from '../../domain/volume.js';
import type { VolumeStore } from '../../store/volume-store.js';
import type { EventService } from '../events.js';
import { checkFilters, matchLabels } from '../containers/filters.js';
import { diskUsage } from '../containers/disk-usage.js';
import { isMountPoint, mountVolume, readMountInfo, unmountVolume } from '../../runtime/host-mounts.js';
import { KapalError } from '../../domain/errors.js';

export interface VolumeServiceDeps {
  store: VolumeStore;
  /** DATA-ROOT/volumes */
  root: string;
  events: EventService;
}

export interface VolumeCreateRequest {
  Name?: string | undefined;
  Driver?: string | undefined;
  DriverOpts?: Record<string, string> | null | undefined;
  Labels?: Record<string, string> | null | undefined;
}

const SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?$/i;

/**
 * docker's local driver options (`-o type=... -o device=... -o o=...`), checked as moby checks
 * them: known keys, `device` and `type` together, `o` only with a device. The mount itself (any
 * file system the kernel knows: tmpfs, a bind, ext4 on a block device, nfs) happens at the first
 * container's start. `size` needs project quotas, which kapal does not set up.
 */
export function localOptions(name: string, opts: Record<string, string>): Record<string, string> {
  const invalid = (why: string) => invalidArgument(`create ${name}: ${why}`);
  for (const key of Object.keys(opts)) if (!['type', 'device', 'o', 'size'].includes(key)) throw invalid(`invalid option: ${JSON.stringify(key)}`);
  for (const [key, needs] of [['device', 'type'], ['type', 'device'], ['o', 'device']] as const) {
    if (key in opts && !(needs in opts)) throw invalid(`missing required option: ${JSON.stringify(needs)}`);
  }
  if (opts.size !== undefined) {
    const m = SIZE.exec(opts.size);
    if (!m) throw invalid(`invalid size: '${opts.size}'`);
    if (Number(m[1]) > 0) throw invalid('quota size requested but no quota support');
  }
  return { ...opts };
}

const needsMount = (v: Volume | undefined): v is Volume => v !== undefined && (v.options.type !== undefined || v.options.device !== undefined);

export class VolumeService {
  constructor(private readonly deps: VolumeServiceDeps) {
    mkdirSync(deps.root, { recursive: true, mode: 0o701 });
  }

  mountpoint(name: string): string {
    return path.join(this.deps.root, name, '_data');
  }

  get(name: string): Volume {
    const v = this.deps.store.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return v;
  }

  list(filters: Map<string, string[]>): Volume[] {
    checkFilters(filters, new Set(['dangling', 'name', 'label', 'driver']));
    for (const d of filters.get('dangling') ?? []) if (!['true', 'false', '1', '0'].includes(d)) throw invalidArgument(`invalid filter 'dangling=${d}'`);
    const inUse = this.deps.store.namesInUse();
    return this.deps.store.list().filter((v) => {
      const any = (key: string, test: (value: string) => boolean) => !filters.has(key) || filters.get(key)!.some(test);
      return (
        any('name', (n) => v.name.includes(n)) &&
        any('driver', (d) => d === v.driver) &&
        any('dangling', (d) => (d === 'true' || d === '1') === !inUse.has(v.name)) &&
        (!filters.has('label') || matchLabels(v.labels, filters.get('label')!))
      );
    });
  }

  /** docker volume create: an existing volume of that name is returned as it is. */
  create(req: VolumeCreateRequest, opts: { anonymous?: boolean; makeDir?: boolean; quiet?: boolean } = {}): Volume {
    // A volume created without a name is anonymous (moby 23+): prune takes it.
    const anonymous = opts.anonymous ?? !req.Name;
    const name = req.Name || newVolumeName();
    if (!VALID_VOLUME_NAME.test(name)) throw invalidArgument(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
    if (req.Driver && req.Driver !== 'local') throw notFound(`error looking up volume plugin ${req.Driver}: plugin "${req.Driver}" not found`);
    const options = localOptions(name, req.DriverOpts ?? {});
    const existing = this.deps.store.get(name);
    if (existing) return existing;
    // A create that fails half-way (a full disk) leaves no directory the store does not know.
    const dir = path.join(this.deps.root, name);
    const fresh = !existsSync(dir);
    let v: Volume;
    try {
      if (opts.makeDir !== false) this.ensureDir(name);
      v = this.deps.store.insert({ name, driver: 'local', labels: req.Labels ?? {}, options, anonymous, createdAt: new Date().toISOString() });
    } catch (err) {
      if (fresh) rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    if (!opts.quiet) this.deps.events.publish('volume', 'create', name, { driver: 'local' });
    return v;
  }

  /** The volume's directory (made at the container's start when the volume came with its create). */
  ensureDir(name: string): string {
    const dir = this.mountpoint(name);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  /**
   * The volume's directory for a starting container: mounted first if the volume has options
   * and is not yet. Before the container's first start an empty one gets what the container's
   * file system has at the mount's path (docker's copy-up, which docker does at create; not
   * with `nocopy`, and not again later, so a volume emptied on purpose stays empty). Under
   * --userns-remap the container sees it through an idmapped mount, so nothing is chowned.
   */
  prepare(m: Extract<ContainerMount, { type: 'volume' }>, layers: string[], opts: { firstStart: boolean }): string {
    const v = this.deps.store.get(m.name);
    const dir = this.ensureDir(m.name);
    if (needsMount(v) && !isMountPoint(dir)) {
      try {
        mountVolume(v.options.device ?? '', dir, v.options.type ?? '', v.options.o ?? '');
      } catch (err) {
        throw new KapalError('Internal', `error while mounting volume '${dir}': ${(err as Error).message}`);
      }
    }
    if (opts.firstStart && !m.noCopy && readdirSync(dir).length === 0) copyIntoVolume(layers, m.target, dir, undefined);
    return dir;
  }

  /**
   * After a container stopped (or failed to start): its volumes with options that no running
   * container uses any more are unmounted, as docker's local driver does at the last unmount.
   */
  release(names: string[]): void {
    for (const name of names) {
      const v = this.deps.store.get(name);
      if (needsMount(v) && this.deps.store.runningUsersOf(name).length === 0) this.unmount(name);
    }
  }

  /** At kapald's start: mounts of volumes no running container uses (a crash, a missed exit). */
  reconcile(): void {
    for (const v of this.deps.store.list()) if (needsMount(v) && this.deps.store.runningUsersOf(v.name).length === 0) this.unmount(v.name);
  }

  private unmount(name: string): void {
    const dir = this.mountpoint(name);
    if (isMountPoint(dir)) unmountVolume(dir);
  }

  remove(name: string, opts: { force: boolean }): void {
    const v = this.deps.store.get(name);
    if (!v) {
      if (opts.force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    const users = this.deps.store.usersOf(name);
    if (users.length > 0) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    // Never a recursive removal through a mount: with `o=bind` that would be the host's directory.
    this.unmount(name);
    const root = path.join(this.deps.root, name);
    if (readMountInfo().some((m) => m.mountPoint === root || m.mountPoint.startsWith(`${root}/`))) {
      throw new KapalError('Internal', `remove ${name}: the volume is still mounted at ${this.mountpoint(name)}`);
    }
    this.deps.store.remove(name);
    rmSync(root, { recursive: true, force: true });
    this.deps.events.publish('volume', 'destroy', name, { driver: 'local' });
  }

  /** docker system df's UsageData: bytes under the volume and how many containers mount it. */
  usage(name: string): { Size: number; RefCount: number } {
    return { Size: diskUsage(this.mountpoint(name)), RefCount: this.deps.store.usersOf(name).length };
  }

  /** Unused volumes: anonymous ones, or all with `all=true` (docker 23+). */
  prune(filters: Map<string, string[]>): { VolumesDeleted: string[] | null; SpaceReclaimed: number } {
    checkFilters(filters, new Set(['label', 'label!', 'all']));
    const all = (filters.get('all') ?? []).some((v) => v === 'true' || v === '1');
    const inUse = this.deps.store.namesInUse();
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.deps.store.list()) {
      if (inUse.has(v.name) || (!all && !v.anonymous)) continue;
      if (filters.has('label') && !matchLabels(v.labels, filters.get('label')!)) continue;
      if (filters.has('label!') && filters.get('label!')!.some((l) => matchLabels(v.labels, [l]))) continue;
      reclaimed += diskUsage(this.mountpoint(v.name));
      this.remove(v.name, { force: true });
      deleted.push(v.name);
    }
    return { VolumesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }

  // ---- containers ---------------------------------------------------------------------------------

  /**
   * Inside the container's create transaction: its volumes, made if new, and recorded. Returns
   * the new ones, for their events once the transaction has committed.
   */
  attach(containerId: string, mounts: ContainerMount[]): string[] {
    const made: string[] = [];
    for (const m of mounts) {
      if (m.type !== 'volume') continue;
      if (!this.deps.store.get(m.name)) made.push(m.name);
      // The directory comes at the start: a rolled-back create leaves none behind.
      this.create({ Name: m.name }, { anonymous: m.anonymous, makeDir: false, quiet: true });
      this.deps.store.attach(containerId, m.name, m.target);
    }
    return made;
  }

  /** Events for volumes a committed container create made. */
  created(names: string[]): void {
    for (const name of names) this.deps.events.publish('volume', 'create', name, { driver: 'local' });
  }

  /** The container's volume mounts with the names they were made with (anonymous ones are random). */
  resolve(containerId: string, mounts: ContainerMount[]): ContainerMount[] {
    const names = this.deps.store.volumesOf(containerId);
    return mounts.map((m) => (m.type === 'volume' ? { ...m, name: names.get(m.target) ?? m.name } : m));
  }

  namesOf(containerId: string): string[] {
    return [...this.deps.store.volumesOf(containerId).values()];
  }

  /** After the container is gone: its anonymous volumes no other container mounts (docker rm -v, --rm). */
  removeAnonymous(names: string[]): void {
    for (const name of names) {
      const v = this.deps.store.get(name);
      if (v?.anonymous && this.deps.store.usersOf(name).length === 0) this.remove(name, { force: true });
    }
  }

  transaction<T>(fn: () => T): T {
    return this.deps.store.transaction(fn);
  }
}

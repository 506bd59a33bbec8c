// Volume use cases: docker's volumes API (list, create, inspect, remove, prune) on the local
// driver — a directory DATA-ROOT/volumes/<name>/_data — and what containers need: their volumes
// made and recorded at create, their directories at start, anonymous ones removed with them.

import { chownSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { copyIntoVolume } from '../../runtime/container-layer.js';
import path from 'node:path';
import { conflict, invalidArgument, notFound } from '../../domain/errors.js';
import { VALID_VOLUME_NAME, newVolumeName, type ContainerMount, type Volume } from '../../domain/volume.js';
import type { VolumeStore } from '../../store/volume-store.js';
import type { EventService } from '../events.js';
import { checkFilters, matchLabels } from '../containers/filters.js';
import { diskUsage } from '../containers/disk-usage.js';

export interface VolumeServiceDeps {
  store: VolumeStore;
  /** DATA-ROOT/volumes */
  root: string;
  events: EventService;
  /** --userns-remap: volumes belong to the containers' root. */
  owner?: { rootUid: number; rootGid: number } | undefined;
}

export interface VolumeCreateRequest {
  Name?: string | undefined;
  Driver?: string | undefined;
  DriverOpts?: Record<string, string> | null | undefined;
  Labels?: Record<string, string> | null | undefined;
}

/**
 * docker's local driver options (`-o type=... -o device=... -o o=...`), the kinds kapal mounts:
 * `type=tmpfs` (each container gets its own tmpfs, sized by `o`) and `type=none o=bind
 * device=/host/dir`. Other file systems (nfs, a block device) are refused for now.
 */
export function localOptions(opts: Record<string, string>): Record<string, string> {
  for (const key of Object.keys(opts)) if (!['type', 'device', 'o'].includes(key)) throw invalidArgument(`invalid option key: "${key}"`);
  if (Object.keys(opts).length === 0) return {};
  const type = opts.type ?? '';
  if (type === 'tmpfs') return { type, device: opts.device ?? 'tmpfs', o: opts.o ?? '' };
  if (type === 'none' && (opts.o ?? '').split(',').includes('bind')) {
    if (!opts.device || !path.isAbsolute(opts.device) || !existsSync(opts.device)) throw invalidArgument(`invalid volume device for a bind: ${JSON.stringify(opts.device ?? '')} must be an existing absolute path`);
    return { type, device: opts.device, o: opts.o! };
  }
  throw invalidArgument(`local volumes of type ${JSON.stringify(type)} are not supported by kapal yet (tmpfs, and none with o=bind, are)`);
}

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
    const options = localOptions(req.DriverOpts ?? {});
    const existing = this.deps.store.get(name);
    if (existing) return existing;
    if (opts.makeDir !== false) this.ensureDir(name);
    const v = this.deps.store.insert({ name, driver: 'local', labels: req.Labels ?? {}, options, anonymous, createdAt: new Date().toISOString() });
    if (!opts.quiet) this.deps.events.publish('volume', 'create', name, { driver: 'local' });
    return v;
  }

  /** The volume's directory (made at the container's start when the volume came with its create). */
  ensureDir(name: string): string {
    const dir = this.mountpoint(name);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (this.deps.owner) chownSync(dir, this.deps.owner.rootUid, this.deps.owner.rootGid);
    return dir;
  }

  /** A tmpfs volume (`-o type=tmpfs`): mounted in the container as its own tmpfs, with these options. */
  tmpfsOf(name: string): string | undefined {
    const v = this.deps.store.get(name);
    return v?.options.type === 'tmpfs' ? (v.options.o ?? '') : undefined;
  }

  /**
   * The volume's directory for a starting container; a new, empty one first gets what the
   * container's file system has at the mount's path (docker's copy-up; not with `nocopy`).
   */
  prepare(m: Extract<ContainerMount, { type: 'volume' }>, layers: string[]): string {
    const v = this.deps.store.get(m.name);
    if (v?.options.type === 'none') return v.options.device!; // o=bind: the host directory itself
    const dir = this.ensureDir(m.name);
    const owner = this.deps.owner;
    if (!m.noCopy && readdirSync(dir).length === 0) copyIntoVolume(layers, m.target, dir, owner ? { uid: owner.rootUid, gid: owner.rootGid } : undefined);
    return dir;
  }

  remove(name: string, opts: { force: boolean }): void {
    const v = this.deps.store.get(name);
    if (!v) {
      if (opts.force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    const users = this.deps.store.usersOf(name);
    if (users.length > 0) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    this.deps.store.remove(name);
    rmSync(path.join(this.deps.root, name), { recursive: true, force: true });
    this.deps.events.publish('volume', 'destroy', name, { driver: 'local' });
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

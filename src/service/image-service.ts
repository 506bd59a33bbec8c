// Image use cases: find an image by any name docker accepts, load archives, tag, remove, and
// collect garbage. Layers are unpacked once per chain ID; an interrupted load leaves only
// unreferenced blobs and staging directories, which collect() removes at start.

import type { Readable } from 'node:stream';
import { conflict, invalidArgument, notFound } from '../domain/errors.js';
import type { ContainerDefaults, Image, ImageConfig } from '../domain/image.js';
import type { ContentStore } from '../images/content-store.js';
import type { LayerStore } from '../images/layer-store.js';
import { planLoad, type LoadPlan } from '../images/archive/load-plan.js';
import { stageArchive } from '../images/archive/stage-archive.js';
import { writeArchive, type SavedImage } from '../images/archive/write-archive.js';
import { importConfig } from '../images/import-config.js';
import { pruneCandidates } from './image-filters.js';
import type { OperationSlots, QueueWatch } from './operation-slots.js';
import {
  canonicalString,
  familiarString,
  fullName,
  isFullImageId,
  looksLikeIdPrefix,
  parseReference,
  sameRepository,
  withDefaultTag,
  type Reference,
} from '../images/reference.js';
import { diffIdOf } from '../images/diff-id.js';
import { collectGarbage, type Collected } from '../images/garbage.js';
import { layerMediaType, unpackPlan, type LayerEvent } from '../images/plan-unpacker.js';
import type { ImageStore, MovedRef, NewImage } from '../store/image-store.js';
import type { EventService } from './events.js';
import { failpoint } from './failpoints.js';

export interface ImageServiceDeps {
  store: ImageStore;
  content: ContentStore;
  layers: LayerStore;
  platform: { os: string; architecture: string };
  /** Image events (tag, untag, delete, load, save, import) are published here after the change. */
  events: EventService;
  /** A container standing on the image, if any (docker refuses to delete such an image). */
  containerUsing?: (imageId: string) => { id: string; running: boolean } | undefined;
  /** Bounds the loads and imports running at once (daemon.json max-concurrent-loads). */
  loads?: OperationSlots | undefined;
}

/** One line of a JSON progress stream (docker's jsonmessage). */
export interface ProgressMessage {
  stream?: string;
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
}

export type DeleteItem = { Untagged: string } | { Deleted: string };

export type { LayerEvent } from '../images/plan-unpacker.js';

export interface RefToAdd {
  name: string;
  kind: 'tag' | 'digest';
}


export class ImageService {
  /**
   * Loads in flight. Their blobs and layers are written before they are registered, so garbage
   * is collected at runtime only when none is in flight (otherwise at the next collection).
   */
  private active = 0;

  constructor(private readonly deps: ImageServiceDeps) {}

  count(): number {
    return this.deps.store.count();
  }

  list(): Image[] {
    return this.deps.store.list();
  }

  /** moby's lookup order: full ID, a reference (default tag latest), then a unique ID prefix. */
  find(name: string): Image | undefined {
    const { store } = this.deps;
    if (isFullImageId(name)) return store.get(name.startsWith('sha256:') ? name : `sha256:${name}`);
    let ref: Reference | undefined;
    try {
      ref = withDefaultTag(parseReference(name));
    } catch {
      ref = undefined;
    }
    if (ref) {
      const id = store.imageIdOfRef(canonicalString(ref));
      if (id) return store.get(id);
    }
    if (looksLikeIdPrefix(name)) {
      const ids = store.idsWithPrefix(name.replace(/^sha256:/, ''));
      if (ids.length === 1) return store.get(ids[0]!);
    }
    return undefined;
  }

  get(name: string): Image {
    const image = this.find(name);
    if (!image) throw notFound(`No such image: ${this.displayName(name)}`);
    return image;
  }

  /**
   * As moby's ErrImageDoesNotExist: a full ID as `sha256:<hex>`, anything else as a reference in
   * familiar form with its tag ("busybox:latest", "deadbeef:latest"). A name that is not a valid
   * reference is a 400 with the parser's message.
   */
  private displayName(name: string): string {
    if (isFullImageId(name)) return name.startsWith('sha256:') ? name : `sha256:${name}`;
    return familiarString(withDefaultTag(parseReference(name)));
  }

  /** The image's layer directories, topmost first (overlayfs lowerdir order). */
  layerPaths(image: Image): string[] {
    return image.layers.map((l) => this.deps.layers.path(l.chainId)).reverse();
  }

  /** Unpacked size of each layer, bottom first. */
  layerSizes(image: Image): number[] {
    return image.layers.map((l) => this.deps.store.layerSize(l.chainId) ?? 0);
  }

  /**
   * GET /images/get, as moby: a repository name without tag saves every tag of that repository,
   * a tag or digest saves that name, and an ID saves the image untagged. Several names of one
   * image make one entry.
   */
  save(names: string[]): Readable {
    const byId = new Map<string, SavedImage>();
    const add = (image: Image, tags: string[]) => {
      const entry = byId.get(image.id) ?? { image, tags: [] };
      byId.set(image.id, entry);
      for (const t of tags) if (!entry.tags.includes(t)) entry.tags.push(t);
    };
    for (const name of names) {
      const repo = this.repositoryOnly(name);
      if (repo) {
        const inRepo = (t: string) => sameRepository(parseReference(t), repo);
        const tagged = this.deps.store.list().filter((i) => i.tags.some(inRepo));
        if (tagged.length === 0) throw notFound(`No such image: ${familiarString(withDefaultTag(repo))}`);
        for (const image of tagged) add(image, image.tags.filter(inRepo));
        continue;
      }
      const image = this.get(name);
      const ref = this.refOf(name, image);
      add(image, ref ? [ref] : []);
    }
    const archive = writeArchive([...byId.values()], this.deps.content);
    // As moby: one save event per image, once its archive has gone out whole.
    archive.once('end', () => {
      for (const { image } of byId.values()) this.deps.events.image(image.id, image.id, 'save', image.parsed.config?.Labels);
    });
    return archive;
  }

  /** `name` as a repository without tag or digest, when it is one (moby's IsNameOnly). */
  private repositoryOnly(name: string): Reference | undefined {
    if (looksLikeIdPrefix(name) && this.find(name)?.id.startsWith(`sha256:${name.replace(/^sha256:/, '')}`)) return undefined;
    try {
      const ref = parseReference(name);
      return ref.tag === undefined && ref.digest === undefined ? ref : undefined;
    } catch {
      return undefined;
    }
  }

  /** The canonical tag or digest `name` designates, when it names `image` (not an ID). */
  private refOf(name: string, image: Image): string | undefined {
    try {
      const canonical = canonicalString(withDefaultTag(parseReference(name)));
      return image.tags.includes(canonical) || image.digests.includes(canonical) ? canonical : undefined;
    } catch {
      return undefined;
    }
  }

  tag(name: string, target: Reference): void {
    const image = this.get(name);
    if (target.digest) throw invalidArgument('refusing to create a tag with a digest reference');
    const ref = withDefaultTag(target);
    this.deps.store.tag(canonicalString(ref), image.id);
    this.deps.events.image(image.id, familiarString(ref), 'tag', image.parsed.config?.Labels);
  }

  /** The image's labels, for the events about it (none once it is gone). */
  labelsOf(id: string): Record<string, string> | null | undefined {
    return this.deps.store.get(id)?.parsed.config?.Labels;
  }

  /**
   * DELETE /images/{name}: by reference it untags, and deletes the image when that was its last
   * name; by ID it deletes the image with all its names (more than one repository needs force).
   */
  remove(name: string, opts: { force: boolean; prune: boolean }): DeleteItem[] {
    const image = this.get(name);
    const items = this.removeNames(image, name, opts);
    // After the store has it all: an untag event per name, then delete (moby names both by ID).
    for (const item of items) {
      if ('Untagged' in item) this.deps.events.image(image.id, image.id, 'untag', image.parsed.config?.Labels);
      else this.deps.events.image(image.id, image.id, 'delete');
    }
    return items;
  }

  private removeNames(image: Image, name: string, opts: { force: boolean; prune: boolean }): DeleteItem[] {
    const items: DeleteItem[] = [];
    const byId = image.id === name || image.id === `sha256:${name}` || (looksLikeIdPrefix(name) && !this.isRefName(name));
    const names = [...image.tags, ...image.digests];
    const user = this.deps.containerUsing?.(image.id);
    if (user && byId && (user.running || !opts.force)) {
      throw conflict(
        `conflict: unable to delete ${shortId(image.id)} (${user.running ? 'cannot be forced' : 'must be forced'}) - image is being used by ${user.running ? 'running' : 'stopped'} container ${user.id.slice(0, 12)}`,
      );
    }
    if (user && !byId && names.length === 1 && !opts.force) {
      throw conflict(`conflict: unable to remove repository reference "${name}" (must force) - container ${user.id.slice(0, 12)} is using its referenced image ${shortId(image.id)}`);
    }
    if (!byId) {
      const ref = canonicalString(withDefaultTag(parseReference(name)));
      const repo = parseReference(ref);
      this.deps.store.removeRef(ref);
      items.push({ Untagged: familiarString(repo) });
      let remaining = names.filter((n) => n !== ref);
      // As moby: when the last tag of a repository goes, that repository's digests go with it.
      const sameRepoDigest = (n: string) => isDigestRef(n) && sameRepository(parseReference(n), repo);
      if (!isDigestRef(ref) && !remaining.some((n) => !isDigestRef(n) && sameRepository(parseReference(n), repo))) {
        for (const digest of remaining.filter(sameRepoDigest)) {
          this.deps.store.removeRef(digest);
          items.push({ Untagged: familiarString(parseReference(digest)) });
        }
        remaining = remaining.filter((n) => !sameRepoDigest(n));
      }
      if (remaining.length > 0 || user) return items;
    } else {
      const repos = new Set(image.tags.map((t) => fullName(parseReference(t))));
      if (repos.size > 1 && !opts.force) {
        throw conflict(`conflict: unable to delete ${shortId(image.id)} (must be forced) - image is referenced in multiple repositories`);
      }
      for (const n of names) {
        this.deps.store.removeRef(n);
        items.push({ Untagged: familiarString(parseReference(n)) });
      }
      // Forced past a stopped container: the names go, the image stays while the container does.
      if (user) return items;
    }
    this.deps.store.deleteImage(image.id);
    items.push({ Deleted: image.id });
    if (opts.prune) this.collect();
    return items;
  }

  private isRefName(name: string): boolean {
    try {
      return this.deps.store.imageIdOfRef(canonicalString(withDefaultTag(parseReference(name)))) !== undefined;
    } catch {
      return false;
    }
  }

  /** Runs a load or an import once one of the load slots is free (at once when unbounded). */
  private loadSlot<T>(operation: () => Promise<T>, watch: QueueWatch): Promise<T> {
    return this.deps.loads ? this.deps.loads.run(operation, watch) : operation();
  }

  /**
   * POST /images/load: every image in the archive, then one message per name. Waits for a load
   * slot first (`watch` hears of the wait); the archive is not read meanwhile.
   */
  load(input: Readable, progress: (m: ProgressMessage) => void, watch: QueueWatch = {}): Promise<void> {
    return this.loadSlot(() => this.writing(async () => {
      const staged = await stageArchive(input, this.deps.content);
      const plans = await planLoad(staged, this.deps.content, this.deps.platform);
      if (plans.length === 0) throw invalidArgument('invalid image archive: it holds no image for this platform');
      for (const plan of plans) {
        const names = plan.names.map((n) => withDefaultTag(parseReference(n)));
        const refs = names.map((r) => ({ name: canonicalString(r), kind: 'tag' as const }));
        const { image, moved } = await this.registerPlan(plan, refs, (layer) => {
          if (layer.unpacked) {
            progress({ status: 'Loading layer', id: shortId(layer.diffId), progressDetail: { current: layer.size, total: layer.size } });
          }
        });
        this.deps.events.image(image.id, image.id, 'load', this.labelsOf(image.id));
        for (const m of moved) {
          progress({
            stream: `The image ${familiarString(parseReference(m.name))} already exists, renaming the old one with ID ${m.from} to empty string\n`,
          });
        }
        if (names.length === 0) progress({ stream: `Loaded image ID: ${image.id}\n` });
        for (const r of names) progress({ stream: `Loaded image: ${familiarString(r)}\n` });
      }
    }), watch);
  }

  /**
   * POST /images/create?fromSrc=-: a root file system tar (plain, gzip or zstd) becomes a
   * one-layer image; returns its ID.
   */
  import(input: Readable, opts: { repo: Reference | undefined; message: string; changes: string[] }, watch: QueueWatch = {}): Promise<string> {
    // Changes are checked before anything is written, and before waiting for a slot.
    const probe = importConfig({ diffId: '', architecture: this.deps.platform.architecture, message: opts.message, changes: opts.changes, now: new Date() });
    return this.loadSlot(() => this.writing(async () => {
      const { content } = this.deps;
      const blob = await content.write(input);
      const { diffId, compression } = await diffIdOf(content, blob);
      const config = Buffer.from(JSON.stringify({ ...probe, rootfs: { type: 'layers', diff_ids: [diffId] } }));
      const configBlob = await content.writeBytes(config);
      const refs = opts.repo ? [{ name: canonicalString(withDefaultTag(opts.repo)), kind: 'tag' as const }] : [];
      await this.registerPlan(
        { config: configBlob, layers: [{ blob, mediaType: layerMediaType(compression) }], manifest: undefined, names: [] },
        refs,
      );
      const id = configBlob.digest;
      // As moby: the new name's tag event first, then import.
      if (opts.repo) this.deps.events.image(id, familiarString(withDefaultTag(opts.repo)), 'tag', this.labelsOf(id));
      this.deps.events.image(id, id, 'import', this.labelsOf(id));
      return id;
    }), watch);
  }

  /**
   * docker commit: a new image on `parentId`'s layers plus `layer` (an uncompressed layer tar),
   * with `config` (the container's, after changes) and one more history entry; returns its ID.
   */
  commit(parentId: string, layer: Readable, opts: { config: ContainerDefaults; author: string; comment: string; createdBy: string; repo: Reference | undefined }): Promise<string> {
    return this.writing(async () => {
      const { content } = this.deps;
      const parent = this.get(parentId);
      const blob = await content.write(layer);
      const { diffId, compression } = await diffIdOf(content, blob);
      const created = new Date().toISOString();
      const config: ImageConfig = {
        architecture: parent.parsed.architecture ?? this.deps.platform.architecture,
        ...(parent.parsed.variant ? { variant: parent.parsed.variant } : {}),
        os: parent.parsed.os ?? 'linux',
        created,
        ...(opts.author ? { author: opts.author } : {}),
        ...(opts.comment ? { comment: opts.comment } : {}),
        config: opts.config,
        rootfs: { type: 'layers', diff_ids: [...parent.layers.map((l) => l.diffId), diffId] },
        history: [...(parent.parsed.history ?? []), { created, created_by: opts.createdBy, ...(opts.author ? { author: opts.author } : {}), ...(opts.comment ? { comment: opts.comment } : {}) }],
      };
      const configBlob = await content.writeBytes(Buffer.from(JSON.stringify(config)));
      const refs = opts.repo ? [{ name: canonicalString(withDefaultTag(opts.repo)), kind: 'tag' as const }] : [];
      const layers = [...parent.layers.map((l) => ({ blob: { digest: l.digest, size: l.size }, mediaType: l.mediaType })), { blob, mediaType: layerMediaType(compression) }];
      await this.registerPlan({ config: configBlob, layers, manifest: undefined, names: [] }, refs);
      const id = configBlob.digest;
      if (opts.repo) this.deps.events.image(id, familiarString(withDefaultTag(opts.repo)), 'tag', this.labelsOf(id));
      return id;
    });
  }

  /**
   * POST /images/prune: dangling images (no tag), or with dangling=false every image, that
   * match the filters; nothing uses images yet, so all qualify.
   */
  prune(filters: Map<string, string[]>): { deleted: DeleteItem[]; reclaimed: number } {
    const deleted: DeleteItem[] = [];
    for (const image of pruneCandidates(this.deps.store.list(), filters)) {
      if (this.deps.containerUsing?.(image.id)) continue; // in use: not prunable
      deleted.push(...this.remove(image.id, { force: true, prune: false }));
    }
    return { deleted, reclaimed: this.collect().bytes };
  }

  /**
   * Runs an operation that writes blobs and layers before it registers them; garbage is not
   * collected while one runs, and what a failed one left is collected when the last one ends.
   */
  async writing<T>(operation: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await operation();
    } finally {
      this.active--;
      this.collect();
    }
  }

  /**
   * Unpacks the layers of a plan (whose blobs are in the content store) that no image has yet,
   * then registers layers, image and names in one transaction. Call inside writing().
   */
  async registerPlan(plan: LoadPlan, refs: RefToAdd[], onLayer: (layer: LayerEvent) => void = () => {}): Promise<{ image: NewImage; moved: MovedRef[] }> {
    const { image, newLayers } = await unpackPlan(this.deps, plan, onLayer, { cleanUpOnFailure: this.active === 1 });
    failpoint('image.unpacked');
    const moved = this.deps.store.register(image, newLayers, refs);
    failpoint('image.registered');
    return { image, moved };
  }

  /** See collectGarbage(); at runtime only while no write is in flight. */
  collect(opts: { atStart?: boolean } = {}): Collected {
    if (this.active > 0 && !opts.atStart) return { layers: 0, blobs: 0, bytes: 0 };
    return collectGarbage(this.deps, opts.atStart === true);
  }
}

function isDigestRef(canonical: string): boolean {
  return parseReference(canonical).digest !== undefined;
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}


// Pull and push: moving images between the content store and a registry, with the progress
// messages docker clients render. A pull registers through the same path as a load (blobs
// first, then unpack, then one transaction), so an interrupted pull registers nothing.

import { Readable, Transform } from 'node:stream';
import { notFound } from '../domain/errors.js';
import { MEDIA, type ImageConfig } from '../domain/image.js';
import type { ContentStore } from '../images/content-store.js';
import { chainIds } from '../images/layer-store.js';
import { canonicalString, familiarName, familiarString, fullName, parseReference, sameRepository, withTag, type Reference } from '../images/reference.js';
import type { RegistryAuth } from '../images/registry/auth-config.js';
import type { RegistryClient } from '../images/registry/client.js';
import { formatPlatform, type Descriptor, type PlatformSpec } from '../images/registry/manifest.js';
import type { ImageStore } from '../store/image-store.js';
import type { EventService } from './events.js';
import { shortId, type ImageService, type ProgressMessage } from './image-service.js';
import type { OperationSlots, QueueWatch } from './operation-slots.js';

export interface RegistryServiceDeps {
  images: ImageService;
  /** pull and push events, published once the image is registered (pull) or pushed. */
  events: EventService;
  store: ImageStore;
  content: ContentStore;
  client: RegistryClient;
  platform: { os: string; architecture: string };
  /** Bounds the pulls running at once (daemon.json max-concurrent-pulls). */
  pulls?: OperationSlots | undefined;
  /** Layers one pull downloads at once (daemon.json max-concurrent-downloads; dockerd's 3). */
  downloads?: number | undefined;
}

type Progress = (m: ProgressMessage & { aux?: object }) => void;

/** Progress for a download at most this often. */
const PROGRESS_INTERVAL_MS = 100;

export class RegistryService {
  constructor(private readonly deps: RegistryServiceDeps) {}

  /**
   * POST /images/create?fromImage=: `ref` has a tag or a digest. `platform` (default kapald's
   * own) picks the manifest of an index, and a single-platform image must match it. The
   * manifest is resolved first, so a missing image is an HTTP error at once; then the pull waits
   * for a free slot (`watch` hears of the wait) and downloads.
   */
  async pull(ref: Reference, auth: RegistryAuth | undefined, progress: Progress, platform?: PlatformSpec, watch: QueueWatch = {}): Promise<void> {
    const { client } = this.deps;
    // The manifest first: a missing image is an HTTP error before any output, as in moby.
    const resolved = await client.resolve(ref, platform ?? this.deps.platform, auth);
    const transfer = () => this.transfer(ref, resolved, auth, progress, platform);
    return this.deps.pulls ? this.deps.pulls.run(transfer, watch) : transfer();
  }

  /** The config, the layers, then registration: what a pull slot bounds. */
  private transfer(ref: Reference, resolved: Awaited<ReturnType<RegistryClient['resolve']>>, auth: RegistryAuth | undefined, progress: Progress, platform: PlatformSpec | undefined): Promise<void> {
    const { images, client, content, store } = this.deps;
    return images.writing(async () => {
      if (!content.has(resolved.config.digest)) {
        await content.write(await client.fetchBlob(ref, resolved.config.digest, auth), resolved.config.digest);
      }
      const config = JSON.parse(content.read(resolved.config.digest).toString('utf8')) as ImageConfig;
      if (platform && (config.os !== platform.os || config.architecture !== platform.architecture)) {
        const actual = formatPlatform({ os: config.os ?? '', architecture: config.architecture ?? '', ...(config.variant ? { variant: config.variant } : {}) });
        throw notFound(`image with reference ${familiarString(ref)} was found but does not match the specified platform: wanted ${formatPlatform(platform)}, actual: ${actual}`);
      }
      // The path, as moby's registry client names the repository: "Pulling from library/busybox".
      progress({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag ?? 'latest' });
      const chain = chainIds(config.rootfs?.diff_ids ?? []);
      const missing = resolved.layers.filter((layer, i) => {
        const present = chain[i] !== undefined && store.layerSize(chain[i]!) !== undefined;
        progress({ status: present ? 'Already exists' : 'Pulling fs layer', progressDetail: {}, id: shortId(layer.digest) });
        return !present;
      });
      await inParallel(missing, this.deps.downloads ?? 3, (layer) => this.download(ref, layer, auth, progress));

      const manifest = await content.write(Readable.from([resolved.manifestBytes]), resolved.manifestDigest);
      const digest = resolved.indexDigest ?? resolved.manifestDigest;
      const canonicalRepo = fullName(ref);
      const refs = [
        ...(ref.tag ? [{ name: canonicalString(ref), kind: 'tag' as const }] : []),
        { name: `${canonicalRepo}@${digest}`, kind: 'digest' as const },
      ];
      // What the name (a tag, or repo@digest) pointed at before: "up to date" if unchanged.
      const before = store.imageIdOfRef(canonicalString(ref));
      const { image } = await images.registerPlan(
        {
          config: { digest: resolved.config.digest, size: resolved.config.size },
          layers: resolved.layers.map((l) => ({ blob: { digest: l.digest, size: l.size }, mediaType: l.mediaType })),
          manifest,
          names: [],
        },
        refs,
        (layer) => {
          if (!layer.unpacked) return;
          const id = shortId(layer.digest);
          progress({ status: 'Extracting', progressDetail: { current: layer.size, total: layer.size }, id });
          progress({ status: 'Pull complete', progressDetail: {}, id });
        },
      );
      progress({ status: `Digest: ${digest}` });
      const name = familiarString(ref);
      // moby's LogImageEvent(FamiliarString(ref), FamiliarName(ref), pull).
      this.deps.events.image(name, familiarName(ref), 'pull', images.labelsOf(image.id));
      progress({ status: before === image.id ? `Status: Image is up to date for ${name}` : `Status: Downloaded newer image for ${name}` });
    });
  }

  /** `docker pull -a`: every tag of the repository, one after the other. */
  async pullAllTags(repo: Reference, auth: RegistryAuth | undefined, progress: Progress, platform?: PlatformSpec, watch: QueueWatch = {}): Promise<void> {
    const tags = await this.deps.client.listTags(repo, auth);
    if (tags.length === 0) throw notFound(`repository ${familiarName(repo)} has no tags`);
    for (const tag of tags) await this.pull(withTag(repo, tag), auth, progress, platform, watch);
  }

  private async download(ref: Reference, layer: Descriptor, auth: RegistryAuth | undefined, progress: Progress): Promise<void> {
    const { client, content } = this.deps;
    const id = shortId(layer.digest);
    if (!content.has(layer.digest)) {
      const body = await client.fetchBlob(ref, layer.digest, auth);
      await content.write(body.pipe(meter((current) => progress({ status: 'Downloading', progressDetail: { current, total: layer.size }, id }))), layer.digest);
      progress({ status: 'Verifying Checksum', progressDetail: {}, id });
    }
    progress({ status: 'Download complete', progressDetail: {}, id });
  }

  /** GET /distribution/{name}/json. */
  inspect(ref: Reference, auth: RegistryAuth | undefined) {
    return this.deps.client.inspectDistribution(ref, auth);
  }

  /**
   * POST /images/{name}/push?tag=: one tag, or every tag of the repository when none is given.
   * Blobs the registry has are skipped; the manifest kapal keeps is pushed as it is, so a
   * pulled image keeps its digest.
   */
  async push(repo: Reference, tag: string | undefined, auth: RegistryAuth | undefined, progress: Progress): Promise<void> {
    const { images, store, content, client } = this.deps;
    const targets = tag
      ? [withTag(repo, tag)]
      : store.list().flatMap((i) => i.tags.map((t) => parseReference(t)).filter((r) => sameRepository(r, repo)));
    const first = targets[0];
    if (!first || !images.find(canonicalString(first))) {
      throw notFound(`An image does not exist locally with the tag: ${familiarName(repo)}`);
    }
    progress({ status: `The push refers to repository [${fullName(repo)}]` });
    for (const target of targets) {
      const image = images.get(canonicalString(target));
      const layers = [...image.layers].reverse();
      for (const l of layers) progress({ status: 'Preparing', progressDetail: {}, id: shortId(l.diffId) });
      for (const l of layers) {
        const id = shortId(l.diffId);
        if (await client.blobExists(target, l.digest, auth)) {
          progress({ status: 'Layer already exists', progressDetail: {}, id });
          continue;
        }
        const report = (current: number) => progress({ status: 'Pushing', progressDetail: { current, total: l.size }, id });
        report(0);
        await client.pushBlob(target, l.digest, l.size, () => content.open(l.digest).pipe(meter(report)), auth);
        progress({ status: 'Pushed', progressDetail: {}, id });
      }
      if (!(await client.blobExists(target, image.id, auth))) {
        await client.pushBlob(target, image.id, image.config.length, () => content.open(image.id), auth);
      }
      const manifest = content.read(image.manifestDigest);
      const mediaType = (JSON.parse(manifest.toString('utf8')) as { mediaType?: string }).mediaType ?? MEDIA.ociManifest;
      const digest = await client.putManifest(target, target.tag!, manifest, mediaType, auth);
      store.addDigestRef(`${fullName(target)}@${digest}`, image.id);
      progress({ status: `${target.tag}: digest: ${digest} size: ${manifest.length}` });
      progress({ progressDetail: {}, aux: { Tag: target.tag, Digest: digest, Size: manifest.length } });
    }
    // One event for the push as asked (a tag, or the whole repository), as moby.
    const pushed = tag ? withTag(repo, tag) : repo;
    this.deps.events.image(familiarString(pushed), familiarName(repo), 'push', images.find(canonicalString(first))?.parsed.config?.Labels);
  }
}

/**
 * Passes bytes through and reports how many went by: at most every PROGRESS_INTERVAL_MS, and
 * once more at the end, so a bar always finishes full.
 */
function meter(report: (current: number) => void): Transform {
  let current = 0;
  let last = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      current += chunk.length;
      const now = Date.now();
      if (now - last >= PROGRESS_INTERVAL_MS) {
        last = now;
        report(current);
      }
      done(null, chunk);
    },
    flush(done) {
      report(current);
      done();
    },
  });
}

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await run(items[next++]!);
  });
  await Promise.all(workers);
}

// Turns a load plan whose blobs are in the content store into an image ready to register:
// each layer the store lacks is unpacked into staging, its diff ID checked against the config,
// and renamed into place under its chain ID.

import { invalidArgument } from '../domain/errors.js';
import { MEDIA, type ImageConfig, type ImageLayer } from '../domain/image.js';
import type { ImageStore, NewImage, NewLayer } from '../store/image-store.js';
import type { LoadPlan } from './archive/load-plan.js';
import type { ContentStore } from './content-store.js';
import { chainIds, type LayerStore } from './layer-store.js';
import type { Compression } from './unpack/compression.js';
import { unpackLayer } from './unpack/unpack-layer.js';

export interface PlanDeps {
  store: ImageStore;
  content: ContentStore;
  layers: LayerStore;
}

/** A layer of a plan being registered: unpacked now, or already there. */
export interface LayerEvent {
  index: number;
  diffId: string;
  digest: string;
  size: number;
  unpacked: boolean;
}

export function layerMediaType(compressed: Compression): string {
  return compressed === 'gzip' ? MEDIA.ociLayerGzip : compressed === 'zstd' ? MEDIA.ociLayerZstd : MEDIA.ociLayer;
}

async function writeManifest(content: ContentStore, config: { digest: string; size: number }, layers: ImageLayer[]): Promise<string> {
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  return (await content.writeBytes(Buffer.from(JSON.stringify(manifest)))).digest;
}

/**
 * Unpacks what is missing and returns the image and its new layers, unregistered. On failure
 * the layers it unpacked are removed when `cleanUpOnFailure` (no other write in flight could be
 * about to register the same chain); otherwise the next garbage collection removes them.
 */
export async function unpackPlan(
  deps: PlanDeps,
  plan: LoadPlan,
  onLayer: (layer: LayerEvent) => void,
  opts: { cleanUpOnFailure: boolean },
): Promise<{ image: NewImage; newLayers: NewLayer[] }> {
  const configBytes = deps.content.read(plan.config.digest);
  let parsed: ImageConfig;
  try {
    parsed = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
  } catch {
    throw invalidArgument(`invalid image config ${plan.config.digest}: not valid JSON`);
  }
  const diffIds = parsed.rootfs?.diff_ids ?? [];
  if (diffIds.length !== plan.layers.length) {
    throw invalidArgument(`invalid image ${plan.config.digest}: ${plan.layers.length} layers for ${diffIds.length} diff_ids`);
  }
  const chain = chainIds(diffIds);
  const layers: ImageLayer[] = [];
  const newLayers: NewLayer[] = [];
  let size = 0;
  try {
    for (const [i, planned] of plan.layers.entries()) {
      const chainId = chain[i]!;
      const diffId = diffIds[i]!;
      let mediaType = planned.mediaType;
      const known = deps.store.layerSize(chainId);
      if (known !== undefined) {
        size += known;
        onLayer({ index: i, diffId, digest: planned.blob.digest, size: planned.blob.size, unpacked: false });
      } else {
        const staging = deps.layers.stage();
        try {
          const result = await unpackLayer(deps.content.open(planned.blob.digest), staging, { knownDigest: planned.blob.digest });
          if (result.diffId !== diffId) {
            throw invalidArgument(`invalid image ${plan.config.digest}: layer ${i} has diff ID ${result.diffId}, the config says ${diffId}`);
          }
          deps.layers.commit(staging, chainId);
          mediaType ??= layerMediaType(result.compressed);
          newLayers.push({ chainId, diffId, parent: chain[i - 1] ?? null, size: result.unpackedSize });
          size += result.unpackedSize;
          onLayer({ index: i, diffId, digest: planned.blob.digest, size: planned.blob.size, unpacked: true });
        } catch (err) {
          deps.layers.discard(staging);
          throw err;
        }
      }
      layers.push({ chainId, diffId, digest: planned.blob.digest, mediaType: mediaType ?? MEDIA.ociLayer, size: planned.blob.size });
    }
  } catch (err) {
    if (opts.cleanUpOnFailure) for (const l of newLayers) if (deps.store.layerSize(l.chainId) === undefined) deps.layers.remove(l.chainId);
    throw err;
  }
  const manifestDigest = plan.manifest?.digest ?? (await writeManifest(deps.content, plan.config, layers));
  return { image: { id: plan.config.digest, config: configBytes, manifestDigest, layers, size }, newLayers };
}

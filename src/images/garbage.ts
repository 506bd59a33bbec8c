// Garbage collection of image data: layers and blobs no image references. At start it also
// removes what no row knows about at all — staging a crash left, layer directories nobody
// registered — which at runtime could belong to a write still in flight.

import type { ImageStore } from '../store/image-store.js';
import type { ContentStore } from './content-store.js';
import type { LayerStore } from './layer-store.js';

export interface Collected {
  layers: number;
  blobs: number;
  /** Unpacked bytes of the layers removed. */
  bytes: number;
}

export function collectGarbage(deps: { store: ImageStore; content: ContentStore; layers: LayerStore }, atStart: boolean): Collected {
  const { store, layers, content } = deps;
  if (atStart) content.clearTemporary();
  const removed = store.pruneLayers();
  for (const { chainId } of removed) layers.remove(chainId);
  let strays = 0;
  if (atStart) {
    const known = store.layerIds();
    for (const chainId of layers.list()) {
      if (!known.has(chainId)) {
        layers.remove(chainId);
        strays++;
      }
    }
  }
  const keep = store.referencedBlobs();
  let blobs = 0;
  for (const digest of content.list()) {
    if (!keep.has(digest)) {
      content.remove(digest);
      blobs++;
    }
  }
  return { layers: removed.length + strays, blobs, bytes: removed.reduce((n, l) => n + l.size, 0) };
}

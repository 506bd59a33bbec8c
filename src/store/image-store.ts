// Images, layers and references in SQLite. Registering an image is one transaction: its layers,
// the image row, its layer list and its references appear together or not at all.

import type { Image, ImageConfig, ImageLayer } from '../domain/image.js';
import type { Db } from './database.js';

interface ImageRow {
  id: string;
  config: Buffer;
  manifest_digest: string;
  size: number;
  created_at: string;
  last_tag_time: string | null;
}

interface LayerRow {
  chain_id: string;
  diff_id: string;
  digest: string;
  media_type: string;
  size: number;
}

export interface NewLayer {
  chainId: string;
  diffId: string;
  parent: string | null;
  size: number;
}

export interface NewImage {
  id: string;
  config: Buffer;
  manifestDigest: string;
  layers: ImageLayer[];
  size: number;
}

/** A tag that moved to another image: the old image may now be dangling. */
export interface MovedRef {
  name: string;
  from: string;
}

export class ImageStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      image: db.prepare<[string], ImageRow>('SELECT * FROM images WHERE id = ?'),
      images: db.prepare<[], ImageRow>('SELECT * FROM images ORDER BY created_at, id'),
      idsByPrefix: db.prepare<[string], { id: string }>("SELECT id FROM images WHERE id LIKE ? ESCAPE '\\' LIMIT 2"),
      layersOf: db.prepare<[string], LayerRow>(
        `SELECT il.chain_id, l.diff_id, il.digest, il.media_type, il.size
           FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id
          WHERE il.image_id = ? ORDER BY il.position`,
      ),
      refsOf: db.prepare<[string], { name: string; kind: string }>(
        'SELECT name, kind FROM image_refs WHERE image_id = ? ORDER BY kind DESC, created_at, name',
      ),
      ref: db.prepare<[string], { image_id: string }>('SELECT image_id FROM image_refs WHERE name = ?'),
      layerSize: db.prepare<[string], { size: number }>('SELECT size FROM layers WHERE chain_id = ?'),
      insertLayer: db.prepare('INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, size, created_at) VALUES (?, ?, ?, ?, ?)'),
      insertImage: db.prepare(
        'INSERT OR IGNORE INTO images (id, config, manifest_digest, top_layer, size, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertImageLayer: db.prepare(
        'INSERT OR IGNORE INTO image_layers (image_id, position, chain_id, digest, media_type, size) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      upsertRef: db.prepare(
        `INSERT INTO image_refs (name, image_id, kind, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET image_id = excluded.image_id, created_at = excluded.created_at`,
      ),
      touchTag: db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?'),
      deleteRef: db.prepare('DELETE FROM image_refs WHERE name = ?'),
      deleteImage: db.prepare('DELETE FROM images WHERE id = ?'),
      unusedLayers: db.prepare<[], { chain_id: string; size: number }>(
        `SELECT chain_id, size FROM layers l
          WHERE NOT EXISTS (SELECT 1 FROM image_layers il WHERE il.chain_id = l.chain_id)
            AND NOT EXISTS (SELECT 1 FROM layers c WHERE c.parent = l.chain_id)`,
      ),
      deleteLayer: db.prepare('DELETE FROM layers WHERE chain_id = ?'),
      allLayers: db.prepare<[], { chain_id: string }>('SELECT chain_id FROM layers'),
      blobs: db.prepare<[], { digest: string }>(
        `SELECT id AS digest FROM images UNION SELECT manifest_digest FROM images UNION SELECT digest FROM image_layers`,
      ),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM images'),
    };
  }

  get(id: string): Image | undefined {
    const row = this.q.image.get(id);
    return row && this.toImage(row);
  }

  list(): Image[] {
    return this.q.images.all().map((row) => this.toImage(row));
  }

  count(): number {
    return this.q.count.get()!.n;
  }

  /** Up to two IDs starting with `prefix` (a lower-case hex string after "sha256:"). */
  idsWithPrefix(prefix: string): string[] {
    return this.q.idsByPrefix.all(`sha256:${prefix}%`).map((r) => r.id);
  }

  imageIdOfRef(name: string): string | undefined {
    return this.q.ref.get(name)?.image_id;
  }

  /** The unpacked size of a registered layer; undefined when the layer is not registered. */
  layerSize(chainId: string): number | undefined {
    return this.q.layerSize.get(chainId)?.size;
  }

  /** Registers an image with its new layers and references; returns the tags it took over. */
  register(image: NewImage, layers: NewLayer[], refs: { name: string; kind: 'tag' | 'digest' }[]): MovedRef[] {
    const now = new Date().toISOString();
    return this.db.transaction(() => {
      for (const l of layers) this.q.insertLayer.run(l.chainId, l.diffId, l.parent, l.size, now);
      const top = image.layers[image.layers.length - 1]?.chainId ?? null;
      this.q.insertImage.run(image.id, image.config, image.manifestDigest, top, image.size, now);
      image.layers.forEach((l, i) => this.q.insertImageLayer.run(image.id, i, l.chainId, l.digest, l.mediaType, l.size));
      return this.putRefs(image.id, refs, now);
    })();
  }

  /** Points `name` at an image (moving it from another one if needed). */
  tag(name: string, imageId: string): MovedRef[] {
    return this.db.transaction(() => this.putRefs(imageId, [{ name, kind: 'tag' }], new Date().toISOString()))();
  }

  /** Records a digest reference (repo@sha256:...) of an image, as after a push. */
  addDigestRef(name: string, imageId: string): void {
    this.db.transaction(() => this.putRefs(imageId, [{ name, kind: 'digest' }], new Date().toISOString()))();
  }

  private putRefs(imageId: string, refs: { name: string; kind: 'tag' | 'digest' }[], now: string): MovedRef[] {
    const moved: MovedRef[] = [];
    for (const ref of refs) {
      const from = this.q.ref.get(ref.name)?.image_id;
      if (from !== undefined && from !== imageId) moved.push({ name: ref.name, from });
      this.q.upsertRef.run(ref.name, imageId, ref.kind, now);
    }
    if (refs.some((r) => r.kind === 'tag')) this.q.touchTag.run(now, imageId);
    return moved;
  }

  removeRef(name: string): boolean {
    return this.q.deleteRef.run(name).changes > 0;
  }

  /** Deletes the image row (its layer list and references go with it). */
  deleteImage(id: string): void {
    this.q.deleteImage.run(id);
  }

  /** Deletes layer rows no image and no child layer uses, leaves first; returns what went. */
  pruneLayers(): { chainId: string; size: number }[] {
    return this.db.transaction(() => {
      const removed: { chainId: string; size: number }[] = [];
      for (;;) {
        const unused = this.q.unusedLayers.all();
        if (unused.length === 0) return removed;
        for (const { chain_id, size } of unused) {
          this.q.deleteLayer.run(chain_id);
          removed.push({ chainId: chain_id, size });
        }
      }
    })();
  }

  layerIds(): Set<string> {
    return new Set(this.q.allLayers.all().map((r) => r.chain_id));
  }

  /** Every blob an image still needs: configs, manifests and layer blobs. */
  referencedBlobs(): Set<string> {
    return new Set(this.q.blobs.all().map((r) => r.digest));
  }

  private toImage(row: ImageRow): Image {
    const refs = this.q.refsOf.all(row.id);
    return {
      id: row.id,
      config: row.config,
      parsed: JSON.parse(row.config.toString('utf8')) as ImageConfig,
      manifestDigest: row.manifest_digest,
      layers: this.q.layersOf.all(row.id).map((l) => ({
        chainId: l.chain_id,
        diffId: l.diff_id,
        digest: l.digest,
        mediaType: l.media_type,
        size: l.size,
      })),
      size: row.size,
      createdAt: row.created_at,
      lastTagTime: row.last_tag_time,
      tags: refs.filter((r) => r.kind === 'tag').map((r) => r.name),
      digests: refs.filter((r) => r.kind === 'digest').map((r) => r.name),
    };
  }
}

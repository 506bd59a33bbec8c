// Writes images as docker 25+ saves them: an OCI image layout (oci-layout, index.json, blobs)
// with manifest.json and repositories beside it, so both `docker load` of any version and OCI
// tools read it. Blobs are streamed from the content store as they are; fixed mtimes make two
// saves of the same images byte-identical.

import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { MEDIA, type Image } from '../../domain/image.js';
import { hexOf, type ContentStore } from '../content-store.js';
import { familiarName, familiarString, parseReference } from '../reference.js';

export interface SavedImage {
  image: Image;
  /** Canonical tags to record for it (what the names asked for designate; none for an ID). */
  tags: string[];
}

const MTIME = new Date(0);

export function writeArchive(images: SavedImage[], content: ContentStore): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  void writeAll(pack, images, content).then(
    () => pack.finalize(),
    (err: Error) => pack.destroy(err),
  );
  pipeline(pack as unknown as Readable, out).catch((err: Error) => out.destroy(err));
  return out;
}

async function writeAll(pack: tar.Pack, images: SavedImage[], content: ContentStore): Promise<void> {
  const written = new Set<string>();
  const blob = async (digest: string) => {
    if (written.has(digest)) return;
    written.add(digest);
    const size = content.size(digest);
    const entry = pack.entry({ name: `blobs/sha256/${hexOf(digest)}`, size, mtime: MTIME, mode: 0o444 });
    await pipeline(content.open(digest), entry as unknown as NodeJS.WritableStream);
  };
  const file = (name: string, text: string) =>
    new Promise<void>((resolve, reject) => pack.entry({ name, mtime: MTIME, mode: 0o644 }, text, (err) => (err ? reject(err) : resolve())));

  for (const name of ['blobs/', 'blobs/sha256/']) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name, type: 'directory', mtime: MTIME, mode: 0o755 }, (err) => (err ? reject(err) : resolve())),
    );
  }
  const index: object[] = [];
  const manifest: object[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, tags } of images) {
    await blob(image.id);
    for (const layer of image.layers) await blob(layer.digest);
    await blob(image.manifestDigest);
    const manifestBytes = content.read(image.manifestDigest);
    const mediaType = (JSON.parse(manifestBytes.toString('utf8')) as { mediaType?: string }).mediaType ?? MEDIA.ociManifest;
    const descriptor = { mediaType, digest: image.manifestDigest, size: manifestBytes.length };
    if (tags.length === 0) index.push(descriptor);
    for (const tag of tags) {
      const ref = parseReference(tag);
      index.push({ ...descriptor, annotations: { 'io.containerd.image.name': tag, 'org.opencontainers.image.ref.name': ref.tag ?? '' } });
      const top = image.layers[image.layers.length - 1];
      if (ref.tag && top) (repositories[familiarName(ref)] ??= {})[ref.tag] = hexOf(top.diffId);
    }
    manifest.push({
      Config: `blobs/sha256/${hexOf(image.id)}`,
      RepoTags: tags.length > 0 ? tags.map((t) => familiarString(parseReference(t))) : null,
      Layers: image.layers.map((l) => `blobs/sha256/${hexOf(l.digest)}`),
    });
  }
  await file('index.json', JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: index }));
  await file('manifest.json', `${JSON.stringify(manifest)}\n`);
  await file('oci-layout', '{"imageLayoutVersion": "1.0.0"}');
  if (Object.keys(repositories).length > 0) await file('repositories', `${JSON.stringify(repositories)}\n`);
}

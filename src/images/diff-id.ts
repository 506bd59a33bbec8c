// A layer blob's diff ID without unpacking it: its digest when uncompressed, else the digest
// of what it decompresses to.

import { createHash } from 'node:crypto';
import type { BlobInfo, ContentStore } from './content-store.js';
import { decompressor, sniffCompression, type Compression } from './unpack/compression.js';

export async function diffIdOf(content: ContentStore, blob: BlobInfo): Promise<{ diffId: string; compression: Compression }> {
  const { kind, body } = await sniffCompression(content.open(blob.digest));
  if (kind === 'none') {
    body.destroy();
    return { diffId: blob.digest, compression: kind };
  }
  const hash = createHash('sha256');
  const stage = decompressor(kind)!;
  const plain = typeof stage === 'function' ? stage(body) : body.pipe(stage);
  for await (const chunk of plain) hash.update(chunk as Buffer);
  return { diffId: `sha256:${hash.digest('hex')}`, compression: kind };
}

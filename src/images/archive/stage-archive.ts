// Reads an image archive (docker save, OCI layout tar) in one pass, writing every regular file
// straight into the content store. Files named blobs/sha256/<hex> are verified against their
// name. What remains is a map from archive path to blob, plus the links between paths (legacy
// docker save archives link duplicate layers), so formats can be recognised afterwards without
// a second read of the archive and without anything from the archive touching the file system.

import path from 'node:path/posix';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { invalidArgument } from '../../domain/errors.js';
import type { BlobInfo, ContentStore } from '../content-store.js';
import { decompressor, sniffCompression } from '../unpack/compression.js';

export interface StagedArchive {
  files: Map<string, BlobInfo>;
  links: Map<string, string>;
}

const BLOB_PATH = /^blobs\/sha256\/([a-f0-9]{64})$/;
const MAX_LINK_HOPS = 16;

/** Archive paths as the formats name them: relative, without "./", never escaping. */
export function archivePath(name: string): string {
  const clean = path.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (clean === '..' || clean.startsWith('../')) throw invalidArgument(`invalid archive entry ${JSON.stringify(name)}`);
  return clean === '.' ? '' : clean;
}

export async function stageArchive(input: Readable, content: ContentStore): Promise<StagedArchive> {
  const files = new Map<string, BlobInfo>();
  const links = new Map<string, string>();
  const extract = tar.extract();
  // A failed write into the store (a full disk) is the reason, not the archive, whatever the tar
  // reader reports after it (the write gave up on the entry: "Premature close").
  let storeError: unknown;
  extract.on('entry', (header, stream, next) => {
    // Errors surface through the extractor; an unheard 'error' on the entry would crash kapald.
    stream.on('error', () => {});
    const name = archivePath(header.name);
    const done = (err?: unknown) => (err ? next(err as Error) : next());
    switch (header.type) {
      case 'file':
      case 'contiguous-file': {
        const m = BLOB_PATH.exec(name);
        content.write(stream as AsyncIterable<Buffer>, m ? `sha256:${m[1]}` : undefined).then(
          (blob) => {
            files.set(name, blob);
            done();
          },
          (err: unknown) => {
            // Errors of the store's own files name them; the entry's (a truncated archive) do not.
            if (typeof (err as NodeJS.ErrnoException).path === 'string') storeError ??= err;
            done(err);
          },
        );
        return;
      }
      case 'symlink':
      case 'link': {
        const target = header.linkname ?? '';
        // Symlinks are relative to their directory, hard links to the archive root.
        links.set(name, archivePath(header.type === 'symlink' ? path.join(path.dirname(name), target) : target));
        break;
      }
      default:
        break;
    }
    stream.on('end', () => done());
    stream.resume();
  });
  try {
    // `docker load < image.tar.gz` works with moby: the archive itself may be compressed.
    const { kind, body } = await sniffCompression(input);
    const stage = decompressor(kind);
    await (stage === undefined ? pipeline(body, extract) : pipeline(body, stage, extract));
  } catch (err) {
    if (storeError !== undefined) throw storeError;
    if ((err as { kind?: string }).kind) throw err;
    throw invalidArgument(`invalid image archive: ${(err as Error).message}`);
  }
  return { files, links };
}

/** The blob at an archive path, following the archive's own links. */
export function resolveFile(staged: StagedArchive, name: string): BlobInfo | undefined {
  let current = archivePath(name);
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    const file = staged.files.get(current);
    if (file) return file;
    const next = staged.links.get(current);
    if (next === undefined) return undefined;
    current = next;
  }
  return undefined;
}

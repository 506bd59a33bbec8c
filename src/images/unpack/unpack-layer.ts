// Unpacks one image layer into a fresh directory that overlayfs will use as a lower layer, with
// the digests computed on the way; every entry is confined to that directory (see safe-path.ts).

import { createHash } from 'node:crypto';
import { lstatSync, lutimesSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { invalidArgument, isKapalError, KapalError } from '../../domain/errors.js';
import { decompressor, sniffCompression, type Compression } from './compression.js';
import { toLayerEntry, type NoteSink, type RawHeader } from './layer-entry.js';
import { entryComponents, LayerRoot } from './safe-path.js';
import { applyWhiteout, isWhiteout } from './whiteout.js';
import { writeEntry, type PendingDirTimes } from './write-entry.js';

export interface UnpackOptions {
  /** Entries skipped and attributes not kept; nothing is dropped without one. */
  onNote?: NoteSink;
  /**
   * The digest of the input when the caller already verified it (a blob from the content
   * store): it is not computed again, and an uncompressed layer's diff ID is that digest.
   */
  knownDigest?: string;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar. */
  diffId: string;
  compressed: Compression;
  /** sha256 of the bytes as given. */
  digest: string;
  /** Number of bytes as given. */
  size: number;
  /** Bytes of the regular files written: docker's layer size. */
  unpackedSize: number;
}

const BLOCK = 512;

/** Writes the uncompressed tar into tar-stream, honouring its back-pressure, until tar-stream has seen the end. */
async function feedTar(source: AsyncIterable<Buffer>, extract: tar.Extract, failed: Promise<never>, onChunk: (c: Buffer) => void): Promise<void> {
  const event = (name: string) => new Promise<void>((resolve) => extract.once(name, () => resolve()));
  for await (const chunk of source) {
    onChunk(chunk);
    if (!extract.write(chunk)) await Promise.race([event('drain'), failed]);
  }
  extract.end(undefined);
  await Promise.race([event('finish'), failed]);
}

/** Directory times last, as the entries inside them changed them; skipped where the directory has since gone. */
function applyDirTimes(root: LayerRoot, pending: PendingDirTimes[]): void {
  for (const dir of pending.reverse()) {
    const path = root.find(dir.parts);
    if (path === undefined) continue;
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory() && st.ino === dir.ino) lutimesSync(path, dir.atime, dir.mtime);
  }
}

export async function unpackLayer(input: Readable, dest: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const note: NoteSink = opts.onNote ?? (() => {});
  const root = new LayerRoot(dest);
  const digest = opts.knownDigest === undefined ? createHash('sha256') : undefined;
  const diffId = createHash('sha256');
  let size = 0;
  let unpackedSize = 0;
  let tarSize = 0;
  let entriesEnd = 0;
  const pendingDirs: PendingDirTimes[] = [];

  const handleEntry = async (header: RawHeader, data: AsyncIterable<Buffer>): Promise<void> => {
    entriesEnd = (header.byteOffset ?? 0) + Math.ceil((header.size ?? 0) / BLOCK) * BLOCK;
    const entry = toLayerEntry(header, note);
    if (entry?.kind === 'file') unpackedSize += header.size ?? 0;
    if (entry !== undefined) {
      const parts = entryComponents(entry.name);
      const base = parts[parts.length - 1];
      if (base === undefined) {
        if (entry.kind !== 'directory') throw invalidArgument(`layer entry ${JSON.stringify(entry.name)} would replace the layer root`);
        note({ level: 'debug', entry: entry.name, message: 'layer root entry skipped: the root keeps the mode it was created with' });
      } else {
        const path = root.prepare(parts, `entry ${JSON.stringify(entry.name)}`);
        if (isWhiteout(base)) applyWhiteout(parts, path, entry.name, note);
        else {
          const dirTimes = await writeEntry(root, parts, path, entry, data, note);
          if (dirTimes) pendingDirs.push(dirTimes);
        }
      }
    }
    for await (const _ of data); // whatever the entry did not read
  };

  const extract = tar.extract();
  let entryError: unknown;
  let inFlight: Promise<void> = Promise.resolve();
  let current: { destroy(err?: Error): void } | undefined;
  extract.on('entry', (header, stream, next) => {
    // An entry stream destroyed before the writer iterates it (a truncated archive) would emit
    // 'error' with no listener and bring the daemon down; the failure still reaches us through
    // the iteration and the extractor's own error.
    stream.on('error', () => {});
    current = stream;
    inFlight = handleEntry(header as RawHeader, stream as AsyncIterable<Buffer>).then(
      () => next(),
      (err: unknown) => {
        entryError ??= err;
        next(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
  const failed = new Promise<never>((_, reject) => extract.once('error', reject));
  failed.catch(() => {});

  let kind: Compression = 'none';
  try {
    const peeked = await sniffCompression(input, (chunk) => {
      size += chunk.length;
      digest?.update(chunk);
    });
    kind = peeked.kind;
    // Uncompressed, the tar is the input: its diff ID is the input's digest, hashed once.
    const hashTar = kind !== 'none';
    const feed = (source: AsyncIterable<Buffer>) =>
      feedTar(source, extract, failed, (chunk) => {
        tarSize += chunk.length;
        if (hashTar) diffId.update(chunk);
      });
    const stage = decompressor(kind);
    if (stage === undefined) await pipeline(peeked.body, feed);
    else await pipeline(peeked.body, stage, feed);
  } catch (err) {
    extract.destroy(err as Error);
    // The entry being written must end too, or its writer would wait for data forever.
    current?.destroy(err as Error);
    await inFlight; // nothing may still be writing when the caller removes dest
    throw classify(entryError ?? err, kind);
  }
  // Go's tar reader ends quietly at a missing trailer; a layer cut exactly between entries is still cut.
  if (tarSize - entriesEnd < BLOCK) throw invalidArgument('layer tar ends without its end-of-archive blocks: truncated');
  applyDirTimes(root, pendingDirs);
  const inputDigest = opts.knownDigest ?? `sha256:${digest!.digest('hex')}`;
  const tarDigest = kind === 'none' ? inputDigest : `sha256:${diffId.digest('hex')}`;
  return { diffId: tarDigest, compressed: kind, digest: inputDigest, size, unpackedSize };
}

/** Refusals and file-system errors pass through; anything else came from a broken archive. */
function classify(err: unknown, kind: Compression): unknown {
  if (isKapalError(err)) return err;
  if (err instanceof Error && 'syscall' in err) return err;
  const what = kind === 'none' ? 'tar' : `${kind}-compressed tar`;
  const message = err instanceof Error ? err.message : String(err);
  return new KapalError('InvalidArgument', `layer is not a valid ${what}: ${message}`, { cause: err });
}

// Layer compression: detected by magic bytes, undone as a stream. gzip is node:zlib; zstd is fzstd
// (pure JS, Node 20 has none) fed block by block, so a zstd bomb cannot balloon one step's output.

import { Decompress } from 'fzstd';
import { createGunzip } from 'node:zlib';
import { Readable, type Transform } from 'node:stream';
import { ZstdFrameWalker } from './zstd-frames.js';

export type Compression = 'none' | 'gzip' | 'zstd';

/** Bytes needed to tell the formats apart. */
export const MAGIC_BYTES = 4;

/** gzip 1f 8b; zstd 28 b5 2f fd, or a zstd stream that opens with a skippable frame (5? 2a 4d 18). */
export function detectCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] !== undefined && (head[0] & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) return 'zstd';
  return 'none';
}

/** At most this many whole blocks (128 KiB of output each) go to fzstd in one push. */
const BLOCKS_PER_PUSH = 16;

/** The offsets at which to cut `length` bytes so that each piece ends after at most BLOCKS_PER_PUSH blocks. */
function cuts(blockEnds: number[], length: number): number[] {
  const out: number[] = [];
  for (let i = BLOCKS_PER_PUSH - 1; i < blockEnds.length; i += BLOCKS_PER_PUSH) out.push(blockEnds[i]!);
  if (out[out.length - 1] !== length) out.push(length);
  return out;
}

export async function* decompressZstd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const frames = new ZstdFrameWalker();
  const ready: Buffer[] = [];
  // fzstd hands over a fresh array per block, so wrapping it without a copy is safe.
  const decoder = new Decompress((data) => {
    if (data.length > 0) ready.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  for await (const chunk of source) {
    let start = 0;
    for (const end of cuts(frames.feed(chunk), chunk.length)) {
      decoder.push(chunk.subarray(start, end));
      start = end;
      yield* ready.splice(0);
    }
  }
  decoder.push(new Uint8Array(0), true);
  yield* ready.splice(0);
}

export type Decompressor = Transform | typeof decompressZstd;

/** The pipeline stage that undoes `kind`, or undefined for a plain tar. */
export function decompressor(kind: Compression): Decompressor | undefined {
  if (kind === 'gzip') return createGunzip();
  if (kind === 'zstd') return decompressZstd;
  return undefined;
}

/** Reads the first bytes to pick a decompressor, then replays them ahead of the rest. */
export async function sniffCompression(input: Readable, onChunk: (chunk: Buffer) => void = () => {}): Promise<{ kind: Compression; body: Readable }> {
  const chunks = (async function* () {
    for await (const chunk of input) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      onChunk(buf);
      yield buf;
    }
  })();
  const head: Buffer[] = [];
  while (head.reduce((n, b) => n + b.length, 0) < MAGIC_BYTES) {
    const next = await chunks.next();
    if (next.done) break;
    head.push(next.value);
  }
  const body = Readable.from(
    (async function* () {
      try {
        yield* head;
        yield* chunks;
      } finally {
        await chunks.return(undefined);
      }
    })(),
    { objectMode: false },
  );
  return { kind: detectCompression(Buffer.concat(head)), body };
}

// Walks the framing of a zstd stream (frame headers, block headers, skippable frames) without
// decoding anything: it refuses a window too large to allocate and tells where blocks end.

import { invalidArgument } from '../../domain/errors.js';

/**
 * Half of zstd's own default decoder limit (windowLog 27): fzstd 0.1.1 decodes frames whose window
 * exceeds 64 MiB (`zstd --ultra -22`, `--long=27` on big layers) into wrong bytes without an
 * error, so those are refused instead. Registries' zstd layers (level 3, 8 MiB windows) are far below.
 */
export const MAX_ZSTD_WINDOW = 64 * 1024 * 1024;

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC = 0x184d2a50; // low nibble is free
const DICT_ID_BYTES = [0, 1, 2, 4] as const;
const CONTENT_SIZE_BYTES = [0, 2, 4, 8] as const;

type State = 'magic' | 'skippable-size' | 'descriptor' | 'header' | 'block-header' | 'checksum' | 'skipping';

export class ZstdFrameWalker {
  #state: State = 'magic';
  #field: number[] = [];
  #need = 4;
  #skip = 0;
  #afterSkip: 'magic' | 'block' = 'magic';
  #singleSegment = false;
  #dictIdBytes = 0;
  #checksum = false;
  #lastBlock = false;

  constructor(private readonly maxWindow = MAX_ZSTD_WINDOW) {}

  /** Consumes `chunk`; returns the offsets in it just after each complete block. */
  feed(chunk: Uint8Array): number[] {
    const blockEnds: number[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.#state === 'skipping') {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        if (this.#skip === 0 && this.#endSkip()) blockEnds.push(i);
        continue;
      }
      this.#field.push(chunk[i++]!);
      if (this.#field.length < this.#need) continue;
      const field = Buffer.from(this.#field);
      this.#field = [];
      if (this.#onField(field)) blockEnds.push(i);
    }
    return blockEnds;
  }

  #expect(state: State, bytes: number): void {
    this.#state = state;
    this.#need = bytes;
  }

  #startSkip(bytes: number, then: 'magic' | 'block'): boolean {
    this.#afterSkip = then;
    if (bytes === 0) return this.#endSkip();
    this.#state = 'skipping';
    this.#skip = bytes;
    return false;
  }

  /** True when a block just ended. */
  #endSkip(): boolean {
    if (this.#afterSkip === 'magic') {
      this.#expect('magic', 4);
      return false;
    }
    if (!this.#lastBlock) this.#expect('block-header', 3);
    else if (this.#checksum) this.#expect('checksum', 4);
    else this.#expect('magic', 4);
    return true;
  }

  /** True when a block just ended. */
  #onField(field: Buffer): boolean {
    switch (this.#state) {
      case 'magic': {
        const magic = field.readUInt32LE(0);
        if (magic === FRAME_MAGIC) this.#expect('descriptor', 1);
        else if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) this.#expect('skippable-size', 4);
        else throw invalidArgument('zstd layer: not a zstd frame');
        return false;
      }
      case 'skippable-size':
        return this.#startSkip(field.readUInt32LE(0), 'magic');
      case 'descriptor': {
        const d = field[0]!;
        if (d & 0x08) throw invalidArgument('zstd layer: reserved frame header bit set');
        this.#singleSegment = (d & 0x20) !== 0;
        this.#checksum = (d & 0x04) !== 0;
        this.#dictIdBytes = DICT_ID_BYTES[d & 3]!;
        const fcsFlag = d >> 6;
        const sizeBytes = fcsFlag === 0 ? (this.#singleSegment ? 1 : 0) : CONTENT_SIZE_BYTES[fcsFlag]!;
        this.#expect('header', (this.#singleSegment ? 0 : 1) + this.#dictIdBytes + sizeBytes);
        return false;
      }
      case 'header':
        this.#checkWindow(field);
        this.#expect('block-header', 3);
        return false;
      case 'block-header': {
        const h = field[0]! | (field[1]! << 8) | (field[2]! << 16);
        const type = (h >> 1) & 3;
        if (type === 3) throw invalidArgument('zstd layer: reserved block type');
        this.#lastBlock = (h & 1) === 1;
        return this.#startSkip(type === 1 ? 1 : h >>> 3, 'block'); // an RLE block stores one byte
      }
      case 'checksum':
        this.#expect('magic', 4);
        return false;
      case 'skipping':
        return false;
    }
  }

  #checkWindow(header: Buffer): void {
    let window: number;
    if (this.#singleSegment) {
      const at = this.#dictIdBytes;
      const size = header.subarray(at);
      const value = size.length === 8 ? Number(size.readBigUInt64LE(0)) : size.length === 0 ? 0 : size.readUIntLE(0, size.length);
      window = size.length === 2 ? value + 256 : value;
    } else {
      const descriptor = header[0]!;
      const base = 2 ** (10 + (descriptor >> 3));
      window = base + (base / 8) * (descriptor & 7);
    }
    if (window > this.maxWindow) {
      throw invalidArgument(`zstd layer: window of ${window} bytes exceeds the ${this.maxWindow}-byte limit`);
    }
  }
}

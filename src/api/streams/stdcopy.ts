// Docker's stdcopy framing (moby pkg/stdcopy) for non-TTY attach, exec and logs streams:
// the muxer frames stdout/stderr for the wire, the demuxer parses the wire back into frames.
import { Transform, pipeline, type Readable, type TransformCallback, type Writable } from 'node:stream';

export const StdStream = { stdin: 0, stdout: 1, stderr: 2, systemerr: 3 } as const;
export type StdStreamId = (typeof StdStream)[keyof typeof StdStream];

export interface StdFrame {
  stream: StdStreamId;
  payload: Buffer;
}

/** Byte 0 stream type, bytes 1-3 zero, bytes 4-7 payload length as uint32 big-endian. */
export const HEADER_LENGTH = 8;
/** The most a uint32 length field can describe. */
export const MAX_FRAME_PAYLOAD = 0xffff_ffff;

function checkStream(stream: number): void {
  if (!Number.isInteger(stream) || stream < 0 || stream > 3) {
    throw new RangeError(`stdcopy: invalid stream id ${stream}`);
  }
}

function checkMaxFramePayload(max: number): void {
  if (!Number.isInteger(max) || max < 1 || max > MAX_FRAME_PAYLOAD) {
    throw new RangeError(`stdcopy: maxFramePayload must be an integer in 1..${MAX_FRAME_PAYLOAD}, got ${max}`);
  }
}

/** Writes a frame header (the type byte, three zero bytes, the length) at the start of `target`. */
export function writeStdcopyHeader(target: Buffer, stream: StdStreamId, length: number): void {
  target.writeUInt32BE(stream << 24, 0);
  target.writeUInt32BE(length, 4);
}

/** A frame header on its own, to go out before a payload that is not copied (attach-output.ts). */
export function stdcopyHeader(stream: StdStreamId, length: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_LENGTH);
  writeStdcopyHeader(header, stream, length);
  return header;
}

function frameOf(stream: StdStreamId, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_LENGTH + payload.length);
  writeStdcopyHeader(frame, stream, payload.length);
  payload.copy(frame, HEADER_LENGTH);
  return frame;
}

/** One frame per slice of at most `max` bytes; an empty payload yields no frames. */
function framesOf(stream: StdStreamId, payload: Buffer, max: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let start = 0; start < payload.length; start += max) {
    frames.push(frameOf(stream, payload.subarray(start, start + max)));
  }
  return frames;
}

/**
 * Header and payload in one buffer, so a single write puts a whole frame on the wire (as moby does).
 * The length field is a uint32, so a payload longer than `maxFramePayload` (default 0xFFFFFFFF; lower it
 * only in tests) becomes several consecutive frames of the same stream in the returned buffer.
 * An empty payload gives a valid header-only frame; StdcopyMuxer never sends one.
 */
export function encodeFrame(
  stream: StdStreamId,
  payload: Buffer,
  maxFramePayload: number = MAX_FRAME_PAYLOAD,
): Buffer {
  checkStream(stream);
  checkMaxFramePayload(maxFramePayload);
  if (payload.length <= maxFramePayload) return frameOf(stream, payload);
  return Buffer.concat(framesOf(stream, payload, maxFramePayload));
}

export interface StdcopyMuxerOptions {
  /** Split payloads longer than this into several frames; only tests need anything but the default. */
  maxFramePayload?: number;
}

/** Frames writes onto one destination, one frame per destination write. */
export class StdcopyMuxer {
  readonly #dest: Writable;
  readonly #maxFramePayload: number;

  constructor(dest: Writable, options: StdcopyMuxerOptions = {}) {
    this.#dest = dest;
    this.#maxFramePayload = options.maxFramePayload ?? MAX_FRAME_PAYLOAD;
    checkMaxFramePayload(this.#maxFramePayload);
  }

  /**
   * Writes `chunk` as one frame (several if it exceeds the frame limit) and returns the destination's
   * backpressure verdict: false means wait for 'drain'. An empty chunk writes nothing, because a
   * zero-length frame carries nothing a client could use.
   */
  write(stream: StdStreamId, chunk: Buffer): boolean {
    checkStream(stream);
    if (chunk.length === 0) return !this.#dest.writableNeedDrain;
    let ok = true;
    for (const frame of framesOf(stream, chunk, this.#maxFramePayload)) {
      ok = this.#dest.write(frame) && ok;
    }
    return ok;
  }
}

interface PendingFrame {
  stream: StdStreamId;
  length: number;
  parts: Buffer[];
  received: number;
}

/**
 * Raw bytes in, in any chunking; `StdFrame` objects out. A payload lying wholly inside one input chunk is
 * emitted as a view of that chunk (no copy), which keeps the chunk alive as long as the payload is held.
 * Errors use the docker CLI's wording, and are raised only after the consumer has read every frame that
 * preceded them (the CLI prints those first). The CLI ignores a truncated final frame; we report it,
 * because a cut-off stream from our own daemon is a bug worth seeing.
 */
export class StdcopyDemuxer extends Transform {
  // A header that straddles input chunks is assembled here.
  readonly #header = Buffer.alloc(HEADER_LENGTH);
  #headerReceived = 0;
  #frame: PendingFrame | null = null;
  #failWhenDrained: (() => void) | null = null;

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const err = this.#consume(chunk);
    if (err === undefined || this.readableLength === 0) {
      done(err);
      return;
    }
    // Erroring destroys the stream, which drops frames still buffered for the reader; wait until they are read.
    this.#failWhenDrained = () => done(err);
  }

  override _flush(done: TransformCallback): void {
    if (this.#headerReceived > 0 || this.#frame !== null) {
      done(new Error('unexpected EOF in stdcopy stream'));
      return;
    }
    done();
  }

  // Every way of consuming a Readable (flowing mode, pipe, async iteration) takes items through read().
  override read(size?: number): StdFrame | null {
    const frame = super.read(size) as StdFrame | null;
    const fail = this.#failWhenDrained;
    if (fail !== null && this.readableLength === 0) {
      this.#failWhenDrained = null;
      process.nextTick(fail); // after read() has handed over the last frame
    }
    return frame;
  }

  #consume(chunk: Buffer): Error | undefined {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#frame === null) {
        let header: Buffer;
        if (this.#headerReceived === 0 && chunk.length - offset >= HEADER_LENGTH) {
          header = chunk.subarray(offset, offset + HEADER_LENGTH);
          offset += HEADER_LENGTH;
        } else {
          const end = offset + HEADER_LENGTH - this.#headerReceived;
          const copied = chunk.copy(this.#header, this.#headerReceived, offset, end);
          this.#headerReceived += copied;
          offset += copied;
          if (this.#headerReceived < HEADER_LENGTH) return undefined;
          this.#headerReceived = 0;
          header = this.#header;
        }
        const type = header.readUInt8(0);
        // Checked at the header, as the CLI does, so garbage input fails before we buffer a bogus length.
        if (type > StdStream.systemerr) return new Error(`Unrecognized input header: ${type}`);
        this.#frame = { stream: type as StdStreamId, length: header.readUInt32BE(4), parts: [], received: 0 };
      }

      // Runs straight after a header too, so a zero-length frame at the end of a chunk completes here.
      const frame = this.#frame;
      const take = Math.min(frame.length - frame.received, chunk.length - offset);
      if (take > 0) {
        frame.parts.push(chunk.subarray(offset, offset + take));
        frame.received += take;
        offset += take;
      }
      if (frame.received < frame.length) return undefined;
      this.#frame = null;

      const payload = frame.parts.length === 1 ? frame.parts[0]! : Buffer.concat(frame.parts, frame.length);
      if (frame.stream === StdStream.systemerr) {
        return new Error(`error from daemon in stream: ${payload.toString('utf8')}`);
      }
      this.push({ stream: frame.stream, payload } satisfies StdFrame);
    }
    return undefined;
  }
}

/**
 * Demultiplexes `source` onto `stdout` and `stderr`, writing each frame only once the previous one was
 * accepted; stdin frames go to stdout, as in the CLI's StdCopy. Resolves at the end of the source, rejects
 * with the demuxer's or the source's error; never ends the destinations.
 */
export async function demuxTo(source: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  const demuxer = new StdcopyDemuxer();
  // Ties the two lifetimes (an error on either destroys the other); errors reach us through the iterator.
  pipeline(source, demuxer, () => {});
  for await (const frame of demuxer as AsyncIterable<StdFrame>) {
    if (frame.payload.length === 0) continue;
    const dest = frame.stream === StdStream.stderr ? stderr : stdout;
    if (!dest.write(frame.payload)) await drained(dest);
  }
}

function drained(dest: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error): void => {
      dest.off('drain', onDrain);
      dest.off('error', onError);
      dest.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => settle();
    const onError = (err: Error): void => settle(err);
    const onClose = (): void => settle(new Error('stdcopy: destination closed before it drained'));
    dest.on('drain', onDrain);
    dest.on('error', onError);
    dest.on('close', onClose);
  });
}

// Turning json-file lines into the bytes `docker logs` sends, without a JSON.parse and two string
// conversions per line: the shim writes nearly every record as {"log":"…","stream":"stdout",
// "time":"…"} with no escape but a trailing \n, so those are copied byte for byte into one buffer
// per run of a stream. Any other line (escapes, other keys, another order) goes through JSON.parse.

export type LogStream = 'stdout' | 'stderr';

/** Consecutive records of one stream, their payloads concatenated. */
export interface LogChunk {
  stream: LogStream;
  data: Buffer;
  /** `data` with the reader's `headroom` bytes before it, for a frame header written in place. */
  framed: Buffer;
}

/** Where a RecordReader puts its chunks. */
export interface ChunkBuffers {
  /** Bytes left free before each chunk's payload. */
  headroom: number;
  /** A buffer of at least `size` bytes, a recycled one say (the reader never keeps a chunk it gave out). */
  allocate(size: number): Buffer;
}

/** About the most payload one chunk holds (a record bigger than that gets a chunk of its own). */
export const LOG_CHUNK_SIZE = 1 << 19;

const fresh: ChunkBuffers = { headroom: 0, allocate: (size) => Buffer.allocUnsafe(size) };

export interface RecordFilter {
  stdout: boolean;
  stderr: boolean;
  /** Unix ms (may have a fraction); records before are skipped; 0: none. */
  since: number;
  /** Unix ms; records after are skipped; 0: none. */
  until: number;
  /** Each payload starts with the record's time, RFC 3339 with 9 fraction digits, and a space. */
  timestamps: boolean;
}

// {"log":"<payload>","stream":"stdout","time":"<time>"}: the prefix, and what lies between the
// payload and the time (the stream's name at STREAM_AT).
const PREFIX_LEN = '{"log":"'.length;
const MID_LEN = '","stream":"stdout","time":"'.length;
const STREAM_AT = '","stream":"'.length;
const Q = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const NL = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);
const NONE = 0;
const STDOUT = 1;
const STDERR = 2;

/** docker's timestamp prefix: RFC 3339 with a fixed 9-digit fraction. */
export function fixedNanos(time: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return time;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
}

/** RFC 3339 to unix ms, keeping the fraction below a millisecond that Date.parse drops. */
export function timeMs(time: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$/.exec(time);
  if (!m) return Date.parse(time);
  return Date.parse(m[1]! + m[3]!) + Number(`0.${m[2]}`) * 1000;
}

/**
 * Reads complete lines (each ending in "\n") and collects the payloads of the wanted records into
 * chunks of about `chunkSize` bytes; a change of stream starts a new chunk. Lines that are not
 * records (garbage, a torn write) are skipped.
 */
export class RecordReader {
  /** Finished chunks, for the caller to take. */
  chunks: LogChunk[] = [];
  private out: Buffer;
  /** The end of what out holds: its headroom, then payloads. */
  private len: number;
  private outStream = NONE;
  /** Where feed() last looked for a backslash: the first one at or after the current line, or Infinity. */
  private nextBackslash = -1;
  // The last record: its stream and time, and its payload: buf[from, to) plus "\n" when newline,
  // or `log` from the slow path.
  private stream = NONE;
  private from = 0;
  private to = 0;
  private newline = false;
  private timeFrom = 0;
  private timeTo = 0;
  private log: string | undefined;
  private time: string | undefined;

  constructor(
    private readonly filter: RecordFilter,
    private readonly buffers: ChunkBuffers = fresh,
    private readonly chunkSize = LOG_CHUNK_SIZE,
  ) {
    this.out = buffers.allocate(buffers.headroom + chunkSize);
    this.len = buffers.headroom;
  }

  /** Consumes the complete lines of buf[start, end); returns the offset after the last of them. */
  feed(buf: Buffer, start: number, end: number): number {
    this.nextBackslash = -1; // the caller may have refilled the same buffer
    let pos = start;
    for (;;) {
      const nl = buf.indexOf(NEWLINE, pos);
      if (nl < 0 || nl >= end) return pos;
      if ((this.fastRecord(buf, pos, nl) || this.parseSlow(buf, pos, nl)) && this.wantedRecord(buf)) {
        this.append(buf);
      }
      pos = nl + 1;
    }
  }

  /** Whether the line buf[start, nl) is a record the filter keeps (for counting a tail). */
  wanted(buf: Buffer, start: number, nl: number): boolean {
    return this.parseSlow(buf, start, nl) && this.wantedRecord(buf);
  }

  /** Moves what is collected into `chunks`. */
  flush(): void {
    const { headroom } = this.buffers;
    if (this.len === headroom) return;
    const stream = this.outStream === STDERR ? 'stderr' : 'stdout';
    this.chunks.push({ stream, data: this.out.subarray(headroom, this.len), framed: this.out.subarray(0, this.len) });
    this.out = this.buffers.allocate(headroom + this.chunkSize);
    this.len = headroom;
  }

  /** Takes the finished chunks. */
  take(): LogChunk[] {
    const c = this.chunks;
    this.chunks = [];
    return c;
  }

  /**
   * The common record, found without decoding: {"log":"<no escape but a final \n>","stream":
   * "stdout|stderr","time":"<no quote>"}. False for any other line (the slow path decides).
   */
  private fastRecord(buf: Buffer, start: number, nl: number): boolean {
    const from = start + PREFIX_LEN;
    if (nl - from < MID_LEN + 3 || buf[nl - 1] !== 0x7d || buf[nl - 2] !== Q || !startsWithLog(buf, start)) return false;
    const timeTo = nl - 2;
    let timeQuote = timeTo - 31; // a time with all nine digits of its fraction: `:"` before it
    if (buf[timeQuote] !== Q || buf[timeQuote - 1] !== 0x3a) for (timeQuote = timeTo - 1; buf[timeQuote] !== Q && timeQuote > timeTo - 40; ) timeQuote--;
    const mid = timeQuote - (MID_LEN - 1);
    if (mid < from) return false;
    const stream = streamAt(buf, mid);
    if (stream === NONE) return false;
    if (this.nextBackslash < from) {
      const b = buf.indexOf(BACKSLASH, from);
      this.nextBackslash = b < 0 ? Infinity : b;
    }
    const bs = this.nextBackslash;
    const plain = bs >= mid;
    // No escape but a final \n, and no quote before `mid` (from another key in between).
    if (!(plain || (bs === mid - 2 && buf[mid - 1] === 0x6e)) || buf.indexOf(Q, from) !== mid) return false;
    this.log = undefined;
    this.stream = stream;
    this.from = from;
    this.to = plain ? mid : mid - 2;
    this.newline = !plain;
    this.timeFrom = timeQuote + 1;
    this.timeTo = timeTo;
    return true;
  }

  private parseSlow(buf: Buffer, start: number, nl: number): boolean {
    let r: { log?: unknown; stream?: unknown; time?: unknown };
    try {
      r = JSON.parse(buf.toString('utf8', start, nl));
    } catch {
      return false;
    }
    if (r === null || typeof r.log !== 'string' || typeof r.time !== 'string' || (r.stream !== 'stdout' && r.stream !== 'stderr')) return false;
    this.stream = r.stream === 'stderr' ? STDERR : STDOUT;
    this.log = r.log;
    this.time = r.time;
    return true;
  }

  private timeString(buf: Buffer): string {
    return this.log !== undefined ? this.time! : buf.toString('latin1', this.timeFrom, this.timeTo);
  }

  private wantedRecord(buf: Buffer): boolean {
    const f = this.filter;
    if (!(this.stream === STDOUT ? f.stdout : f.stderr)) return false;
    if (f.since === 0 && f.until === 0) return true;
    const t = timeMs(this.timeString(buf));
    return (f.since === 0 || t >= f.since) && (f.until === 0 || t <= f.until);
  }

  private append(buf: Buffer): void {
    if (this.stream !== this.outStream || this.len >= this.chunkSize) this.flush();
    this.outStream = this.stream;
    if (this.log === undefined && !this.filter.timestamps) {
      const n = this.to - this.from + 1;
      if (this.len + n > this.out.length) this.grow(n);
      // A view and set() are twice as fast as buf.copy() for short lines (no C++ call).
      this.out.set(new Uint8Array(buf.buffer, buf.byteOffset + this.from, n - 1), this.len);
      this.len += n - 1;
      if (this.newline) this.out[this.len++] = NEWLINE;
      return;
    }
    const stamp = this.filter.timestamps ? `${fixedNanos(this.timeString(buf))} ` : '';
    const payload = this.log !== undefined ? Buffer.from(stamp + this.log) : Buffer.concat([Buffer.from(stamp), buf.subarray(this.from, this.to), this.newline ? NL : EMPTY]);
    if (this.len + payload.length > this.out.length) this.grow(payload.length);
    this.len += payload.copy(this.out, this.len);
  }

  /** Room for a record of n bytes: the chunk so far goes out, and a record bigger than a chunk gets its own. */
  private grow(n: number): void {
    this.flush();
    if (this.len + n > this.out.length) this.out = Buffer.allocUnsafe(this.len + n);
  }
}

/** buf[at..] is `{"log":"`. */
function startsWithLog(buf: Buffer, at: number): boolean {
  // Unrolled: about twice as fast as a loop over a prefix buffer.
  return buf[at] === 0x7b && buf[at + 1] === Q && buf[at + 2] === 0x6c && buf[at + 3] === 0x6f &&
    buf[at + 4] === 0x67 && buf[at + 5] === Q && buf[at + 6] === 0x3a && buf[at + 7] === Q;
}

/** STDOUT or STDERR when buf[at..] is `","stream":"stdout|stderr","time":"`, else NONE. */
function streamAt(b: Buffer, at: number): number {
  // `","stream":"` then `","time":"`, unrolled like startsWithLog.
  if (b[at] !== Q || b[at + 1] !== 0x2c || b[at + 2] !== Q || b[at + 3] !== 0x73 || b[at + 4] !== 0x74 || b[at + 5] !== 0x72 ||
    b[at + 6] !== 0x65 || b[at + 7] !== 0x61 || b[at + 8] !== 0x6d || b[at + 9] !== Q || b[at + 10] !== 0x3a || b[at + 11] !== Q ||
    b[at + 18] !== Q || b[at + 19] !== 0x2c || b[at + 20] !== Q || b[at + 21] !== 0x74 || b[at + 22] !== 0x69 || b[at + 23] !== 0x6d ||
    b[at + 24] !== 0x65 || b[at + 25] !== Q || b[at + 26] !== 0x3a || b[at + 27] !== Q) return NONE;
  const s = at + STREAM_AT;
  if (b[s] !== 0x73 || b[s + 1] !== 0x74 || b[s + 2] !== 0x64) return NONE; // "std"
  if (b[s + 3] === 0x6f && b[s + 4] === 0x75 && b[s + 5] === 0x74) return STDOUT;
  if (b[s + 3] === 0x65 && b[s + 4] === 0x72 && b[s + 5] === 0x72) return STDERR;
  return NONE;
}

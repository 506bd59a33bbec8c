// Reading docker's json-file logs, which the shim writes and rotates (<id>-json.log, then .1, .2,
// ... newest first): what is there, oldest file first, filtered (streams, since, until, tail),
// and in follow mode new lines until the container stops, across rotations. Parsing is in
// json-log-records.ts.

import { open, stat, type FileHandle } from 'node:fs/promises';
import { RecordReader, type ChunkBuffers, type LogChunk, type RecordFilter } from './json-log-records.js';

export { LOG_CHUNK_SIZE, fixedNanos, type ChunkBuffers, type LogChunk } from './json-log-records.js';

export interface LogQuery extends RecordFilter {
  /** Last N records only; -1 for all. */
  tail: number;
  follow: boolean;
}

const POLL_MS = 50;
const CHUNK = 1 << 20;
const TAIL_CHUNK = 1 << 16;

interface LogFile {
  handle: FileHandle;
  ino: number;
  /** Bytes to read: the size when opened without follow, else growing. */
  limit: number;
  offset: number;
  /** The start of a line not complete yet. */
  carry: Buffer;
}

async function openFile(path: string): Promise<LogFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return undefined;
  }
  const st = await handle.stat();
  return { handle, ino: st.ino, limit: st.size, offset: 0, carry: Buffer.alloc(0) };
}

/**
 * The log's files, oldest first, opened newest first and told apart by inode (the shim's rotation
 * never leaves a gap in .1, .2, ..., but may show a file under two names for a moment). A rotation
 * finishing while they are opened can put a newer file after an older one: then they are opened
 * again. Stops at the file with inode `stopAt`, if given.
 */
async function openFiles(file: string, stopAt?: number): Promise<LogFile[]> {
  for (let attempt = 1; ; attempt++) {
    const files: LogFile[] = [];
    const seen = new Set<number>();
    let current: number | undefined;
    for (let i = 0; ; i++) {
      const f = await openFile(i === 0 ? file : `${file}.${i}`);
      if (!f) {
        if (i === 0) continue; // never written (a container that never started): look for .1 anyway
        break;
      }
      if (i === 0) current = f.ino;
      if (seen.has(f.ino)) await f.handle.close();
      else files.unshift(f), seen.add(f.ino);
      if (f.ino === stopAt) break;
    }
    const now = await stat(file).catch(() => undefined);
    if (now?.ino === current || attempt === 20) return files;
    for (const f of files) await f.handle.close();
  }
}

/** Reads f up to its limit (follow: to its end), feeding the records to `reader`; false at the end. */
async function readSome(f: LogFile, reader: RecordReader, follow: boolean, scratch: { buf: Buffer }): Promise<boolean> {
  const want = follow ? CHUNK : Math.min(CHUNK, f.limit - f.offset);
  if (want <= 0) return false;
  // One buffer for every read: the reader copies what it keeps.
  if (scratch.buf.length < f.carry.length + want) scratch.buf = Buffer.allocUnsafe(f.carry.length + want);
  const buf = scratch.buf;
  f.carry.copy(buf);
  const { bytesRead } = await f.handle.read(buf, f.carry.length, want, f.offset);
  if (bytesRead === 0) return false;
  f.offset += bytesRead;
  const end = f.carry.length + bytesRead;
  const used = reader.feed(buf, 0, end);
  f.carry = Buffer.from(buf.subarray(used, end)); // a copy: the rest of buf is garbage now
  return true;
}

/**
 * Where the last `n` wanted records begin: the file and offset, found reading backwards from the
 * files' limits. Before the first file's start when there are fewer.
 */
async function tailStart(files: LogFile[], n: number, reader: RecordReader): Promise<{ index: number; offset: number }> {
  let count = 0;
  for (let index = files.length - 1; index >= 0; index--) {
    const f = files[index]!;
    let pos = f.limit;
    let carry = Buffer.alloc(0); // bytes after pos already read: the end of a line that starts earlier
    let complete = false; // found the end of the last complete line (a torn write after it is no record)
    while (pos > 0) {
      const len = Math.min(TAIL_CHUNK, pos);
      pos -= len;
      const chunk = Buffer.allocUnsafe(len);
      await f.handle.read(chunk, 0, len, pos);
      const buf = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk;
      let lineEnd = buf.length; // buf[.., lineEnd) ends with a complete line's "\n"
      if (!complete) {
        lineEnd = buf.lastIndexOf(0x0a) + 1;
        if (lineEnd === 0) continue; // all torn so far: read further back
        complete = true;
      }
      for (;;) {
        const prev = lineEnd >= 2 ? buf.lastIndexOf(0x0a, lineEnd - 2) : -1;
        if (prev < 0 && pos > 0) break; // the line starts in an earlier chunk
        const lineStart = prev + 1;
        if (lineEnd > lineStart && reader.wanted(buf, lineStart, lineEnd - 1) && ++count === n) return { index, offset: pos + lineStart };
        lineEnd = lineStart;
        if (lineEnd === 0) break;
      }
      carry = buf.subarray(0, lineEnd);
    }
  }
  return { index: 0, offset: 0 };
}

/** The files newer than `f` once the log was rotated under it, oldest first; closes the others. */
async function filesAfter(file: string, f: LogFile): Promise<LogFile[]> {
  const files = await openFiles(file, f.ino);
  const at = files.findIndex((g) => g.ino === f.ino);
  // Not there: rotated out of the kept files, so all of them are newer.
  for (const g of files.slice(0, at + 1)) await g.handle.close();
  return files.slice(at + 1);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The wanted records, in chunks of one stream each. `running` says whether to keep following;
 * `buffers` is where the chunks go (fresh buffers by default).
 */
export async function* readLog(file: string, q: LogQuery, running: () => boolean, buffers?: ChunkBuffers): AsyncGenerator<LogChunk> {
  const reader = new RecordReader(q, buffers);
  const scratch = { buf: Buffer.alloc(0) };
  let files = await openFiles(file);
  try {
    if (files.length === 0) return; // no log: a container that never started, or a removed one
    let index = 0;
    if (q.tail >= 0) {
      const start = q.tail === 0 ? { index: files.length - 1, offset: files[files.length - 1]!.limit } : await tailStart(files, q.tail, reader);
      index = start.index;
      files[index]!.offset = start.offset;
    }
    for (; index < files.length; index++) {
      const f = files[index]!;
      // Followed, the newest file is read to its end, not to the size it had when opened.
      const follow = q.follow && index === files.length - 1;
      while (await readSome(f, reader, follow, scratch)) yield* reader.take();
    }
    reader.flush();
    yield* reader.take();
    if (!q.follow) return;
    let current = files.pop()!;
    for (const f of files) await f.handle.close();
    files = [current];
    for (;;) {
      const stillRunning = running();
      while (await readSome(current, reader, true, scratch)) yield* reader.take();
      // Rotated: the old file is complete, so read it to its end, then every newer one.
      const now = await stat(file).catch(() => undefined);
      if (now && now.ino !== current.ino) {
        while (await readSome(current, reader, true, scratch)) yield* reader.take();
        const newer = await filesAfter(file, current);
        if (newer.length > 0) {
          await current.handle.close();
          files = newer;
          for (const f of newer.slice(0, -1)) {
            while (await readSome(f, reader, true, scratch)) yield* reader.take();
            await f.handle.close();
          }
          current = newer[newer.length - 1]!;
          files = [current];
          continue; // read the new file before deciding anything
        }
      }
      reader.flush();
      yield* reader.take();
      if (!stillRunning) return;
      if (q.until !== 0 && Date.now() > q.until) return;
      await sleep(POLL_MS);
    }
  } finally {
    for (const f of files) await f.handle.close().catch(() => {});
  }
}

// Output of an attach or exec stream onto an HTTP connection (hijacked socket or a 200 response):
// raw bytes with a TTY, stdcopy frames without. This is the hot path of attach throughput: the
// frames of one tick go out as one writev (cork, uncork on the next tick), payloads never copied, and
// the session is told to stop reading only when a client is really behind (CLIENT_HIGH_WATER
// queued), not at every write past Node's 16 KiB highWaterMark.

import type { Writable } from 'node:stream';
import { StdStream, stdcopyHeader, type StdStreamId } from './stdcopy.js';

/** Bytes queued for one client before kapald stops reading its shim connection (then the shim buffers). */
export const CLIENT_HIGH_WATER = 1024 * 1024;

export interface OutputWriter {
  /** false: the client is behind; resume on the destination's 'drain'. */
  stdout(chunk: Buffer): boolean;
  stderr(chunk: Buffer): boolean;
}

export function outputWriter(out: Writable, tty: boolean): OutputWriter {
  // Past the highWaterMark write() returns false and 'drain' follows once the queue is empty.
  const keepGoing = () => out.writableLength < CLIENT_HIGH_WATER;
  if (tty) {
    const raw = (chunk: Buffer) => {
      out.write(chunk);
      return keepGoing();
    };
    return { stdout: raw, stderr: raw };
  }
  // Every frame written in one tick (the frames of one read from the shim) goes out in one writev.
  let corked = false;
  const uncork = () => {
    corked = false;
    out.uncork();
  };
  const framed = (stream: StdStreamId) => (chunk: Buffer) => {
    if (chunk.length === 0) return keepGoing();
    if (!corked) {
      corked = true;
      out.cork();
      process.nextTick(uncork);
    }
    out.write(stdcopyHeader(stream, chunk.length));
    out.write(chunk);
    return keepGoing();
  };
  return { stdout: framed(StdStream.stdout), stderr: framed(StdStream.stderr) };
}

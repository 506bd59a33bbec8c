// Reading docker's json-file logs, which the shim writes: one {"log","stream","time"} object per
// line. Reads what is there, filtered (streams, since, until, tail), and in follow mode keeps
// reading new lines until the container stops.

import { open } from 'node:fs/promises';

export interface LogRecord {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

export interface LogQuery {
  stdout: boolean;
  stderr: boolean;
  /** Unix ms; records before are skipped. */
  since: number;
  /** Unix ms; records after are skipped (0 = no bound). */
  until: number;
  /** Last N records only; -1 for all. */
  tail: number;
  follow: boolean;
}

const POLL_MS = 50;
const CHUNK = 1 << 20;

function parse(line: string): LogRecord | undefined {
  try {
    const r = JSON.parse(line) as LogRecord;
    return typeof r.log === 'string' ? r : undefined;
  } catch {
    return undefined; // a torn last line (the shim is writing it) or garbage: skip
  }
}

/** RFC 3339 with nanoseconds to unix ms (the precision the filters need). */
export const timeOf = (r: LogRecord): number => Date.parse(r.time);

/** `idle` runs whenever the reader has caught up and is about to wait for more (follow mode). */
export async function* readLog(file: string, q: LogQuery, running: () => boolean, idle: () => Promise<void> = async () => {}): AsyncGenerator<LogRecord> {
  const wanted = (r: LogRecord) =>
    (r.stream === 'stdout' ? q.stdout : q.stderr) && (q.since === 0 || timeOf(r) >= q.since) && (q.until === 0 || timeOf(r) <= q.until);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return; // no log yet: a container that never started
  }
  try {
    let offset = 0;
    let partial = '';
    const readMore = async (): Promise<LogRecord[]> => {
      const out: LogRecord[] = [];
      for (;;) {
        const buf = Buffer.allocUnsafe(CHUNK);
        const { bytesRead } = await handle.read(buf, 0, CHUNK, offset);
        if (bytesRead === 0) return out;
        offset += bytesRead;
        const text = partial + buf.subarray(0, bytesRead).toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          const r = parse(line);
          if (r && wanted(r)) out.push(r);
        }
      }
    };
    let first = await readMore();
    if (q.tail >= 0) first = q.tail === 0 ? [] : first.slice(-q.tail);
    yield* first;
    if (!q.follow) return;
    for (;;) {
      const stillRunning = running();
      yield* await readMore();
      if (!stillRunning) return;
      if (q.until !== 0 && Date.now() > q.until) return;
      await idle();
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    await handle.close();
  }
}

/** docker's timestamp prefix: RFC 3339 with a fixed 9-digit fraction. */
export function fixedNanos(time: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return time;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
}

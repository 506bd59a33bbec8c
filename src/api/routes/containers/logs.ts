// GET /containers/{id}/logs: the json-file log as stdcopy frames (or raw bytes for a TTY), with
// follow, tail, since, until and timestamps as docker logs sends them. The `none` driver has no
// log to read: 501, as moby answers for a driver that cannot read.

import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { isRunning } from '../../../domain/container-lifecycle.js';
import { invalidArgument, notImplemented } from '../../../domain/errors.js';
import { LOG_CHUNK_SIZE, readLog, type LogChunk } from '../../../runtime/json-log.js';
import type { Api } from '../../app.js';
import { queryBool, timeParam } from '../../query.js';
import { HEADER_LENGTH, StdStream, writeStdcopyHeader } from '../../streams/stdcopy.js';
import { startResponseStream } from '../../streams/response-stream.js';
import type { Services } from '../index.js';

/** Chunks written and not yet taken by the socket before the reader waits. */
const MAX_IN_FLIGHT = 4;

const query = z.looseObject({
  follow: queryBool(),
  stdout: queryBool(),
  stderr: queryBool(),
  timestamps: queryBool(),
  details: queryBool(),
  since: z.string().optional(),
  until: z.string().optional(),
  tail: z.string().optional(),
});

/**
 * Writes the reader's chunks, each with its frame header written into the room the reader left,
 * and lets a few be in flight: the log is read on while the client takes the last ones. A chunk's
 * buffer is reused once written.
 */
class ChunkWriter {
  private readonly pool: Buffer[] = [];
  private inFlight = 0;
  private wake: (() => void) | undefined;

  constructor(
    private readonly res: ServerResponse,
    readonly headroom: number,
  ) {
    res.on('close', () => this.wake?.());
  }

  readonly allocate = (size: number): Buffer => (size === this.headroom + LOG_CHUNK_SIZE && this.pool.pop()) || Buffer.allocUnsafe(size);

  async write(chunk: LogChunk): Promise<void> {
    const { framed } = chunk;
    if (this.headroom > 0) writeStdcopyHeader(framed, chunk.stream === 'stderr' ? StdStream.stderr : StdStream.stdout, chunk.data.length);
    this.inFlight++;
    this.res.write(framed, () => {
      this.inFlight--;
      const whole = framed.buffer.byteLength === this.headroom + LOG_CHUNK_SIZE && framed.byteOffset === 0;
      if (whole && this.pool.length < MAX_IN_FLIGHT) this.pool.push(Buffer.from(framed.buffer));
      this.wake?.();
    });
    while (this.inFlight >= MAX_IN_FLIGHT && !this.res.destroyed) await new Promise<void>((resolve) => (this.wake = resolve));
  }
}

export default function containerLogs(app: Api, { containers }: Services): void {
  app.get('/containers/:id/logs', { schema: { params: z.object({ id: z.string() }), querystring: query } }, async (request, reply) => {
    const q = request.query;
    const c = containers.get(request.params.id);
    if (!q.stdout && !q.stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    const tail = q.tail === undefined || q.tail === 'all' || q.tail === '' ? -1 : Number(q.tail);
    if (!Number.isInteger(tail)) throw invalidArgument(`invalid value for tail: ${q.tail}`);
    const since = timeParam(q.since, 'since');
    const until = timeParam(q.until, 'until');
    if (c.hostConfig.LogConfig.Type === 'none') throw notImplemented('configured logging driver does not support reading');
    const tty = c.config.Tty;
    const res = startResponseStream(reply, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    let gone = false;
    res.on('close', () => (gone = true));
    const running = () => {
      const status = containers.find(c.id)?.state.status;
      return !gone && status !== undefined && isRunning(status);
    };
    try {
      // Each chunk is a run of records of one stream (up to about 128 KiB) with room for the frame
      // header before it: one frame, one write, no copy.
      const writer = new ChunkWriter(res, tty ? 0 : HEADER_LENGTH);
      const query = { stdout: q.stdout, stderr: q.stderr, since, until, timestamps: q.timestamps, tail: tail < 0 ? -1 : tail, follow: q.follow };
      for await (const chunk of readLog(containers.logPath(c), query, running, writer)) {
        if (gone) break;
        await writer.write(chunk);
      }
    } finally {
      res.end();
    }
  });
}

// GET /containers/{id}/logs: the json-file log as stdcopy frames (or raw bytes for a TTY), with
// follow, tail, since, until and timestamps as docker logs sends them.

import { z } from 'zod';
import { isRunning } from '../../../domain/container-lifecycle.js';
import { invalidArgument } from '../../../domain/errors.js';
import { fixedNanos, readLog } from '../../../runtime/json-log.js';
import type { Api } from '../../app.js';
import { queryBool } from '../../query.js';
import { StdStream, StdcopyMuxer } from '../../streams/stdcopy.js';
import { startResponseStream } from '../../streams/response-stream.js';
import type { Services } from '../index.js';

/** Unix seconds with an optional fraction ("1704067200.000000000"), or an RFC 3339 date. */
function timeParam(v: string | undefined, name: string): number {
  if (v === undefined || v === '' || v === '0') return 0;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid value for ${name}: ${v}`);
  return t;
}

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

export default function containerLogs(app: Api, { containers }: Services): void {
  app.get('/containers/:id/logs', { schema: { params: z.object({ id: z.string() }), querystring: query } }, async (request, reply) => {
    const q = request.query;
    const c = containers.get(request.params.id);
    if (!q.stdout && !q.stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    const tail = q.tail === undefined || q.tail === 'all' || q.tail === '' ? -1 : Number(q.tail);
    if (!Number.isInteger(tail)) throw invalidArgument(`invalid value for tail: ${q.tail}`);
    const since = timeParam(q.since, 'since');
    const until = timeParam(q.until, 'until');
    const tty = c.config.Tty;
    const res = startResponseStream(reply, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const mux = new StdcopyMuxer(res);
    let gone = false;
    res.on('close', () => (gone = true));
    const running = () => {
      const status = containers.find(c.id)?.state.status;
      return !gone && status !== undefined && isRunning(status);
    };
    // Consecutive records of one stream go out as one frame of up to 64 KiB: a log of short lines
    // is otherwise a frame (and a write) per line.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let pendingStream: 'stdout' | 'stderr' = 'stdout';
    const flush = async () => {
      if (pendingBytes === 0) return;
      const payload = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const ok = tty ? res.write(payload) : mux.write(pendingStream === 'stderr' ? StdStream.stderr : StdStream.stdout, payload);
      if (!ok) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
    };
    try {
      const query = { stdout: q.stdout, stderr: q.stderr, since, until, tail: tail < 0 ? -1 : tail, follow: q.follow };
      for await (const r of readLog(containers.logPath(c), query, running, () => flush())) {
        if (gone) break;
        if (r.stream !== pendingStream) await flush();
        pendingStream = r.stream;
        const payload = Buffer.from(q.timestamps ? `${fixedNanos(r.time)} ${r.log}` : r.log, 'utf8');
        pending.push(payload);
        pendingBytes += payload.length;
        if (pendingBytes >= 65536) await flush();
      }
      await flush();
    } finally {
      res.end();
    }
  });
}

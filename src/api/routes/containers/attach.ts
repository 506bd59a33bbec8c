// POST /containers/{id}/attach: the container's stdio over a hijacked connection (Upgrade: tcp,
// answered 101) or, for clients that do not upgrade (dockerode's default), as a plain streaming
// response without stdin. Output is stdcopy-framed unless the container has a TTY.

import type { Duplex } from 'node:stream';
import { z } from 'zod';
import type { Api } from '../../app.js';
import { queryBool } from '../../query.js';
import { StdStream, StdcopyMuxer } from '../../streams/stdcopy.js';
import { startResponseStream } from '../../streams/response-stream.js';
import { acceptTcpUpgrade, upgradeSocket } from '../../streams/upgrade.js';
import type { Services } from '../index.js';

const query = z.looseObject({
  stream: queryBool(),
  stdin: queryBool(),
  stdout: queryBool(),
  stderr: queryBool(),
  logs: queryBool(),
  detachKeys: z.string().optional(),
});

export default function attachContainer(app: Api, { containers }: Services): void {
  app.post('/containers/:id/attach', { schema: { params: z.object({ id: z.string() }), querystring: query } }, async (request, reply) => {
    const q = request.query;
    const c = containers.get(request.params.id);
    const tty = c.config.Tty;
    const contentType = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
    const raw = request.query as Record<string, unknown>;
    const anyStream = ['stdin', 'stdout', 'stderr'].some((k) => raw[k] !== undefined);
    const streams = anyStream ? { stdin: q.stdin, stdout: q.stdout, stderr: q.stderr } : { stdin: false, stdout: true, stderr: true };

    const upgraded = upgradeSocket(request) !== undefined;
    const out: Duplex | NodeJS.WritableStream = upgraded ? acceptTcpUpgrade(request, reply, contentType) : startResponseStream(reply, contentType);
    const socket = upgraded ? (out as Duplex) : undefined;
    if (!upgraded) streams.stdin = false;
    const mux = new StdcopyMuxer(out as NodeJS.WritableStream as Duplex);
    const write = (stream: 1 | 2, chunk: Buffer) => (tty ? out.write(chunk) : mux.write(stream === 2 ? StdStream.stderr : StdStream.stdout, chunk));
    if (!q.stream) {
      out.end();
      return;
    }
    let session;
    try {
      session = await containers.attach(c.id, streams, {
        stdout: (b) => write(1, b),
        stderr: (b) => write(2, b),
        end: () => out.end(),
      });
    } catch {
      out.end();
      return;
    }
    const s = session;
    const gone = () => containers.detach(c.id, s);
    out.on('drain', () => s.drained());
    if (socket) {
      socket.on('data', (chunk: Buffer) => s.stdin(chunk));
      socket.on('end', () => s.closeStdin());
      socket.on('close', gone);
      socket.on('error', gone);
      socket.resume();
    } else {
      reply.raw.on('close', gone);
    }
  });
}

// POST /containers/{id}/attach: the container's stdio over a hijacked connection (Upgrade: tcp,
// answered 101) or, for clients that do not upgrade (dockerode's default), as a plain streaming
// response without stdin. Output is stdcopy-framed unless the container has a TTY.

import type { Duplex, Writable } from 'node:stream';
import type { Api } from '../../app.js';
import { outputWriter } from '../../streams/attach-output.js';
import { pipeHijackedInput } from '../../streams/hijacked-input.js';
import { startResponseStream } from '../../streams/response-stream.js';
import { acceptTcpUpgrade, upgradeSocket } from '../../streams/upgrade.js';
import type { Services } from '../index.js';
import { attachParams, attachQuery, attachRequest, requestedStreams } from './attach-common.js';

export default function attachContainer(app: Api, { containers }: Services): void {
  app.post('/containers/:id/attach', { schema: { params: attachParams, querystring: attachQuery } }, async (request, reply) => {
    const q = request.query;
    const opts = attachRequest(q); // moby checks the keys before it looks the container up
    const c = containers.attachable(request.params.id);
    const tty = c.config.Tty;
    const contentType = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
    const streams = requestedStreams(q, { stdin: false, stdout: true, stderr: true });

    const socket: Duplex | undefined = upgradeSocket(request) && acceptTcpUpgrade(request, reply, contentType);
    const out: Writable = socket ?? startResponseStream(reply, contentType);
    if (!socket) streams.stdin = false;
    if (!q.stream && !q.logs) {
      out.end();
      return;
    }
    const write = outputWriter(out, tty);
    let session;
    try {
      session = await containers.attach(c.id, streams, { stdout: write.stdout, stderr: write.stderr, end: () => out.end() }, opts);
    } catch {
      out.end();
      return;
    }
    const s = session;
    const gone = () => containers.detach(c.id, s);
    out.on('drain', () => s.drained());
    if (socket) pipeHijackedInput(socket, s, gone);
    else reply.raw.on('close', gone);
  });
}

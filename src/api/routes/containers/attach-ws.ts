// GET /containers/{id}/attach/ws: attach over a websocket, as moby serves it, with kapal's
// extension for terminal resize and the exit code (api/streams/websocket-session.ts). Before API
// 1.42 stdin, stdout and stderr are all on, whatever the query says.

import type { WebSocket } from 'ws';
import { compareVersions } from '../../../domain/api-version.js';
import type { Api } from '../../app.js';
import { serveWebsocketSession } from '../../streams/websocket-session.js';
import type { Services } from '../index.js';
import { attachParams, attachQuery, attachRequest, type AttachQuery } from './attach-common.js';

function streamsFor(q: AttachQuery, apiVersion: string) {
  if (compareVersions(apiVersion, '1.42') < 0) return { stdin: true, stdout: true, stderr: true };
  return { stdin: q.stdin, stdout: q.stdout, stderr: q.stderr };
}

export default function attachContainerWebsocket(app: Api, { containers }: Services): void {
  app.get('/containers/:id/attach/ws', {
    websocket: true,
    schema: { params: attachParams, querystring: attachQuery },
    // Refusals (no such container, bad detach keys, paused) are plain HTTP answers, before the upgrade.
    preHandler: async (request) => {
      attachRequest(request.query);
      containers.attachable(request.params.id);
    },
  }, async (socket: WebSocket, request) => {
    const q = request.query;
    if (!q.stream && !q.logs) return socket.close(1000);
    let id = request.params.id;
    await serveWebsocketSession(
      socket,
      { binary: compareVersions(request.apiVersion, '1.28') >= 0, multiplex: q.multiplex },
      (sink) => {
        id = containers.attachable(id).id;
        return containers.attach(id, streamsFor(q, request.apiVersion), sink, attachRequest(q));
      },
      (session) => containers.detach(id, session),
    );
  });
}

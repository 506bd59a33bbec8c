// GET /exec/{id}/start/ws: kapal's websocket way to start an exec (docker has none). The stream is
// the one of GET /containers/{id}/attach/ws: binary frames, output not multiplexed, client frames
// are stdin; with the subprotocol `kapal.attach.v1`, resize and eof from the client and the exit
// code at the end (api/streams/websocket-session.ts). `h` and `w` size a TTY exec's pty from the
// start. A start failure is the message as output, then the exit (127, 126, 128).

import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Api } from '../../app.js';
import { serveWebsocketSession } from '../../streams/websocket-session.js';
import { queryBool } from '../../query.js';
import type { Services } from '../index.js';

const size = z.coerce.number().int().min(0).max(65535);

export default function startExecWebsocket(app: Api, { execs }: Services): void {
  app.get('/exec/:id/start/ws', {
    websocket: true,
    schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ h: size.optional(), w: size.optional(), multiplex: queryBool() }) },
    // Refusals (no such exec, already run, container not running) are plain HTTP answers, before the upgrade.
    preHandler: async (request) => {
      execs.startable(request.params.id);
    },
  }, async (socket: WebSocket, request) => {
    const { id } = request.params;
    const { h, w, multiplex } = request.query;
    const consoleSize: [number, number] | undefined = h && w ? [h, w] : undefined;
    await serveWebsocketSession(socket, { binary: true, multiplex }, async (sink) => {
      execs.claim(id); // a start that raced this one closes the socket with 1011 and the 409's text
      return execs.launch(id, { consoleSize, sink });
    }, (session) => session.detach());
  });
}

// GET /containers/{id}/export: docker export — the container's file system as a tar stream.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { startResponseStream } from '../../streams/response-stream.js';
import type { Services } from '../index.js';

export default function exportContainer(app: Api, { containers }: Services): void {
  app.get('/containers/:id/export', { schema: { params: z.object({ id: z.string() }) } }, async (request, reply) => {
    const tar = containers.exportFs(request.params.id); // a missing container is a 404 before any header
    const res = startResponseStream(reply, 'application/x-tar');
    res.on('close', () => tar.destroy());
    tar.on('error', () => res.destroy());
    tar.pipe(res);
  });
}

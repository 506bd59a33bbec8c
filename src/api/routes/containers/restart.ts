// POST /containers/{id}/restart?t=&signal=: stop (if running), then start.

import { z } from 'zod';
import type { Api } from '../../app.js';
import type { Services } from '../index.js';
import { stopQuery } from './stop.js';

export default function restartContainer(app: Api, { containers }: Services): void {
  app.post('/containers/:id/restart', { schema: { params: z.object({ id: z.string() }), querystring: stopQuery } }, async (request, reply) => {
    await containers.restart(request.params.id, { timeout: request.query.t, signal: request.query.signal });
    return reply.code(204).send();
  });
}

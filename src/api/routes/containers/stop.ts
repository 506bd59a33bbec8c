// POST /containers/{id}/stop?t=&signal=: the stop signal, then SIGKILL after t seconds (default
// the container's StopTimeout, else 10). 304 when it is not running.

import { z } from 'zod';
import type { Api } from '../../app.js';
import type { Services } from '../index.js';

export const stopQuery = z.looseObject({
  t: z.coerce.number().int().optional(),
  signal: z.string().optional(),
});

export default function stopContainer(app: Api, { containers }: Services): void {
  app.post('/containers/:id/stop', { schema: { params: z.object({ id: z.string() }), querystring: stopQuery } }, async (request, reply) => {
    await containers.stop(request.params.id, { timeout: request.query.t, signal: request.query.signal });
    return reply.code(204).send();
  });
}

// POST /containers/{id}/kill?signal=: SIGKILL by default; any other signal is only delivered.

import { z } from 'zod';
import type { Api } from '../../app.js';
import type { Services } from '../index.js';

export default function killContainer(app: Api, { containers }: Services): void {
  app.post('/containers/:id/kill', { schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ signal: z.string().optional() }) } }, async (request, reply) => {
    await containers.kill(request.params.id, request.query.signal);
    return reply.code(204).send();
  });
}

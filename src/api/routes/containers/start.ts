// POST /containers/{id}/start: 204, or 304 when it already runs.

import { z } from 'zod';
import type { Api } from '../../app.js';
import type { Services } from '../index.js';

export default function startContainer(app: Api, { containers }: Services): void {
  app.post('/containers/:id/start', { schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ detachKeys: z.string().optional() }) } }, async (request, reply) => {
    await containers.start(request.params.id);
    return reply.code(204).send();
  });
}

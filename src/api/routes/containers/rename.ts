// POST /containers/{id}/rename?name=: 204; 409 when the name is taken.

import { z } from 'zod';
import type { Api } from '../../app.js';
import type { Services } from '../index.js';

export default function renameContainer(app: Api, { containers }: Services): void {
  app.post('/containers/:id/rename', { schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ name: z.string({ error: 'name is required' }) }) } }, async (request, reply) => {
    containers.rename(request.params.id, request.query.name);
    return reply.code(204).send();
  });
}

// POST /containers/{id}/resize?h=&w=: the pty size; 200 with an empty body.

import { z } from 'zod';
import type { Api } from '../../app.js';
import type { Services } from '../index.js';

export default function resizeContainer(app: Api, { containers }: Services): void {
  const size = z.coerce.number().int().min(0).max(65535);
  app.post('/containers/:id/resize', { schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ h: size.optional(), w: size.optional() }) } }, async (request, reply) => {
    containers.resize(request.params.id, request.query.h ?? 0, request.query.w ?? 0);
    return reply.code(200).send();
  });
}

// POST /exec/{id}/resize?h=&w=: the exec's pty size; waits up to 10 s for the start, as moby.

import { z } from 'zod';
import type { Api } from '../../app.js';
import type { Services } from '../index.js';

export default function resizeExec(app: Api, { execs }: Services): void {
  const size = z.coerce.number().int().min(0).max(65535);
  app.post('/exec/:id/resize', { schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ h: size.optional(), w: size.optional() }) } }, async (request, reply) => {
    await execs.resize(request.params.id, request.query.h ?? 0, request.query.w ?? 0);
    return reply.code(200).send();
  });
}

// GET /containers/{id}/top?ps_args=: the container's processes, as the host's ps shows them.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import type { Services } from '../index.js';

export default function topContainer(app: Api, { containers }: Services): void {
  app.get('/containers/:id/top', { schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ ps_args: z.string().optional() }) } }, async (request, reply) => {
    return reply.type(JSON_TYPE).send(await containers.top(request.params.id, request.query.ps_args ?? ''));
  });
}

// DELETE /volumes/{name}?force=: docker volume rm. 204; 409 while a container uses it.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { queryBool } from '../../query.js';
import type { Services } from '../index.js';

export default function removeVolume(app: Api, { volumes }: Services): void {
  app.delete('/volumes/:name', { schema: { params: z.object({ name: z.string() }), querystring: z.looseObject({ force: queryBool() }) } }, async (request, reply) => {
    volumes.remove(request.params.name, { force: request.query.force });
    return reply.code(204).send();
  });
}

// DELETE /containers/{id}?force=&v=: 204; 409 when it runs and force is not set.

import { z } from 'zod';
import { conflict } from '../../../domain/errors.js';
import type { Api } from '../../app.js';
import { queryBool } from '../../query.js';
import type { Services } from '../index.js';

export default function removeContainer(app: Api, { containers }: Services): void {
  app.delete('/containers/:id', { schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ force: queryBool(), v: queryBool(), link: queryBool() }) } }, async (request, reply) => {
    if (request.query.link) throw conflict('Conflict, cannot remove the default link name of the container');
    await containers.remove(request.params.id, { force: request.query.force, volumes: request.query.v });
    return reply.code(204).send();
  });
}

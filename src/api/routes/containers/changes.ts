// GET /containers/{id}/changes: docker diff — [{Path, Kind}], Kind 0 changed, 1 added, 2 deleted.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import type { Services } from '../index.js';

export default function containerChanges(app: Api, { containers }: Services): void {
  app.get('/containers/:id/changes', { schema: { params: z.object({ id: z.string() }) } }, async (request, reply) => {
    return reply.type(JSON_TYPE).send(containers.changes(request.params.id));
  });
}

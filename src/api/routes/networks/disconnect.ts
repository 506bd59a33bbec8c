// POST /networks/{id}/disconnect {Container, Force}: docker network disconnect, also while running. 200.

import { z } from 'zod';
import type { Api } from '../../app.js';
import type { Services } from '../index.js';

const body = z.looseObject({
  Container: z.string({ error: 'Container is required' }).min(1, 'Container is required'),
  Force: z.boolean().optional(),
});

export default function disconnectNetwork(app: Api, { networks }: Services): void {
  app.post('/networks/:id/disconnect', { schema: { params: z.object({ id: z.string() }), body } }, async (request, reply) => {
    await networks.disconnect(request.params.id, request.body.Container, request.body.Force ?? false);
    return reply.code(200).send();
  });
}

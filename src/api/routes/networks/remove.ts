// DELETE /networks/{id}: docker network rm. 204; 403 for predefined networks or active endpoints.

import { z } from 'zod';
import type { Api } from '../../app.js';
import type { Services } from '../index.js';

export default function removeNetwork(app: Api, { networks }: Services): void {
  app.delete('/networks/:id', { schema: { params: z.object({ id: z.string() }) } }, async (request, reply) => {
    await networks.remove(request.params.id);
    return reply.code(204).send();
  });
}

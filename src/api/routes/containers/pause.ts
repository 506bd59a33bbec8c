// POST /containers/{id}/pause and /unpause: the freezer cgroup.

import { z } from 'zod';
import type { Api } from '../../app.js';
import type { Services } from '../index.js';

export default function pauseContainer(app: Api, { containers }: Services): void {
  const params = z.object({ id: z.string() });
  app.post('/containers/:id/pause', { schema: { params } }, async (request, reply) => {
    await containers.pause(request.params.id);
    return reply.code(204).send();
  });
  app.post('/containers/:id/unpause', { schema: { params } }, async (request, reply) => {
    await containers.unpause(request.params.id);
    return reply.code(204).send();
  });
}

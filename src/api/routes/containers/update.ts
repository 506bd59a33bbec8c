// POST /containers/{id}/update: docker update. New limits reach a running container's cgroups at
// once; 200 {Warnings}.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { limitFields } from '../../schemas/container-config.js';
import type { Services } from '../index.js';

const body = z.looseObject({
  ...limitFields,
  RestartPolicy: z
    .looseObject({ Name: z.enum(['', 'no', 'always', 'unless-stopped', 'on-failure']).optional(), MaximumRetryCount: z.number().int().min(0).optional() })
    .optional(),
});

export default function updateContainer(app: Api, { containers }: Services): void {
  app.post('/containers/:id/update', { schema: { params: z.object({ id: z.string() }), body } }, async (request, reply) => {
    return reply.type(JSON_TYPE).send(await containers.update(request.params.id, request.body));
  });
}

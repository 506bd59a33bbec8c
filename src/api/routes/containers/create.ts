// POST /containers/create: docker's merge of the request with the image config; 201 {Id, Warnings}.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { containerCreateSchema, containerName } from '../../schemas/container-config.js';
import type { Services } from '../index.js';

export default function createContainer(app: Api, { containers }: Services): void {
  app.post(
    '/containers/create',
    {
      schema: {
        querystring: z.looseObject({ name: containerName.optional(), platform: z.string().optional() }),
        body: containerCreateSchema,
      },
    },
    async (request, reply) => {
      const created = containers.create(request.body, request.query.name || undefined);
      return reply.code(201).type(JSON_TYPE).send(created);
    },
  );
}

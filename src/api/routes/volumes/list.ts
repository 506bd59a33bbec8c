// GET /volumes?filters=: docker volume ls.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { volumeJson } from '../../presenters/volume.js';
import { queryFilters } from '../../query.js';
import type { Services } from '../index.js';

export default function listVolumes(app: Api, { volumes }: Services): void {
  app.get('/volumes', { schema: { querystring: z.looseObject({ filters: queryFilters }) } }, async (request, reply) => {
    const list = volumes.list(request.query.filters).map((v) => volumeJson(v, volumes.mountpoint(v.name)));
    return reply.type(JSON_TYPE).send({ Volumes: list, Warnings: null });
  });
}

// POST /volumes/prune?filters=: removes unused anonymous volumes (all unused ones with all=true).

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { queryFilters } from '../../query.js';
import type { Services } from '../index.js';

export default function pruneVolumes(app: Api, { volumes }: Services): void {
  app.post('/volumes/prune', { schema: { querystring: z.looseObject({ filters: queryFilters }) } }, async (request, reply) => {
    return reply.type(JSON_TYPE).send(volumes.prune(request.query.filters));
  });
}

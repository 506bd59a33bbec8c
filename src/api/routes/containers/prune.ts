// POST /containers/prune?filters=: removes every container that is not running.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { queryFilters } from '../../query.js';
import type { Services } from '../index.js';

export default function pruneContainers(app: Api, { containers }: Services): void {
  app.post('/containers/prune', { schema: { querystring: z.looseObject({ filters: queryFilters }) } }, async (request, reply) => {
    const result = await containers.prune(request.query.filters);
    return reply.type(JSON_TYPE).send({ ContainersDeleted: result.ContainersDeleted.length > 0 ? result.ContainersDeleted : null, SpaceReclaimed: result.SpaceReclaimed });
  });
}

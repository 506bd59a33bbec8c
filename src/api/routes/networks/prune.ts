// POST /networks/prune?filters=: removes user-defined networks no running container uses.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { queryFilters } from '../../query.js';
import type { Services } from '../index.js';

export default function pruneNetworks(app: Api, { networks }: Services): void {
  app.post('/networks/prune', { schema: { querystring: z.looseObject({ filters: queryFilters }) } }, async (request, reply) => {
    return reply.type(JSON_TYPE).send(await networks.prune(request.query.filters));
  });
}

// GET /networks?filters=: docker network ls. Containers stay empty here, as in moby (inspect fills them).

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { networkJson } from '../../presenters/network.js';
import { queryFilters } from '../../query.js';
import type { Services } from '../index.js';

export default function listNetworks(app: Api, { networks }: Services): void {
  app.get('/networks', { schema: { querystring: z.looseObject({ filters: queryFilters }) } }, async (request, reply) => {
    return reply.type(JSON_TYPE).send(networks.list(request.query.filters).map((n) => networkJson(n)));
  });
}

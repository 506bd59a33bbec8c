// GET /networks/{id}?verbose=&scope=: docker network inspect, with the running containers on it.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { networkJson } from '../../presenters/network.js';
import { queryBool } from '../../query.js';
import type { Services } from '../index.js';
import { notFound } from '../../../domain/errors.js';

export default function inspectNetwork(app: Api, { networks }: Services): void {
  app.get(
    '/networks/:id',
    { schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ verbose: queryBool(), scope: z.string().optional() }) } },
    async (request, reply) => {
      const n = networks.get(request.params.id);
      if (request.query.scope && request.query.scope !== 'local') throw notFound(`network ${request.params.id} not found`);
      const on = networks.containersOn(n).map(({ container, endpoint }) => ({ container, view: { network: n, endpoint } }));
      return reply.type(JSON_TYPE).send(networkJson(n, on));
    },
  );
}

// GET /containers/json?all=&limit=&size=&filters=: docker ps.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { containerSummary } from '../../presenters/container.js';
import { queryBool, queryFilters } from '../../query.js';
import type { Services } from '../index.js';

export default function listContainers(app: Api, { containers }: Services): void {
  app.get('/containers/json', { schema: { querystring: z.looseObject({ all: queryBool(), limit: z.coerce.number().int().optional(), size: queryBool(), filters: queryFilters }) } }, async (request, reply) => {
    const { all, limit, size, filters } = request.query;
    const list = containers.list({ all, limit: limit ?? -1, filters });
    const net = containers.networkingOfAll();
    const body = list.map((c) => {
      const image = containers.imageDisplayName(c);
      const networking = { views: net.views(c.id), ports: net.ports(c.id), mounts: containers.mountsView(c) };
      if (!size) return containerSummary(c, image, networking);
      const rw = containers.sizeRw(c);
      return containerSummary(c, image, networking, { rw, rootFs: rw + containers.imageSize(c) });
    });
    return reply.type(JSON_TYPE).send(body);
  });
}

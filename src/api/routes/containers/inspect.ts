// GET /containers/{id}/json?size=: docker inspect.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { containerInspect } from '../../presenters/container.js';
import { queryBool } from '../../query.js';
import type { Services } from '../index.js';

export default function inspectContainer(app: Api, { containers, execs }: Services): void {
  app.get('/containers/:id/json', { schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ size: queryBool() }) } }, async (request, reply) => {
    const c = containers.get(request.params.id);
    let sizes;
    if (request.query.size) {
      const rw = containers.sizeRw(c);
      sizes = { rw, rootFs: rw + containers.imageSize(c) };
    }
    return reply.type(JSON_TYPE).send(containerInspect(c, containers.paths(c), containers.networking(c), sizes, execs.idsOf(c.id)));
  });
}

// POST /images/prune: remove dangling images (or, with dangling=false, unused ones).

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { queryFilters } from '../../query.js';
import type { Services } from '../index.js';

export default function pruneImages(app: Api, { images }: Services): void {
  app.post('/images/prune', { schema: { querystring: z.looseObject({ filters: queryFilters }) } }, async (request, reply) => {
    const { deleted, reclaimed } = images.prune(request.query.filters);
    return reply.type(JSON_TYPE).send({ ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed });
  });
}

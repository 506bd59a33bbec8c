// GET /images/json: the images, with docker's filters.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { imageSummary } from '../../presenters/image.js';
import { queryBool, queryFilters } from '../../query.js';
import type { Services } from '../index.js';
import { filterImages, imageCreated } from '../../../service/image-filters.js';

export default function listImages(app: Api, { images }: Services): void {
  app.get(
    '/images/json',
    { schema: { querystring: z.looseObject({ all: queryBool(), digests: queryBool(), filters: queryFilters }) } },
    async (request, reply) => {
      const found = filterImages(images.list(), request.query.filters, (name) => images.get(name));
      // Newest first, as docker lists them.
      found.sort((a, b) => imageCreated(b) - imageCreated(a));
      return reply.type(JSON_TYPE).send(found.map(imageSummary));
    },
  );
}

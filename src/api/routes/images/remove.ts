// DELETE /images/{name}?force=&noprune=: what was untagged and deleted.

import { z } from 'zod';
import { JSON_TYPE } from '../../errors.js';
import { queryBool } from '../../query.js';
import type { Services } from '../index.js';
import { parseQuery, type NameOperation } from './by-name.js';

const query = z.looseObject({ force: queryBool(), noprune: queryBool() });

export const removeImage = ({ images }: Services): NameOperation => ({
  suffix: '',
  handler: async (name, request, reply) => {
    const { force, noprune } = parseQuery(query, request);
    return reply.type(JSON_TYPE).send(images.remove(name, { force, prune: !noprune }));
  },
});

// POST /images/{name}/tag?repo=&tag=: 201 with an empty body.

import { z } from 'zod';
import { parseTagTarget } from '../../../images/reference.js';
import type { Services } from '../index.js';
import { parseQuery, type NameOperation } from './by-name.js';

const query = z.looseObject({ repo: z.string().optional(), tag: z.string().optional() });

export const tagImage = ({ images }: Services): NameOperation => ({
  suffix: 'tag',
  handler: async (name, request, reply) => {
    const { repo, tag } = parseQuery(query, request);
    images.tag(name, parseTagTarget(repo ?? '', tag ?? ''));
    return reply.code(201).send();
  },
});

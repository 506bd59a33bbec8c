// POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=: docker commit. The body
// (optional) is config that replaces the container's; 201 {Id}.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { queryBool } from '../../query.js';
import { parseTagTarget } from '../../../images/reference.js';
import type { Services } from '../index.js';

const query = z.looseObject({
  container: z.string({ error: 'container is required' }).min(1, 'container is required'),
  repo: z.string().optional(),
  tag: z.string().optional(),
  comment: z.string().optional(),
  author: z.string().optional(),
  pause: queryBool(true),
  changes: z.union([z.string(), z.array(z.string())]).optional(),
});

export default function commitContainer(app: Api, { containers }: Services): void {
  app.post('/commit', { schema: { querystring: query, body: z.looseObject({}).nullable().optional() } }, async (request, reply) => {
    const q = request.query;
    const id = await containers.commit(q.container, {
      repo: q.repo ? parseTagTarget(q.repo, q.tag ?? '') : undefined,
      comment: q.comment ?? '',
      author: q.author ?? '',
      pause: q.pause,
      changes: [q.changes ?? []].flat(),
      config: (request.body ?? {}) as Record<string, unknown>,
    });
    return reply.code(201).type(JSON_TYPE).send({ Id: id });
  });
}

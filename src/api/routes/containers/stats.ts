// GET /containers/{id}/stats?stream=&one-shot=: docker stats. Streamed: one JSON object a second
// until the client goes or the container stops; with stream=0 a single object.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { queryBool } from '../../query.js';
import { startResponseStream } from '../../streams/response-stream.js';
import type { Services } from '../index.js';

export default function containerStats(app: Api, { containers }: Services): void {
  app.get(
    '/containers/:id/stats',
    { schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ stream: queryBool(true), 'one-shot': queryBool() }) } },
    async (request, reply) => {
      const { stream, 'one-shot': oneShot } = request.query;
      const samples = containers.stats(request.params.id, { stream, oneShot });
      const first = await samples.next(); // a missing container is a 404 before any header
      if (!stream) return reply.type(JSON_TYPE).send(first.value);
      const res = startResponseStream(reply, JSON_TYPE);
      let closed = false;
      res.on('close', () => {
        closed = true;
        void samples.return(undefined);
      });
      if (!first.done) res.write(`${JSON.stringify(first.value)}\n`);
      for await (const sample of samples) {
        if (closed) break;
        res.write(`${JSON.stringify(sample)}\n`);
      }
      res.end();
    },
  );
}

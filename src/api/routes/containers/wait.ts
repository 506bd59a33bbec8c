// POST /containers/{id}/wait?condition=: headers go out at once (docker run blocks on them), the
// body {"StatusCode":N,"Error":null} when the condition is met. A client that goes away stops
// waiting; the container is not affected.

import { z } from 'zod';
import { invalidArgument } from '../../../domain/errors.js';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { startResponseStream } from '../../streams/response-stream.js';
import type { Services } from '../index.js';

const CONDITIONS = ['not-running', 'next-exit', 'removed'] as const;

function parseCondition(v: string | undefined): (typeof CONDITIONS)[number] {
  const c = v === undefined || v === '' ? 'not-running' : v;
  if (!(CONDITIONS as readonly string[]).includes(c)) throw invalidArgument(`invalid condition: ${JSON.stringify(v)}`);
  return c as (typeof CONDITIONS)[number];
}

export default function waitContainer(app: Api, { containers }: Services): void {
  app.post('/containers/:id/wait', { schema: { params: z.object({ id: z.string() }), querystring: z.looseObject({ condition: z.string().optional() }) } }, async (request, reply) => {
    const waiting = containers.wait(request.params.id, parseCondition(request.query.condition));
    const res = startResponseStream(reply, JSON_TYPE);
    res.on('close', waiting.cancel);
    const result = await waiting.result;
    res.end(`${JSON.stringify(result)}\n`);
  });
}

// POST /containers/{id}/exec: creates an exec instance in a running container; 201 {Id}.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { execCreateSchema } from '../../schemas/exec.js';
import type { Services } from '../index.js';

export default function createExec(app: Api, { execs }: Services): void {
  app.post('/containers/:id/exec', { schema: { params: z.object({ id: z.string() }), body: execCreateSchema } }, async (request, reply) => {
    const b = request.body;
    const id = execs.create(request.params.id, { ...b, Cmd: b.Cmd ?? [], User: b.User ?? '', WorkingDir: b.WorkingDir ?? '' });
    return reply.code(201).type(JSON_TYPE).send({ Id: id });
  });
}

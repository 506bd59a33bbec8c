// GET /volumes/{name}: docker volume inspect; 404 `get NAME: no such volume`.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { volumeJson } from '../../presenters/volume.js';
import type { Services } from '../index.js';

export default function inspectVolume(app: Api, { volumes }: Services): void {
  app.get('/volumes/:name', { schema: { params: z.object({ name: z.string() }) } }, async (request, reply) => {
    const v = volumes.get(request.params.name);
    return reply.type(JSON_TYPE).send(volumeJson(v, volumes.mountpoint(v.name)));
  });
}

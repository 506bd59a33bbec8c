// GET /info: what `docker info` prints.

import type { Api } from '../../app.js';
import type { Services } from '../index.js';
import { JSON_TYPE } from '../../errors.js';

export default function info(app: Api, { system }: Services): void {
  app.get('/info', async (_request, reply) => reply.type(JSON_TYPE).send(system.info()));
}

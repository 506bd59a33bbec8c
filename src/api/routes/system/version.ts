// GET /version: docker-py's first call (unversioned), which requires ApiVersion.

import type { Api } from '../../app.js';
import type { Services } from '../index.js';
import { JSON_TYPE } from '../../errors.js';

export default function version(app: Api, { system }: Services): void {
  app.get('/version', async (_request, reply) => reply.type(JSON_TYPE).send(system.version()));
}

// POST /containers/create. The request is validated in full now; creating the container needs
// the image store and the runtime, which this build does not have yet, so a valid request is
// answered 501 — never a pretend success.

import { z } from 'zod';
import { notImplemented } from '../../../domain/errors.js';
import type { Api } from '../../app.js';
import { containerCreateSchema, containerName } from '../../schemas/container-config.js';

export default function createContainer(app: Api): void {
  app.post(
    '/containers/create',
    {
      schema: {
        querystring: z.looseObject({ name: containerName.optional(), platform: z.string().optional() }),
        body: containerCreateSchema,
      },
    },
    async () => {
      throw notImplemented('container create is not available yet: this kapald build has no container runtime');
    },
  );
}

// GET /distribution/{name}/json: what the registry has for a name (descriptor and platforms).

import { decodeRegistryAuth } from '../../../images/registry/auth-config.js';
import { parseReference, withDefaultTag } from '../../../images/reference.js';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { registerNameRoutes } from '../images/by-name.js';
import type { Services } from '../index.js';

export default function distributionRoutes(app: Api, { registry }: Services): void {
  registerNameRoutes(app, 'GET', '/distribution/', [
    {
      suffix: 'json',
      handler: async (name, request, reply) => {
        const auth = decodeRegistryAuth(request.headers['x-registry-auth'] as string | undefined);
        return reply.type(JSON_TYPE).send(await registry.inspect(withDefaultTag(parseReference(name)), auth));
      },
    },
  ]);
}

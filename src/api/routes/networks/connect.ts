// POST /networks/{id}/connect {Container, EndpointConfig}: docker network connect, also while running. 200.

import { z } from 'zod';
import type { Api } from '../../app.js';
import type { Services } from '../index.js';

const body = z.looseObject({
  Container: z.string({ error: 'Container is required' }).min(1, 'Container is required'),
  EndpointConfig: z
    .looseObject({
      Aliases: z.array(z.string()).nullable().optional(),
      IPAMConfig: z.looseObject({ IPv4Address: z.string().optional(), IPv6Address: z.string().optional() }).nullable().optional(),
      MacAddress: z.string().optional(),
    })
    .nullable()
    .optional(),
});

export default function connectNetwork(app: Api, { networks }: Services): void {
  app.post('/networks/:id/connect', { schema: { params: z.object({ id: z.string() }), body } }, async (request, reply) => {
    await networks.connect(request.params.id, request.body.Container, request.body.EndpointConfig ?? {});
    return reply.code(200).send();
  });
}

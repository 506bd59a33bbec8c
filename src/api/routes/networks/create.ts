// POST /networks/create: docker network create (bridge driver, one IPv4 subnet). 201 {Id, Warning}.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import type { Services } from '../index.js';
import { forbidden, invalidArgument } from '../../../domain/errors.js';

const strings = z.record(z.string(), z.string()).nullable().optional();

const body = z.looseObject({
  Name: z.string({ error: 'name is required' }).min(1, 'invalid name: name is empty'),
  Driver: z.string().optional(),
  Scope: z.string().optional(),
  Internal: z.boolean().optional(),
  Attachable: z.boolean().optional(),
  Ingress: z.boolean().optional(),
  ConfigOnly: z.boolean().optional(),
  EnableIPv4: z.boolean().nullable().optional(),
  EnableIPv6: z.boolean().nullable().optional(),
  IPAM: z
    .looseObject({
      Driver: z.string().optional(),
      Config: z
        .array(z.looseObject({ Subnet: z.string().optional(), IPRange: z.string().optional(), Gateway: z.string().optional(), AuxiliaryAddresses: strings }))
        .nullable()
        .optional(),
      Options: strings,
    })
    .nullable()
    .optional(),
  Options: strings,
  Labels: strings,
});

export default function createNetwork(app: Api, { networks }: Services): void {
  app.post('/networks/create', { schema: { body } }, async (request, reply) => {
    const b = request.body;
    if (b.Ingress || b.ConfigOnly || (b.Scope && b.Scope !== 'local')) throw forbidden('only local networks are supported by kapal: no swarm, ingress or config-only networks');
    if (b.IPAM?.Config?.some((c) => c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length > 0)) throw invalidArgument('auxiliary addresses are not supported by kapal yet');
    const created = await networks.create(b);
    return reply.code(201).type(JSON_TYPE).send(created);
  });
}

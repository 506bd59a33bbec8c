// POST /volumes/create: docker volume create (local driver). 201 with the volume; an existing
// name answers with the volume as it is, as in docker.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { volumeJson } from '../../presenters/volume.js';
import type { Services } from '../index.js';

const strings = z.record(z.string(), z.string()).nullable().optional();
const body = z.looseObject({ Name: z.string().optional(), Driver: z.string().optional(), DriverOpts: strings, Labels: strings });

export default function createVolume(app: Api, { volumes }: Services): void {
  app.post('/volumes/create', { schema: { body } }, async (request, reply) => {
    const v = volumes.create(request.body);
    return reply.code(201).type(JSON_TYPE).send(volumeJson(v, volumes.mountpoint(v.name)));
  });
}

// GET /images/get?names=a&names=b and GET /images/{name}/get: images as a docker save archive.

import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Api } from '../../app.js';
import { invalidArgument } from '../../../domain/errors.js';
import type { ImageService } from '../../../service/image-service.js';
import type { Services } from '../index.js';
import type { NameOperation } from './by-name.js';
import { parseQuery } from './by-name.js';

async function sendArchive(images: ImageService, names: string[], reply: FastifyReply): Promise<void> {
  const archive = images.save(names);
  return reply.type('application/x-tar').send(archive);
}

export default function saveImages(app: Api, { images }: Services): void {
  app.get(
    '/images/get',
    { schema: { querystring: z.looseObject({ names: z.union([z.string(), z.array(z.string())]).optional() }) } },
    async (request, reply) => {
      const names = [request.query.names ?? []].flat();
      if (names.length === 0) throw invalidArgument('no images specified (names)');
      return sendArchive(images, names, reply);
    },
  );
}

export const saveImage = ({ images }: Services): NameOperation => ({
  suffix: 'get',
  handler: async (name, request, reply) => {
    parseQuery(z.looseObject({}), request);
    return sendArchive(images, [name], reply);
  },
});

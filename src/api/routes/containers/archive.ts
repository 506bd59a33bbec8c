// docker cp: HEAD /containers/{id}/archive (stat), GET (a tar of the path), PUT (a tar extracted
// into the path), with the X-Docker-Container-Path-Stat header docker's clients read.

import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Api } from '../../app.js';
import { invalidArgument } from '../../../domain/errors.js';
import { queryBool } from '../../query.js';
import { startResponseStream } from '../../streams/response-stream.js';
import type { Services } from '../index.js';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';
const params = z.object({ id: z.string() });
const pathQuery = z.looseObject({ path: z.string({ error: 'path is required' }).min(1, 'path is required') });
const statHeader = (stat: object) => Buffer.from(JSON.stringify(stat)).toString('base64');

export default function containerArchive(app: Api, { containers }: Services): void {
  app.head('/containers/:id/archive', { schema: { params, querystring: pathQuery } }, async (request, reply) => {
    const stat = await containers.archiveStat(request.params.id, request.query.path);
    return reply.header(STAT_HEADER, statHeader(stat)).code(200).send();
  });

  app.get('/containers/:id/archive', { exposeHeadRoute: false, schema: { params, querystring: pathQuery } }, async (request, reply) => {
    const { stat, tar } = await containers.archiveGet(request.params.id, request.query.path);
    reply.raw.setHeader(STAT_HEADER, statHeader(stat)); // the stream is written raw: set it there
    const res = startResponseStream(reply, 'application/x-tar');
    res.on('close', () => tar.destroy());
    tar.on('error', () => res.destroy());
    tar.pipe(res);
  });

  app.put(
    '/containers/:id/archive',
    { schema: { params, querystring: pathQuery.extend({ noOverwriteDirNonDir: queryBool(), copyUIDGID: queryBool() }) } },
    async (request, reply) => {
      const body = request.body as Readable | undefined;
      if (!body || typeof body.pipe !== 'function') throw invalidArgument('a tar archive is required in the request body');
      await containers.archivePut(request.params.id, request.query.path, body, { copyUIDGID: request.query.copyUIDGID, noOverwriteDirNonDir: request.query.noOverwriteDirNonDir });
      return reply.code(200).send();
    },
  );
}

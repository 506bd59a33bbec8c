// POST /images/load: a docker save or OCI layout archive in the body; a JSON progress stream out.
// moby always answers 200 and reports failures inside the stream.

import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Api } from '../../app.js';
import { queryBool } from '../../query.js';
import { LazyProgressStream, watchQueue, writeProgress, writeStreamError } from '../../streams/progress.js';
import type { Services } from '../index.js';
import { invalidArgument } from '../../../domain/errors.js';

export default function loadImages(app: Api, { images }: Services): void {
  app.post(
    '/images/load',
    { schema: { querystring: z.looseObject({ quiet: queryBool(true), platform: z.string().optional() }) } },
    async (request, reply) => {
      const body = request.body as Readable | undefined;
      if (!body || typeof (body as Readable).pipe !== 'function') throw invalidArgument('an image archive is required in the request body');
      const { quiet } = request.query;
      const stream = new LazyProgressStream(reply, request);
      const res = stream.start();
      try {
        // While it waits for a slot (the archive unread), the client sees why; -q hides that.
        const watch = watchQueue(stream, reply, { extra: { progressDetail: {} }, silent: quiet });
        await images.load(
          body,
          (m) => {
            if (quiet && m.progressDetail) return;
            writeProgress(res, m);
          },
          watch,
        );
      } catch (err) {
        writeStreamError(res, err, request);
        body.resume();
      }
      res.end();
    },
  );
}

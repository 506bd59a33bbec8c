// POST /images/load: a docker save or OCI layout archive in the body; a JSON progress stream out.
// moby always answers 200 and reports failures inside the stream.

import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
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
      // Through a pipe: a failed load destroys the stream it reads, and destroying the request
      // would cut the connection before the client has sent the rest of its body and read the
      // error (a full disk fails the load a few kilobytes in). The request is drained instead,
      // before the answer ends (after it, a Connection: close socket is closed under the upload).
      const archive = body.pipe(new PassThrough());
      try {
        // While it waits for a slot (the archive unread), the client sees why; -q hides that.
        const watch = watchQueue(stream, reply, { extra: { progressDetail: {} }, silent: quiet });
        await images.load(
          archive,
          (m) => {
            if (quiet && m.progressDetail) return;
            writeProgress(res, m);
          },
          watch,
        );
      } catch (err) {
        writeStreamError(res, err, request);
        body.unpipe(archive);
        await finished(body.resume()).catch(() => {});
      }
      res.end();
    },
  );
}

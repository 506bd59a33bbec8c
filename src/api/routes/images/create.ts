// POST /images/create: with fromSrc=- imports a root file system tar from the body; with
// fromImage pulls from a registry. Both answer with a JSON progress stream.

import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Api } from '../../app.js';
import { invalidArgument } from '../../../domain/errors.js';
import { decodeRegistryAuth } from '../../../images/registry/auth-config.js';
import { parseRepoAndTag, parseTagTarget } from '../../../images/reference.js';
import { LazyProgressStream, watchQueue } from '../../streams/progress.js';
import type { Services } from '../index.js';

const query = z.looseObject({
  fromImage: z.string().optional(),
  fromSrc: z.string().optional(),
  repo: z.string().optional(),
  tag: z.string().optional(),
  message: z.string().optional(),
  changes: z.union([z.string(), z.array(z.string())]).optional(),
  platform: z.string().optional(),
});

/** `os[/architecture[/variant]]`, as the docker CLI sends --platform. */
function parsePlatform(value: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant, extra] = value.toLowerCase().split('/');
  if (!os || !architecture || extra !== undefined || !/^[a-z0-9_.-]+$/.test(`${os}${architecture}${variant ?? ''}`)) {
    throw invalidArgument(`invalid platform ${JSON.stringify(value)}: expected os/architecture[/variant]`);
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export default function createImage(app: Api, { images, registry }: Services): void {
  app.post('/images/create', { schema: { querystring: query } }, async (request, reply) => {
    const q = request.query;
    if (q.fromSrc !== undefined) {
      if (q.fromSrc !== '-') throw invalidArgument('importing from a URL is not supported; send the archive in the body (fromSrc=-)');
      const body = request.body as Readable | undefined;
      if (!body || typeof body.pipe !== 'function') throw invalidArgument('an archive is required in the request body');
      // docker import sends the tag inside repo ("myimp:1") with an empty tag.
      const repo = q.repo ? parseTagTarget(q.repo, q.tag ?? '') : undefined;
      // Errors are HTTP errors, unless the import had to wait for a slot (which started the 200).
      const stream = new LazyProgressStream(reply, request);
      try {
        const id = await images.import(body, { repo, message: q.message ?? 'Imported from -', changes: [q.changes ?? []].flat() }, watchQueue(stream, reply));
        stream.write({ status: id });
      } catch (err) {
        stream.fail(err);
      }
      stream.end();
      return;
    }
    if (q.fromImage === undefined) throw invalidArgument('Missing fromImage or fromSrc');
    const ref = parseRepoAndTag(q.fromImage, q.tag ?? '');
    const auth = decodeRegistryAuth(request.headers['x-registry-auth'] as string | undefined);
    const platform = q.platform ? parsePlatform(q.platform) : undefined;
    const stream = new LazyProgressStream(reply, request);
    try {
      const watch = watchQueue(stream, reply, { extra: { id: ref.digest ?? ref.tag ?? 'latest' } });
      if (ref.tag === undefined && ref.digest === undefined) await registry.pullAllTags(ref, auth, stream.write, platform, watch);
      else await registry.pull(ref, auth, stream.write, platform, watch);
    } catch (err) {
      stream.fail(err);
    }
    stream.end();
  });
}

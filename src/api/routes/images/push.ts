// POST /images/{name}/push?tag=: a JSON progress stream; the last message's aux has the digest.

import { z } from 'zod';
import { decodeRegistryAuth } from '../../../images/registry/auth-config.js';
import { parseReference } from '../../../images/reference.js';
import { LazyProgressStream } from '../../streams/progress.js';
import type { Services } from '../index.js';
import { parseQuery, type NameOperation } from './by-name.js';

const query = z.looseObject({ tag: z.string().optional(), platform: z.string().optional() });

export const pushImage = ({ registry }: Services): NameOperation => ({
  suffix: 'push',
  handler: async (name, request, reply) => {
    const { tag } = parseQuery(query, request);
    const repo = parseReference(name);
    const auth = decodeRegistryAuth(request.headers['x-registry-auth'] as string | undefined);
    const stream = new LazyProgressStream(reply, request);
    try {
      await registry.push(repo, tag || repo.tag || undefined, auth, stream.write);
    } catch (err) {
      stream.fail(err);
    }
    stream.end();
  },
});

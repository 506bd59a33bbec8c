// Request bodies: JSON for ordinary routes (an empty body is {}), and a pass-through stream for
// tar uploads (docker cp, import, load) that arrive as application/x-tar, text/plain or with no
// Content-Type at all, chunked or not. Streams are never buffered, decoded or size-limited here.

import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../../domain/errors.js';

/** Container create bodies are small; a generous cap keeps a bad client from filling memory. */
export const JSON_BODY_LIMIT = 16 * 1024 * 1024;

export const STREAM_CONTENT_TYPES = ['application/x-tar', 'application/tar', 'text/plain', 'application/octet-stream'];

export function installBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: JSON_BODY_LIMIT }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(invalidArgument(`invalid JSON: ${(err as Error).message}`), undefined);
    }
  });
  const passThrough = (_req: unknown, payload: unknown, done: (err: Error | null, body?: unknown) => void) =>
    done(null, payload);
  app.addContentTypeParser(STREAM_CONTENT_TYPES, passThrough);
  // Requests with no (or another) Content-Type: docker-py's load sends none at all.
  app.addContentTypeParser('*', passThrough);
}

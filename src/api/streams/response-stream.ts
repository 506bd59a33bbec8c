// Streaming responses that are not upgrades (wait, events, logs, pull/load progress): the
// headers go out at once, because clients like `docker run` block until they see them.

import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

export function startResponseStream(reply: FastifyReply, contentType: string, status = 200): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(status, { 'Content-Type': contentType });
  res.flushHeaders();
  return res;
}

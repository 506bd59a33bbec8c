// Image names contain "/" (myrepo/bb:v1, localhost:5000/a/b:1), which route parameters cannot
// match. One wildcard route per method takes /images/<name>/<operation> and hands the name to
// the operation's handler. Each operation declares the path it documents (openapi.yaml), so the
// route list still names every operation served.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Api } from '../../app.js';
import { describeZodError } from '../../validation.js';
import { invalidArgument } from '../../../domain/errors.js';

export interface NameOperation {
  /** The last path segment (json, history, get, tag, push), or '' for /images/<name> itself. */
  suffix: string;
  handler(name: string, request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

/** Parses a query with a zod schema inside a wildcard route, with the same 400 as elsewhere. */
export function parseQuery<T extends z.ZodType>(schema: T, request: FastifyRequest): z.output<T> {
  const result = schema.safeParse(request.query);
  if (!result.success) throw invalidArgument(describeZodError(result.error, 'query parameter'));
  return result.data;
}

export function registerNameRoutes(app: Api, method: 'GET' | 'POST' | 'DELETE', prefix: string, operations: NameOperation[]): void {
  const bySuffix = new Map(operations.map((op) => [op.suffix, op]));
  const documents = operations.map((op) => `${method} ${prefix}:name${op.suffix ? `/${op.suffix}` : ''}`);
  app.route({
    method,
    url: `${prefix}*`,
    config: { documents },
    handler: async (request, reply) => {
      const rest = (request.params as { '*': string })['*'];
      const slash = rest.lastIndexOf('/');
      const suffix = slash >= 0 ? rest.slice(slash + 1) : '';
      const withSuffix = slash > 0 ? bySuffix.get(suffix) : undefined;
      // DELETE /images/myrepo/bb:v1 has no operation suffix: the whole rest is the name.
      const op = withSuffix ?? bySuffix.get('');
      if (!op) return reply.callNotFound();
      const name = withSuffix ? rest.slice(0, slash) : rest;
      if (name === '') return reply.callNotFound();
      return op.handler(name, request, reply);
    },
  });
}

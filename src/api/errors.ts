// The one place where failures become HTTP: domain kinds → statuses, validation → 400,
// a full disk → 500 with the reason, anything unexpected → 500 without details (those go to the
// log with the request id).
// Bodies are {"message": "..."} with Content-Type exactly application/json: the docker CLI
// compares it with == and prints the raw body otherwise.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorKind } from '../domain/errors.js';
import { isKapalError } from '../domain/errors.js';
import { JSON_BODY_LIMIT } from './streams/body-parsers.js';

const STATUS: Record<ErrorKind, number> = {
  InvalidArgument: 400,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  FailedPrecondition: 412,
  NotImplemented: 501,
  Unavailable: 503,
  NotModified: 304,
  Internal: 500,
};

export const JSON_TYPE = 'application/json';

export function sendError(reply: FastifyReply, status: number, message: string): void {
  if (status === 304) {
    reply.code(304).send();
    return;
  }
  reply.code(status).type(JSON_TYPE).send(`${JSON.stringify({ message })}\n`);
}

/** Maps any error thrown by a route, a hook or fastify itself to a status and a message. */
export function describeError(err: unknown, request: FastifyRequest): { status: number; message: string } {
  if (isKapalError(err)) return { status: STATUS[err.kind], message: err.message };
  const noSpace = outOfSpaceMessage(err);
  if (noSpace) {
    request.log.error({ err }, 'request failed: out of space');
    return { status: 500, message: noSpace };
  }
  const fe = err as Partial<FastifyError> & { validation?: unknown };
  if (fe.validation) return { status: 400, message: fe.message ?? 'invalid request' };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, message: clientMessage(fe) };
  }
  request.log.error({ err }, 'request failed');
  return { status: 500, message: `internal server error (request ${request.id}); the kapald log has the details` };
}

/**
 * A body over its limit (413). moby sets no limit on JSON bodies, so the words are kapal's, in
 * moby's style; tar uploads (load, import, archive PUT) stream and have none.
 */
export function bodyTooLarge(limitBytes: number): string {
  return `request body too large: the limit is ${limitBytes / (1024 * 1024)} MiB`;
}

const OUT_OF_SPACE = new Map([
  ['ENOSPC', 'no space left on device'],
  ['EDQUOT', 'disk quota exceeded'],
]);

/**
 * A file system out of space (or quota) is the host's state, not a kapald bug: the client must
 * see it, in moby's words, `mkdir /var/lib/docker/...: no space left on device`.
 */
function outOfSpaceMessage(err: unknown): string | undefined {
  const e = err as Partial<NodeJS.ErrnoException> | null;
  // SQLite's own words for ENOSPC (better-sqlite3 gives no errno); only writes fail so.
  if (e?.code === 'SQLITE_FULL') return `write kapal.db: ${e.message ?? 'database or disk is full'}`;
  const reason = typeof e?.code === 'string' ? OUT_OF_SPACE.get(e.code) : undefined;
  if (!reason) return undefined;
  const op = [e!.syscall, e!.path].filter((s) => typeof s === 'string' && s !== '').join(' ');
  return op ? `${op}: ${reason}` : reason;
}

function clientMessage(err: Partial<FastifyError>): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyTooLarge(JSON_BODY_LIMIT);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return `invalid JSON: ${err.message ?? ''}`.trim();
    default:
      return err.message ?? 'bad request';
  }
}

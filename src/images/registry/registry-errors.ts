// A registry's error answers (`{"errors":[{"code","message","detail"}]}`, OAuth challenges on a 401)
// read as docker/distribution's client reads them, then worded for the user as moby's pull and push
// do (distribution/errors.go translatePullError): "manifest for x not found: manifest unknown: …".

import type { IncomingMessage } from 'node:http';
import { KapalError, notFound, type ErrorKind } from '../../domain/errors.js';
import { familiarName, familiarString, type Reference } from '../reference.js';
import { parseChallenges } from './challenge.js';
import { readBody } from './transport.js';

export interface RegistryErrorEntry {
  /** `MANIFEST_UNKNOWN`, `DENIED`, … */
  code: string;
  message: string;
}

/** The registry's failure, with docker's text for it (`manifest unknown: manifest unknown`). */
export class RegistryResponseError extends Error {
  constructor(
    readonly status: number,
    readonly errors: RegistryErrorEntry[],
  ) {
    super(describeErrors(status, errors));
    this.name = 'RegistryResponseError';
  }

  get code(): string | undefined {
    return this.errors[0]?.code;
  }
}

const DEFAULT_MESSAGES: Record<string, string> = {
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  TOOMANYREQUESTS: 'too many requests',
};

/** Reads an error response (whose status is >= 400) into a RegistryResponseError. */
export async function readRegistryError(res: IncomingMessage): Promise<RegistryResponseError> {
  const status = res.statusCode ?? 0;
  const errors: RegistryErrorEntry[] = [];
  // OAuth errors in the challenge come first (RFC 6750 §3.1), as in distribution's HandleErrorResponse.
  if (status === 401) {
    for (const c of parseChallenges(res.headers['www-authenticate'])) {
      if (c.scheme !== 'bearer') continue;
      const code = { invalid_token: 'UNAUTHORIZED', insufficient_scope: 'DENIED' }[c.params.error ?? ''];
      if (code === undefined) continue;
      errors.push({ code, message: c.params.error_description || DEFAULT_MESSAGES[code]! });
      break;
    }
  }
  // A HEAD answer has no body: reading it ends at once.
  const body = await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0));
  errors.push(...parseErrorBody(status, body));
  return new RegistryResponseError(status, errors);
}

function parseErrorBody(status: number, body: Buffer): RegistryErrorEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = undefined;
  }
  const doc = (json ?? {}) as { errors?: unknown; details?: unknown };
  // Docker Hub's token server answers `{"details":"incorrect username or password"}`.
  if (typeof doc.details === 'string' && doc.details !== '') {
    const code = status === 401 ? 'UNAUTHORIZED' : status === 429 ? 'TOOMANYREQUESTS' : 'UNKNOWN';
    return [{ code, message: doc.details }];
  }
  if (Array.isArray(doc.errors) && doc.errors.length > 0) {
    return doc.errors.map((e: { code?: unknown; message?: unknown }) => {
      const code = typeof e?.code === 'string' ? e.code.toUpperCase() : 'UNKNOWN';
      const message = typeof e?.message === 'string' ? e.message : (DEFAULT_MESSAGES[code] ?? '');
      return { code, message };
    });
  }
  if (status === 401) return [{ code: 'UNAUTHORIZED', message: DEFAULT_MESSAGES.UNAUTHORIZED! }];
  if (status === 429) return [{ code: 'TOOMANYREQUESTS', message: DEFAULT_MESSAGES.TOOMANYREQUESTS! }];
  return [];
}

/** errcode.Error's text: the code in lowercase words, then the message. */
function describeEntry(e: RegistryErrorEntry): string {
  return `${e.code.toLowerCase().replaceAll('_', ' ')}: ${e.message}`;
}

function describeErrors(status: number, errors: RegistryErrorEntry[]): string {
  if (errors.length === 0) return `received unexpected HTTP status: ${status} ${statusText(status)}`;
  if (errors.length === 1) return describeEntry(errors[0]!);
  return `errors:\n${errors.map((e) => `${describeEntry(e)}\n`).join('')}`;
}

function statusText(status: number): string {
  return (
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' }[status] ?? ''
  ).trim();
}

/** A pull's failure in moby's words; `ref` is what the user asked for. */
export function pullError(err: RegistryResponseError, ref: Reference): KapalError {
  const first = err.errors[0];
  if (first !== undefined) {
    const cause = describeEntry(first);
    switch (first.code) {
      case 'DENIED':
        return notFound(`pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${cause}`);
      case 'MANIFEST_UNKNOWN':
        return notFound(`manifest for ${familiarString(ref)} not found: ${cause}`);
      case 'NAME_UNKNOWN':
        return notFound(`repository ${familiarName(ref)} not found: ${cause}`);
    }
  }
  return new KapalError(kindOf(err.status), firstMessage(err), { cause: err });
}

/** A push's failure: moby shows the registry's first error as it is (`denied: requested access …`). */
export function pushError(err: RegistryResponseError): KapalError {
  const kind = err.code === 'DENIED' || err.code === 'UNAUTHORIZED' ? 'Forbidden' : kindOf(err.status);
  return new KapalError(kind, firstMessage(err), { cause: err });
}

/** moby keeps only the first of several errors (distribution/errors.go), logging the rest. */
function firstMessage(err: RegistryResponseError): string {
  const first = err.errors[0];
  return first === undefined ? err.message : describeEntry(first);
}

function kindOf(status: number): ErrorKind {
  if (status === 401 || status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status === 429 || status >= 500) return 'Unavailable';
  return 'InvalidArgument';
}

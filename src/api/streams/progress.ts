// Docker's JSON progress streams (jsonmessage): one object per line, "\r\n"-terminated as moby
// writes them. Once the 200 is out, errors travel inside the stream as errorDetail.

import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describeError } from '../errors.js';
import { startResponseStream } from './response-stream.js';

export function writeProgress(res: ServerResponse, message: object): void {
  if (!res.writableEnded) res.write(`${JSON.stringify(message)}\r\n`);
}

export function writeStreamError(res: ServerResponse, err: unknown, request: FastifyRequest): void {
  const { message } = describeError(err, request);
  writeProgress(res, { errorDetail: { message }, error: message });
}

/**
 * A progress stream whose 200 goes out with the first message. A failure before that is an
 * ordinary HTTP error (moby answers a missing image with a 404, which `docker run` acts on);
 * after it, the failure is the stream's last message.
 */
export class LazyProgressStream {
  private res: ServerResponse | undefined;

  constructor(
    private readonly reply: FastifyReply,
    private readonly request: FastifyRequest,
  ) {}

  readonly write = (message: object): void => {
    this.res ??= startResponseStream(this.reply, 'application/json');
    writeProgress(this.res, message);
  };

  /** Rethrows when nothing was sent yet; otherwise reports the error in the stream. */
  fail(err: unknown): void {
    if (!this.res) throw err;
    writeStreamError(this.res, err, this.request);
  }

  end(): void {
    this.res ??= startResponseStream(this.reply, 'application/json');
    this.res.end();
  }
}

// Docker's JSON progress streams (jsonmessage): one object per line, "\r\n"-terminated as moby
// writes them. Once the 200 is out, errors travel inside the stream as errorDetail.

import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { QueuePosition, QueueWatch } from '../../service/operation-slots.js';
import { describeError } from '../errors.js';
import { startResponseStream } from './response-stream.js';

/** How often a waiting request's connection is written to (see watchQueue). */
const QUEUE_HEARTBEAT_MS = 1000;

export function writeProgress(res: ServerResponse, message: object): void {
  if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(message)}\r\n`);
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
    writeProgress(this.start(), message);
  };

  /** Sends the 200 now (a load's stream starts at once, as moby's). */
  start(): ServerResponse {
    this.res ??= startResponseStream(this.reply, 'application/json');
    return this.res;
  }

  /**
   * A blank line, once the stream has started: docker's, docker-py's and dockerode's JSON stream
   * decoders skip it. Writing is how a client that went away is noticed (see watchQueue).
   */
  heartbeat(): void {
    if (this.res && !this.res.writableEnded && !this.res.destroyed) this.res.write('\r\n');
  }

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

/**
 * For an operation that may wait for a free slot: one progress message tells the client it waits
 * (it starts the 200; `extra` adds fields such as the pull's id; `silent` leaves it out), and a client that goes away meanwhile leaves the queue.
 * Node notices a closed connection only when it reads or writes, and the socket of a request
 * whose body nobody reads yet (a queued load) is paused: so while waiting, a blank line goes out
 * every second; on a closed connection the write fails, the response closes, the wait aborts.
 */
export function watchQueue(stream: LazyProgressStream, reply: FastifyReply, opts: { extra?: object; silent?: boolean } = {}): QueueWatch {
  const gone = new AbortController();
  const res = reply.raw;
  let heartbeat: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(heartbeat);
    heartbeat = undefined;
  };
  res.once('close', () => {
    stop();
    if (!res.writableFinished) gone.abort();
  });
  return {
    signal: gone.signal,
    onQueued: (queue) => {
      if (!opts.silent) stream.write({ status: waitingStatus(queue), ...opts.extra });
      heartbeat = setInterval(() => stream.heartbeat(), QUEUE_HEARTBEAT_MS);
    },
    onAdmitted: stop,
  };
}

/** "Waiting for a free slot: max-concurrent-loads is 2, 1 ahead in the queue". */
export function waitingStatus(q: QueuePosition): string {
  return `Waiting for a free slot: ${q.name} is ${q.size}, ${q.ahead} ahead in the queue`;
}

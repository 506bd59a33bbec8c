// An attach client (hijacked HTTP, a plain 200 stream or a websocket; also an exec's stream)
// connected to a container's shim. One implementation for every transport: the routes only move
// bytes. A client that attaches before the container runs (docker run attaches, then starts) waits
// here and is connected before the process starts, so it misses no output; stdin it sends
// meanwhile is kept until then. stdin EOF and detach keys follow moby (container/stream/attach.go).

import type { Socket } from 'node:net';
import { readLog } from '../../runtime/json-log.js';
import { ShimConnection } from '../../runtime/shim/connection.js';
import { ShimAttachFlag, type ShimExit } from '../../runtime/shim/protocol.js';
import { DetachMatcher } from './detach-matcher.js';

export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** Why a session ended; empty when the container was removed or only logs were asked for. */
export interface AttachEnd {
  /** The process exited: the shim's exit record. */
  exit?: ShimExit;
  /** The client typed the detach keys; the container runs on. */
  detached?: boolean;
}

export interface AttachSink {
  /** false: the client is behind; the session stops reading until `drained()`. */
  stdout(chunk: Buffer): boolean | void;
  stderr(chunk: Buffer): boolean | void;
  /** No more output: the process exited, the client detached, or the container went away. */
  end(how?: AttachEnd): void;
}

export interface AttachOptions {
  /**
   * The process has a TTY. Then, as in moby, the detach keys apply and the client's stdin EOF
   * ends the session instead of closing the process's stdin.
   */
  tty?: boolean;
  /**
   * Matched on stdin when `tty`, each key a stdin() call of its own, as moby does (detach-matcher.ts);
   * docker's default is ctrl-p ctrl-q (DEFAULT_DETACH_KEYS).
   */
  detachKeys?: Buffer;
  /** The detach keys ended the session (moby emits a `detach` event then). */
  onDetachKeys?: () => void;
}

/** A record of the stored log, replayed before live output (attach's logs=1). */
export interface ReplayChunk {
  stream: 'stdout' | 'stderr';
  payload: Buffer;
}

/** stdin kept for a container that has not started yet, before the client is asked to wait. */
const STDIN_QUEUE_MAX = 1024 * 1024;

export class AttachSession {
  private connection: ShimConnection | undefined;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private stdinWaiters: (() => void)[] = [];
  private stdinClosed = false;
  private ended = false;
  private detached = false;
  private readonly matcher: DetachMatcher | undefined;
  private wakeReplay: (() => void) | undefined;
  private size: [number, number] | undefined;

  constructor(
    readonly streams: AttachStreams,
    private readonly sink: AttachSink,
    /** docker's StdinOnce: the client's end of stdin closes the container's (without a TTY). */
    private readonly stdinOnce: boolean,
    private readonly options: AttachOptions = {},
  ) {
    if (options.tty && options.detachKeys && options.detachKeys.length > 0) this.matcher = new DetachMatcher(options.detachKeys);
  }

  private get flags(): number {
    return (this.streams.stdin ? ShimAttachFlag.ATTACH_STDIN : 0) |
      (this.streams.stdout ? ShimAttachFlag.ATTACH_STDOUT : 0) |
      (this.streams.stderr ? ShimAttachFlag.ATTACH_STDERR : 0);
  }

  /** The session is over (ended or the client went away): nothing more is forwarded. */
  get closed(): boolean {
    return this.ended || this.detached;
  }

  /** Binds the session to a socket connected to the shim. */
  connect(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const conn = ShimConnection.adopt(socket, {
      stdout: (b) => this.backpressure(this.sink.stdout(b)),
      stderr: (b) => this.backpressure(this.sink.stderr(b)),
      end: (exit) => this.end(exit ? { exit } : {}),
    });
    conn.attach(this.flags);
    if (this.size) conn.resize(...this.size);
    for (const chunk of this.queued) conn.stdin(chunk);
    this.queued = [];
    this.queuedBytes = 0;
    if (this.stdinClosed && this.stdinOnce) conn.closeStdin();
    this.connection = conn;
    const waiters = this.stdinWaiters;
    this.stdinWaiters = [];
    for (const fn of waiters) conn.onceDrained(fn);
  }

  /**
   * Writes stored output before the live stream (moby's attach logs=1), only the streams asked
   * for, waiting for the client whenever it is behind.
   */
  async replay(chunks: AsyncIterable<ReplayChunk>): Promise<void> {
    for await (const { stream, payload } of chunks) {
      if (this.closed) return;
      if (!this.streams[stream]) continue;
      if (this.sink[stream](payload) === false) await new Promise<void>((resolve) => (this.wakeReplay = resolve));
    }
  }

  /**
   * A client that cannot keep up is not buffered for without bound in kapald: reading from the
   * shim pauses until it drains (the shim then buffers, and drops the client past its limit).
   */
  private backpressure(ok: boolean | void): void {
    if (ok === false) this.connection?.pause();
  }

  /** The client drained: read output again. */
  drained(): void {
    this.wakeUpReplay();
    this.connection?.resume();
  }

  private wakeUpReplay(): void {
    const wake = this.wakeReplay;
    this.wakeReplay = undefined;
    wake?.();
  }

  /**
   * The client's bytes for the container's stdin. false: stdin is backed up (the container does not
   * read, or has not started); the transport stops reading its client until `whenStdinDrained`,
   * so a client cannot make kapald buffer without bound.
   */
  stdin(chunk: Buffer): boolean {
    if (!this.streams.stdin || this.stdinClosed || this.closed) return true;
    if (!this.matcher) return this.forward(chunk);
    const { pass, detach } = this.matcher.feed(chunk);
    const ok = pass.length > 0 ? this.forward(pass) : true;
    if (!detach) return ok;
    this.end({ detached: true });
    this.options.onDetachKeys?.();
    return true;
  }

  private forward(chunk: Buffer): boolean {
    if (this.connection) return this.connection.stdin(chunk);
    this.queued.push(chunk);
    this.queuedBytes += chunk.length;
    return this.queuedBytes < STDIN_QUEUE_MAX;
  }

  /** Runs `fn` once stdin can take more (see stdin()), or the session is over. */
  whenStdinDrained(fn: () => void): void {
    if (this.closed) return fn();
    if (this.connection) return this.connection.onceDrained(fn);
    this.stdinWaiters.push(fn);
  }

  private releaseStdinWaiters(): void {
    const waiters = this.stdinWaiters;
    this.stdinWaiters = [];
    for (const fn of waiters) fn();
  }

  /**
   * The client closed its stdin. Without a TTY and with StdinOnce the container's stdin closes
   * (the session goes on: `cat` ends and its output still arrives); otherwise, as in moby, the
   * session ends and the container's stdin stays open for the next client.
   */
  closeStdin(): void {
    if (!this.streams.stdin || this.stdinClosed || this.closed) return;
    this.stdinClosed = true;
    if (this.stdinOnce && !this.options.tty) this.connection?.closeStdin();
    else this.end();
  }

  /** The TTY's size; before the session is connected, sent once it is. */
  resize(rows: number, cols: number): void {
    if (this.connection) this.connection.resize(rows, cols);
    else this.size = [rows, cols];
  }

  /** Ends the client's stream; the container goes on. */
  end(how: AttachEnd = {}): void {
    if (this.ended) return;
    this.ended = true;
    this.connection?.close();
    this.wakeUpReplay();
    this.releaseStdinWaiters();
    this.sink.end(how);
  }

  /** The client went away: stop forwarding, keep the container as it is. */
  detach(): void {
    this.detached = true;
    this.connection?.close();
    this.wakeUpReplay();
    this.releaseStdinWaiters();
  }
}

/**
 * The stored log as replay chunks: readLog joins consecutive records of one stream up to about
 * 64 KiB, so a log of short lines is not a frame per line.
 */
export async function* storedOutput(file: string, streams: AttachStreams): AsyncGenerator<ReplayChunk> {
  const query = { stdout: streams.stdout, stderr: streams.stderr, since: 0, until: 0, timestamps: false, tail: -1, follow: false };
  for await (const c of readLog(file, query, () => false)) yield { stream: c.stream, payload: c.data };
}

/** What an attach request asks for besides the streams (docker's logs, stream, detachKeys). */
export interface AttachRequest {
  /** Replay the stored log first. */
  logs?: boolean;
  /** Follow live output (default true); false ends the session after the replay. */
  stream?: boolean;
  /** The parsed detachKeys; the default is ctrl-p ctrl-q. */
  detachKeys?: Buffer;
}

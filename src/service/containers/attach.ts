// An attach client (hijacked HTTP or, later, a websocket) connected to a container's shim. A
// client that attaches before the container runs (docker run attaches, then starts) waits here
// and is connected before the process starts, so it misses no output; stdin it sends meanwhile is
// kept until then.

import type { Socket } from 'node:net';
import { ShimConnection } from '../../runtime/shim/connection.js';
import { ShimAttachFlag } from '../../runtime/shim/protocol.js';

export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface AttachSink {
  /** false: the client is behind; the session stops reading until the client's `drain`. */
  stdout(chunk: Buffer): boolean | void;
  stderr(chunk: Buffer): boolean | void;
  /** The container exited (or was removed, or the attach failed): no more output. */
  end(): void;
}

export class AttachSession {
  private connection: ShimConnection | undefined;
  private queued: Buffer[] = [];
  private stdinClosed = false;
  private ended = false;
  private detached = false;

  constructor(
    readonly streams: AttachStreams,
    private readonly sink: AttachSink,
    /** docker's StdinOnce: the client's end of stdin closes the container's. */
    private readonly stdinOnce: boolean,
  ) {}

  private get flags(): number {
    return (this.streams.stdin ? ShimAttachFlag.ATTACH_STDIN : 0) |
      (this.streams.stdout ? ShimAttachFlag.ATTACH_STDOUT : 0) |
      (this.streams.stderr ? ShimAttachFlag.ATTACH_STDERR : 0);
  }

  /** Binds the session to a socket connected to the shim. */
  connect(socket: Socket): void {
    if (this.detached) {
      socket.destroy();
      return;
    }
    const conn = ShimConnection.adopt(socket, {
      stdout: (b) => this.backpressure(this.sink.stdout(b)),
      stderr: (b) => this.backpressure(this.sink.stderr(b)),
      end: () => this.end(),
    });
    conn.attach(this.flags);
    for (const chunk of this.queued) conn.stdin(chunk);
    this.queued = [];
    if (this.stdinClosed && this.stdinOnce) conn.closeStdin();
    this.connection = conn;
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
    this.connection?.resume();
  }

  stdin(chunk: Buffer): void {
    if (!this.streams.stdin || this.stdinClosed) return;
    if (this.connection) this.connection.stdin(chunk);
    else this.queued.push(chunk);
  }

  /** The client closed its stdin: with StdinOnce the container's stdin closes too. */
  closeStdin(): void {
    if (!this.streams.stdin || this.stdinClosed) return;
    this.stdinClosed = true;
    if (this.stdinOnce) this.connection?.closeStdin();
  }

  resize(rows: number, cols: number): void {
    this.connection?.resize(rows, cols);
  }

  /** Ends the client's stream; the container goes on. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.connection?.close();
    this.sink.end();
  }

  /** The client went away: stop forwarding, keep the container as it is. */
  detach(): void {
    this.detached = true;
    this.connection?.close();
  }
}

// An attach or exec stream over a websocket, as moby serves /containers/{id}/attach/ws (API ≥ 1.28:
// binary frames; output not multiplexed, stdout and stderr in the same frames; every client frame
// is stdin), plus kapal's extension for a client that asks for the subprotocol `kapal.attach.v1`
// (Sec-WebSocket-Protocol), so plain docker clients see docker's behaviour. With it, binary frames
// stay pure stdin and output; text frames are JSON control messages:
//   client → server  {"type":"resize","height":H,"width":W}   the TTY's size (as POST …/resize)
//                    {"type":"eof"}                            end of stdin (a hijacked client's
//                                                              half-close)
//   server → client  {"type":"exit","exitCode":N}             the process exited, then close 1000
//                    {"type":"detached"}                       the detach keys were typed, then close 1000
// Unknown types are ignored; a text frame that is not such JSON closes the socket with 1007.
// With the query `multiplex=1` (kapal.attach.v1 only) each output frame starts with one byte
// naming its stream, 1 stdout or 2 stderr (docker's stdcopy numbers), so a client can keep them
// apart as a hijacked attach does; with a TTY everything is stdout.

import type { WebSocket } from 'ws';
import type { AttachEnd, AttachSink } from '../../service/containers/attach.js';
import { CLIENT_HIGH_WATER } from './attach-output.js';

export const KAPAL_STREAM_PROTOCOL = 'kapal.attach.v1';

const STREAM_TAGS = [Buffer.alloc(0), Buffer.from([1]), Buffer.from([2])];

/** What the websocket drives (service/containers/attach.ts's AttachSession). */
export interface WebsocketSession {
  /** false: stdin is backed up; the socket stops reading until whenStdinDrained. */
  stdin(chunk: Buffer): boolean;
  whenStdinDrained(fn: () => void): void;
  closeStdin(): void;
  resize(rows: number, cols: number): void;
  drained(): void;
}

type Control = { type: 'resize'; height: number; width: number } | { type: 'eof' } | { type: string };

function parseControl(data: Buffer): Control | undefined {
  try {
    const msg = JSON.parse(data.toString('utf8')) as unknown;
    if (msg === null || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') return undefined;
    const m = msg as { type: string; height?: unknown; width?: unknown };
    if (m.type !== 'resize') return m;
    const dim = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff;
    return dim(m.height) && dim(m.width) ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens a session with a sink that writes to `socket`, then feeds the client's frames into it.
 * `open` failing closes the socket with 1011 and its message; `open` resolving undefined means it
 * ended the sink itself. `gone` runs when the client leaves.
 */
export async function serveWebsocketSession<S extends WebsocketSession>(
  socket: WebSocket,
  opts: { binary: boolean; multiplex?: boolean },
  open: (sink: AttachSink) => Promise<S | undefined>,
  gone: (session: S) => void,
): Promise<void> {
  const extended = socket.protocol === KAPAL_STREAM_PROTOCOL;
  let session: S | undefined;
  let behind = false;
  const sent = () => {
    if (behind && socket.bufferedAmount < CLIENT_HIGH_WATER / 2) {
      behind = false;
      session?.drained();
    }
  };
  const send = (chunk: Buffer) => {
    if (socket.readyState !== socket.OPEN) return false;
    socket.send(chunk, { binary: opts.binary }, sent);
    behind = socket.bufferedAmount >= CLIENT_HIGH_WATER;
    return !behind;
  };
  const tagged = (stream: number) => (chunk: Buffer) => send(Buffer.concat([STREAM_TAGS[stream]!, chunk]));
  const end = (how: AttachEnd = {}) => {
    if (socket.readyState !== socket.OPEN) return;
    if (extended && how.exit) socket.send(JSON.stringify({ type: 'exit', exitCode: how.exit.exitCode }));
    if (extended && how.detached) socket.send(JSON.stringify({ type: 'detached' }));
    socket.close(1000);
  };
  // Frames the client sends while the session opens (an exec takes milliseconds to start) wait
  // for it, and a client gone meanwhile is seen as gone once it is there.
  const early: [Buffer, boolean][] = [];
  let closed = false;
  let onMessage: (data: Buffer, isBinary: boolean) => void = (data, isBinary) => void early.push([data, isBinary]);
  socket.on('message', (data: Buffer, isBinary: boolean) => onMessage(data, isBinary));
  socket.on('close', () => {
    closed = true;
    if (session) gone(session);
  });
  try {
    const multiplex = extended && opts.multiplex === true;
    session = await open({ stdout: multiplex ? tagged(1) : send, stderr: multiplex ? tagged(2) : send, end });
  } catch (err) {
    if (socket.readyState === socket.OPEN) socket.close(1011, (err as Error).message.slice(0, 120));
    return;
  }
  if (!session) return;
  const s = session;
  if (closed) return gone(s);
  const stdin = (data: Buffer) => {
    if (s.stdin(data)) return;
    socket.pause();
    s.whenStdinDrained(() => socket.resume());
  };
  onMessage = (data, isBinary) => {
    if (!extended || isBinary) return stdin(data);
    const msg = parseControl(data);
    if (!msg) return socket.close(1007, 'invalid kapal.attach.v1 control message');
    if (msg.type === 'resize') s.resize((msg as { height: number }).height, (msg as { width: number }).width);
    else if (msg.type === 'eof') s.closeStdin();
  };
  for (const [data, isBinary] of early.splice(0)) onMessage(data, isBinary);
}

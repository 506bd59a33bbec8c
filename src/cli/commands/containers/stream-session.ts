// A container's or an exec's stdio through kapal's websocket (protocol kapal.attach.v1 with
// multiplexed output, see src/api/streams/websocket-session.ts): output to our stdout and stderr,
// our stdin to it (raw, byte for byte, on a terminal), the terminal's size and its changes, and
// the end: the process's exit, a detach (the detach keys, checked by kapald), or a lost socket.

import type { ApiClient } from '../../client.js';
import { WebsocketClient } from '../../websocket.js';

export interface SessionEnd {
  /** The exit code kapald reported, if the process exited while we were attached. */
  exitCode?: number;
  detached: boolean;
}

export interface SessionOptions {
  tty: boolean;
  /** Send our stdin. */
  stdin: boolean;
}

/** The terminal's size as kapal.attach.v1's resize message, or undefined off a terminal. */
function sizeMessage(): string | undefined {
  const out = process.stdout;
  if (!out.isTTY || !out.rows || !out.columns) return undefined;
  return JSON.stringify({ type: 'resize', height: out.rows, width: out.columns });
}

/**
 * Opens the websocket at `urlPath` (…/attach/ws?… or /exec/{id}/start/ws?…) and runs the session
 * until it ends. `ready` runs once the socket is open (a run starts its container then).
 */
export async function runSession(api: ApiClient, urlPath: string, opts: SessionOptions, ready?: () => Promise<void>): Promise<SessionEnd> {
  const sep = urlPath.includes('?') ? '&' : '?';
  const { socket, head } = await api.upgrade(`${urlPath}${opts.tty ? '' : `${sep}multiplex=1`}`, 'kapal.attach.v1');
  const end: SessionEnd = { detached: false };
  const stdin = process.stdin;
  const raw = opts.stdin && opts.tty && stdin.isTTY === true;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const ws = new WebsocketClient(socket, head, {
    binary(data) {
      if (opts.tty) return void process.stdout.write(data);
      const out = data[0] === 2 ? process.stderr : process.stdout;
      out.write(data.subarray(1));
    },
    text(data) {
      try {
        const msg = JSON.parse(data) as { type?: string; exitCode?: number };
        if (msg.type === 'exit' && typeof msg.exitCode === 'number') end.exitCode = msg.exitCode;
        if (msg.type === 'detached') end.detached = true;
      } catch {
        // not a control message we know
      }
    },
    close() {
      finished();
    },
  });
  const resize = () => {
    const msg = sizeMessage();
    if (msg) ws.sendText(msg);
  };
  // The size goes once the process runs (after `ready`, as docker sends it after the start).
  if (opts.tty) process.stdout.on('resize', resize);
  const onData = (chunk: Buffer) => {
    if (!ws.sendBinary(chunk)) {
      stdin.pause();
      ws.whenDrained(() => stdin.resume());
    }
  };
  const onEnd = () => ws.sendText(JSON.stringify({ type: 'eof' }));
  if (opts.stdin) {
    if (raw) stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  }
  try {
    if (ready) await ready();
    if (opts.tty) resize();
    await done;
  } finally {
    if (raw) stdin.setRawMode(false);
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
    process.stdout.off('resize', resize);
    socket.destroy();
  }
  return end;
}

/** Forwards the signals a user sends us to `kill` (docker's --sig-proxy) until the returned stop(). */
export function proxySignals(kill: (signal: string) => Promise<unknown>): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = signals.map((sig) => {
    const h = () => void kill(sig).catch(() => {});
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}

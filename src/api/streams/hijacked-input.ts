// The client's side of a hijacked attach or exec stream: its bytes after the 101 are stdin, its
// half-close is the end of stdin, and stdin that backs up pauses the socket instead of piling up
// in kapald.

import type { Duplex } from 'node:stream';

/** What a transport feeds (service/containers/attach.ts's AttachSession). */
export interface StdinSession {
  /** false: stdin is backed up; call whenStdinDrained before sending more. */
  stdin(chunk: Buffer): boolean;
  whenStdinDrained(fn: () => void): void;
  closeStdin(): void;
}

/** Feeds `socket` (handed over paused) into `session`; `gone` runs when the client goes away. */
export function pipeHijackedInput(socket: Duplex, session: StdinSession, gone: () => void): void {
  socket.on('data', (chunk: Buffer) => {
    if (session.stdin(chunk)) return;
    socket.pause();
    session.whenStdinDrained(() => socket.resume());
  });
  socket.on('end', () => session.closeStdin());
  socket.on('close', gone);
  socket.on('error', gone);
  socket.resume();
}

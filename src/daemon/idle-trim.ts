// Gives memory back once kapald has gone quiet. After work (startup, a load, a burst of
// requests) glibc keeps what was freed in its arenas, the V8 compiler threads' ones included,
// for reuse: most of it is never reused by an idle daemon. malloc_trim(0) returns those pages to
// the kernel; measured on the development VM, 2.5 MB after a 100 MB load and 8 MB after startup.
// V8's own heap shrinks by itself (its memory reducer), so this is only about malloc.

import type { Server } from 'node:http';
import { mallocTrim } from '../runtime/libc.js';

/** How long without a request ending before the trim. */
export const QUIET_MS = 10_000;

export class IdleTrim {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly quietMs = QUIET_MS,
    private readonly trim: () => void = mallocTrim,
  ) {}

  /** Work happened: trim when nothing more has happened for quietMs. */
  touch(): void {
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.trim();
    }, this.quietMs).unref();
  }

  /** Every request that ends, and every upgraded stream, counts as work. */
  watch(server: Server): void {
    server.on('request', (_req, res) => res.once('close', () => this.touch()));
    server.on('upgrade', (_req, socket) => socket.once('close', () => this.touch()));
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

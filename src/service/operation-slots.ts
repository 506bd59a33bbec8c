// A bound on how many operations of one kind (image pulls, image loads) run at once: the rest
// wait in a first-come queue instead of failing. A waiter whose client went away (its signal
// aborts) leaves the queue without ever running.

import { KapalError } from '../domain/errors.js';

export interface QueueWatch {
  /** Aborts the wait: the operation leaves the queue and rejects, and never runs. */
  signal?: AbortSignal | undefined;
  /** Called once, when the operation has to wait: `ahead` waiters were queued before it. */
  onQueued?: ((queue: QueuePosition) => void) | undefined;
  /** Called once, when an operation that had to wait is let in. */
  onAdmitted?: (() => void) | undefined;
}

export interface QueuePosition {
  ahead: number;
  /** The bound, and the daemon.json key that sets it. */
  size: number;
  name: string;
}

interface Waiter {
  admit(): void;
}

export class OperationSlots {
  private inFlight = 0;
  private readonly queue: Waiter[] = [];

  /** `size` operations at once; `name` is the daemon.json key that sets it (for messages). */
  constructor(
    readonly size: number,
    readonly name: string,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`${name} must be at least 1`);
  }

  get running(): number {
    return this.inFlight;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `operation` once a slot is free, and frees the slot when it settles. */
  async run<T>(operation: () => Promise<T>, watch: QueueWatch = {}): Promise<T> {
    await this.acquire(watch);
    try {
      return await operation();
    } finally {
      this.release();
    }
  }

  private acquire({ signal, onQueued, onAdmitted }: QueueWatch): Promise<void> {
    if (signal?.aborted) return Promise.reject(gone());
    if (this.inFlight < this.size && this.queue.length === 0) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.queue.indexOf(waiter);
        if (at >= 0) this.queue.splice(at, 1);
        reject(gone());
      };
      const waiter: Waiter = {
        admit: () => {
          signal?.removeEventListener('abort', onAbort);
          this.inFlight++;
          resolve();
          onAdmitted?.();
        },
      };
      const ahead = this.queue.length;
      this.queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      onQueued?.({ ahead, size: this.size, name: this.name });
    });
  }

  private release(): void {
    this.inFlight--;
    if (this.inFlight < this.size) this.queue.shift()?.admit();
  }
}

function gone(): KapalError {
  return new KapalError('Unavailable', 'the client went away while the operation was waiting for a free slot');
}

// Clients waiting on a container (POST /containers/{id}/wait): moby's conditions, resolved by the
// service when the container exits or is removed.

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

interface Waiter {
  condition: WaitCondition;
  resolve: (r: WaitResult) => void;
}

export class ContainerWaiters {
  private readonly byId = new Map<string, Waiter[]>();

  add(id: string, condition: WaitCondition): { result: Promise<WaitResult>; cancel: () => void } {
    let waiter!: Waiter;
    const result = new Promise<WaitResult>((resolve) => (waiter = { condition, resolve }));
    const list = this.byId.get(id) ?? [];
    list.push(waiter);
    this.byId.set(id, list);
    return { result, cancel: () => this.drop(id, (w) => w === waiter) };
  }

  /** The container stopped: everyone but `removed` waiters is answered. */
  exited(id: string, statusCode: number, error: string | null = null): void {
    this.settle(id, (w) => w.condition !== 'removed', statusCode, error);
  }

  /** The container is gone: everyone is answered. */
  removed(id: string, statusCode: number, error: string | null = null): void {
    this.settle(id, () => true, statusCode, error);
  }

  private settle(id: string, which: (w: Waiter) => boolean, statusCode: number, error: string | null): void {
    const settled = this.drop(id, which);
    for (const w of settled) w.resolve({ StatusCode: statusCode, Error: error === null ? null : { Message: error } });
  }

  private drop(id: string, which: (w: Waiter) => boolean): Waiter[] {
    const list = this.byId.get(id) ?? [];
    const keep = list.filter((w) => !which(w));
    if (keep.length === 0) this.byId.delete(id);
    else this.byId.set(id, keep);
    return list.filter(which);
  }
}

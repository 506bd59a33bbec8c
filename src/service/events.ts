// The events of GET /events: publish() records an event in the store, then tells the live
// subscribers, in order. Callers publish after the change the event reports is committed, so a
// client never hears of a container the API cannot find yet. subscribe() replays what the store
// kept (since/until), then goes on with live events without a gap or a duplicate.

import type { Container } from '../domain/container.js';
import { invalidArgument } from '../domain/errors.js';
import type { EventType, NewEvent, RecordedEvent } from '../domain/event.js';
import type { EventStore } from '../store/event-store.js';
import { checkEventFilters, eventMatches, type EventFilters } from './event-filters.js';

/** Docker's events.Message, field for field and in its order (api/types/events/events.go). */
export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: bigint;
}

export interface SubscribeOptions {
  filters: EventFilters;
  /** Unix nanoseconds: replay events from then on. */
  since?: bigint | undefined;
  /** Unix nanoseconds: stop then (at once, after the replay, when it is past). */
  until?: bigint | undefined;
}

export interface EventSubscription {
  /** Resolves when the subscription ends: `until` came, or close() was called. */
  readonly ended: Promise<void>;
  close(): void;
}

export interface EventServiceDeps {
  store: EventStore;
  log: { warn(obj: object, msg: string): void };
  /** Unix nanoseconds; tests may pin it. */
  clock?: () => bigint;
}

type Listener = (e: RecordedEvent) => void;

const NANOS_PER_SECOND = 1_000_000_000n;
const INT64_MAX = 2n ** 63n - 1n;
/** setTimeout's limit (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class EventService {
  private readonly listeners = new Set<Listener>();
  private readonly subscriptions = new Set<EventSubscription>();
  private readonly clock: () => bigint;

  constructor(private readonly deps: EventServiceDeps) {
    this.clock = deps.clock ?? monotonicWallClock();
  }

  /** Unix time in nanoseconds, as event times are taken. */
  now(): bigint {
    return this.clock();
  }

  /**
   * Records the event, then tells every live subscriber. The change it reports is already
   * committed, so a failure to record it is logged, never thrown at the caller.
   */
  publish(type: EventType, action: string, actorId: string, attributes: Record<string, string> = {}): void {
    const e: NewEvent = { type, action, actorId, attributes, timeNano: this.clock() };
    let recorded: RecordedEvent;
    try {
      recorded = this.deps.store.append(e);
    } catch (err) {
      this.deps.log.warn({ err, event: { type, action, actorId } }, 'an event could not be recorded; it is lost');
      return;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(recorded);
      } catch (err) {
        this.deps.log.warn({ err }, 'an events subscriber failed');
      }
    }
  }

  /**
   * A container event, with the attributes moby gives every one: the container's labels, then
   * `image` (as the create request named it) and `name` (without the slash) over them. `extra`
   * (exitCode, signal, execID, ...) comes first, so a label of the same name wins, as in moby.
   */
  container(c: Pick<Container, 'id' | 'name' | 'config' | 'imageName'>, action: string, extra: Record<string, string> = {}): void {
    const image = c.config.Image || c.imageName;
    const attributes: Record<string, string> = { ...extra, ...(c.config.Labels ?? {}) };
    if (image) attributes['image'] = image;
    attributes['name'] = c.name.replace(/^\/+/, '');
    this.publish('container', action, c.id, attributes);
  }

  /** An image event (moby's LogImageEvent): the image's labels and its `name`. */
  image(id: string, name: string, action: string, labels: Record<string, string> | null | undefined = undefined): void {
    this.publish('image', action, id, { ...(labels ?? {}), name });
  }

  /**
   * Calls `send` for each stored event in [since, until] that passes the filters, then for each
   * live one until `until` or close(). Live events are listened to before the store is read and
   * told apart from replayed ones by seq, so none is missed or sent twice.
   */
  subscribe(opts: SubscribeOptions, send: (m: EventMessage) => void): EventSubscription {
    checkEventFilters(opts.filters);
    const { since, until } = opts;
    if (since !== undefined && until !== undefined && until < since) {
      throw invalidArgument(`\`since\` time (${formatSeconds(since)}) cannot be after \`until\` time (${formatSeconds(until)})`);
    }
    let closed = false;
    let replaying = true;
    let lastSeq = 0;
    const held: RecordedEvent[] = [];
    const deliver = (e: RecordedEvent) => {
      if (closed || e.seq <= lastSeq) return;
      lastSeq = e.seq;
      if (until !== undefined && e.timeNano > until) return;
      if (eventMatches(e, opts.filters)) send(toMessage(e));
    };
    const listener: Listener = (e) => (replaying ? held.push(e) : deliver(e));
    this.listeners.add(listener);

    let finish!: () => void;
    const ended = new Promise<void>((resolve) => (finish = resolve));
    let timer: NodeJS.Timeout | undefined;
    const close = () => {
      if (closed) return;
      closed = true;
      this.listeners.delete(listener);
      this.subscriptions.delete(subscription);
      clearTimeout(timer);
      finish();
    };
    const subscription: EventSubscription = { ended, close };
    this.subscriptions.add(subscription);
    try {
      if (since !== undefined || until !== undefined) {
        for (const e of this.deps.store.between(since ?? 0n, until ?? INT64_MAX)) deliver(e);
      }
      // Still "replaying" while the held events go out: one published meanwhile queues behind them.
      while (held.length > 0) deliver(held.shift()!);
      replaying = false;
    } catch (err) {
      close();
      throw err;
    }
    if (until !== undefined) {
      const endAt = () => {
        const left = Number((until - this.clock()) / 1_000_000n);
        if (left <= 0) close();
        else timer = setTimeout(endAt, Math.min(left + 1, MAX_TIMER_MS));
      };
      endAt();
    }
    return subscription;
  }

  /** Open subscriptions (docker info's NEventsListener). */
  listenerCount(): number {
    return this.subscriptions.size;
  }

  /** kapald is stopping: every subscription ends (its client sees the stream end). */
  close(): void {
    for (const s of [...this.subscriptions]) s.close();
  }
}

/** Docker's JSON for an event: the deprecated status/id/from for containers and images. */
export function toMessage(e: RecordedEvent): EventMessage {
  const legacy =
    e.type === 'container'
      ? { status: e.action, id: e.actorId, from: e.attributes['image'] ?? '' }
      : e.type === 'image'
        ? { status: e.action, id: e.actorId }
        : {};
  const attributes: Record<string, string> = {};
  for (const k of Object.keys(e.attributes).sort()) attributes[k] = e.attributes[k]!;
  return {
    ...legacy,
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.actorId, Attributes: attributes },
    scope: 'local',
    time: Number(e.timeNano / NANOS_PER_SECOND),
    timeNano: e.timeNano,
  };
}

/** One line of the stream, as Go's json.Encoder writes it; timeNano keeps all its digits. */
export function eventJson(m: EventMessage): string {
  const { timeNano, ...rest } = m;
  return `${JSON.stringify(rest).slice(0, -1)},"timeNano":${timeNano}}\n`;
}

function formatSeconds(nanos: bigint): string {
  return `${nanos / NANOS_PER_SECOND}.${(nanos % NANOS_PER_SECOND).toString().padStart(9, '0')}`;
}

/**
 * Wall-clock nanoseconds: the monotonic clock's nanoseconds, anchored to the wall clock (which
 * has milliseconds) and re-anchored when the wall clock is set. Never ahead of the wall clock by
 * more than its own rounding, and never going back within this process, so events recorded one
 * after the other have increasing times and `until=<now>` includes what just happened.
 */
function monotonicWallClock(): () => bigint {
  const wall = () => BigInt(Date.now()) * 1_000_000n;
  let offset = wall() - process.hrtime.bigint();
  let last = 0n;
  return () => {
    const mono = process.hrtime.bigint();
    let t = offset + mono;
    const w = wall();
    if (t - w > 2_000_000n || w - t > 2_000_000n) {
      offset = w - mono;
      t = w;
    }
    if (t <= last) t = last + 1n;
    last = t;
    return t;
  };
}

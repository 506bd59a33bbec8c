// Events in SQLite: append, read back in order, and keep only the newest `keep` rows. Trimming
// is a range delete on the primary key, so it costs one b-tree seek per event recorded.

import type { EventType, NewEvent, RecordedEvent } from '../domain/event.js';
import type { Db } from './database.js';

interface EventRow {
  seq: bigint;
  time_nano: bigint;
  type: EventType;
  action: string;
  actor_id: string;
  attributes: string;
}

const fromRow = (r: EventRow): RecordedEvent => ({
  seq: Number(r.seq),
  timeNano: r.time_nano,
  type: r.type,
  action: r.action,
  actorId: r.actor_id,
  attributes: JSON.parse(r.attributes) as Record<string, string>,
});

/** moby keeps 256 events in memory; kapal keeps this many on disk unless told otherwise. */
export const DEFAULT_EVENTS_KEPT = 10_000;

export class EventStore {
  private readonly q;
  private readonly append_;

  constructor(db: Db, private readonly keep: number = DEFAULT_EVENTS_KEPT) {
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`events to keep must be a positive integer, not ${keep}`);
    this.q = {
      insert: db.prepare<[{ timeNano: bigint; type: string; action: string; actorId: string; attributes: string }]>(
        `INSERT INTO events (time_nano, type, action, actor_id, attributes)
         VALUES (@timeNano, @type, @action, @actorId, @attributes)`,
      ),
      trim: db.prepare<[bigint]>('DELETE FROM events WHERE seq <= ?'),
      // time_nano and seq exceed 2^53 or may: read as bigints, never as lossy doubles.
      between: db.prepare<[bigint, bigint], EventRow>(
        'SELECT * FROM events WHERE time_nano >= ? AND time_nano <= ? ORDER BY seq',
      ).safeIntegers(true),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM events'),
      lastSeq: db.prepare<[], { seq: bigint | null }>('SELECT max(seq) AS seq FROM events').safeIntegers(true),
    };
    this.append_ = db.transaction((e: NewEvent): number => {
      const { lastInsertRowid } = this.q.insert.run({
        timeNano: e.timeNano,
        type: e.type,
        action: e.action,
        actorId: e.actorId,
        attributes: JSON.stringify(e.attributes),
      });
      const seq = BigInt(lastInsertRowid);
      if (seq > BigInt(this.keep)) this.q.trim.run(seq - BigInt(this.keep));
      return Number(seq);
    });
  }

  /** Records the event and drops what falls out of the window; returns it with its seq. */
  append(e: NewEvent): RecordedEvent {
    return { ...e, seq: this.append_(e) };
  }

  /** Events with from ≤ time ≤ to, oldest first. */
  between(fromNano: bigint, toNano: bigint): RecordedEvent[] {
    return this.q.between.all(fromNano, toNano).map(fromRow);
  }

  count(): number {
    return this.q.count.get()!.n;
  }

  /** The seq of the newest event kept, 0 when there is none. */
  lastSeq(): number {
    return Number(this.q.lastSeq.get()?.seq ?? 0n);
  }
}

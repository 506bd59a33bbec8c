// Events as kapal records them: what happened (type, action), to what (the actor and its
// attributes) and when. seq is the store's order; Docker's JSON shape is the event service's job.

export type EventType = 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config' | 'builder';

export interface NewEvent {
  type: EventType;
  action: string;
  actorId: string;
  attributes: Record<string, string>;
  /** Unix time in nanoseconds (beyond 2^53, hence a bigint). */
  timeNano: bigint;
}

export interface RecordedEvent extends NewEvent {
  /** Increases with every event recorded, across daemon restarts; never reused. */
  seq: number;
}

// GET /events filters, as moby's daemon/events/filter.go applies them: keys are ANDed, the values
// of one key ORed; names and IDs match by prefix (FuzzyMatch), type/event/scope exactly, labels
// as `k` or `k=v` against the actor's attributes.

import { invalidArgument } from '../domain/errors.js';
import type { EventType } from '../domain/event.js';

export type EventFilters = Map<string, string[]>;

/** The actor-name keys: each matches the actor's ID or its `name` attribute by prefix. */
const NAME_KEYS = ['container', 'plugin', 'volume', 'network', 'node', 'service', 'secret', 'config', 'daemon'] as const;
const KEYS = new Set<string>(['type', 'event', 'image', 'label', 'scope', ...NAME_KEYS]);

/** moby turns these into prefix matches: their actions carry the command ("exec_start: sh"). */
const FUZZY_ACTIONS = new Set(['health_status', 'exec_create', 'exec_start']);

/** Refuses keys moby's events filter does not know, with moby's wording. */
export function checkEventFilters(filters: EventFilters): void {
  for (const key of filters.keys()) if (!KEYS.has(key)) throw invalidArgument(`invalid filter '${key}'`);
}

/** What a filter sees of an event. */
export interface FilterableEvent {
  type: EventType;
  action: string;
  actorId: string;
  attributes: Record<string, string>;
}

export function eventMatches(e: FilterableEvent, f: EventFilters): boolean {
  const values = (key: string) => f.get(key) ?? [];
  const exact = (key: string, source: string) => values(key).length === 0 || values(key).includes(source);
  const fuzzy = (key: string, source: string) => values(key).length === 0 || values(key).some((v) => source.startsWith(v));

  const events = values('event');
  if (events.length > 0) {
    const matchesAction = events.some((v) => FUZZY_ACTIONS.has(v)) ? fuzzy('event', e.action) : exact('event', e.action);
    if (!matchesAction) return false;
  }
  if (!exact('type', e.type) || !exact('scope', 'local')) return false;
  const name = e.attributes['name'] ?? '';
  for (const key of NAME_KEYS) if (!(fuzzy(key, e.actorId) || fuzzy(key, name))) return false;
  if (values('image').length > 0) {
    const imageName = e.attributes[e.type === 'image' ? 'name' : 'image'] ?? '';
    const candidates = [e.actorId, imageName, stripTag(e.actorId), stripTag(imageName)];
    if (!candidates.some((c) => values('image').includes(c))) return false;
  }
  return values('label').every((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? l in e.attributes : e.attributes[l.slice(0, eq)] === l.slice(eq + 1);
  });
}

/** "busybox:1" → "busybox", "localhost:5000/a:b" → "localhost:5000/a"; IDs and digests stay. */
function stripTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}

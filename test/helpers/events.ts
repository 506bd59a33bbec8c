// Reading GET /events from a real kapald: a finished replay (until in the past) as a list, or a
// live stream whose events a test waits for. Lines are kept raw too, since timeNano has more
// digits than JSON.parse keeps.

import http from 'node:http';
import type { TestDaemon } from './daemon.js';

export interface Event {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: string;
  time: number;
  timeNano: number;
  /** The line as sent. */
  raw: string;
}

export interface LiveEvents {
  status: number;
  contentType: string | undefined;
  events: Event[];
  /** Resolves with the events so far once `done` holds for them. */
  until(done: (events: Event[]) => boolean, timeoutMs?: number): Promise<Event[]>;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

export function eventsQuery(q: { since?: string | number; until?: string | number; filters?: object }): string {
  const params = new URLSearchParams();
  if (q.since !== undefined) params.set('since', String(q.since));
  if (q.until !== undefined) params.set('until', String(q.until));
  if (q.filters !== undefined) params.set('filters', JSON.stringify(q.filters));
  const s = params.toString();
  return `/events${s ? `?${s}` : ''}`;
}

/**
 * Unix seconds with nanoseconds, as the docker CLI sends since/until; rounded up to the next
 * millisecond, so an event of this very moment is not after it.
 */
export function unixNow(offsetSeconds = 0): string {
  const ms = Math.round(Date.now() + 1 + offsetSeconds * 1000);
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1_000_000).padStart(9, '0')}`;
}

function parse(line: string): Event {
  return { ...(JSON.parse(line) as Omit<Event, 'raw'>), raw: line };
}

/** Opens the stream; resolves once the status and headers arrived. */
export function openEvents(d: TestDaemon, path: string): Promise<LiveEvents> {
  return new Promise((resolve, reject) => {
    const events: Event[] = [];
    const watchers = new Set<() => void>();
    let resolveEnded!: () => void;
    const ended = new Promise<void>((r) => (resolveEnded = r));
    const req = http.request({ socketPath: d.socket, method: 'GET', path, agent: false }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim() !== '') events.push(parse(line));
        }
        for (const w of [...watchers]) w();
      });
      res.on('end', resolveEnded);
      res.on('close', resolveEnded);
      resolve({
        status: res.statusCode ?? 0,
        contentType: res.headers['content-type'],
        events,
        ended,
        close: () => req.destroy(),
        until: (done, timeoutMs = 15_000) =>
          new Promise<Event[]>((ok, fail) => {
            const check = () => {
              if (!done(events)) return;
              watchers.delete(check);
              clearTimeout(timer);
              ok(events);
            };
            const timer = setTimeout(() => {
              watchers.delete(check);
              fail(new Error(`timed out waiting for events; got ${JSON.stringify(events.map((e) => `${e.Type} ${e.Action}`))}`));
            }, timeoutMs);
            watchers.add(check);
            check();
          }),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A replay that ends by itself (until in the past): every event, or the error answer. */
export async function replay(d: TestDaemon, q: { since?: string | number; until?: string | number; filters?: object }): Promise<Event[]> {
  const res = await d.request('GET', eventsQuery(q));
  if (res.status !== 200) throw new Error(`GET /events answered ${res.status}: ${res.text}`);
  return res.text.split('\n').filter((l) => l !== '').map(parse);
}

/** "create start die" for a quick comparison of sequences. */
export const actions = (events: Event[]) => events.map((e) => e.Action);

// GET /events?since=&until=&filters=: newline-delimited JSON events. Stored events in the time
// range are replayed first, then live ones follow until `until` (never without it); with `until`
// in the past the stream ends after the replay. A client that goes away ends its subscription.

import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { queryFilters, unixNanos } from '../../query.js';
import { startResponseStream } from '../../streams/response-stream.js';
import { eventJson } from '../../../service/events.js';
import type { Services } from '../index.js';

/** A client this far behind is cut off rather than buffered for without bound. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

const query = z.looseObject({
  since: z.string().optional(),
  until: z.string().optional(),
  filters: queryFilters,
});

export default function systemEvents(app: Api, { events }: Services): void {
  app.get('/events', { schema: { querystring: query } }, async (request, reply) => {
    const q = request.query;
    const since = unixNanos(q.since, 'since');
    const until = unixNanos(q.until, 'until');
    // subscribe() validates before it replays, so a bad filter is a 400 before any header;
    // what it replays at once is held until the headers are out.
    const held: string[] = [];
    let res: ServerResponse | undefined;
    const subscription = events.subscribe({ filters: q.filters, since, until }, (m) => {
      const line = eventJson(m);
      if (!res) held.push(line);
      else if (!res.destroyed) {
        res.write(line);
        if (res.writableLength > MAX_BUFFERED_BYTES) subscription.close();
      }
    });
    res = startResponseStream(reply, JSON_TYPE);
    res.on('close', () => subscription.close());
    if (held.length > 0) res.write(held.join(''));
    await subscription.ended;
    res.end();
  });
}

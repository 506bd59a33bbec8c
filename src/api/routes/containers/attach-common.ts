// What the two attach routes (hijacked POST /attach and GET /attach/ws) share: the query as moby
// reads it. The session itself is one implementation (service/containers/attach.ts); the routes
// are thin transports around it.

import { z } from 'zod';
import { parseDetachKeys } from '../../../domain/detach-keys.js';
import type { AttachRequest, AttachStreams } from '../../../service/containers/attach.js';
import { queryBool } from '../../query.js';

export const attachQuery = z.looseObject({
  stream: queryBool(),
  stdin: queryBool(),
  stdout: queryBool(),
  stderr: queryBool(),
  logs: queryBool(),
  detachKeys: z.string().optional(),
  /** kapal.attach.v1 over the websocket: output frames tagged with their stream. */
  multiplex: queryBool(),
});

export type AttachQuery = z.infer<typeof attachQuery>;

export const attachParams = z.object({ id: z.string() });

/** The streams asked for; `fallback` when the query names none of stdin, stdout, stderr. */
export function requestedStreams(q: AttachQuery, fallback: AttachStreams): AttachStreams {
  const raw = q as Record<string, unknown>;
  const named = ['stdin', 'stdout', 'stderr'].some((k) => raw[k] !== undefined);
  return named ? { stdin: q.stdin, stdout: q.stdout, stderr: q.stderr } : fallback;
}

/** logs, stream and detachKeys; invalid keys are moby's 400 ("Invalid detach keys (x) provided"). */
export function attachRequest(q: AttachQuery): AttachRequest {
  return { logs: q.logs, stream: q.stream, detachKeys: parseDetachKeys(q.detachKeys ?? '', 'detach') };
}

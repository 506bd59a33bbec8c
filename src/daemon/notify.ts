// sd_notify(3) for Type=notify units: READY=1 once the API answers, STOPPING=1 on shutdown.

import type { FastifyBaseLogger } from 'fastify';
import { sendNotify } from '../runtime/libc.js';

export function notifySystemd(state: string, log: FastifyBaseLogger): void {
  const socketPath = process.env.NOTIFY_SOCKET;
  if (!socketPath) return;
  try {
    sendNotify(socketPath, state);
  } catch (err) {
    log.warn({ err, socket: socketPath }, 'sd_notify failed');
  }
}

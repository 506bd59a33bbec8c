// GET/HEAD /_ping: the first call of every docker CLI command; version negotiation reads the headers.

import type { Api } from '../../app.js';

export default function ping(app: Api): void {
  const handler = async (request: { method: string }, reply: import('fastify').FastifyReply) => {
    reply.header('Cache-Control', 'no-cache, no-store, must-revalidate');
    reply.header('Pragma', 'no-cache');
    reply.header('Swarm', 'inactive');
    reply.type('text/plain; charset=utf-8');
    if (request.method === 'HEAD') return reply.header('Content-Length', '0').send();
    return reply.send('OK');
  };
  app.get('/_ping', handler);
  app.head('/_ping', handler);
}

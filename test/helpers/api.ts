// The real API, in-process, on a Unix socket of its own: for tests of the HTTP layer that need
// test-only routes beside the real ones (a hijack echo, a route that throws).

import http from 'node:http';
import path from 'node:path';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { buildApi, type Api, type BuiltApi } from '../../src/api/app.js';
import { createServices } from '../../src/daemon/build.js';
import { resolveConfig } from '../../src/daemon/config.js';
import { openDatabase } from '../../src/store/database.js';
import { makeTempDir } from './daemon.js';

export interface TestApi {
  dir: string;
  socket: string;
  api: BuiltApi;
  server: http.Server;
  /** What the API logged, as JSON lines. */
  logs(): string;
}

export async function startApi(
  t: { teardown(fn: () => unknown): void },
  name: string,
  extraRoutes?: (app: Api) => void,
): Promise<TestApi> {
  const dir = makeTempDir(t, name);
  const db = openDatabase(path.join(dir, 'kapal.db'));
  const config = resolveConfig('/dev/null', {}, { 'data-root': path.join(dir, 'data'), 'exec-root': path.join(dir, 'exec') });
  let logged = '';
  const logger = pino({ level: 'info' }, { write: (s: string) => (logged += s) }) as unknown as FastifyBaseLogger;
  const services = createServices(config, db, logger);
  const api = await buildApi({ services, logger, serverName: 'kapal/test (linux)', ...(extraRoutes ? { extraRoutes } : {}) });
  const server = http.createServer();
  api.attach(server);
  const socket = path.join(dir, 'api.sock');
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.teardown(async () => {
    const closed = new Promise((resolve) => server.close(resolve));
    await api.close();
    server.closeAllConnections();
    await closed;
    db.close();
  });
  return { dir, socket, api, server, logs: () => logged };
}

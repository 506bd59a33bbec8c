// The real API, in-process, on a Unix socket of its own: for tests of the HTTP layer that need
// test-only routes beside the real ones (a hijack echo, a route that throws).

import http from 'node:http';
import path from 'node:path';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { buildApi, type Api, type BuiltApi } from '../../src/api/app.js';
import { readBuildInfo } from '../../src/daemon/build-info.js';
import { resolveConfig } from '../../src/daemon/config.js';
import { readHostFacts } from '../../src/runtime/host-facts.js';
import { SystemService } from '../../src/service/system-service.js';
import { openDatabase } from '../../src/store/database.js';
import { EngineStore } from '../../src/store/engine-store.js';
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
  const system = new SystemService({
    config,
    host: readHostFacts(),
    build: readBuildInfo(),
    engine: new EngineStore(db),
    counts: () => ({ containers: { running: 0, paused: 0, stopped: 0 }, images: 0 }),
  });
  const api = await buildApi({ services: { system }, logger, serverName: 'kapal/test (linux)', ...(extraRoutes ? { extraRoutes } : {}) });
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

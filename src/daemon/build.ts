// The composition root: config → state dirs and locks → database → stores → services → API →
// listeners. close() undoes it in reverse. Nothing else in kapald wires modules together.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { buildApi, type BuiltApi } from '../api/app.js';
import { readHostFacts } from '../runtime/host-facts.js';
import { SystemService } from '../service/system-service.js';
import { openDatabase, type Db } from '../store/database.js';
import { EngineStore } from '../store/engine-store.js';
import { readBuildInfo } from './build-info.js';
import type { DaemonConfig } from './config.js';
import { listenAll, type Listener } from './listeners.js';
import { lockFile, type StateLock } from './state-lock.js';

/** How long shutdown lets in-flight requests finish before cutting connections. */
const SHUTDOWN_GRACE_MS = 1500;

export interface Daemon {
  api: BuiltApi;
  listeners: Listener[];
  close(): Promise<void>;
}

export async function buildDaemon(config: DaemonConfig, log: FastifyBaseLogger): Promise<Daemon> {
  const undo: (() => void | Promise<void>)[] = [];
  const unwind = async () => {
    for (const step of undo.reverse()) await step();
  };
  try {
    for (const dir of [config.dataRoot, config.execRoot]) mkdirSync(dir, { recursive: true, mode: 0o711 });
    const locks: StateLock[] = [
      lockFile(path.join(config.dataRoot, 'kapald.lock'), `data-root ${config.dataRoot}`),
      lockFile(path.join(config.execRoot, 'kapald.lock'), `exec-root ${config.execRoot}`),
    ];
    undo.push(() => locks.forEach((l) => l.release()));

    const db: Db = openDatabase(path.join(config.dataRoot, 'kapal.db'));
    undo.push(() => {
      db.close();
    });

    const build = readBuildInfo();
    const system = new SystemService({
      config,
      host: readHostFacts(),
      build,
      engine: new EngineStore(db),
      counts: () => ({ containers: { running: 0, paused: 0, stopped: 0 }, images: 0 }),
    });

    const api = await buildApi({ services: { system }, logger: log, serverName: `kapal/${build.version} (linux)` });
    const listeners = await listenAll(config, (server) => api.attach(server), log).catch(async (err) => {
      await api.close();
      throw err;
    });
    // Stop accepting first, then end the streams (upgraded sockets would otherwise keep the
    // servers open), then give short requests the grace period.
    undo.push(async () => {
      const drained = Promise.all(listeners.map((l) => l.close(SHUTDOWN_GRACE_MS)));
      await api.close();
      await drained;
    });

    return { api, listeners, close: unwind };
  } catch (err) {
    await unwind();
    throw err;
  }
}

// kapald: parse flags and config, build the daemon, serve until SIGTERM/SIGINT.
// Containers are owned by their shims, so shutting kapald down never stops them.

import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { readBuildInfo } from './daemon/build-info.js';
import { buildDaemon, type Daemon } from './daemon/build.js';
import { checkConflicts, ConfigError, readConfigFile, resolveConfig, type DaemonConfig } from './daemon/config.js';
import { parseFlags, usage } from './daemon/flags.js';
import { notifySystemd } from './daemon/notify.js';
import { writePidfile } from './daemon/pidfile.js';
import { armFailpoints } from './service/failpoints.js';

const EXPECTED_STARTUP_ERRORS = new Set(['ListenError', 'LockHeldError', 'SchemaError']);

/** After a signal, the daemon is gone within this time whatever is still running. */
const SHUTDOWN_DEADLINE_MS = 2000;

function loadConfig(argv: string[]): DaemonConfig | undefined {
  const flags = parseFlags(argv);
  if (flags.help) {
    process.stdout.write(`${usage()}\n`);
    return undefined;
  }
  if (flags.version) {
    const build = readBuildInfo();
    process.stdout.write(`kapald version ${build.version}, build ${build.gitCommit}\n`);
    return undefined;
  }
  const file = readConfigFile(flags.configFile, flags.configFileExplicit);
  checkConflicts(flags.values, file);
  return resolveConfig(flags.configFile, file, flags.values);
}

function installSignals(daemon: Daemon, log: FastifyBaseLogger, removePidfile: () => void): void {
  let closing: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'shutting down; containers keep running');
    notifySystemd('STOPPING=1', log);
    setTimeout(() => {
      log.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    closing = daemon.close().then(
      () => {
        removePidfile();
        log.info('kapald stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        removePidfile();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // ExecReload sends HUP; without a handler Node would exit on it.
  process.on('SIGHUP', () => log.warn('SIGHUP: configuration reload is not supported yet; restart kapald to apply changes'));
}

async function main(argv: string[]): Promise<number | undefined> {
  let config: DaemonConfig | undefined;
  try {
    config = loadConfig(argv);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`kapald: ${err.message}\n`);
    return 2;
  }
  if (!config) return 0;
  armFailpoints(process.env['KAPAL_TEST_FAILPOINTS']); // crash-safety tests only

  const log = pino(
    { level: config.logLevel, timestamp: pino.stdTimeFunctions.isoTime, base: { pid: process.pid } },
    pino.destination({ fd: 2, sync: true }),
  ) as unknown as FastifyBaseLogger;

  if (process.getuid?.() !== 0) {
    process.stderr.write('kapald: must run as root\n');
    return 1;
  }

  let daemon: Daemon;
  try {
    daemon = await buildDaemon(config, log);
  } catch (err) {
    // Expected refusals (a socket in use, a locked data-root, a newer database) need no stack.
    const expected = EXPECTED_STARTUP_ERRORS.has((err as Error).name);
    log.error(expected ? { reason: (err as Error).message } : { err }, 'kapald failed to start');
    process.stderr.write(`kapald: ${(err as Error).message}\n`);
    return 1;
  }
  const removePidfile = writePidfile(config.pidfile);
  installSignals(daemon, log, removePidfile);
  notifySystemd(`READY=1\nMAINPID=${process.pid}\nSTATUS=serving the API on ${config.hosts.map((h) => h.url).join(', ')}`, log);
  log.info({ version: readBuildInfo().version, dataRoot: config.dataRoot, execRoot: config.execRoot }, 'kapald ready');
  return undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`kapald: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

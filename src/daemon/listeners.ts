// The sockets kapald serves on: unix:// (mode 0660, root:group, with no moment where it is wider),
// fd:// (systemd socket activation) and tcp:// (TLS with client certificates, nothing else).
// Each host gets its own HTTP server; the API attaches the same routes to all of them.

import { chownSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { DaemonConfig, HostAddress } from './config.js';
import { withDirectoryLock } from './state-lock.js';
import { lookupGroupId } from '../runtime/libc.js';

export class ListenError extends Error {
  override name = 'ListenError';
}

export interface Listener {
  address: HostAddress;
  server: http.Server;
  close(graceMs: number): Promise<void>;
}

const SERVER_OPTIONS: http.ServerOptions = {
  // Uploads (image load, docker cp) may take long; keep-alive bounds idle connections.
  requestTimeout: 0,
  headersTimeout: 60_000,
  keepAliveTimeout: 5_000,
};

const SD_LISTEN_FDS_START = 3;

export async function listenAll(
  config: DaemonConfig,
  attach: (server: http.Server) => void,
  log: FastifyBaseLogger,
): Promise<Listener[]> {
  const listeners: Listener[] = [];
  const activated = config.hosts.some((h) => h.kind === 'fd') ? takeActivatedFds() : [];
  try {
    for (const address of config.hosts) {
      listeners.push(...(await listenOn(address, config, activated, attach, log)));
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close(0)));
    throw err;
  }
  return listeners;
}

async function listenOn(
  address: HostAddress,
  config: DaemonConfig,
  activated: number[],
  attach: (server: http.Server) => void,
  log: FastifyBaseLogger,
): Promise<Listener[]> {
  switch (address.kind) {
    case 'unix':
      return [await listenUnix(address, config, attach, log)];
    case 'fd':
      return selectFds(address, activated).map((fd) => {
        const server = http.createServer(SERVER_OPTIONS);
        attach(server);
        server.listen({ fd });
        log.info({ host: address.url, fd }, 'API listening on a systemd socket');
        return listener(address, server);
      });
    case 'tcp': {
      const tls = config.tls!;
      const server = https.createServer({
        ...SERVER_OPTIONS,
        ca: readFileSync(tls.ca),
        cert: readFileSync(tls.cert),
        key: readFileSync(tls.key),
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      });
      attach(server);
      await listen(server, { host: address.host, port: address.port }, address.url);
      log.info({ host: address.url }, 'API listening on TCP with TLS client authentication');
      return [listener(address, server)];
    }
  }
}

async function listenUnix(
  address: Extract<HostAddress, { kind: 'unix' }>,
  config: DaemonConfig,
  attach: (server: http.Server) => void,
  log: FastifyBaseLogger,
): Promise<Listener> {
  const socketPath = address.path;
  mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o711 });
  const gid = socketGroup(config, log);
  const server = http.createServer(SERVER_OPTIONS);
  attach(server);
  await withDirectoryLock(path.dirname(socketPath), async () => {
    await removeStaleSocket(socketPath);
    // The socket is created 0660 by the umask, never wider, then given to the group.
    const umask = process.umask(0o117);
    let listening: Promise<void>;
    try {
      listening = listen(server, { path: socketPath }, address.url);
    } finally {
      process.umask(umask);
    }
    await listening;
  });
  if (gid !== undefined) chownSync(socketPath, 0, gid);
  log.info({ host: address.url, group: gid === undefined ? 'root' : config.group }, 'API listening on a Unix socket');
  return listener(address, server);
}

/** A socket file nobody answers on is replaced; one a live daemon answers on is not. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new ListenError(`${socketPath} exists and is not a socket; refusing to replace it`);
  if (await answers(socketPath)) {
    throw new ListenError(`another daemon is already listening on ${socketPath}; refusing to start`);
  }
  unlinkSync(socketPath);
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect({ path: socketPath });
    const done = (alive: boolean) => {
      probe.destroy();
      resolve(alive);
    };
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
    // A daemon too busy to accept within a second is still alive.
    probe.setTimeout(1000, () => done(true));
  });
}

function socketGroup(config: DaemonConfig, log: FastifyBaseLogger): number | undefined {
  const gid = lookupGroupId(config.group);
  if (gid !== undefined) return gid;
  if (config.groupRequired) throw new ListenError(`group ${JSON.stringify(config.group)} not found (--group)`);
  log.warn({ group: config.group }, 'socket group not found; the socket is usable by root only');
  return undefined;
}

/** The listening fds systemd passed (LISTEN_PID/LISTEN_FDS), taken once. */
function takeActivatedFds(): number[] {
  const pid = Number(process.env.LISTEN_PID);
  const count = Number(process.env.LISTEN_FDS);
  // As sd_listen_fds(1): children (shims, containers) must not think the fds are meant for them.
  for (const name of ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES']) delete process.env[name];
  if (pid !== process.pid || !Number.isInteger(count) || count < 1) return [];
  return Array.from({ length: count }, (_, i) => SD_LISTEN_FDS_START + i);
}

/** fd:// takes every activated socket; fd://N the one at N. */
function selectFds(address: Extract<HostAddress, { kind: 'fd' }>, activated: number[]): number[] {
  if (activated.length === 0) {
    throw new ListenError(`${address.url}: no sockets were passed by systemd socket activation (LISTEN_FDS is not set for this process)`);
  }
  if (address.fd === undefined) return activated;
  if (!activated.includes(address.fd)) {
    throw new ListenError(`${address.url}: fd ${address.fd} was not passed by systemd (got ${activated.join(', ')})`);
  }
  return [address.fd];
}

function listen(server: http.Server, options: net.ListenOptions, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new ListenError(`cannot listen on ${url}: ${err.message}`));
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function listener(address: HostAddress, server: http.Server): Listener {
  return {
    address,
    server,
    async close(graceMs) {
      // Stop accepting, let short requests finish, then cut what is left (long streams).
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

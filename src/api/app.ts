// The HTTP API as a fastify app, separate from listening: buildApi() wires hooks, parsers,
// errors and routes; the daemon attaches the result to as many servers (unix, fd, tls) as it
// has hosts. Tests use the same factory on a socket of their own.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type FastifyBaseLogger, type RawServerDefault } from 'fastify';
import { Readable } from 'node:stream';
import { API_VERSION, checkApiVersion } from '../domain/api-version.js';
import { invalidArgument } from '../domain/errors.js';
import { describeError, sendError } from './errors.js';
import { installBodyParsers } from './streams/body-parsers.js';
import { UpgradeDispatcher, upgradeBodyHook } from './streams/upgrade.js';
import { zodValidatorCompiler, type ZodTypeProvider } from './validation.js';
import { registerRoutes, type Services } from './routes/index.js';

export type Api = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export interface ApiOptions {
  services: Services;
  logger: FastifyBaseLogger;
  serverName: string;
  /** Routes a test adds beside the real ones (never used by the daemon). */
  extraRoutes?: (app: Api) => void;
}

export interface RouteEntry {
  method: string;
  url: string;
}

export interface BuiltApi {
  app: Api;
  /** Every route served, as registered (unversioned). */
  routes: RouteEntry[];
  /** Serves the API on a server created by the caller. */
  attach(server: Server): void;
  /** Ends upgraded and websocket streams, then closes the app. */
  close(): Promise<void>;
}

const VERSIONED = /^\/v([0-9][0-9.]*)(\/.*)$/;
const kApiVersion = Symbol('kapal.apiVersion');

declare module 'fastify' {
  interface FastifyRequest {
    /** The API version the client asked for (the path prefix), or ours when unversioned. */
    apiVersion: string;
  }
}

/**
 * Routes that take JSON refuse other bodies with moby's wording (httputils.CheckForJSON); the
 * pass-through parsers would otherwise hand them a stream. No body at all counts as {}.
 */
async function requireJsonBody(request: FastifyRequest): Promise<void> {
  if (!request.routeOptions.schema?.body) return;
  if (request.body instanceof Readable) {
    const type = request.headers['content-type'] ?? '';
    throw invalidArgument(`unsupported Content-Type header (${type}): must be 'application/json'`);
  }
  if (request.body === undefined || request.body === null) request.body = {};
}

export async function buildApi(options: ApiOptions): Promise<BuiltApi> {
  let counter = 0;
  const prefix = randomBytes(3).toString('hex');
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: options.logger.level !== 'debug' }),
    genReqId: () => `${prefix}-${(++counter).toString(36)}`,
    exposeHeadRoutes: false,
    // During shutdown's grace period in-flight connections are still answered normally.
    return503OnClosing: false,
    // Every route answers unversioned and under /v1.NN/ (1.24 up to ours).
    rewriteUrl(req) {
      const url = req.url ?? '/';
      const m = VERSIONED.exec(url);
      if (!m) return url;
      (req as IncomingMessage & { [kApiVersion]?: string })[kApiVersion] = m[1]!;
      return m[2]!;
    },
  }).withTypeProvider<ZodTypeProvider>() as unknown as Api;

  app.setValidatorCompiler(zodValidatorCompiler);
  app.decorateRequest('apiVersion', '');
  installBodyParsers(app);

  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    // A wildcard route that serves several documented operations lists those instead of itself.
    const documents = (route.config as { documents?: string[] } | undefined)?.documents;
    if (documents) {
      for (const doc of documents) {
        const [method, url] = doc.split(' ') as [string, string];
        routes.push({ method, url });
      }
      return;
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method: method.toUpperCase(), url: route.url });
  });

  // moby sets these on every response, upgrades and streams included; setting them on the raw
  // response makes them survive reply.hijack().
  app.addHook('onRequest', async (request, reply) => {
    const raw = reply.raw;
    raw.setHeader('Api-Version', API_VERSION);
    raw.setHeader('Docker-Experimental', 'false');
    raw.setHeader('Ostype', 'linux');
    raw.setHeader('Server', options.serverName);
    const asked = (request.raw as IncomingMessage & { [kApiVersion]?: string })[kApiVersion];
    // As in moby, an unknown route is a 404 whatever version it names.
    if (asked !== undefined && !request.is404) checkApiVersion(asked);
    request.apiVersion = asked ?? API_VERSION;
  });

  // fastify appends "; charset=utf-8" to JSON types; the docker CLI compares Content-Type with ==
  // and prints raw bodies when it differs, so JSON goes out as exactly application/json.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.getHeader('content-type') === 'application/json; charset=utf-8') reply.type('application/json');
    return payload;
  });

  app.addHook('preParsing', upgradeBodyHook);
  app.addHook('preValidation', requireJsonBody);

  app.setErrorHandler((err, request, reply) => {
    const { status, message } = describeError(err, request);
    sendError(reply, status, message);
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'page not found'));

  const upgrades = new UpgradeDispatcher(app as unknown as FastifyInstance);
  await app.register(websocket, { options: { server: upgrades.websocketEmitter as never, maxPayload: 64 * 1024 * 1024 } });
  // A websocket's 101 is written by ws, past the onRequest hook: it gets moby's headers here.
  app.websocketServer.on('headers', (headers: string[]) => {
    headers.push(`Api-Version: ${API_VERSION}`, 'Docker-Experimental: false', 'Ostype: linux', `Server: ${options.serverName}`);
  });

  registerRoutes(app, options.services);
  options.extraRoutes?.(app);
  await app.ready();

  return {
    app,
    routes,
    attach(server) {
      server.on('request', app.routing);
      server.on('upgrade', upgrades.onUpgrade);
    },
    async close() {
      upgrades.closeAll();
      await app.close();
    },
  };
}

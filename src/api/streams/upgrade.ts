// Connection upgrades. Node hands every `Connection: Upgrade` request to the server's 'upgrade'
// event, never to the request handler. One dispatcher sends websocket upgrades to
// @fastify/websocket (registered on a private emitter) and routes every other upgrade — Docker's
// `Upgrade: tcp` hijack for attach and exec — through fastify like an ordinary request, so hooks,
// validation and errors work as everywhere else. The request body (Node never parses it on an
// upgrade) is read off the socket first: exactly Content-Length bytes, whether they came in `head`
// or later; what follows is the client's stdin and stays on the socket.

import { EventEmitter } from 'node:events';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bodyTooLarge } from '../errors.js';

const kUpgradeSocket = Symbol('kapal.upgradeSocket');
const kUpgradeBody = Symbol('kapal.upgradeBody');
const MAX_UPGRADE_BODY = 1024 * 1024;

type UpgradeRequest = IncomingMessage & { [kUpgradeSocket]?: Duplex; [kUpgradeBody]?: Buffer };

export class UpgradeDispatcher {
  /** @fastify/websocket listens here instead of on a real server. */
  readonly websocketEmitter = new EventEmitter();
  /** Every upgraded socket still open, so shutdown can end them. */
  readonly sockets = new Set<Duplex>();

  constructor(private readonly app: FastifyInstance) {}

  readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if ((req.headers.upgrade ?? '').toLowerCase() === 'websocket') {
      this.websocketEmitter.emit('upgrade', req, socket, head);
      return;
    }
    readBody(req, socket, head).then(
      (body) => this.route(req as UpgradeRequest, socket, body),
      (err: Error & { status?: number }) => rejectUpgrade(socket, err.status ?? 400, err.message),
    );
  };

  private route(req: UpgradeRequest, socket: Duplex, body: Buffer): void {
    // Node has already ended an upgrade request's own stream; the body read off the socket is
    // handed to fastify's parsers by the preParsing hook below. The socket's remaining bytes
    // are stdin for the route.
    req[kUpgradeBody] = body;
    req[kUpgradeSocket] = socket;

    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as never);
    // A route that answers without hijacking (an error, or a route that does not upgrade)
    // answers once; the connection is over then.
    res.on('finish', () => socket.end());
    this.app.routing(req, res);
  }

  /** Ends every upgraded stream: on shutdown nothing may keep the daemon alive. */
  closeAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}

/** fastify preParsing hook: an upgrade request's body comes from what the dispatcher read. */
export async function upgradeBodyHook(request: FastifyRequest, _reply: FastifyReply, payload: Readable): Promise<Readable> {
  const body = (request.raw as UpgradeRequest)[kUpgradeBody];
  return body === undefined ? payload : Readable.from([body]);
}

/** The hijackable socket of a request that arrived with `Upgrade: tcp`, if it did. */
export function upgradeSocket(request: FastifyRequest): Duplex | undefined {
  return (request.raw as UpgradeRequest)[kUpgradeSocket];
}

/**
 * Answers `101 UPGRADED` the way moby does and hands the raw socket to the caller, who owns it
 * from then on (both directions; the client may half-close its side at any time). The socket is
 * handed over paused so no stdin is lost: pipe it or resume() it once listeners are attached.
 */
export function acceptTcpUpgrade(request: FastifyRequest, reply: FastifyReply, contentType: string): Duplex {
  const socket = upgradeSocket(request);
  if (!socket) throw new Error('acceptTcpUpgrade on a request that did not ask for Upgrade: tcp');
  reply.hijack();
  const lines = ['HTTP/1.1 101 UPGRADED', `Content-Type: ${contentType}`, 'Connection: Upgrade', 'Upgrade: tcp'];
  for (const [name, value] of Object.entries(reply.raw.getHeaders())) {
    if (!/^(content-type|connection|upgrade|content-length)$/i.test(name)) lines.push(`${name}: ${String(value)}`);
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return socket;
}

function readBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<Buffer> {
  if (req.headers['transfer-encoding'] !== undefined) {
    return Promise.reject(Object.assign(new Error('chunked request bodies are not supported on upgrade requests'), { status: 400 }));
  }
  const length = Number(req.headers['content-length'] ?? '0');
  if (!Number.isSafeInteger(length) || length < 0) {
    return Promise.reject(Object.assign(new Error('invalid Content-Length'), { status: 400 }));
  }
  if (length > MAX_UPGRADE_BODY) {
    return Promise.reject(Object.assign(new Error(bodyTooLarge(MAX_UPGRADE_BODY)), { status: 413 }));
  }
  if (head.length >= length) {
    if (head.length > length) socket.unshift(head.subarray(length));
    return Promise.resolve(head.subarray(0, length));
  }
  return new Promise((resolve, reject) => {
    const chunks = [head];
    let have = head.length;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      have += chunk.length;
      if (have < length) return;
      cleanup();
      socket.pause();
      const all = Buffer.concat(chunks);
      if (all.length > length) socket.unshift(all.subarray(length));
      resolve(all.subarray(0, length));
    };
    const onEnd = () => {
      cleanup();
      reject(Object.assign(new Error('connection closed before the request body was complete'), { status: 400 }));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    // Node leaves an upgraded socket paused; a 'data' listener alone does not resume it.
    socket.resume();
  });
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = `${JSON.stringify({ message })}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 413 ? 'Payload Too Large' : 'Bad Request'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

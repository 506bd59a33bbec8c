// One HTTP(S) exchange with a registry or token server: keep-alive agents (verifying TLS or not),
// a timeout on connecting and on waiting for headers but none on a whole body, and failures below
// HTTP reported as Unavailable in the words Go's net/http uses (`Get "URL": dial tcp …`).

import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { KapalError } from '../../domain/errors.js';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  /** Bytes, or a factory for a stream (so a request can be sent again after a 401). */
  body?: Buffer | (() => Readable);
  verifyTls: boolean;
}

export interface TransportOptions {
  userAgent: string;
  /** Connecting, any stall while sending, and the wait for response headers. */
  headerTimeoutMs?: number;
  /** Silence while a response body streams; never a limit on the whole body. */
  bodyIdleTimeoutMs?: number;
}

export class Transport {
  private readonly plain = new http.Agent({ keepAlive: true });
  private readonly verified = new https.Agent({ keepAlive: true });
  private readonly unverified = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
  private readonly headerTimeoutMs: number;
  private readonly bodyIdleTimeoutMs: number;

  constructor(private readonly opts: TransportOptions) {
    this.headerTimeoutMs = opts.headerTimeoutMs ?? 30_000;
    this.bodyIdleTimeoutMs = opts.bodyIdleTimeoutMs ?? 300_000;
  }

  /** Resolves with the response once its headers arrive, whatever the status. */
  send(req: HttpRequest): Promise<IncomingMessage> {
    const secure = req.url.protocol === 'https:';
    const agent = !secure ? this.plain : req.verifyTls ? this.verified : this.unverified;
    const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent, ...req.headers };
    if (Buffer.isBuffer(req.body)) headers['Content-Length'] = String(req.body.length);
    const module = secure ? https : http;
    return new Promise((resolve, reject) => {
      let settled = false;
      let headerTimer: NodeJS.Timeout | undefined;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(headerTimer);
        reject(new KapalError('Unavailable', `${goMethod(req.method)} "${req.url.href}": ${describeNetworkError(err, req.url)}`, { cause: err }));
      };
      const request = module.request(req.url, { method: req.method, headers, agent }, (res) => {
        settled = true;
        clearTimeout(headerTimer);
        request.setTimeout(0);
        res.setTimeout(this.bodyIdleTimeoutMs, () => res.destroy(new Error(`read ${req.url.host}: i/o timeout`)));
        resolve(res);
      });
      request.on('error', fail);
      // Idle time covers connecting and a stalled upload; the header clock starts once the body is sent.
      request.setTimeout(this.headerTimeoutMs, () => request.destroy(timeoutError('ETIMEDOUT')));
      request.on('finish', () => {
        if (settled) return; // answered early (a 401 during an upload, say)
        request.setTimeout(0);
        headerTimer = setTimeout(() => request.destroy(timeoutError('EHEADERTIMEOUT')), this.headerTimeoutMs);
      });
      if (req.body === undefined) {
        request.end();
      } else if (Buffer.isBuffer(req.body)) {
        request.end(req.body);
      } else {
        const body = req.body();
        body.on('error', (err) => request.destroy(err));
        request.on('error', () => body.destroy());
        body.pipe(request);
      }
    });
  }

  close(): void {
    for (const agent of [this.plain, this.verified, this.unverified]) agent.destroy();
  }
}

/** Reads a (small) response body to the end. */
export async function readBody(res: IncomingMessage, limit = 4 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      throw new KapalError('Unavailable', `registry response exceeds ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Drops a response body we do not need, so its connection can be reused. */
export function discard(res: IncomingMessage): void {
  res.resume();
}

/** `Get`, `Head`: how Go's url.Error names the method. */
export function goMethod(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase();
}

function timeoutError(code: string): Error {
  return Object.assign(new Error(code), { code });
}

const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

function describeNetworkError(err: Error, url: URL): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const target = e.address !== undefined && e.port !== undefined ? `${formatAddress(e.address)}:${e.port}` : url.host;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${target}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${target}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${target}: connect: network is unreachable`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${url.hostname}: temporary failure in name resolution`;
    case 'ETIMEDOUT':
      return `dial tcp ${target}: i/o timeout`;
    case 'EHEADERTIMEOUT':
      return 'net/http: timeout awaiting response headers';
    case 'ECONNRESET':
      return `read tcp ${target}: connection reset by peer`;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      // Node's words for a TLS handshake answered in plain HTTP; Go's are these.
      return /wrong version number|packet length too long|http request/i.test(e.message)
        ? 'http: server gave HTTP response to HTTPS client'
        : `tls: ${e.message}`;
    default:
      if (e.code !== undefined && CERT_CODES.test(e.code)) return `tls: failed to verify certificate: x509: ${e.message}`;
      return e.message;
  }
}

function formatAddress(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

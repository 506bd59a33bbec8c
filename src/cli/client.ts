// The CLI's only way to reach kapald: HTTP under /v<API_VERSION> over unix:///path, or HTTPS with
// client certificates (ca.pem, cert.pem, key.pem in the cert directory) over tcp://host:port.

import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type { Readable } from 'node:stream';
import path from 'node:path';
import { API_VERSION } from '../domain/api-version.js';

export interface Connection {
  /** unix:///path or tcp://host[:port], as given with -H or KAPAL_HOST. */
  host: string;
  /** Directory with ca.pem, cert.pem and key.pem, for tcp:// only. */
  certPath: string;
}

/** The daemon answered with an error status; `message` is its {"message"} body. */
export class DaemonError extends Error {
  override name = 'DaemonError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Nothing answered (or the socket refused us) before any HTTP happened. */
export class ConnectError extends Error {
  override name = 'ConnectError';
}

export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Target = { kind: 'unix'; socketPath: string } | { kind: 'tcp'; hostname: string; port: number };

/** TLS is mandatory on TCP (kapald refuses plain TCP), so the default port is docker's TLS port. */
const DEFAULT_TLS_PORT = 2376;

/** Errors that mean "no daemon there", as opposed to a daemon that misbehaved. */
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOTSOCK']);

export function parseHost(host: string): Target {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (socketPath) return { kind: 'unix', socketPath };
  } else if (host.startsWith('tcp://')) {
    const url = URL.canParse(host) ? new URL(host) : undefined;
    if (url?.hostname && (url.pathname === '' || url.pathname === '/')) {
      return { kind: 'tcp', hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || DEFAULT_TLS_PORT) };
    }
  }
  throw new Error(`invalid daemon host "${host}": expected unix:///path/to/socket or tcp://host:port`);
}

export class ApiClient {
  private readonly target: Target;

  constructor(private readonly connection: Connection) {
    this.target = parseHost(connection.host);
  }

  /** GET under the versioned prefix; resolves with the parsed JSON body. */
  async get<T>(urlPath: string): Promise<T> {
    const res = await this.request('GET', urlPath);
    try {
      return JSON.parse(res.body.toString('utf8')) as T;
    } catch {
      throw new Error(`kapald sent an answer to GET ${urlPath} that is not JSON`);
    }
  }

  /** Any request under the versioned prefix; an error status becomes a DaemonError. */
  async request(method: string, urlPath: string, body?: string | Buffer): Promise<ApiResponse> {
    const res = await this.send(method, `/v${API_VERSION}${urlPath}`, body);
    if (res.status >= 400) throw new DaemonError(res.status, errorMessage(res));
    return res;
  }

  /** A request with a JSON body (if any) whose answer is JSON (or empty: undefined). */
  async json<T>(method: string, urlPath: string, body?: unknown): Promise<T> {
    const res = await this.request(method, urlPath, body === undefined ? undefined : JSON.stringify(body));
    const text = res.body.toString('utf8');
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`kapald sent an answer to ${method} ${urlPath} that is not JSON`);
    }
  }

  /**
   * A request whose answer is read as it arrives (logs, events, progress, archives); `body` is
   * sent as it is read. An error status is read whole and becomes a DaemonError.
   */
  async stream(method: string, urlPath: string, opts: { body?: Readable | Buffer | string; contentType?: string; signal?: AbortSignal } = {}): Promise<http.IncomingMessage> {
    const headers: Record<string, string> = { 'User-Agent': `kapal-cli/${API_VERSION}` };
    if (opts.body !== undefined) headers['Content-Type'] = opts.contentType ?? 'application/json';
    if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    const request = await this.requester();
    const full = `/v${API_VERSION}${urlPath}`;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = request(resolve, { method, path: full, headers, signal: opts.signal });
      req.on('error', (err) => reject(this.connectError(err as NodeJS.ErrnoException, method, full)));
      const body = opts.body;
      if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
    if ((res.statusCode ?? 0) < 400) return res;
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    throw new DaemonError(res.statusCode ?? 0, errorMessage({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
  }

  /**
   * A websocket handshake (RFC 6455) under the versioned prefix: the upgraded socket and what
   * already came after the 101. A refusal before the upgrade (no such container) is a DaemonError.
   */
  async upgrade(urlPath: string, protocol: string): Promise<{ socket: import('node:net').Socket; head: Buffer }> {
    const { randomBytes, createHash } = await import('node:crypto');
    const key = randomBytes(16).toString('base64');
    const headers = {
      'User-Agent': `kapal-cli/${API_VERSION}`,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Protocol': protocol,
    };
    const request = await this.requester();
    const full = `/v${API_VERSION}${urlPath}`;
    return new Promise((resolve, reject) => {
      const req = request((res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(new DaemonError(res.statusCode ?? 0, errorMessage({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))));
      }, { method: 'GET', path: full, headers });
      req.on('upgrade', (res, socket, head) => {
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        if (res.headers['sec-websocket-accept'] !== accept) {
          socket.destroy();
          return reject(new Error(`kapald answered the websocket handshake of ${full} wrongly`));
        }
        resolve({ socket, head });
      });
      req.on('error', (err) => reject(this.connectError(err as NodeJS.ErrnoException, 'GET', full)));
      req.end();
    });
  }

  private async send(method: string, urlPath: string, body?: string | Buffer): Promise<ApiResponse> {
    const headers: Record<string, string> = { 'User-Agent': `kapal-cli/${API_VERSION}` };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const request = await this.requester();
    return new Promise((resolve, reject) => {
      const req = request((res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      }, { method, path: urlPath, headers });
      req.on('error', (err) => reject(this.connectError(err as NodeJS.ErrnoException, method, urlPath)));
      req.end(body);
    });
  }

  /** http.request bound to the socket or to a TLS connection, loaded on first use (--help needs neither). */
  private async requester(): Promise<(cb: (res: http.IncomingMessage) => void, opts: http.RequestOptions) => http.ClientRequest> {
    const target = this.target;
    if (target.kind === 'unix') {
      const [http, net] = await Promise.all([import('node:http'), import('node:net')]);
      // A connection of our own rather than socketPath: no agent, so nothing stays open after the
      // answer, and none of the agent's per-request work (its server-name check compiles node's IPv6
      // regex: ~5 ms of a ~90 ms command).
      return (cb, opts) => http.request({ ...opts, createConnection: () => net.connect(target.socketPath) }, cb);
    }
    const https = await import('node:https');
    const tls = this.clientCertificates();
    // agent: false, so that no kept-alive socket holds the process open after the answer.
    return (cb, opts) =>
      https.request({ ...opts, host: target.hostname, port: target.port, agent: false, ...tls, minVersion: 'TLSv1.2' }, cb);
  }

  clientCertificates(): { ca: Buffer; cert: Buffer; key: Buffer } {
    const read = (name: string) => {
      const file = path.join(this.connection.certPath, name);
      try {
        return readFileSync(file);
      } catch (err) {
        throw new Error(`could not read the TLS client file ${file} (set KAPAL_CERT_PATH): ${(err as Error).message}`);
      }
    };
    return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
  }

  private connectError(err: NodeJS.ErrnoException, method: string, urlPath: string): Error {
    const host = this.connection.host;
    if (err.code === 'EACCES') {
      return new ConnectError(`permission denied while trying to connect to the kapal daemon socket at ${host}: ${err.message}`);
    }
    if (err.code && UNREACHABLE.has(err.code)) {
      return new ConnectError(`Cannot connect to the kapal daemon at ${host}. Is kapald running?`);
    }
    // TLS failures and the like: the daemon may be there, so say what went wrong.
    return new ConnectError(`error during connect: ${method} ${host}${urlPath}: ${err.message}`);
  }
}

function errorMessage(res: ApiResponse): string {
  const text = res.body.toString('utf8').trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: show the body as it came
  }
  return text || `HTTP ${res.status} without a message`;
}

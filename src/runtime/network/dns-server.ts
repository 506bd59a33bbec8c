// The DNS server kapald runs on a user-defined network's gateway (UDP and TCP): container names answer from the
// network's own table, every other question goes to the host's upstream servers. It never touches containers.

import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import net from 'node:net';
import {
  aRecord, buildReply, CLASS_IN, parseQuery, ptrAddress, ptrRecord, RCODE_NOERROR, RCODE_SERVFAIL, responseId,
  TYPE_A, TYPE_PTR, withId, type DnsQuery,
} from './dns-message.js';

export interface DnsUpstream { host: string; port: number }

export interface EmbeddedDnsOptions {
  /** IPv4 to bind (the gateway); tests use 127.0.0.1. */
  address: string;
  /** Default 53; 0 = ephemeral (tests). */
  port?: number;
  /** IPv4 addresses of the container(s) answering to `name` on this network (name lower-cased, no trailing dot), or undefined when the name is not a container's. */
  resolve(name: string, client: string): string[] | undefined;
  /** Whether `client` may ask at all (a container of this network); others get no answer. All when absent. */
  accepts?(client: string): boolean;
  /** Container name for a reverse lookup of an IPv4 address on this network, or undefined. */
  reverse?(ip: string): string | undefined;
  /** Servers to forward every other query to, tried in order (read each time: resolv.conf may change). */
  upstreams(): DnsUpstream[];
  log?: { warn(obj: object, msg: string): void };
  /** How long one upstream gets to answer before the next is tried; default 2000 ms. */
  forwardTimeoutMs?: number;
  /** A TCP client silent this long is disconnected; default 10000 ms. */
  tcpIdleMs?: number;
}

type Transport = 'udp' | 'tcp';

export class EmbeddedDns {
  readonly port: number;
  readonly #opts: EmbeddedDnsOptions;
  readonly #udp: dgram.Socket;
  readonly #tcp: net.Server;
  readonly #connections = new Set<net.Socket>();
  /** Each in-flight forward's way to give up at once, so close() leaves no socket or timer behind. */
  readonly #forwards = new Set<() => void>();
  #closing: Promise<void> | undefined;

  private constructor(opts: EmbeddedDnsOptions, udp: dgram.Socket, tcp: net.Server, port: number) {
    this.#opts = opts;
    this.#udp = udp;
    this.#tcp = tcp;
    this.port = port;
    udp.on('error', (err) => this.#warn(err, 'embedded dns: udp socket error'));
    udp.on('message', (msg, client) => this.#onDatagram(msg, client));
    tcp.on('error', (err) => this.#warn(err, 'embedded dns: tcp server error'));
    tcp.on('connection', (conn) => this.#onConnection(conn));
  }

  static async listen(opts: EmbeddedDnsOptions): Promise<EmbeddedDns> {
    const wanted = opts.port ?? 53;
    for (let attempt = 1; ; attempt++) {
      const udp = dgram.createSocket(net.isIPv6(opts.address) ? 'udp6' : 'udp4');
      try {
        await bindUdp(udp, opts.address, wanted);
      } catch (err) {
        closeQuietly(udp);
        throw err;
      }
      const port = udp.address().port;
      const tcp = net.createServer();
      try {
        await listenTcp(tcp, opts.address, port);
        return new EmbeddedDns(opts, udp, tcp, port);
      } catch (err) {
        closeQuietly(udp);
        // An ephemeral UDP port says nothing about TCP: another listener may hold it there, so draw again.
        if (wanted !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 10) throw err;
      }
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const giveUp of [...this.#forwards]) giveUp();
      for (const conn of this.#connections) conn.destroy();
      await Promise.all([
        new Promise<void>((resolve) => this.#udp.close(() => resolve())),
        new Promise<void>((resolve) => this.#tcp.close(() => resolve())),
      ]);
    })();
    return this.#closing;
  }

  #onDatagram(msg: Buffer, client: dgram.RemoteInfo): void {
    if (this.#closing) return;
    this.#answer(msg, 'udp', client.address).then((reply) => {
      if (!reply || this.#closing) return;
      this.#udp.send(reply, client.port, client.address, (err) => err && this.#warn(err, 'embedded dns: udp send failed'));
    }, (err) => this.#warn(err, 'embedded dns: query failed'));
  }

  #onConnection(conn: net.Socket): void {
    if (this.#closing) return void conn.destroy();
    this.#connections.add(conn);
    conn.on('close', () => this.#connections.delete(conn));
    conn.on('error', () => {}); // resets by clients are routine; 'close' follows
    conn.setTimeout(this.#opts.tcpIdleMs ?? 10_000, () => conn.destroy());
    let pending: Buffer = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const msg = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + msg.length);
        // Answers may leave out of order (RFC 7766 §6.2.1.1): clients match them by ID.
        this.#answer(msg, 'tcp', conn.remoteAddress ?? '').then((reply) => {
          if (reply && conn.writable) conn.write(lengthPrefixed(reply));
        }, (err) => this.#warn(err, 'embedded dns: query failed'));
      }
    });
  }

  /** The reply for one query, or undefined when nothing should be sent (malformed, or closed meanwhile). */
  async #answer(msg: Buffer, transport: Transport, client: string): Promise<Buffer | undefined> {
    if (this.#opts.accepts && !this.#opts.accepts(client.replace(/^::ffff:/, ''))) return undefined;
    const q = parseQuery(msg);
    if (!q) return undefined;
    return this.#answerLocally(q, transport, client) ?? (await this.#forward(msg, q, transport));
  }

  #answerLocally(q: DnsQuery, transport: Transport, client: string): Buffer | undefined {
    if (q.opcode !== 0 || q.questions !== 1 || q.klass !== CLASS_IN) return undefined;
    const udp = transport === 'udp';
    if (q.type === TYPE_PTR && q.name.endsWith('.in-addr.arpa')) {
      const ip = ptrAddress(q.name);
      const target = ip === undefined ? undefined : this.#opts.reverse?.(ip);
      const answer = target === undefined ? undefined : ptrRecord(target);
      return answer && buildReply(q, RCODE_NOERROR, [answer], udp);
    }
    const addresses = this.#opts.resolve(q.name, client.replace(/^::ffff:/, ''));
    if (!addresses) return undefined;
    // A known name answers every other type with an empty NOERROR, so resolvers do not go on to search domains.
    const answers = q.type === TYPE_A ? addresses.filter((a) => net.isIPv4(a)).map(aRecord) : [];
    return buildReply(q, RCODE_NOERROR, answers, udp);
  }

  async #forward(msg: Buffer, q: DnsQuery, transport: Transport): Promise<Buffer | undefined> {
    for (const upstream of this.#opts.upstreams()) {
      if (this.#closing) return undefined;
      if (net.isIP(upstream.host) === 0 || this.#isSelf(upstream)) continue;
      const reply = await this.#ask(upstream, msg, transport);
      if (reply) return withId(reply, q.id);
    }
    return this.#closing ? undefined : buildReply(q, RCODE_SERVFAIL, [], transport === 'udp');
  }

  #isSelf(upstream: DnsUpstream): boolean {
    return upstream.port === this.port && upstream.host === this.#opts.address;
  }

  /** One upstream's reply to `query` under a fresh ID, or undefined on error, timeout or close. */
  #ask(upstream: DnsUpstream, query: Buffer, transport: Transport): Promise<Buffer | undefined> {
    const id = randomInt(0x10000);
    const out = withId(query, id);
    return new Promise((resolve) => {
      let done = false;
      let release = (): void => {};
      const finish = (reply?: Buffer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#forwards.delete(finish);
        release();
        resolve(reply);
      };
      const timer = setTimeout(finish, this.#opts.forwardTimeoutMs ?? 2000);
      this.#forwards.add(finish);
      const exchange = transport === 'udp' ? exchangeUdp : exchangeTcp;
      const accept = (reply: Buffer): boolean => {
        if (responseId(reply) !== id) return false;
        finish(reply);
        return true;
      };
      release = exchange(upstream, out, accept, () => finish());
    });
  }

  #warn(err: unknown, msg: string): void {
    this.#opts.log?.warn({ err }, msg);
  }
}

/**
 * Sends `query` from a socket of its own, connected to the upstream: the kernel then drops datagrams from anyone
 * else, the source port is new each time, and a refused port fails at once instead of after the timeout.
 * `accept` says whether a datagram is the awaited reply; strays are ignored. Returns the socket's release.
 */
function exchangeUdp(upstream: DnsUpstream, query: Buffer, accept: (reply: Buffer) => boolean, fail: () => void): () => void {
  const sock = dgram.createSocket(net.isIPv6(upstream.host) ? 'udp6' : 'udp4');
  sock.on('error', fail);
  sock.on('message', (msg) => void accept(msg));
  let released = false;
  sock.connect(upstream.port, upstream.host, () => released || sock.send(query, (err) => err && fail()));
  return () => {
    released = true; // a connect still under way must not send on the closed socket
    closeQuietly(sock);
  };
}

/** As exchangeUdp over a TCP connection; its first framed message must be the reply. */
function exchangeTcp(upstream: DnsUpstream, query: Buffer, accept: (reply: Buffer) => boolean, fail: () => void): () => void {
  const sock = net.connect({ host: upstream.host, port: upstream.port });
  let pending: Buffer = Buffer.alloc(0);
  sock.on('error', fail);
  sock.on('close', fail);
  sock.on('connect', () => sock.write(lengthPrefixed(query)));
  sock.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    if (pending.length < 2 || pending.length < 2 + pending.readUInt16BE(0)) return;
    if (!accept(pending.subarray(2, 2 + pending.readUInt16BE(0)))) fail();
  });
  return () => sock.destroy();
}

function lengthPrefixed(msg: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(msg.length);
  return Buffer.concat([prefix, msg]);
}

function bindUdp(sock: dgram.Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address, port, exclusive: true }, () => {
      sock.off('error', reject);
      resolve();
    });
  });
}

function listenTcp(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeQuietly(sock: dgram.Socket): void {
  try {
    sock.close();
  } catch {
    // already closed, or never bound: nothing left to free
  }
}

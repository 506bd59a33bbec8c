// The userland proxy for one published port (what docker-proxy does): it holds the host port, so a taken port
// fails loudly, and relays host-side connections and UDP flows to the container's address, which DNAT misses.

import dgram from 'node:dgram';
import net from 'node:net';

export type PortProto = 'tcp' | 'udp';

export interface PortProxyOptions {
  proto: PortProto;
  /** '' or '0.0.0.0' = all IPv4 addresses. */
  hostIp: string;
  /** 0 = let the kernel choose (docker's ephemeral host port). */
  hostPort: number;
  containerIp: string;
  containerPort: number;
  log?: { warn(obj: object, msg: string): void };
  /** How long a UDP flow lives without traffic; docker-proxy's 90 s unless a test says otherwise. */
  udpFlowTimeoutMs?: number;
}

/** The host port is taken: message in docker's words, `Bind for 0.0.0.0:8080 failed: port is already allocated`. */
export class PortInUseError extends Error {
  readonly hostIp: string;
  readonly hostPort: number;

  constructor(hostIp: string, hostPort: number, options?: { cause?: unknown }) {
    super(`Bind for ${hostIp}:${hostPort} failed: port is already allocated`, options);
    this.name = 'PortInUseError';
    this.hostIp = hostIp;
    this.hostPort = hostPort;
  }
}

const UDP_FLOW_TIMEOUT_MS = 90_000;
// Go's default TCP keepalive period, which docker-proxy gets on both of its connections.
const KEEPALIVE_MS = 15_000;
// Datagrams held for a flow whose socket is still connecting; beyond that they are dropped, as UDP may.
const MAX_PENDING_DATAGRAMS = 64;

type Log = NonNullable<PortProxyOptions['log']>;
const silent: Log = { warn() {} };

interface Bound {
  port: number;
  close(): Promise<void>;
}

export class PortProxy {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly proto: PortProto;
  private closing: Promise<void> | undefined;

  private constructor(proto: PortProto, hostIp: string, private readonly bound: Bound) {
    this.proto = proto;
    this.hostIp = hostIp;
    this.hostPort = bound.port;
  }

  static async open(opts: PortProxyOptions): Promise<PortProxy> {
    const hostIp = opts.hostIp === '' ? '0.0.0.0' : opts.hostIp;
    const o = { ...opts, hostIp, log: opts.log ?? silent };
    const bound = opts.proto === 'tcp' ? await openTcp(o) : await openUdp(o);
    return new PortProxy(opts.proto, hostIp, bound);
  }

  /** Stops listening and ends every relayed connection or flow; calling it again waits for the same end. */
  close(): Promise<void> {
    this.closing ??= this.bound.close();
    return this.closing;
  }
}

type Resolved = PortProxyOptions & { log: Log };

function bindError(o: Resolved, err: NodeJS.ErrnoException): Error {
  if (err.code === 'EADDRINUSE') return new PortInUseError(o.hostIp, o.hostPort, { cause: err });
  const family = net.isIPv6(o.hostIp) ? '6' : '4';
  const e: NodeJS.ErrnoException = new Error(
    `Error starting userland proxy: listen ${o.proto}${family} ${o.hostIp}:${o.hostPort}: bind: ${err.code ?? err.message}`,
    { cause: err },
  );
  if (err.code !== undefined) e.code = err.code;
  return e;
}

function openTcp(o: Resolved): Promise<Bound> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEPALIVE_MS });
  server.on('connection', (client) => relayTcp(o, client, sockets));
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(bindError(o, err)));
    server.listen({ host: o.hostIp, port: o.hostPort, exclusive: true, ipv6Only: net.isIPv6(o.hostIp) }, () => {
      server.removeAllListeners('error');
      server.on('error', (err) => o.log.warn({ err, hostIp: o.hostIp, hostPort: o.hostPort }, 'port proxy listener failed'));
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

/** One accepted connection: a twin to the container, piped both ways; half-closes pass through. */
function relayTcp(o: Resolved, client: net.Socket, sockets: Set<net.Socket>): void {
  const backend = net.connect({
    host: o.containerIp,
    port: o.containerPort,
    allowHalfOpen: true,
    noDelay: true,
    keepAlive: true,
    keepAliveInitialDelay: KEEPALIVE_MS,
  });
  sockets.add(client).add(backend);
  let connected = false;
  backend.once('connect', () => (connected = true));
  // Both ended: each side has its FIN and flushes on its own (autoDestroy). Anything else (an error, a reset,
  // close()) takes the other side down with it.
  const twin = (a: net.Socket, b: net.Socket) => {
    a.on('error', (err: NodeJS.ErrnoException) => {
      if (a === backend && !connected) {
        o.log.warn({ err, containerIp: o.containerIp, containerPort: o.containerPort }, "can't forward traffic to the container");
      } else if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') {
        o.log.warn({ err, hostPort: o.hostPort }, 'port proxy connection failed');
      }
    });
    a.on('close', () => {
      sockets.delete(a);
      if (!(a.readableEnded && b.readableEnded)) b.destroy();
    });
    a.pipe(b);
  };
  twin(client, backend);
  twin(backend, client);
}

function openUdp(o: Resolved): Promise<Bound> {
  const timeout = o.udpFlowTimeoutMs ?? UDP_FLOW_TIMEOUT_MS;
  const listener = dgram.createSocket({ type: net.isIPv6(o.hostIp) ? 'udp6' : 'udp4', ipv6Only: net.isIPv6(o.hostIp) });
  const flows = new Map<string, { sock: dgram.Socket; timer: NodeJS.Timeout; pending: Buffer[] | null }>();

  const endFlow = (key: string) => {
    const flow = flows.get(key);
    if (!flow) return;
    flows.delete(key);
    clearTimeout(flow.timer);
    flow.sock.close();
  };

  const openFlow = (key: string, client: dgram.RemoteInfo) => {
    const sock = dgram.createSocket(net.isIPv6(o.containerIp) ? 'udp6' : 'udp4');
    const flow = { sock, timer: setTimeout(() => endFlow(key), timeout).unref(), pending: [] as Buffer[] | null };
    flows.set(key, flow);
    sock.on('message', (msg) => {
      flow.timer.refresh();
      listener.send(msg, client.port, client.address, (err) => {
        if (err) o.log.warn({ err, client: key }, 'port proxy could not answer a UDP client');
      });
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      // An ICMP port-unreachable from a container not listening yet: docker-proxy reads on, so do we.
      if (err.code === 'ECONNREFUSED') return;
      o.log.warn({ err, client: key, containerIp: o.containerIp, containerPort: o.containerPort }, 'port proxy UDP flow failed');
      endFlow(key);
    });
    sock.connect(o.containerPort, o.containerIp, () => {
      const pending = flow.pending ?? [];
      flow.pending = null;
      for (const msg of pending) sendToContainer(key, sock, msg);
    });
    return flow;
  };

  const sendToContainer = (key: string, sock: dgram.Socket, msg: Buffer) =>
    sock.send(msg, (err) => {
      if (err && (err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') o.log.warn({ err, client: key }, 'port proxy could not forward a UDP datagram');
    });

  listener.on('message', (msg, client) => {
    const key = `${client.address}:${client.port}`;
    const flow = flows.get(key) ?? openFlow(key, client);
    flow.timer.refresh();
    if (flow.pending === null) sendToContainer(key, flow.sock, msg);
    else if (flow.pending.length < MAX_PENDING_DATAGRAMS) flow.pending.push(msg);
  });

  return new Promise((resolve, reject) => {
    listener.once('error', (err) => {
      listener.close();
      reject(bindError(o, err));
    });
    listener.bind({ address: o.hostIp, port: o.hostPort, exclusive: true }, () => {
      listener.removeAllListeners('error');
      listener.on('error', (err) => o.log.warn({ err, hostIp: o.hostIp, hostPort: o.hostPort }, 'port proxy listener failed'));
      resolve({
        port: listener.address().port,
        close: () =>
          new Promise<void>((done) => {
            for (const key of [...flows.keys()]) endFlow(key);
            listener.close(() => done());
          }),
      });
    });
  });
}

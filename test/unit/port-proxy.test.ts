// PortProxy over real sockets on 127.0.0.1 with ephemeral ports. The "container" is a plain TCP or UDP echo
// server in this process: the proxy only ever sees an IP and a port, so no real container is needed.

import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import t from 'tap';
import { PortInUseError, PortProxy, type PortProxyOptions } from '../../src/runtime/network/port-proxy.js';

type T = Parameters<Parameters<typeof t.test>[1]>[0];
const LO = '127.0.0.1';

/** A TCP "container": each connection goes to `handle`; default echoes and ends when the client ends. */
async function tcpContainer(t: T, handle: (s: net.Socket) => void = (s) => s.pipe(s), port = 0): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    handle(s);
  });
  server.listen(port, LO);
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((done) => server.close(() => done())));
  return (server.address() as net.AddressInfo).port;
}

/** A UDP "container": answers each datagram with `<datagram> from <sender port>`. */
async function udpContainer(t: T): Promise<{ port: number; senders: Set<number> }> {
  const sock = dgram.createSocket('udp4');
  const senders = new Set<number>();
  sock.on('message', (msg, from) => {
    senders.add(from.port);
    sock.send(`${msg.toString()} from ${from.port}`, from.port, from.address);
  });
  sock.bind(0, LO);
  await once(sock, 'listening');
  t.teardown(() => new Promise<void>((done) => sock.close(() => done())));
  return { port: sock.address().port, senders };
}

async function proxy(t: T, opts: Partial<PortProxyOptions> & { containerPort: number }): Promise<PortProxy> {
  const p = await PortProxy.open({ proto: 'tcp', hostIp: LO, hostPort: 0, containerIp: LO, ...opts });
  t.teardown(() => p.close());
  return p;
}

/** Connects, writes `data`, ends the write side, resolves with everything read until the peer's FIN. */
async function exchange(t: T, port: number, data: Buffer | string): Promise<Buffer> {
  const c = net.connect({ host: LO, port, allowHalfOpen: true });
  t.teardown(() => c.destroy());
  const chunks: Buffer[] = [];
  c.on('data', (d: Buffer) => chunks.push(d));
  c.end(data);
  await once(c, 'end');
  return Buffer.concat(chunks);
}

/** A port nobody listens on (bound, then closed again). */
async function closedPort(): Promise<number> {
  const s = net.createServer().listen(0, LO);
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((done) => s.close(() => done()));
  return port;
}

async function udpClient(t: T): Promise<dgram.Socket> {
  const c = dgram.createSocket('udp4');
  c.bind(0, LO);
  await once(c, 'listening');
  t.teardown(() => c.close());
  return c;
}

async function udpAsk(c: dgram.Socket, port: number, msg: string): Promise<string> {
  const reply = once(c, 'message');
  c.send(msg, port, LO);
  const [data] = (await reply) as [Buffer];
  return data.toString();
}

t.test('a TCP round trip through a kernel-chosen host port reaches the container and comes back', async (t) => {
  const containerPort = await tcpContainer(t);
  const p = await proxy(t, { containerPort, hostPort: 0 });
  t.ok(p.hostPort > 0 && p.hostPort !== containerPort, 'hostPort 0 gives a real port');
  t.equal(p.hostIp, LO);
  t.equal(p.proto, 'tcp');
  t.equal((await exchange(t, p.hostPort, 'ping')).toString(), 'ping');
});

t.test('20 MB each way arrive intact', async (t) => {
  const containerPort = await tcpContainer(t);
  const p = await proxy(t, { containerPort });
  const data = randomBytes(20 * 1024 * 1024);
  const back = await exchange(t, p.hostPort, data);
  t.equal(back.length, data.length);
  t.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(data).digest('hex'));
});

t.test('half-close passes through: the client ends its side and still gets the reply written after', async (t) => {
  const containerPort = await tcpContainer(t, (s) => {
    let n = 0;
    s.on('data', (d: Buffer) => (n += d.length));
    s.on('end', () => setTimeout(() => s.end(`got ${n} bytes after your FIN`), 50));
  });
  const p = await proxy(t, { containerPort });
  t.equal((await exchange(t, p.hostPort, 'hello')).toString(), 'got 5 bytes after your FIN');
});

t.test('a refusing container closes the client connection and the proxy serves the next one', async (t) => {
  const containerPort = await closedPort();
  const warnings: string[] = [];
  const p = await proxy(t, { containerPort, log: { warn: (_o, msg) => warnings.push(msg) } });
  const c = net.connect(p.hostPort, LO);
  c.on('error', () => {}); // a reset is as good as a FIN here
  await once(c, 'close');
  t.pass('client connection closed');
  t.match(warnings, [/can't forward traffic to the container/]);
  await tcpContainer(t, undefined, containerPort); // the container starts listening
  t.equal((await exchange(t, p.hostPort, 'again')).toString(), 'again');
});

t.test('a taken TCP port fails with docker\'s words and leaves nothing bound', async (t) => {
  const first = await proxy(t, { containerPort: 1 });
  const taken = PortProxy.open({ proto: 'tcp', hostIp: LO, hostPort: first.hostPort, containerIp: LO, containerPort: 1 });
  await t.rejects(taken, new PortInUseError(LO, first.hostPort));
  const err = await taken.catch((e: unknown) => e);
  t.ok(err instanceof PortInUseError);
  t.equal((err as PortInUseError).message, `Bind for 127.0.0.1:${first.hostPort} failed: port is already allocated`);
  t.equal((err as PortInUseError).hostPort, first.hostPort);

  const all = await PortProxy.open({ proto: 'tcp', hostIp: '', hostPort: first.hostPort, containerIp: LO, containerPort: 1 }).catch((e: unknown) => e);
  t.equal((all as Error).message, `Bind for 0.0.0.0:${first.hostPort} failed: port is already allocated`, "'' is all IPv4 addresses");

  await first.close();
  const second = await proxy(t, { containerPort: 1, hostPort: first.hostPort });
  t.equal(second.hostPort, first.hostPort, 'the failed opens held nothing: the port is free once the first closes');
});

t.test('a taken UDP port fails with docker\'s words and leaves nothing bound', async (t) => {
  const first = await proxy(t, { proto: 'udp', containerPort: 1 });
  t.equal(first.proto, 'udp');
  const err = await PortProxy.open({ proto: 'udp', hostIp: LO, hostPort: first.hostPort, containerIp: LO, containerPort: 1 }).catch((e: unknown) => e);
  t.ok(err instanceof PortInUseError);
  t.equal((err as Error).message, `Bind for 127.0.0.1:${first.hostPort} failed: port is already allocated`);
  await first.close();
  const second = await proxy(t, { proto: 'udp', containerPort: 1, hostPort: first.hostPort });
  t.equal(second.hostPort, first.hostPort);
});

t.test('an address the host does not have is a plain error naming ip:port and the code', async (t) => {
  const err = await PortProxy.open({ proto: 'tcp', hostIp: '192.0.2.1', hostPort: 0, containerIp: LO, containerPort: 1 }).catch((e: unknown) => e);
  t.ok(err instanceof Error && !(err instanceof PortInUseError));
  t.match((err as Error).message, /192\.0\.2\.1:0.*EADDRNOTAVAIL/);
});

t.test('UDP: each client gets its own flow to the container and only its own replies', async (t) => {
  const container = await udpContainer(t);
  const p = await proxy(t, { proto: 'udp', containerPort: container.port });
  t.ok(p.hostPort > 0);
  const a = await udpClient(t);
  const b = await udpClient(t);
  const ra = await udpAsk(a, p.hostPort, 'a1');
  const rb = await udpAsk(b, p.hostPort, 'b1');
  t.match(ra, /^a1 from \d+$/);
  t.match(rb, /^b1 from \d+$/);
  t.not(ra.split(' from ')[1], rb.split(' from ')[1], 'two clients, two source ports at the container');
  t.equal(await udpAsk(a, p.hostPort, 'a2'), `a2 from ${ra.split(' from ')[1]}`, 'a client keeps its flow');
  t.equal(container.senders.size, 2);
});

t.test('UDP: an idle flow ends and the next datagram opens a new one', async (t) => {
  const container = await udpContainer(t);
  const p = await proxy(t, { proto: 'udp', containerPort: container.port, udpFlowTimeoutMs: 100 });
  const a = await udpClient(t);
  const first = (await udpAsk(a, p.hostPort, 'x')).split(' from ')[1];
  await new Promise((r) => setTimeout(r, 300));
  const second = (await udpAsk(a, p.hostPort, 'y')).split(' from ')[1];
  t.not(first, second);
});

t.test('close() ends live TCP connections and stops listening', async (t) => {
  const containerPort = await tcpContainer(t);
  const p = await proxy(t, { containerPort });
  const c = net.connect(p.hostPort, LO);
  t.teardown(() => c.destroy());
  c.on('error', () => {});
  c.write('live');
  await once(c, 'data');
  const closed = once(c, 'close');
  await p.close();
  await closed;
  t.pass('the live connection ended');
  const again = net.connect(p.hostPort, LO);
  const [err] = (await once(again, 'error')) as [NodeJS.ErrnoException];
  t.equal(err.code, 'ECONNREFUSED');
  await p.close();
  t.pass('a second close() is harmless');
});

t.test('close() ends UDP flows and frees the port', async (t) => {
  const container = await udpContainer(t);
  const p = await proxy(t, { proto: 'udp', containerPort: container.port });
  const a = await udpClient(t);
  t.match(await udpAsk(a, p.hostPort, 'x'), /^x from/);
  await p.close();
  const again = await proxy(t, { proto: 'udp', containerPort: container.port, hostPort: p.hostPort });
  t.match(await udpAsk(a, again.hostPort, 'y'), /^y from/);
});

// The embedded DNS server over real UDP and TCP sockets on 127.0.0.1: container names answered locally,
// everything else forwarded to upstream servers, which here are real DNS servers on loopback started by the test.
// Messages are built and read with dns-packet, a codec independent of the server's own.

import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import dnsPacket, { type DecodedPacket, type Packet, type Question } from 'dns-packet';
import t, { type Test } from 'tap';
import { EmbeddedDns, type DnsUpstream, type EmbeddedDnsOptions } from '../../src/runtime/network/dns-server.js';

type Transport = 'udp' | 'tcp';

const HOST = '127.0.0.1';
const containers: Record<string, string[]> = { web: ['172.20.0.2'], db: ['172.20.0.3', '172.20.0.4'] };
const reverse: Record<string, string> = { '172.20.0.2': 'web', '172.20.0.3': 'db' };

async function startDns(t: Test, opts: Partial<EmbeddedDnsOptions> = {}): Promise<EmbeddedDns> {
  const dns = await EmbeddedDns.listen({
    address: HOST,
    port: 0,
    resolve: (name) => containers[name],
    reverse: (ip) => reverse[ip],
    upstreams: () => [],
    ...opts,
  });
  t.teardown(() => dns.close());
  return dns;
}

const question = (name: string, type: Question['type'] = 'A'): Packet => ({
  type: 'query', id: randomId(), flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }],
});
const randomId = () => Math.floor(Math.random() * 0x10000);
const rcodeOf = (p: DecodedPacket) => (p as unknown as { rcode: string }).rcode;
/** The data of each answer, in order. */
const dataOf = (p: DecodedPacket) => p.answers?.map((a) => ('data' in a ? a.data : undefined));

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** Sends raw `msg` over UDP and resolves with the first datagram back, or undefined after `waitMs`. */
function udpExchange(port: number, msg: Buffer, waitMs = 5000): Promise<Buffer | undefined> {
  const sock = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), waitMs);
    const done = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    };
    sock.on('message', (reply) => done(reply));
    sock.send(msg, port, HOST);
  });
}

/** Opens a TCP connection, writes `chunks`, and resolves with the first `count` framed replies. */
function tcpExchange(port: number, chunks: Buffer[], count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, HOST);
    const replies: Buffer[] = [];
    let pending = Buffer.alloc(0);
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`connection closed after ${replies.length} of ${count} replies`)));
    sock.on('connect', () => chunks.forEach((c) => sock.write(c)));
    sock.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (replies.length >= count) {
        sock.removeAllListeners('close');
        sock.destroy();
        resolve(replies);
      }
    });
  });
}

async function ask(port: number, packet: Packet, transport: Transport = 'udp'): Promise<DecodedPacket> {
  const msg = dnsPacket.encode(packet);
  const reply = transport === 'udp' ? await udpExchange(port, msg) : (await tcpExchange(port, [frame(msg)], 1))[0];
  if (!reply) throw new Error(`no ${transport} reply`);
  return dnsPacket.decode(reply);
}

interface Seen { id: number; name: string; transport: Transport }

/**
 * A real DNS server on 127.0.0.1 (UDP and TCP, one port) standing in for the host's resolver: it answers every
 * A question with 203.0.113.<n> and records what it was asked. `silent` makes it swallow UDP queries unanswered.
 */
async function startFakeUpstream(t: Test, opts: { n?: number; silent?: boolean; strayFirst?: boolean; txt?: number } = {}) {
  const seen: Seen[] = [];
  const reply = (msg: Buffer, transport: Transport): Buffer => {
    const q = dnsPacket.decode(msg);
    const name = q.questions?.[0]?.name ?? '';
    seen.push({ id: q.id ?? -1, name, transport });
    return dnsPacket.encode({
      type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions,
      answers: opts.txt
        ? Array.from({ length: opts.txt }, (_, i) => ({ type: 'TXT' as const, name, ttl: 5, data: `record ${i} `.padEnd(60, '.') }))
        : [{ type: 'A', name, ttl: 30, data: `203.0.113.${opts.n ?? 1}` }],
    });
  };
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, from) => {
    if (opts.silent) return void seen.push({ id: msg.readUInt16BE(0), name: '', transport: 'udp' });
    const answer = reply(msg, 'udp');
    if (opts.strayFirst) {
      const stray = Buffer.from(answer);
      stray.writeUInt16BE((answer.readUInt16BE(0) + 1) & 0xffff);
      stray.writeUInt8(99, stray.length - 1); // a different address: must never reach the client
      udp.send(stray, from.port, from.address);
    }
    udp.send(answer, from.port, from.address);
  });
  await new Promise<void>((r) => udp.bind(0, HOST, r));
  const port = udp.address().port;
  const tcp = net.createServer((conn) => {
    let pending = Buffer.alloc(0);
    conn.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        conn.write(frame(reply(pending.subarray(2, 2 + pending.readUInt16BE(0)), 'tcp')));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
    });
    conn.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(port, HOST, resolve));
  t.teardown(() => new Promise<void>((r) => { udp.close(); tcp.close(() => r()); }));
  const upstream: DnsUpstream = { host: HOST, port };
  return { upstream, seen };
}

/** A loopback port that nothing listens on (bound and released again). */
async function closedPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, HOST, r));
  const { port } = sock.address();
  await new Promise<void>((r) => sock.close(r));
  return port;
}

t.test('a container name gets its A records, whatever the letter case or a trailing dot', async (t) => {
  const dns = await startDns(t);
  for (const name of ['web', 'WeB', 'web.']) {
    const q = question(name);
    const r = await ask(dns.port, q);
    t.equal(r.id, q.id, `${name}: the client's transaction ID`);
    t.equal(r.type, 'response');
    t.equal(rcodeOf(r), 'NOERROR');
    t.ok(r.flag_aa && r.flag_ra && r.flag_rd && !r.flag_tc, `${name}: AA, RA, RD echoed`);
    t.same(r.questions, [{ name: name.replace(/\.$/, ''), type: 'A', class: 'IN' }], 'the question echoed as asked');
    t.same(r.answers, [{ name: name.replace(/\.$/, ''), type: 'A', class: 'IN', ttl: 600, flush: false, data: '172.20.0.2' }]);
  }
  const r = await ask(dns.port, question('db'));
  t.same(dataOf(r), ['172.20.0.3', '172.20.0.4'], 'every address of a name with several');
});

t.test('AAAA or any other type for a container name is an empty NOERROR, not forwarded', async (t) => {
  const { upstream, seen } = await startFakeUpstream(t);
  const dns = await startDns(t, { upstreams: () => [upstream] });
  for (const type of ['AAAA', 'MX', 'TXT'] as const) {
    const r = await ask(dns.port, question('web', type));
    t.equal(rcodeOf(r), 'NOERROR', type);
    t.same(r.answers, [], `${type}: no answers`);
  }
  t.same(seen, [], 'the upstream was never asked');
});

t.test('a PTR for a container address names the container; an unknown one goes upstream', async (t) => {
  const { upstream, seen } = await startFakeUpstream(t);
  const dns = await startDns(t, { upstreams: () => [upstream] });
  const r = await ask(dns.port, question('2.0.20.172.in-addr.arpa', 'PTR'));
  t.equal(rcodeOf(r), 'NOERROR');
  t.same(r.answers?.map((a) => [a.type, a.name, 'data' in a ? a.data : undefined, 'ttl' in a ? a.ttl : undefined]), [['PTR', '2.0.20.172.in-addr.arpa', 'web', 600]]);
  await ask(dns.port, question('9.0.20.172.in-addr.arpa', 'PTR'));
  t.same(seen.map((s) => s.name), ['9.0.20.172.in-addr.arpa']);
});

t.test('an unknown name is forwarded under a fresh ID and the reply comes back under the client\'s', async (t) => {
  const { upstream, seen } = await startFakeUpstream(t, { n: 9 });
  const dns = await startDns(t, { upstreams: () => [upstream] });
  const q = question('example.org');
  const r = await ask(dns.port, q);
  t.equal(r.id, q.id);
  t.same(dataOf(r), ['203.0.113.9']);
  t.same(seen.map((s) => [s.name, s.transport]), [['example.org', 'udp']]);
});

t.test('an upstream that stays silent for 2 s is passed over for the next; a refusing one at once', async (t) => {
  const silent = await startFakeUpstream(t, { silent: true });
  const good = await startFakeUpstream(t, { n: 2 });
  const refused: DnsUpstream = { host: HOST, port: await closedPort() };
  const dns = await startDns(t, { upstreams: () => [silent.upstream, good.upstream] });
  let started = Date.now();
  let r = await ask(dns.port, question('example.org'));
  const waited = Date.now() - started;
  t.same(dataOf(r), ['203.0.113.2'], 'the second upstream answered');
  t.ok(waited >= 1900 && waited < 4000, `waited about 2 s for the first (${waited} ms)`);
  t.equal(silent.seen.length, 1, 'the silent one was asked first');

  const dns2 = await startDns(t, { upstreams: () => [refused, good.upstream] });
  started = Date.now();
  r = await ask(dns2.port, question('example.net'));
  t.same(dataOf(r), ['203.0.113.2']);
  t.ok(Date.now() - started < 1000, 'a port that refuses is not waited for');
});

t.test('with no upstreams, or none answering, the client gets SERVFAIL', async (t) => {
  const none = await startDns(t);
  const q = question('example.org');
  let r = await ask(none.port, q);
  t.equal(r.id, q.id);
  t.equal(rcodeOf(r), 'SERVFAIL');
  t.same(r.questions, q.questions);
  const refused: DnsUpstream = { host: HOST, port: await closedPort() };
  const dead = await startDns(t, { upstreams: () => [refused, { host: 'not-an-address', port: 53 }] });
  r = await ask(dead.port, question('example.org'), 'tcp');
  t.equal(rcodeOf(r), 'SERVFAIL', 'over TCP too');
});

t.test('the upstream list is read for every query', async (t) => {
  const first = await startFakeUpstream(t, { n: 1 });
  const second = await startFakeUpstream(t, { n: 2 });
  let current = first.upstream;
  const dns = await startDns(t, { upstreams: () => [current] });
  t.same(dataOf(await ask(dns.port, question('a.example'))), ['203.0.113.1']);
  current = second.upstream;
  t.same(dataOf(await ask(dns.port, question('b.example'))), ['203.0.113.2']);
});

t.test('TCP: framed queries, several on one connection even in one write, forwarded over TCP', async (t) => {
  const { upstream, seen } = await startFakeUpstream(t, { n: 4 });
  const dns = await startDns(t, { upstreams: () => [upstream] });
  const local = question('db');
  const remote = question('example.com');
  const both = Buffer.concat([frame(dnsPacket.encode(local)), frame(dnsPacket.encode(remote))]);
  // one write holding both queries, the second cut in two, to exercise the framing
  const replies = (await tcpExchange(dns.port, [both.subarray(0, 40), both.subarray(40)], 2)).map((b) => dnsPacket.decode(b));
  const byId = new Map(replies.map((r) => [r.id, r]));
  t.same(dataOf(byId.get(local.id!)!), ['172.20.0.3', '172.20.0.4']);
  t.same(dataOf(byId.get(remote.id!)!), ['203.0.113.4']);
  t.same(seen.map((s) => s.transport), ['tcp'], 'a TCP client is forwarded over TCP');
});

t.test('malformed packets are ignored and the server keeps answering', async (t) => {
  const dns = await startDns(t);
  const good = dnsPacket.encode(question('web'));
  const response = Buffer.from(good);
  response[2] = response[2]! | 0x80;
  const pointer = Buffer.from(good);
  pointer.writeUInt16BE(0xc00c, 12);
  const garbage = [
    Buffer.alloc(0), Buffer.from('hello'), good.subarray(0, 12), good.subarray(0, good.length - 1),
    response, pointer, Buffer.alloc(600, 0xff), Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, 1, 2]),
  ];
  for (const msg of garbage) t.equal(await udpExchange(dns.port, msg, 100), undefined, `no reply to ${msg.length} bytes of garbage`);
  t.same(dataOf(await ask(dns.port, question('web'))), ['172.20.0.2'], 'UDP still answers');
  const q = question('web');
  const replies = await tcpExchange(dns.port, [...garbage.map(frame), frame(dnsPacket.encode(q))], 1);
  t.equal(dnsPacket.decode(replies[0]!).id, q.id, 'TCP skips the bad frames and answers the good one');
});

t.test('a resolver that throws costs one query, not the server', async (t) => {
  const warnings: string[] = [];
  const dns = await startDns(t, {
    resolve: (name) => { if (name === 'boom') throw new Error('boom'); return containers[name]; },
    log: { warn: (_obj, msg) => void warnings.push(msg) },
  });
  t.equal(await udpExchange(dns.port, dnsPacket.encode(question('boom')), 200), undefined);
  t.same(dataOf(await ask(dns.port, question('web'))), ['172.20.0.2']);
  t.same(warnings, ['embedded dns: query failed']);
});

t.test('many concurrent forwards each get their own answer; replies under a wrong ID are not trusted', async (t) => {
  const { upstream, seen } = await startFakeUpstream(t, { n: 7, strayFirst: true });
  const dns = await startDns(t, { upstreams: () => [upstream] });
  const queries = Array.from({ length: 200 }, (_, i) => ({ ...question(`host-${i}.example`), id: i }));
  const replies = await Promise.all(queries.map((q) => ask(dns.port, q)));
  t.same(replies.map((r) => [r.id, r.questions?.[0]?.name]), queries.map((q) => [q.id, q.questions![0]!.name]));
  t.ok(replies.every((r) => dataOf(r)?.[0] === '203.0.113.7'), 'the stray replies (203.0.113.99) were dropped');
  t.equal(seen.length, 200);
  t.ok(seen.some((s) => s.id >= 200), 'the upstream saw IDs of the server\'s choosing, not the clients\' 0..199');
});

t.test('a forwarded UDP reply over 512 bytes passes through as the upstream sent it', async (t) => {
  const { upstream } = await startFakeUpstream(t, { txt: 20 });
  const dns = await startDns(t, { upstreams: () => [upstream] });
  const reply = await udpExchange(dns.port, dnsPacket.encode(question('big.example', 'TXT')));
  t.ok(reply && reply.length > 512, `${reply?.length} bytes`);
  t.equal(dnsPacket.decode(reply!).answers?.length, 20);
});

t.test('more local addresses than 512 bytes hold: UDP sets TC, TCP carries them all', async (t) => {
  const many = Array.from({ length: 60 }, (_, i) => `172.20.1.${i + 1}`);
  const dns = await startDns(t, { resolve: (name) => (name === 'scaled' ? many : undefined) });
  const udp = await ask(dns.port, question('scaled'));
  t.ok(udp.flag_tc, 'truncated over UDP');
  t.ok((udp.answers?.length ?? 0) < 60);
  const tcp = await ask(dns.port, question('scaled'), 'tcp');
  t.notOk(tcp.flag_tc);
  t.equal(tcp.answers?.length, 60);
});

t.test('an idle TCP connection is closed', async (t) => {
  const dns = await startDns(t, { tcpIdleMs: 200 });
  const sock = net.connect(dns.port, HOST);
  sock.on('error', () => {});
  t.teardown(() => sock.destroy());
  const started = Date.now();
  await new Promise((r) => sock.once('close', r));
  t.ok(Date.now() - started < 2000, 'closed by the server');
});

t.test('close() frees the port on UDP and TCP; a taken port rejects listen and leaves nothing open', async (t) => {
  const dns = await startDns(t);
  const port = dns.port;
  await dns.close();
  await dns.close(); // twice is fine
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => udp.once('error', reject).bind(port, HOST, resolve));
  await new Promise<void>((r) => udp.close(r));
  const tcp = net.createServer();
  await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(port, HOST, resolve));
  t.teardown(() => new Promise<void>((r) => tcp.close(() => r())));
  t.pass('the same port binds again');

  // UDP binds, TCP finds the port taken: listen must reject and give the UDP port back
  await t.rejects(EmbeddedDns.listen({ address: HOST, port, resolve: () => undefined, upstreams: () => [] }), { code: 'EADDRINUSE' });
  const again = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => again.once('error', reject).bind(port, HOST, resolve));
  await new Promise<void>((r) => again.close(r));
  t.pass('the UDP half was released');
});

t.test('close() ends forwards in flight', async (t) => {
  const silent = await startFakeUpstream(t, { silent: true });
  const dns = await startDns(t, { upstreams: () => [silent.upstream] });
  const pending = udpExchange(dns.port, dnsPacket.encode(question('slow.example')), 500);
  while (silent.seen.length === 0) await new Promise((r) => setTimeout(r, 10));
  const started = Date.now();
  await dns.close();
  t.ok(Date.now() - started < 500, 'close() does not wait out the forward timeout');
  t.equal(await pending, undefined, 'nothing is sent after close');
});

const execFileP = promisify(execFile);

t.test('busybox nslookup against the server on 127.0.0.1:53', async (t) => {
  const busybox = await execFileP('busybox', ['nslookup']).then(() => true, (err) => err.code !== 'ENOENT');
  if (!busybox) return t.plan(0, 'busybox is not installed');
  const upstream = await startFakeUpstream(t, { n: 5 });
  let dns: EmbeddedDns;
  try {
    dns = await startDns(t, { port: 53, upstreams: () => [upstream.upstream] });
  } catch (err) {
    return t.plan(0, `cannot bind 127.0.0.1:53 here (${(err as NodeJS.ErrnoException).code})`);
  }
  t.equal(dns.port, 53);
  const local = await execFileP('busybox', ['nslookup', 'web', HOST], { timeout: 10_000 });
  t.match(local.stdout, /Address:\s*172\.20\.0\.2/);
  const remote = await execFileP('busybox', ['nslookup', '-type=A', 'example.org', HOST], { timeout: 10_000 });
  t.match(remote.stdout, /Address:\s*203\.0\.113\.5/);
});

import net from 'node:net';
import t from 'tap';
import WebSocket from 'ws';
import { notFound } from '../../src/domain/errors.js';
import { acceptTcpUpgrade, upgradeSocket } from '../../src/api/streams/upgrade.js';
import { startApi } from '../helpers/api.js';
import type { Api } from '../../src/api/app.js';

/**
 * A test-only attach-like route: answers 101, reports the parsed body, echoes stdin, and on the
 * client's half-close keeps writing before it closes (as a container's output outlives stdin).
 */
function echoRoutes(app: Api) {
  app.post('/test/:id/attach', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (id === 'missing') throw notFound(`No such container: ${id}`);
    if (!upgradeSocket(request)) return { upgraded: false, body: request.body ?? null };
    const socket = acceptTcpUpgrade(request, reply, 'application/vnd.docker.raw-stream');
    socket.write(`body=${JSON.stringify(request.body ?? null)}\n`);
    socket.on('data', (chunk: Buffer) => socket.write(`stdin=${chunk.toString()}\n`));
    socket.on('end', () => {
      socket.write('stdin closed\n');
      setTimeout(() => socket.end('output after half-close\n'), 50);
    });
    socket.resume();
  });
  app.get('/test/ws', { websocket: true }, (socket) => {
    socket.on('message', (data: Buffer) => socket.send(Buffer.concat([Buffer.from('echo:'), data])));
  });
}

interface RawExchange {
  head: string;
  rest: string;
}

/** Sends raw bytes in the given pieces (with pauses), half-closes, and collects everything. */
function exchange(socketPath: string, pieces: (string | Buffer)[], opts: { halfClose?: boolean } = {}): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socketPath);
    let out = '';
    c.on('data', (d) => (out += d.toString('latin1')));
    c.on('end', () => {
      const i = out.indexOf('\r\n\r\n');
      resolve({ head: out.slice(0, i), rest: out.slice(i + 4) });
    });
    c.on('error', reject);
    c.on('connect', async () => {
      for (const piece of pieces) {
        c.write(piece);
        await new Promise((r) => setTimeout(r, 40));
      }
      if (opts.halfClose !== false) c.end();
    });
  });
}

const request = (body: string, extra = '') =>
  'POST /v1.49/test/c1/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: api.moby.localhost\r\n' +
  `Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`;

t.test('Upgrade: tcp gets moby 101 headers and the route gets the raw socket', async (t) => {
  const api = await startApi(t, 'upgrade101', echoRoutes);
  const { head, rest } = await exchange(api.socket, [request('')]);
  const lines = head.split('\r\n');
  t.equal(lines[0], 'HTTP/1.1 101 UPGRADED');
  t.ok(lines.includes('Content-Type: application/vnd.docker.raw-stream'));
  t.ok(lines.includes('Connection: Upgrade'));
  t.ok(lines.includes('Upgrade: tcp'));
  t.ok(lines.some((l) => /^api-version: 1\.49$/i.test(l)), 'the standard headers are copied into the 101');
  t.notOk(lines.some((l) => /^(content-length|transfer-encoding):/i.test(l)), 'no framing headers');
  t.equal(rest, 'body={}\nstdin closed\noutput after half-close\n');
});

t.test('an upgrade body inside the first packet is parsed and the bytes after it are stdin', async (t) => {
  const api = await startApi(t, 'upgradehead', echoRoutes);
  const body = '{"Detach":false,"Tty":false}';
  const { rest } = await exchange(api.socket, [request(body) + body + 'hello']);
  t.equal(rest, 'body={"Detach":false,"Tty":false}\nstdin=hello\nstdin closed\noutput after half-close\n');
});

t.test('an upgrade body arriving after the headers, in pieces, is read exactly', async (t) => {
  const api = await startApi(t, 'upgradelater', echoRoutes);
  const body = '{"Detach":false,"Tty":true}';
  const { rest } = await exchange(api.socket, [request(body), body.slice(0, 5), body.slice(5) + 'ab', 'cd']);
  t.equal(rest, 'body={"Detach":false,"Tty":true}\nstdin=ab\nstdin=cd\nstdin closed\noutput after half-close\n');
});

t.test('output keeps flowing after the client half-closes (the docker CLI FIN right after 101)', async (t) => {
  const api = await startApi(t, 'upgradefin', echoRoutes);
  const { rest } = await exchange(api.socket, [request('')]);
  t.match(rest, /output after half-close\n$/);
});

t.test('an error before the hijack is an ordinary JSON answer, then the connection closes', async (t) => {
  const api = await startApi(t, 'upgradeerr', echoRoutes);
  const raw = request('').replace('/test/c1/', '/test/missing/');
  const { head, rest } = await exchange(api.socket, [raw]);
  t.match(head, /^HTTP\/1\.1 404 Not Found\r\n/);
  t.match(head, /\r\ncontent-type: application\/json\r\n/i);
  t.same(JSON.parse(rest), { message: 'No such container: missing' });
});

t.test('an upgrade with a bad JSON body is a 400, and an unknown upgrade path a 404', async (t) => {
  const api = await startApi(t, 'upgradebad', echoRoutes);
  const bad = await exchange(api.socket, [request('{nope') + '{nope']);
  t.match(bad.head, /^HTTP\/1\.1 400 /);
  t.match(JSON.parse(bad.rest).message, /^invalid JSON/);
  const unknown = await exchange(api.socket, [request('').replace('/test/c1/attach', '/test/c1/nothing')]);
  t.match(unknown.head, /^HTTP\/1\.1 404 /);
  t.same(JSON.parse(unknown.rest), { message: 'page not found' });
});

t.test('a chunked upgrade body is refused with 400', async (t) => {
  const api = await startApi(t, 'upgradechunked', echoRoutes);
  const raw =
    'POST /test/c1/attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
  const { head } = await exchange(api.socket, [raw]);
  t.match(head, /^HTTP\/1\.1 400 /);
});

t.test('the same route without Upgrade answers as a plain request', async (t) => {
  const api = await startApi(t, 'upgradeplain', echoRoutes);
  const { request: http } = await import('../helpers/http.js');
  const res = await http(api.socket, 'POST', '/test/c1/attach', {
    body: '{"stream":true}',
    headers: { 'Content-Type': 'application/json' },
  });
  t.equal(res.status, 200);
  t.same(res.json(), { upgraded: false, body: { stream: true } });
});

t.test('websocket upgrades reach @fastify/websocket routes, versioned or not', async (t) => {
  const api = await startApi(t, 'upgradews', echoRoutes);
  for (const path of ['/test/ws', '/v1.49/test/ws']) {
    const ws = new WebSocket(`ws+unix://${api.socket}:${path}`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send(Buffer.from('hi')));
      ws.on('message', (data: Buffer) => resolve(data.toString()));
      ws.on('error', reject);
    });
    t.equal(reply, 'echo:hi', path);
    ws.close();
  }
});

t.test('closing the API ends upgraded streams instead of waiting for them', async (t) => {
  const api = await startApi(t, 'upgradeclose', echoRoutes);
  const c = net.connect(api.socket);
  const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
  c.on('error', () => {});
  await new Promise<void>((resolve) => {
    c.on('data', (d) => d.toString().includes('body=') && resolve());
    c.write(request(''));
  });
  t.equal(api.api.app.server.listening, false, 'the app never listens itself');
  await api.api.close();
  await closed;
  t.pass('the client saw its upgraded connection close');
});

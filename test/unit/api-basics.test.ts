import net from 'node:net';
import t from 'tap';
import { z } from 'zod';
import { startApi } from '../helpers/api.js';
import { request } from '../helpers/http.js';
import { startResponseStream } from '../../src/api/streams/response-stream.js';
import { queryBool, queryFilters } from '../../src/api/query.js';
import type { Readable } from 'node:stream';

t.test('GET /_ping answers OK with the negotiation headers', async (t) => {
  const { socket } = await startApi(t, 'ping');
  const res = await request(socket, 'GET', '/_ping');
  t.equal(res.status, 200);
  t.equal(res.text, 'OK');
  t.equal(res.headers['api-version'], '1.49');
  t.equal(res.headers['ostype'], 'linux');
  t.equal(res.headers['docker-experimental'], 'false');
  t.equal(res.headers['cache-control'], 'no-cache, no-store, must-revalidate');
  t.equal(res.headers['pragma'], 'no-cache');
  t.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  t.match(res.headers['server'], /^kapal\/.+ \(linux\)$/);
});

t.test('HEAD /_ping answers 200 with Content-Length 0 and no body', async (t) => {
  const { socket } = await startApi(t, 'ping-head');
  const res = await request(socket, 'HEAD', '/_ping');
  t.equal(res.status, 200);
  t.equal(res.headers['content-length'], '0');
  t.equal(res.headers['api-version'], '1.49');
  t.equal(res.body.length, 0);
});

t.test('GET /version has what docker-py and the docker CLI need', async (t) => {
  const { socket } = await startApi(t, 'version');
  const res = await request(socket, 'GET', '/version');
  t.equal(res.headers['content-type'], 'application/json');
  const v = res.json();
  t.equal(v.ApiVersion, '1.49');
  t.equal(v.MinAPIVersion, '1.24');
  t.equal(v.Os, 'linux');
  t.ok(v.KernelVersion);
  t.equal(v.Components[0].Name, 'Engine');
  t.equal(v.Components[0].Details.ApiVersion, '1.49');
});

t.test('GET /info reports the daemon ID, stable across calls', async (t) => {
  const { socket } = await startApi(t, 'info');
  const a = (await request(socket, 'GET', '/info')).json();
  const b = (await request(socket, 'GET', '/info')).json();
  t.match(a.ID, /^[0-9a-f-]{36}$/);
  t.equal(a.ID, b.ID);
  t.equal(a.OSType, 'linux');
  t.equal(a.Swarm.LocalNodeState, 'inactive');
  t.equal(a.Containers, 0);
  t.ok(a.NCPU >= 1);
});

t.test('every route answers under /v1.NN/ from 1.24 to 1.49', async (t) => {
  const { socket } = await startApi(t, 'versions');
  for (const v of ['1.24', '1.30', '1.41', '1.49']) {
    const res = await request(socket, 'GET', `/v${v}/version`);
    t.equal(res.status, 200, `v${v}`);
  }
});

t.test('a version newer or older than served gets moby 400 messages', async (t) => {
  const { socket } = await startApi(t, 'badversion');
  const tooNew = await request(socket, 'GET', '/v1.99/info');
  t.equal(tooNew.status, 400);
  t.equal(tooNew.headers['content-type'], 'application/json');
  t.same(tooNew.json(), { message: 'client version 1.99 is too new. Maximum supported API version is 1.49' });
  const tooOld = await request(socket, 'GET', '/v1.23/_ping');
  t.equal(tooOld.status, 400);
  t.same(tooOld.json(), {
    message: 'client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
  });
});

t.test('an unknown route is a 404 JSON error with Content-Type exactly application/json', async (t) => {
  const { socket } = await startApi(t, 'notfound');
  for (const [method, path] of [['GET', '/nope'], ['DELETE', '/v1.49/_ping'], ['POST', '/info']] as const) {
    const res = await request(socket, method, path);
    t.equal(res.status, 404, `${method} ${path}`);
    t.equal(res.headers['content-type'], 'application/json');
    t.same(res.json(), { message: 'page not found' });
  }
});

t.test('bad JSON to POST /containers/create is a 400 with a message', async (t) => {
  const { socket } = await startApi(t, 'badjson');
  const res = await request(socket, 'POST', '/containers/create', {
    body: '{"Image": busybox',
    headers: { 'Content-Type': 'application/json' },
  });
  t.equal(res.status, 400);
  t.equal(res.headers['content-type'], 'application/json');
  t.match(res.json().message, /^invalid JSON: /);
});

t.test('a body field of the wrong type is a 400 that names the field', async (t) => {
  const { socket } = await startApi(t, 'badfield');
  const res = await request(socket, 'POST', '/v1.49/containers/create', {
    body: JSON.stringify({ Image: 'busybox', Env: 'A=1', HostConfig: { Memory: 'lots' } }),
    headers: { 'Content-Type': 'application/json' },
  });
  t.equal(res.status, 400);
  const { message } = res.json();
  t.match(message, /Env/);
  t.match(message, /HostConfig\.Memory/);
});

t.test('a bad container name in the query is a 400 naming the parameter', async (t) => {
  const { socket } = await startApi(t, 'badname');
  const res = await request(socket, 'POST', '/containers/create?name=-bad', {
    body: JSON.stringify({ Image: 'busybox' }),
    headers: { 'Content-Type': 'application/json' },
  });
  t.equal(res.status, 400);
  t.match(res.json().message, /^invalid query parameter name: /);
});

t.test('a valid create of a missing image answers docker\'s 404, which makes clients pull', async (t) => {
  const { socket } = await startApi(t, 'createnoimage');
  const res = await request(socket, 'POST', '/containers/create?name=web', {
    body: JSON.stringify({ Image: 'busybox', Cmd: ['true'], Unknown: { kept: true } }),
    headers: { 'Content-Type': 'application/json' },
  });
  t.equal(res.status, 404);
  t.equal(res.headers['content-type'], 'application/json');
  t.same(res.json(), { message: 'No such image: busybox:latest' });
});

t.test('a 500 hides the error from the client and logs it with the request id', async (t) => {
  const api = await startApi(t, 'internal', (app) => {
    app.get('/test/explode', async () => {
      throw new Error('secret detail at /var/lib/kapal');
    });
  });
  const res = await request(api.socket, 'GET', '/test/explode');
  t.equal(res.status, 500);
  t.equal(res.headers['content-type'], 'application/json');
  const { message } = res.json();
  t.notMatch(message, /secret|\/var\/lib|at /);
  const reqId = /request ([\w-]+)/.exec(message)?.[1];
  t.ok(reqId, 'the message carries the request id');
  t.match(api.logs(), 'secret detail');
  t.match(api.logs(), reqId!);
});

t.test('query booleans follow moby rule and filters accept map and list forms', async (t) => {
  const seen: unknown[] = [];
  const api = await startApi(t, 'query', (app) => {
    app.get(
      '/test/query',
      { schema: { querystring: z.object({ all: queryBool(), filters: queryFilters }) } },
      async (request) => {
        seen.push({ all: request.query.all, filters: Object.fromEntries(request.query.filters) });
        return {};
      },
    );
  });
  const cases: [string, boolean][] = [['1', true], ['True', true], ['true', true], ['yes', true], ['0', false], ['False', false], ['no', false], ['none', false], ['', false]];
  for (const [value, expected] of cases) {
    seen.length = 0;
    await request(api.socket, 'GET', `/test/query?all=${encodeURIComponent(value)}`);
    t.equal((seen[0] as { all: boolean }).all, expected, `all=${value}`);
  }
  seen.length = 0;
  await request(api.socket, 'GET', `/test/query?filters=${encodeURIComponent('{"status":{"running":true,"exited":false}}')}`);
  await request(api.socket, 'GET', `/test/query?filters=${encodeURIComponent('{"status":["exited"],"label":["a=b"]}')}`);
  t.same(seen, [
    { all: false, filters: { status: ['running'] } },
    { all: false, filters: { status: ['exited'], label: ['a=b'] } },
  ]);
  const bad = await request(api.socket, 'GET', `/test/query?filters=${encodeURIComponent('{nope')}`);
  t.equal(bad.status, 400);
  t.match(bad.json().message, /^invalid query parameter filters: invalid filter/);
});

/** A route that hashes the raw body stream, so any decoding or buffering limit would show. */
function tarEcho(app: Parameters<NonNullable<Parameters<typeof startApi>[2]>>[0]) {
  app.post('/test/upload', async (request) => {
    const body = request.body as Readable | undefined;
    let bytes = 0;
    const hash = (await import('node:crypto')).createHash('sha256');
    if (body) {
      for await (const chunk of body) {
        bytes += (chunk as Buffer).length;
        hash.update(chunk as Buffer);
      }
    }
    return { bytes, sha256: hash.digest('hex') };
  });
}

t.test('tar bodies pass through byte for byte, chunked or not, with any of the Content-Types docker clients send', async (t) => {
  const api = await startApi(t, 'tarbody', tarEcho);
  const { createHash, randomBytes } = await import('node:crypto');
  // Invalid UTF-8 and NULs survive, and the size is well past fastify's 1 MiB default bodyLimit.
  const payload = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0xc3]), randomBytes(3 * 1024 * 1024)]);
  const want = { bytes: payload.length, sha256: createHash('sha256').update(payload).digest('hex') };
  for (const contentType of ['application/x-tar', 'text/plain', undefined]) {
    for (const chunked of [false, true]) {
      const headers: Record<string, string> = {};
      if (contentType) headers['Content-Type'] = contentType;
      if (chunked) headers['Transfer-Encoding'] = 'chunked';
      const res = await request(api.socket, 'POST', '/test/upload', { body: payload, headers });
      t.same(res.json(), want, `${contentType ?? 'no Content-Type'}, ${chunked ? 'chunked' : 'Content-Length'}`);
    }
  }
});

t.test('a streaming response flushes its headers before any body is written', async (t) => {
  let finish: (() => void) | undefined;
  const api = await startApi(t, 'stream', (app) => {
    app.post('/test/wait', async (_request, reply) => {
      const res = startResponseStream(reply, 'application/json');
      finish = () => res.end('{"StatusCode":0}\n');
    });
  });
  const headers = await request(api.socket, 'POST', '/test/wait', { headersOnly: true });
  t.equal(headers.status, 200, 'headers arrived while the body is still pending');
  t.equal(headers.headers['content-type'], 'application/json');
  t.equal(headers.headers['api-version'], '1.49', 'standard headers survive the hijack');
  t.ok(finish);
  finish!();
});

t.test('a raw HTTP/1.0 client without keep-alive still gets a complete answer', async (t) => {
  const { socket } = await startApi(t, 'http10');
  const text = await new Promise<string>((resolve, reject) => {
    const c = net.connect(socket, () => c.write('GET /_ping HTTP/1.0\r\n\r\n'));
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
  t.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(text, /\r\n\r\nOK$/);
});

t.test('a JSON route refuses a body of another Content-Type with moby wording', async (t) => {
  const { socket } = await startApi(t, 'ctype');
  for (const contentType of ['text/plain', undefined]) {
    const headers: Record<string, string> = contentType ? { 'Content-Type': contentType } : {};
    const res = await request(socket, 'POST', '/containers/create', { body: '{"Image":"busybox"}', headers });
    t.equal(res.status, 400);
    t.equal(res.json().message, `unsupported Content-Type header (${contentType ?? ''}): must be 'application/json'`);
  }
  const empty = await request(socket, 'POST', '/containers/create');
  t.equal(empty.status, 400);
  t.match(empty.json().message, /Image/, 'no body at all is validated as {}');
});

t.test('an out-of-range version on an unknown route is a 404, as in moby', async (t) => {
  const { socket } = await startApi(t, 'version404');
  const res = await request(socket, 'GET', '/v1.99/nope');
  t.equal(res.status, 404);
});

t.test('proxy credentials are masked in /info', async (t) => {
  const { maskProxyCredentials } = await import('../../src/service/system-service.js');
  t.equal(maskProxyCredentials('http://user:secret@proxy.example:3128'), 'http://xxxxx:xxxxx@proxy.example:3128/');
  t.equal(maskProxyCredentials('http://proxy.example:3128'), 'http://proxy.example:3128');
  t.equal(maskProxyCredentials(''), '');
});

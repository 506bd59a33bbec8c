// The real dockerode (with docker-modem) against a real kapald over `socketPath`. dockerode
// never negotiates and sends unversioned paths (/version, /containers/create): that is what
// these tests are for, and the recording proxy in front of the daemon checks it on the wire.

import Docker from 'dockerode';
import t, { type Test } from 'tap';
import { makeTempDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startRecordingProxy } from './recording-proxy.js';
import { loadBusybox } from '../helpers/containers.js';
import { PassThrough } from 'node:stream';


interface Modem {
  d: TestDaemon;
  docker: Docker;
  /** Request lines dockerode sent, in order. */
  requests: string[];
}

async function setup(t: Test): Promise<Modem> {
  const d = await startDaemon(t, 'dockerode');
  const proxy = await startRecordingProxy(t, makeTempDir(t, 'dockerode-proxy'), d.socket);
  return { d, docker: new Docker({ socketPath: proxy.socket }), requests: proxy.requests };
}

interface ModemError extends Error {
  statusCode?: number;
  json?: { message?: string } | null;
}

t.test('docker.version() on unversioned GET /version reports API 1.49', async (t) => {
  const { docker, d, requests } = await setup(t);
  const v = await docker.version();
  const expected = (await d.request('GET', '/version')).json<{ Version: string }>();
  t.equal(v.ApiVersion, '1.49');
  t.equal(v.MinAPIVersion, '1.24');
  t.equal(v.Version, expected.Version);
  t.equal(v.Os, 'linux');
  t.ok(v.Components?.some((c) => c.Name === 'Engine'), 'an Engine component');
  t.same(requests, ['GET /version']);
});

t.test('docker.ping() on unversioned GET /_ping returns OK', async (t) => {
  const { docker, requests } = await setup(t);
  const pong: unknown = await docker.ping();
  t.ok(Buffer.isBuffer(pong) || typeof pong === 'string', 'a Buffer or a string');
  t.equal(String(pong), 'OK');
  t.same(requests, ['GET /_ping']);
});

t.test('docker.info() on unversioned GET /info carries the daemon ID', async (t) => {
  const { docker, d, requests } = await setup(t);
  const info = (await docker.info()) as { ID: string; ServerVersion: string; OSType: string };
  const expected = (await d.request('GET', '/info')).json<{ ID: string; ServerVersion: string }>();
  t.ok(info.ID, 'a non-empty ID');
  t.equal(info.ID, expected.ID);
  t.equal(info.ServerVersion, expected.ServerVersion);
  t.equal(info.OSType, 'linux');
  t.same(requests, ['GET /info']);
});

t.test('createContainer on unversioned POST /containers/create rejects a missing image with statusCode 404 and json.message', async (t) => {
  const { docker, requests } = await setup(t);
  const err = await docker.createContainer({ Image: 'busybox' }).then(
    () => undefined,
    (e: unknown) => e as ModemError,
  );
  t.ok(err, 'createContainer rejected');
  t.equal(err?.statusCode, 404);
  t.same(err?.json, { message: 'No such image: busybox:latest' });
  // docker-modem sends the options as a query string too (§5.2); the path itself is unversioned.
  t.equal(requests.length, 1);
  t.match(requests[0], /^POST \/containers\/create\?/);
});

t.test('createContainer with a bad name rejects with statusCode 400 naming the allowed characters', async (t) => {
  const { docker } = await setup(t);
  const err = await docker.createContainer({ Image: 'busybox', name: '-x' }).then(
    () => undefined,
    (e: unknown) => e as ModemError,
  );
  t.equal(err?.statusCode, 400);
  t.match(err?.json?.message, /only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
});

t.test('docker.run attaches without upgrading, starts, waits and demuxes the output', async (t) => {
  const { docker, d } = await setup(t);
  await loadBusybox(t, d);
  let stdout = '';
  let stderr = '';
  const out = new PassThrough().on('data', (c: Buffer) => (stdout += c));
  const err = new PassThrough().on('data', (c: Buffer) => (stderr += c));
  const [result, container] = (await docker.run('busybox', ['sh', '-c', 'echo hi; echo oops >&2; exit 2'], [out, err], { Tty: false })) as [
    { StatusCode: number },
    Docker.Container,
  ];
  t.equal(result.StatusCode, 2);
  t.equal(stdout, 'hi\n');
  t.equal(stderr, 'oops\n');
  const info = await container.inspect();
  t.equal(info.State.ExitCode, 2);
  await container.remove();
});

t.test('container.exec with exec.start({hijack, stdin}) streams both ways; inspect has the exit code', async (t) => {
  const { docker, d } = await setup(t);
  await loadBusybox(t, d);
  const container = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '100'] });
  t.teardown(() => container.remove({ force: true }).catch(() => {}));
  await container.start();
  const exec = await container.exec({ Cmd: ['sh', '-c', 'cat; echo err >&2; exit 6'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: true });
  let stdout = '';
  let stderr = '';
  const out = new PassThrough().on('data', (c: Buffer) => (stdout += c));
  const err = new PassThrough().on('data', (c: Buffer) => (stderr += c));
  docker.modem.demuxStream(stream, out, err);
  stream.end('from dockerode\n');
  await new Promise((resolve) => stream.on('close', resolve));
  t.equal(stdout, 'from dockerode\n');
  t.equal(stderr, 'err\n');
  const info = await exec.inspect();
  t.match(info, { ExitCode: 6, Running: false, ProcessConfig: { entrypoint: 'sh' } });
});

// Attach as real clients do it: `docker attach` (the docker CLI) and dockerode's container.attach,
// hijacked with stdin and plain with logs, against a real kapald.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import t from 'tap';
import { create, loadBusybox, waitFor } from '../helpers/containers.js';
import { makeTempDir, startDaemon } from '../helpers/daemon.js';
import { DOCKER, cleanEnv, dockerShell, skipWithoutDocker as skip } from '../helpers/docker-cli.js';

t.test('docker attach: piped stdin reaches a StdinOnce container, the output and the exit code come back', { skip }, async (t) => {
  const d = await startDaemon(t, 'att-cli');
  await loadBusybox(t, d);
  const sh = dockerShell(t, d);
  await create(d, { Cmd: ['sh', '-c', 'cat; echo done >&2; exit 3'], OpenStdin: true, StdinOnce: true, AttachStdin: true }, 'att');
  t.equal((await d.request('POST', '/containers/att/start')).status, 204);
  const run = await sh("printf 'a\\nb\\n' | docker attach att");
  t.same(run, { code: 3, stdout: 'a\nb\n', stderr: 'done\n' });

});

t.test('docker attach on a terminal: typing reaches the TTY, ctrl-p ctrl-q detaches, the container runs on', { skip }, async (t) => {
  const d = await startDaemon(t, 'att-cli-tty');
  await loadBusybox(t, d);
  await create(d, { Cmd: ['cat'], Tty: true, OpenStdin: true, AttachStdin: true }, 'tty');
  t.equal((await d.request('POST', '/containers/tty/start')).status, 204);
  const env = cleanEnv(makeTempDir(t, 'docker-config'), { DOCKER_HOST: `unix://${d.socket}`, PATH: `${path.dirname(DOCKER)}:${process.env.PATH}` });
  // script(1) gives the CLI a terminal, as a user's shell would.
  const cli = spawn('script', ['-qfec', 'timeout --foreground 60 docker attach tty', '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => cli.kill('SIGKILL'));
  let out = '';
  cli.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
  // Until the attach is up, what is typed may go nowhere: type until the container echoes it.
  await waitFor(() => {
    if (!out.includes('typed')) cli.stdin.write('typed\r');
    return out.includes('typed');
  }, 20_000, 'the typed line echoed through the container\'s TTY');
  cli.stdin.write('\x10'); // typed keys: the CLI sees each in a read of its own and detaches itself
  await new Promise((r) => setTimeout(r, 200));
  cli.stdin.write('\x11');
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  await waitFor(() => code !== undefined, 20_000, 'the CLI to exit');
  t.match(out, /read escape sequence/);
  t.equal((await d.request('GET', '/containers/tty/json')).json().State.Running, true, 'the container runs on');
  await d.request('DELETE', '/containers/tty?force=1');
});

t.test('dockerode container.attach: hijacked with stdin, and a plain stream with logs', async (t) => {
  const d = await startDaemon(t, 'att-dockerode');
  await loadBusybox(t, d);
  const docker = new Docker({ socketPath: d.socket });
  const container = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'cat; echo bye >&2'], OpenStdin: true, StdinOnce: true });
  t.teardown(() => container.remove({ force: true }).catch(() => {}));
  await container.start();
  const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
  let stdout = '';
  let stderr = '';
  docker.modem.demuxStream(stream, new PassThrough().on('data', (c: Buffer) => (stdout += c)), new PassThrough().on('data', (c: Buffer) => (stderr += c)));
  const ended = new Promise((resolve) => stream.on('end', resolve));
  stream.write('from dockerode\n');
  stream.end();
  await ended;
  t.equal(stdout, 'from dockerode\n');
  t.equal(stderr, 'bye\n');
  await waitFor(async () => !(await container.inspect()).State.Running, 10_000, 'the exit');

  const replay = (await container.attach({ stream: false, logs: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
  let out = '';
  let err = '';
  docker.modem.demuxStream(replay, new PassThrough().on('data', (c: Buffer) => (out += c)), new PassThrough().on('data', (c: Buffer) => (err += c)));
  await new Promise((resolve) => replay.on('end', resolve));
  t.equal(out, 'from dockerode\n', 'logs=1 replays the log');
  t.equal(err, 'bye\n');
});

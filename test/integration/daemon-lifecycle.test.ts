import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { KAPALD, makeTempDir, spawnDaemon, startDaemon, waitForPing } from '../helpers/daemon.js';
import { claimNetworkSlot } from '../helpers/network-slot.js';
import { request } from '../helpers/http.js';

t.test('SIGTERM shuts down gracefully within 2 s and removes the socket and pidfile', async (t) => {
  const d = await startDaemon(t, 'sigterm');
  const pidfile = path.join(d.execRoot, 'kapald.pid');
  t.equal(readFileSync(pidfile, 'utf8').trim(), String(d.proc.pid));
  // An idle keep-alive connection must not hold the shutdown up.
  const idle = net.connect(d.socket);
  idle.on('error', () => {});
  idle.write('GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => idle.once('data', r));
  // Exit status 0 is the graceful path; kapald's 2 s deadline exits with 1 (no wall-clock
  // assertion here: the machine is noisy).
  t.equal(await d.stop('SIGTERM'), 0);
  t.notOk(existsSync(d.socket), 'socket removed');
  t.notOk(existsSync(pidfile), 'pidfile removed');
});

t.test('SIGINT also shuts down cleanly', async (t) => {
  const d = await startDaemon(t, 'sigint');
  t.equal(await d.stop('SIGINT'), 0);
});

t.test('a request still uploading at shutdown is cut after the grace period, before the deadline', async (t) => {
  const d = await startDaemon(t, 'slowupload');
  const c = net.connect(d.socket);
  c.on('error', () => {});
  const cut = new Promise<void>((resolve) => c.on('close', () => resolve()));
  c.write('POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"Ima');
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  t.equal(await d.stop('SIGTERM'), 0, 'cut by the grace timer, not by the 2 s deadline (which exits 1)');
  t.ok(Date.now() - started >= 1000, 'the request was given its grace period first');
  await cut;
});

t.test('a short request in flight at SIGTERM still gets its answer', async (t) => {
  const d = await startDaemon(t, 'inflight');
  const c = net.connect(d.socket);
  c.on('error', () => {});
  let answer = '';
  c.on('data', (b) => (answer += b));
  const body = '{"Image":"busybox"}';
  c.write(`POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n{"Im`);
  await new Promise((r) => setTimeout(r, 100));
  d.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  c.write(body.slice(4));
  t.equal(await d.exited, 0);
  t.match(answer, /^HTTP\/1\.1 404 /, 'the request that was under way was answered (No such image: no image is loaded)');
});

t.test('SIGHUP does not stop the daemon (systemd ExecReload sends it)', async (t) => {
  const d = await startDaemon(t, 'sighup');
  d.proc.kill('SIGHUP');
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await d.request('GET', '/_ping')).text, 'OK');
  t.match(d.output(), 'configuration reload is not supported yet');
});

t.test('kill -9 and start again: same socket, same database, nothing lost', async (t) => {
  const d1 = await startDaemon(t, 'kill9');
  const id = (await d1.request('GET', '/info')).json().ID;
  await d1.stop('SIGKILL');
  const d2 = await startDaemon(t, 'kill9', { dir: d1.dir });
  t.equal((await d2.request('GET', '/info')).json().ID, id);
  t.equal(readFileSync(path.join(d2.execRoot, 'kapald.pid'), 'utf8').trim(), String(d2.proc.pid), 'pidfile rewritten');
});

t.test('a database from a newer kapald is refused at start', async (t) => {
  const dir = makeTempDir(t, 'newerdb');
  const first = await startDaemon(t, 'newerdb', { dir });
  await first.stop();
  const db = new Database(path.join(first.dataRoot, 'kapal.db'));
  db.pragma('user_version = 999');
  db.close();
  const d = spawnDaemon(t, 'newerdb', { dir });
  t.equal(await d.exited, 1);
  t.match(d.output(), /kapald: database .* has schema version 999, newer than this kapald supports/);
});

t.test('plain TCP is refused with a clear reason', async (t) => {
  const d = spawnDaemon(t, 'plaintcp', { args: ['--host', 'tcp://127.0.0.1:2375'] });
  t.equal(await d.exited, 2);
  const lines = d.output().trim().split('\n');
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], /^kapald: refusing to listen on tcp:\/\/127\.0\.0\.1:2375 without TLS client authentication/);
});

t.test('a bad flag or config key exits 2 with one line naming it', async (t) => {
  const flag = spawnDaemon(t, 'badflag', { args: ['--no-such-flag'] });
  t.equal(await flag.exited, 2);
  t.equal(flag.output(), 'kapald: unknown flag: --no-such-flag\n');
  const key = spawnDaemon(t, 'badkey', { config: { 'storage-driver': 'overlay2' } });
  t.equal(await key.exited, 2);
  t.match(key.output(), /^kapald: invalid config file .*daemon\.json: the following directives don't match any configuration option: storage-driver\n$/);
  const both = spawnDaemon(t, 'bothkey', { config: { debug: true }, args: ['--debug'] });
  t.equal(await both.exited, 2);
  t.match(both.output(), /specified both as a flag and in the configuration file: debug/);
});

t.test('--help and --version answer without starting anything', async (t) => {
  const help = spawnSync(process.execPath, [KAPALD, '--help'], { encoding: 'utf8' });
  t.equal(help.status, 0);
  for (const flag of ['--host', '--data-root', '--exec-root', '--config-file', '--tlsverify', '--insecure-registry', '--registry-mirror', '--group', '--pidfile', '--debug']) {
    t.match(help.stdout, flag);
  }
  const version = spawnSync(process.execPath, [KAPALD, '--version'], { encoding: 'utf8' });
  t.equal(version.status, 0);
  t.match(version.stdout, /^kapald version \d+\.\d+\.\d+, build \S+\n$/);
});

t.test('settings come from the config file when no flag names them', async (t) => {
  const dir = makeTempDir(t, 'configfile');
  const d = await startDaemon(t, 'configfile', {
    dir,
    rawArgs: ['--config-file', path.join(dir, 'daemon.json')],
    config: {
      hosts: [`unix://${path.join(dir, 'kapal.sock')}`],
      'data-root': path.join(dir, 'data'),
      'exec-root': path.join(dir, 'exec'),
      labels: ['env=test'],
      'insecure-registries': ['127.0.0.1:5000'],
    },
  });
  const info = (await d.request('GET', '/info')).json();
  t.equal(info.DockerRootDir, path.join(dir, 'data'));
  t.same(info.Labels, ['env=test']);
});

t.test('READY=1 with MAINPID reaches NOTIFY_SOCKET once the API answers', async (t) => {
  const dir = makeTempDir(t, 'notify');
  const notifySocket = path.join(dir, 'notify.sock');
  // Node cannot receive Unix datagrams; python3 plays systemd's part.
  const receiver = spawn('python3', ['-c', `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('bound', flush=True)
s.settimeout(20)
print(s.recv(4096).decode().replace('\\n', '|'), flush=True)
`, notifySocket]);
  t.teardown(() => receiver.kill());
  let got = '';
  receiver.stdout.on('data', (b: Buffer) => (got += b));
  await new Promise<void>((resolve) => receiver.stdout.once('data', () => resolve()));
  const d = spawnDaemon(t, 'notify', { dir, env: { NOTIFY_SOCKET: notifySocket } });
  await new Promise<void>((resolve) => receiver.on('exit', () => resolve()));
  const message = got.split('\n')[1] ?? '';
  t.match(message, /^READY=1\|MAINPID=(\d+)\|STATUS=serving the API on unix:\/\//);
  t.equal(Number(/MAINPID=(\d+)/.exec(message)?.[1]), d.proc.pid);
  await waitForPing(d);
  t.equal((await request(d.socket, 'GET', '/_ping')).text, 'OK', 'serving when READY was sent');
});

t.test('fd:// serves the socket systemd passes (socket activation)', async (t) => {
  const check = spawnSync('systemd-socket-activate', ['--help']);
  if (check.error) {
    t.skip('systemd-socket-activate is not installed');
    return;
  }
  const dir = makeTempDir(t, 'fdsocket');
  const socket = path.join(dir, 'activated.sock');
  const slot = claimNetworkSlot();
  t.teardown(() => slot.release());
  writeFileSync(path.join(dir, 'daemon.json'), JSON.stringify(slot.config));
  const proc = spawn('systemd-socket-activate', [
    '-l', socket, process.execPath, KAPALD, '-H', 'fd://',
    '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--config-file', path.join(dir, 'daemon.json'),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr.on('data', (b: Buffer) => (out += b));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  t.teardown(() => proc.kill('SIGKILL'));
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  // The first connection makes systemd-socket-activate exec kapald with the socket as fd 3.
  const res = await request(socket, 'GET', '/_ping');
  t.equal(res.text, 'OK', out);
  t.match(out, '"fd":3');
  t.match(out, 'API listening on a systemd socket');
  proc.kill('SIGTERM');
  t.equal(await exited, 0);
  t.ok(statSync(socket).isSocket(), 'the activated socket belongs to systemd and stays');
});

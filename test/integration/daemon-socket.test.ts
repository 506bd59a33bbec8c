import { lstatSync, statSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { makeTempDir, spawnDaemon, startDaemon } from '../helpers/daemon.js';
import { request } from '../helpers/http.js';
import { lookupGroupId } from '../../src/runtime/libc.js';

t.test('the socket is mode 0660, owned by root and the default group kapal (root when it does not exist)', async (t) => {
  const d = await startDaemon(t, 'sockmode');
  const st = statSync(d.socket);
  t.ok(lstatSync(d.socket).isSocket());
  t.equal(st.mode & 0o777, 0o660);
  t.equal(st.uid, 0);
  // bin/quickstart creates the group; the suite must pass before and after it.
  t.equal(st.gid, lookupGroupId('kapal') ?? 0);
});

t.test('--group gives the socket to that group, still 0660', async (t) => {
  const d = await startDaemon(t, 'sockgroup', { args: ['--group', 'nogroup'] });
  const st = statSync(d.socket);
  t.equal(st.mode & 0o777, 0o660);
  t.equal(st.gid, 65534);
});

t.test('an explicit --group that does not exist stops the start with a clear reason', async (t) => {
  const d = spawnDaemon(t, 'socknogroup', { args: ['--group', 'no-such-group-kapal'] });
  t.equal(await d.exited, 1);
  t.match(d.output(), 'kapald: group "no-such-group-kapal" not found (--group)');
  t.notOk(existsSync(d.socket), 'no socket left behind');
});

t.test('a stale socket file from a killed daemon is replaced on restart, same path, same identity', async (t) => {
  const d1 = await startDaemon(t, 'stale');
  const id = (await d1.request('GET', '/info')).json().ID;
  t.equal(await d1.stop('SIGKILL'), 'SIGKILL');
  t.ok(lstatSync(d1.socket).isSocket(), 'kill -9 left the socket file behind');
  const d2 = await startDaemon(t, 'stale', { dir: d1.dir });
  t.equal(d2.socket, d1.socket);
  const res = await d2.request('GET', '/_ping');
  t.equal(res.text, 'OK');
  t.equal((await d2.request('GET', '/info')).json().ID, id, 'the engine ID survives (same database)');
  t.equal(statSync(d2.socket).mode & 0o777, 0o660);
});

t.test('a daemon answering on the socket path is never displaced', async (t) => {
  const dir = makeTempDir(t, 'occupied');
  const socket = path.join(dir, 'kapal.sock');
  // kapald's liveness probe hangs up at once; the fake daemon must shrug that off.
  const other = net.createServer((c) => {
    c.on('error', () => {});
    c.end('other daemon\n');
  });
  await new Promise<void>((resolve) => other.listen(socket, resolve));
  t.teardown(() => new Promise((resolve) => other.close(resolve)));
  const d = spawnDaemon(t, 'occupied', { dir });
  t.equal(await d.exited, 1);
  t.match(d.output(), `kapald: another daemon is already listening on ${socket}; refusing to start`);
  const reply = await new Promise<string>((resolve) => {
    const c = net.connect(socket);
    let s = '';
    c.on('data', (b) => (s += b));
    c.on('end', () => resolve(s));
  });
  t.equal(reply, 'other daemon\n', 'the other daemon still owns its socket');
});

t.test('a file that is not a socket is never removed', async (t) => {
  const dir = makeTempDir(t, 'notsocket');
  writeFileSync(path.join(dir, 'kapal.sock'), 'precious');
  const d = spawnDaemon(t, 'notsocket', { dir });
  t.equal(await d.exited, 1);
  t.match(d.output(), 'exists and is not a socket; refusing to replace it');
  t.equal(readFileSync(path.join(dir, 'kapal.sock'), 'utf8'), 'precious');
});

t.test('two instances with their own host, data-root and exec-root run side by side', async (t) => {
  // Each gets its own bridge, subnet and nftables table from the helper (network-slot.ts).
  const a = await startDaemon(t, 'sidea');
  const b = await startDaemon(t, 'sideb');
  const [ia, ib] = [(await a.request('GET', '/info')).json(), (await b.request('GET', '/info')).json()];
  t.not(ia.ID, ib.ID);
  t.equal(ia.DockerRootDir, a.dataRoot);
  t.equal(ib.DockerRootDir, b.dataRoot);
  const [na, nb] = [(await a.request('GET', '/networks/bridge')).json(), (await b.request('GET', '/networks/bridge')).json()];
  t.not(na.Options['com.docker.network.bridge.name'], nb.Options['com.docker.network.bridge.name'], 'their own default bridges');
  t.not(na.IPAM.Config[0].Subnet, nb.IPAM.Config[0].Subnet);
});

t.test('a second daemon on the same data-root is refused while the first runs', async (t) => {
  const a = await startDaemon(t, 'samedata');
  const dir = makeTempDir(t, 'samedata2');
  const b = spawnDaemon(t, 'samedata2', {
    rawArgs: ['-H', `unix://${path.join(dir, 'b.sock')}`, '--data-root', a.dataRoot, '--exec-root', path.join(dir, 'exec'), '--config-file', path.join(a.dir, 'daemon.json')],
  });
  t.equal(await b.exited, 1);
  t.match(b.output(), new RegExp(`data-root ${a.dataRoot} is in use by another kapald \\(pid ${a.proc.pid}\\)`));
  t.equal((await a.request('GET', '/_ping')).text, 'OK', 'the first keeps serving');
});

t.test('several -H unix sockets all serve the same daemon', async (t) => {
  const dir = makeTempDir(t, 'multihost');
  const extra = path.join(dir, 'second.sock');
  const d = await startDaemon(t, 'multihost', { args: ['-H', `unix://${extra}`] });
  const id = (await d.request('GET', '/info')).json().ID;
  t.equal((await request(extra, 'GET', '/info')).json().ID, id);
  t.equal(statSync(extra).mode & 0o777, 0o660);
});

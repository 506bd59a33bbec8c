// bin/kapal-leak-check against a real kapald: a busy but consistent daemon (a network, a published
// port, a mounted volume, running and stopped containers) shows nothing; each kind of leak put on
// the machine by hand is found and named; what a stopped kapald settles at its next start is not a
// leak until kapald runs again.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { readV1Hierarchies } from '../../src/runtime/cgroups/hierarchies.js';
import { create, inspect, loadBusybox, run, waitFor } from '../helpers/containers.js';
import { spawnDaemon, startDaemon, waitForPing, type TestDaemon } from '../helpers/daemon.js';
import { leakCheck } from '../helpers/leak-check.js';
import { freePort } from '../helpers/ports.js';

const json = { 'Content-Type': 'application/json' };
const post = (d: TestDaemon, url: string, body?: unknown) => d.request('POST', url, body === undefined ? {} : { body: JSON.stringify(body), headers: json });

function tableOf(d: TestDaemon): string {
  return (JSON.parse(readFileSync(d.configFile, 'utf8')) as { 'nft-table': string })['nft-table'];
}

async function busyDaemon(t: Parameters<Parameters<typeof t.test>[1]>[0], name: string) {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  t.equal((await post(d, '/networks/create', { Name: 'leaknet' })).status, 201);
  t.equal((await post(d, '/volumes/create', { Name: 'ram', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } })).status, 201);
  const port = await freePort();
  const web = await create(d, {
    Image: 'busybox', Cmd: ['sleep', '600'], ExposedPorts: { '80/tcp': {} },
    HostConfig: { NetworkMode: 'leaknet', PortBindings: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(port) }] }, Binds: ['ram:/ram'] },
  }, 'web');
  t.equal((await post(d, `/containers/${web}/start`)).status, 204);
  const plain = await create(d, { Image: 'busybox', Cmd: ['sleep', '600'] }, 'plain');
  t.equal((await post(d, `/containers/${plain}/start`)).status, 204);
  const done = await run(d, { Image: 'busybox', Cmd: ['true'] });
  return { d, web, plain, done: done.id, port };
}

t.test('a busy, consistent daemon: no leaks, running or stopped', async (t) => {
  const { d } = await busyDaemon(t, 'leaks-clean');
  const live = leakCheck(d);
  t.same([live.code, live.stdout], [0, ''], live.stderr);
  t.match(live.stderr, /^no leaks: kapald running \(pid \d+\); 3 containers \(2 running\), 4 networks, 1 volumes, 1 images\n$/);
  await d.stop();
  const stopped = leakCheck(d);
  t.same([stopped.code, stopped.stdout], [0, ''], stopped.stderr);
  t.match(stopped.stderr, /^no leaks: kapald not running; 3 containers \(2 running\)/);
});

t.test('every kind of leak is found and named, and the check is clean again once they are gone', async (t) => {
  const { d, plain, done } = await busyDaemon(t, 'leaks-found');
  const table = tableOf(d);
  const stray = 'f'.repeat(64);
  const hierarchy = readV1Hierarchies().find((h) => h.controllers.includes('memory'))!;
  const strayCgroup = path.join(hierarchy.mount, hierarchy.own, d.cgroupParent, stray);
  const strayData = path.join(d.dataRoot, 'containers', stray);
  const strayState = path.join(d.execRoot, 'containers', done);
  const strayMount = path.join(d.dataRoot, 'volumes', 'ram', 'stray');
  const strayBridge = `kleak${process.pid % 100000}`;
  const strayBlob = path.join(d.dataRoot, 'images', 'blobs', 'sha256', 'e'.repeat(64));
  const undo: (() => void)[] = [];
  t.teardown(() => undo.reverse().forEach((f) => f()));

  mkdirSync(strayCgroup);
  undo.push(() => rmdirSync(strayCgroup));
  mkdirSync(strayData);
  mkdirSync(strayState, { recursive: true });
  mkdirSync(strayMount);
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', strayMount]);
  undo.push(() => spawnSync('umount', [strayMount]));
  execFileSync('ip', ['link', 'add', strayBridge, 'type', 'bridge']);
  undo.push(() => spawnSync('ip', ['link', 'del', strayBridge]));
  execFileSync('ip', ['link', 'set', 'dev', strayBridge, 'alias', `kapal ${table}`]);
  execFileSync('nft', ['add', 'rule', 'inet', table, 'ports', 'tcp', 'dport', '1', 'dnat', 'ip', 'to', '10.255.0.1:1']);
  writeFileSync(strayBlob, 'nobody wants me');

  const r = leakCheck(d);
  t.equal(r.code, 1, r.stderr);
  t.match(r.stderr, /^7 finding\(s\): kapald running/);
  const lines = r.stdout.split('\n').filter(Boolean).sort();
  for (const want of [
    `blob ${strayBlob}: no image references it`,
    `bridge ${strayBridge}: belongs to no network`,
    `cgroup ${strayCgroup}: belongs to no container`,
    `directory ${strayData}: belongs to no container`,
    `directory ${strayState}: state of container ${done.slice(0, 12)}, which is exited`,
    `mount ${strayMount}: no running container needs it`,
    'nft dnat tcp :1 -> 10.255.0.1:1: belongs to no published port',
  ]) t.ok(lines.includes(want), want);

  // A container whose shim is killed while kapald is down: pending, not a leak, until kapald runs.
  t.equal(d.proc.kill('SIGKILL'), true);
  await d.exited;
  const shim = Number(readFileSync(path.join(d.execRoot, 'containers', plain, 'shim.pid'), 'utf8'));
  process.kill(shim, 'SIGKILL');
  await waitFor(() => spawnSync('kill', ['-0', String(shim)]).status !== 0, 5000, 'the shim to go');

  for (const f of undo.reverse()) f();
  undo.length = 0;
  rmSync(strayData, { recursive: true });
  rmSync(strayState, { recursive: true });
  rmdirSync(strayMount);
  rmSync(strayBlob);
  execFileSync('nft', ['flush', 'chain', 'inet', table, 'ports']);
  const down = leakCheck(d);
  // The flushed chain lost the web container's rule too: the check says so.
  t.match(down.stdout, /^nft dnat tcp :\d+ -> [\d.]+:80: is missing\n$/);
  t.match(down.stderr, /kapald not running; .*1 exit\(s\) to record at kapald's next start/);

  // kapald's start records the exit and applies its rules again: nothing left.
  const again = spawnDaemon(t, 'leaks-found-again', { dir: d.dir, cgroupParent: d.cgroupParent });
  await waitForPing(again);
  await waitFor(async () => (await inspect(again, plain)).State.Status === 'exited', 10_000, 'the exit to be recorded');
  await waitFor(() => leakCheck(again).code === 0, 10_000, 'a clean check');
  t.same(leakCheck(again), { code: 0, stdout: '', stderr: leakCheck(again).stderr });
});

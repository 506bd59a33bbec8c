// The soak test (npm run soak [-- MINUTES], 10 by default; not part of the default test run):
// 20 clients drive a real kapald without pause — create, start, stop, kill, remove, run with --rm,
// exec, list, inspect, volumes, networks, tags — while kapald is killed with SIGKILL at random
// moments (every 2 to 12 s) and started again. At the end every container whose create was
// answered and that no client tried to remove must still be there, every container must inspect
// and be removable, names must be unique, the database must pass its integrity check, and
// kapal-leak-check must find nothing, before and after everything is removed.

import { readFileSync, writeFileSync } from 'node:fs';
import { ContainerStore } from '../../src/store/container-store.js';
import { openDatabaseReadOnly } from '../../src/store/database.js';
import { loadBusybox } from '../helpers/containers.js';
import { spawnDaemon, waitForPing, type TestDaemon } from '../helpers/daemon.js';
import { leakCheck } from '../helpers/leak-check.js';

const MINUTES = Number(process.argv[2] ?? process.env['SOAK_MINUTES'] ?? 10);
const CLIENTS = 20;
const json = { 'Content-Type': 'application/json' };

// The test helpers want tap's teardown; this collects the same clean-ups and runs them at the end.
const teardowns: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
const failures: string[] = [];
const fail = (what: string) => {
  failures.push(what);
  console.error(`FAIL ${what}`);
};

const forwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
let daemon: TestDaemon;
const first = spawnDaemon(t, 'soak');
await waitForPing(first);
await loadBusybox(t, first);
daemon = first;
const start = (dir: string) => spawnDaemon(t, 'soak', { dir, cgroupParent: first.cgroupParent });

const rnd = (n: number) => Math.floor(Math.random() * n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const deadline = Date.now() + MINUTES * 60_000;

/** Containers whose create was answered 201 and that no client has tried to remove since. */
const mustExist = new Set<string>();
const ops = new Map<string, { ok: number; refused: number; cut: number }>();
function count(op: string, outcome: 'ok' | 'refused' | 'cut') {
  const c = ops.get(op) ?? { ok: 0, refused: 0, cut: 0 };
  c[outcome]++;
  ops.set(op, c);
}

async function call(op: string, method: string, url: string, body?: unknown): Promise<{ status: number; json(): any } | undefined> {
  try {
    const res = await daemon.request(method, url, body === undefined ? {} : { body: JSON.stringify(body), headers: json });
    if (res.status >= 500) fail(`${op}: ${method} ${url} answered ${res.status} ${res.text}`);
    count(op, res.status < 300 ? 'ok' : 'refused');
    return res;
  } catch {
    count(op, 'cut'); // kapald was killed under it, or is not back yet
    await sleep(100);
    return undefined;
  }
}

async function client(n: number): Promise<void> {
  let seq = 0;
  while (Date.now() < deadline) {
    const name = `soak-${n}-${seq++}`;
    switch (rnd(8)) {
      case 0:
      case 1: {
        // A whole life: create, start, stop or kill, remove; one in four is kept, never removed.
        const keep = rnd(4) === 0;
        const created = await call('create', 'POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'], HostConfig: { Binds: [`soakvol-${n % 4}:/v`] } });
        if (created?.status !== 201) break;
        const id = created.json().Id as string;
        mustExist.add(id);
        await call('start', 'POST', `/containers/${id}/start`);
        await call('exec', 'POST', `/containers/${id}/exec`, { Cmd: ['true'] });
        await call(rnd(2) ? 'stop' : 'kill', 'POST', `/containers/${id}/${rnd(2) ? 'stop?t=2' : 'kill'}`);
        if (keep) break;
        mustExist.delete(id);
        await call('remove', 'DELETE', `/containers/${id}?force=1`);
        break;
      }
      case 2: {
        // docker run --rm of a short command.
        const created = await call('create', 'POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true } });
        if (created?.status !== 201) break;
        await call('start', 'POST', `/containers/${created.json().Id}/start`);
        await call('wait', 'POST', `/containers/${created.json().Id}/wait?condition=removed`);
        break;
      }
      case 3:
        await call('list', 'GET', '/containers/json?all=1');
        break;
      case 4: {
        const list = await call('list', 'GET', '/containers/json?all=1');
        const all = (list?.json() ?? []) as { Id: string }[];
        if (all.length > 0) await call('inspect', 'GET', `/containers/${all[rnd(all.length)]!.Id}/json`);
        break;
      }
      case 5:
        await call('tag', 'POST', `/images/busybox/tag?repo=soak${n}&tag=v${seq % 3}`);
        await call('untag', 'DELETE', `/images/soak${n}:v${(seq + 1) % 3}`);
        break;
      case 6:
        await call('volume', 'POST', '/volumes/create', { Name: `soak-v-${n}` });
        await call('volume rm', 'DELETE', `/volumes/soak-v-${n}`);
        break;
      case 7:
        await call('network', 'POST', '/networks/create', { Name: `soaknet-${n}` });
        await call('network rm', 'DELETE', `/networks/soaknet-${n}`);
        break;
    }
  }
}

async function killer(): Promise<number> {
  let kills = 0;
  while (Date.now() < deadline - 5000) {
    await sleep(2000 + rnd(10_000));
    if (Date.now() >= deadline - 5000) break;
    daemon.proc.kill('SIGKILL');
    await daemon.exited;
    kills++;
    const next = start(first.dir);
    await waitForPing(next, 30_000);
    daemon = next;
  }
  return kills;
}

const began = Date.now();
console.error(`soak: ${CLIENTS} clients for ${MINUTES} min, kapald killed every 2-12 s`);
const [kills] = await Promise.all([killer(), ...Array.from({ length: CLIENTS }, (_, n) => client(n))]);

// Converged: every answered create not since removed is there; everything inspects and goes.
const listed = ((await daemon.request('GET', '/containers/json?all=1')).json() as { Id: string; Names: string[] }[]);
const names = listed.map((c) => c.Names[0]);
if (new Set(names).size !== names.length) fail(`duplicate names: ${names.join(' ')}`);
const ids = new Set(listed.map((c) => c.Id));
for (const id of mustExist) if (!ids.has(id)) fail(`container ${id} was created (201) and never removed, but is gone`);
let check = leakCheck(daemon);
for (let i = 0; i < 50 && check.code !== 0; i++) {
  await sleep(200);
  check = leakCheck(daemon);
}
if (check.code !== 0) fail(`leak check with ${listed.length} containers: ${check.stdout}${check.stderr}`);
for (const c of listed) {
  const inspected = await daemon.request('GET', `/containers/${c.Id}/json`);
  if (inspected.status !== 200) fail(`inspect ${c.Id}: ${inspected.status}`);
  const removed = await daemon.request('DELETE', `/containers/${c.Id}?force=1&v=1`);
  if (removed.status !== 204) fail(`remove ${c.Id}: ${removed.status} ${removed.text}`);
}
check = leakCheck(daemon);
if (check.code !== 0) fail(`leak check after removing everything: ${check.stdout}${check.stderr}`);
daemon.proc.kill('SIGTERM');
await daemon.exited;
const db = openDatabaseReadOnly(`${first.dataRoot}/kapal.db`);
const integrity = db.pragma('integrity_check') as { integrity_check: string }[];
if (integrity[0]?.integrity_check !== 'ok') fail(`integrity_check: ${JSON.stringify(integrity)}`);
const left = new ContainerStore(db).list().length;
db.close();
if (left !== 0) fail(`${left} containers still in the database`);

for (const fn of teardowns.reverse()) {
  try {
    await fn();
  } catch (err) {
    fail(`clean-up: ${(err as Error).message}`);
  }
}
writeFileSync('/proc/sys/net/ipv4/ip_forward', forwarding);

const total = [...ops.values()].reduce((n, c) => n + c.ok + c.refused + c.cut, 0);
console.log(`soak: ${((Date.now() - began) / 60_000).toFixed(1)} min, ${kills} kills of kapald, ${total} requests, ${listed.length} containers at the end, ${mustExist.size} of them required`);
console.log('| operation | ok | refused (4xx) | cut by a kill |\n|---|---|---|---|');
for (const [op, c] of [...ops.entries()].sort()) console.log(`| ${op} | ${c.ok} | ${c.refused} | ${c.cut} |`);
console.log(failures.length === 0 ? 'soak: PASS' : `soak: FAIL (${failures.length})`);
process.exit(failures.length === 0 ? 0 : 1);

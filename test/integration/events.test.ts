// GET /events against a real kapald running real containers: what a container's life and image
// operations report, in order and with moby's attributes; replay with since/until; filters; and
// events kept across a daemon restart, with the die of a container that exited meanwhile.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { makeTempDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, hijack, inspect, loadBusybox, waitFor } from '../helpers/containers.js';
import { actions, eventsQuery, openEvents, replay, unixNow, type Event } from '../helpers/events.js';
import { registryMissing, startRegistry } from '../helpers/registry.js';

const unique = (prefix: string) => `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

async function daemon(t: Test, name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

const of = (id: string) => (e: Event) => e.Actor.ID === id;

t.test('a container\'s life reports create, attach, start, die and destroy, in that order, with moby\'s fields', async (t) => {
  const d = await daemon(t, 'events-life');
  const live = await openEvents(d, eventsQuery({ filters: { type: { container: true } } }));
  t.equal(live.status, 200);
  t.equal(live.contentType, 'application/json', 'headers went out before any event');
  const name = unique('life');
  const id = await create(d, { Cmd: ['sh', '-c', 'echo hi; exit 3'], Labels: { 'com.example.tier': 'front' } }, name);
  const attach = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdout=1&stderr=1`);
  t.equal(attach.status, 101);
  t.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  await attach.ended;
  await live.until((es) => es.some((e) => e.Action === 'die'));
  t.equal((await d.request('DELETE', `/containers/${id}`)).status, 204);
  const events = (await live.until((es) => es.some((e) => e.Action === 'destroy'))).filter(of(id));
  live.close();
  t.same(actions(events), ['create', 'attach', 'start', 'die', 'destroy']);
  const attrs = { 'com.example.tier': 'front', image: 'busybox', name };
  for (const e of events) {
    t.match(e, { status: e.Action, id, from: 'busybox', Type: 'container', scope: 'local', Actor: { ID: id, Attributes: attrs } }, e.Action);
    const nanos = /"timeNano":(\d+)\}$/.exec(e.raw)?.[1];
    t.ok(nanos && nanos.length === 19, `timeNano is exact unix nanoseconds (${nanos})`);
    t.equal(String(e.time), nanos!.slice(0, 10), 'time is its seconds');
  }
  t.same(Object.keys(events[3]!.Actor.Attributes).sort(), ['com.example.tier', 'execDuration', 'exitCode', 'image', 'name']);
  t.match(events[3]!.Actor.Attributes, { ...attrs, exitCode: '3', execDuration: /^\d+$/ }, 'die carries the exit code and the run time');
  t.ok(events.every((e, i) => i === 0 || BigInt(/"timeNano":(\d+)/.exec(e.raw)![1]!) > BigInt(/"timeNano":(\d+)/.exec(events[i - 1]!.raw)![1]!)), 'times increase');
  t.ok(/^\{"status":"create","id":"[0-9a-f]{64}","from":"busybox","Type":"container","Action":"create","Actor":\{"ID":"[0-9a-f]{64}","Attributes":\{"com\.example\.tier":"front","image":"busybox","name":"[^"]+"\}\},"scope":"local","time":\d+,"timeNano":\d+\}$/.test(events[0]!.raw), 'Docker\'s field order');
});

t.test('kill, stop, pause, unpause, rename, resize, restart and rm -f report moby\'s sequence and attributes', async (t) => {
  const d = await daemon(t, 'events-signals');
  const since = unixNow();
  const name = unique('sig');
  const id = await create(d, { Cmd: ['sleep', '1000'], Tty: true, StopTimeout: 1 }, name);
  const ok = async (method: string, url: string, status: number) => t.equal((await d.request(method, url)).status, status, `${method} ${url}`);
  await ok('POST', `/containers/${id}/start`, 204);
  await ok('POST', `/containers/${id}/pause`, 204);
  await ok('POST', `/containers/${id}/unpause`, 204);
  await ok('POST', `/containers/${id}/rename?name=${name}-2`, 204);
  await ok('POST', `/containers/${id}/resize?h=40&w=120`, 200);
  await ok('POST', `/containers/${id}/kill?signal=USR1`, 204); // pid 1 without a handler: ignored
  await ok('POST', `/containers/${id}/stop`, 204); // sleep ignores SIGTERM as pid 1: SIGKILL after 1 s
  await ok('POST', `/containers/${id}/restart?t=0`, 204);
  await ok('DELETE', `/containers/${id}?force=1`, 204);
  const events = (await replay(d, { since, until: unixNow() })).filter(of(id));
  t.same(actions(events), [
    'create', 'start', 'pause', 'unpause', 'rename', 'resize', 'kill',
    'kill', 'kill', 'die', 'stop', // stop: the stop signal, then SIGKILL
    'start', 'restart',
    'kill', 'die', 'destroy',
  ]);
  const attr = (i: number) => events[i]!.Actor.Attributes;
  t.equal(attr(0)!.name, name);
  t.match(attr(4), { oldName: `/${name}`, name: `${name}-2` }, 'rename: the old name with its slash, as moby');
  t.match(attr(5), { height: '40', width: '120' });
  t.match(attr(6), { signal: '10' });
  t.match(attr(7), { signal: '15' });
  t.match(attr(8), { signal: '9' });
  t.match(attr(9), { exitCode: '137' });
  t.match(attr(13), { signal: '9' });
  t.match(attr(14), { exitCode: '137' });
  t.equal(attr(15).name, `${name}-2`);
});

t.test('since and until replay what happened; filters pick events; bad parameters are 400s', async (t) => {
  const d = await daemon(t, 'events-replay');
  const before = unixNow(-1);
  const a = await create(d, { Cmd: ['true'], Labels: { team: 'a' } }, unique('a'));
  const middle = unixNow();
  await new Promise((r) => setTimeout(r, 20));
  const b = await create(d, { Cmd: ['true'], Labels: { team: 'b' } }, unique('b'));
  const now = unixNow(1);

  const all = await replay(d, { since: before, until: now });
  t.same(all.filter((e) => e.Type === 'container').map((e) => e.Actor.ID), [a, b]);
  t.same((await replay(d, { since: middle, until: now })).map((e) => e.Actor.ID), [b], 'since leaves out what came before');
  t.same((await replay(d, { since: before, until: middle })).filter((e) => e.Type === 'container').map((e) => e.Actor.ID), [a], 'until leaves out what came after');
  t.same((await replay(d, { until: now })).filter((e) => e.Type === 'container').map((e) => e.Actor.ID), [a, b], 'until alone replays from the start');
  const rfc = new Date(Date.now() + 1000).toISOString();
  t.equal((await replay(d, { since: '2000-01-01T00:00:00Z', until: rfc })).filter((e) => e.Type === 'container').length, 2, 'RFC 3339 times');

  const q = (filters: object) => replay(d, { since: before, until: now, filters });
  t.same((await q({ type: ['image'] })).map((e) => `${e.Type} ${e.Action}`), ['image load'], 'list form');
  t.same((await q({ type: { container: true } })).map((e) => e.Actor.ID), [a, b], 'map form');
  t.same((await q({ container: [b.slice(0, 12)] })).map((e) => e.Actor.ID), [b], 'container by ID prefix');
  t.same((await q({ label: ['team=a'] })).map((e) => e.Actor.ID), [a]);
  t.same((await q({ image: ['busybox'], event: ['create'] })).map((e) => e.Actor.ID), [a, b]);
  t.same(await q({ event: ['die'] }), []);

  const unknown = await d.request('GET', eventsQuery({ filters: { colour: ['red'] } }));
  t.equal(unknown.status, 400);
  t.same(unknown.json(), { message: "invalid filter 'colour'" });
  const badTime = await d.request('GET', '/events?since=yesterday');
  t.equal(badTime.status, 400);
  t.same(badTime.json(), { message: 'invalid value for since: yesterday' });
  const backwards = await d.request('GET', '/events?since=200&until=100');
  t.equal(backwards.status, 400);
  t.match(backwards.json().message, /^`since` time \(200\.000000000\) cannot be after `until` time \(100\.000000000\)$/);

  // A future until: replay, then live events, then the end when until comes.
  const live = await openEvents(d, eventsQuery({ since: before, until: unixNow(2), filters: { type: ['container'] } }));
  await live.until((es) => es.length === 2);
  const c = await create(d, { Cmd: ['true'] }, unique('c'));
  await live.until((es) => es.length === 3);
  const started = Date.now();
  await live.ended;
  t.ok(Date.now() - started < 3000, 'the stream ended at until');
  t.same(live.events.map((e) => e.Actor.ID), [a, b, c]);
});

t.test('a client that goes away is unsubscribed; the daemon goes on publishing', async (t) => {
  const d = await daemon(t, 'events-gone');
  const listeners = async () => (await d.request('GET', '/info')).json().NEventsListener as number;
  const first = await openEvents(d, '/events');
  t.equal(await listeners(), 1, 'docker info counts the open stream');
  first.close();
  await first.ended;
  await waitFor(async () => (await listeners()) === 0, 5000, 'the subscription to end');
  const second = await openEvents(d, '/events');
  const id = await create(d, { Cmd: ['true'] }, unique('gone'));
  await second.until((es) => es.some((e) => e.Actor.ID === id));
  second.close();
  t.equal((await inspect(d, id)).Id, id);
});

t.test('kapald stopping ends open event streams at once and exits cleanly', async (t) => {
  const d = await startDaemon(t, 'events-shutdown');
  const live = await openEvents(d, '/events');
  const started = Date.now();
  t.equal(await d.stop('SIGTERM'), 0);
  await live.ended;
  t.ok(Date.now() - started < 1500, `within the shutdown grace period (${Date.now() - started} ms)`);
});

t.test('events survive a daemon restart, and a container that exited while kapald was away reports its die once', async (t) => {
  const first = await daemon(t, 'events-restart');
  const since = unixNow(-1);
  const name = unique('away');
  const id = await create(first, { Cmd: ['sh', '-c', 'sleep 1; exit 7'] }, name);
  t.equal((await first.request('POST', `/containers/${id}/start`)).status, 204);
  await first.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 1500)); // the container exits while no kapald runs

  const second = await startDaemon(t, 'events-restart', { dir: first.dir });
  t.match((await inspect(second, id)).State, { Status: 'exited', ExitCode: 7 });
  const after = (await replay(second, { since, until: unixNow() })).filter(of(id));
  t.same(actions(after), ['create', 'start', 'die'], 'events from before the restart, and the die found at start');
  t.match(after[2]!.Actor.Attributes, { exitCode: '7', name });
  await second.stop('SIGTERM');

  const third = await startDaemon(t, 'events-restart', { dir: first.dir });
  t.same(actions((await replay(third, { since, until: unixNow() })).filter(of(id))), ['create', 'start', 'die'], 'the die is not reported again');
});

t.test('image events: load, tag, untag, save, import and delete, named as moby names them', async (t) => {
  const d = await startDaemon(t, 'events-images');
  const since = unixNow(-1);
  const fixture = await loadBusybox(t, d);
  const repo = unique('evt');
  t.equal((await d.request('POST', `/images/busybox/tag?repo=${repo}/bb&tag=v1`)).status, 201);
  t.equal((await d.request('DELETE', `/images/${repo}/bb:v1`)).status, 200);
  t.equal((await d.request('GET', '/images/get?names=busybox')).status, 200);

  const dir = makeTempDir(t, 'events-import');
  mkdirSync(path.join(dir, 'root'));
  writeFileSync(path.join(dir, 'root', 'hello'), 'hi\n');
  execFileSync('tar', ['-cf', path.join(dir, 'root.tar'), '-C', path.join(dir, 'root'), '.']);
  const imported = await d.request('POST', `/images/create?fromSrc=-&repo=${repo}/imp%3A1`, { body: readFileSync(path.join(dir, 'root.tar')), headers: { 'Content-Type': 'application/x-tar' } });
  t.equal(imported.status, 200, imported.text);
  const importedId = JSON.parse(imported.text.trim().split('\n').pop()!).status as string;
  t.equal((await d.request('DELETE', `/images/${repo}/imp:1`)).status, 200);

  const events = (await replay(d, { since, until: unixNow(), filters: { type: ['image'] } })).map((e) => [e.Action, e.Actor.ID, e.Actor.Attributes.name]);
  t.same(events, [
    ['load', fixture.id, fixture.id],
    ['tag', fixture.id, `${repo}/bb:v1`],
    ['untag', fixture.id, fixture.id],
    ['save', fixture.id, fixture.id],
    ['tag', importedId, `${repo}/imp:1`],
    ['import', importedId, importedId],
    ['untag', importedId, importedId],
    ['delete', importedId, importedId],
  ]);
  const [tag] = await replay(d, { since, until: unixNow(), filters: { event: ['tag'], image: [`${repo}/bb`] } });
  t.match(tag, { status: 'tag', id: fixture.id, Type: 'image', scope: 'local' });
  t.notOk(tag && 'from' in tag, 'image events have no from');
});

t.test('push and pull report one event each, named by the reference as moby names them', { skip: registryMissing() ?? false }, async (t) => {
  const registry = await startRegistry(t);
  const a = await daemon(t, 'events-push');
  const since = unixNow(-1);
  const name = `${registry.host}/ev/busybox`;
  t.equal((await a.request('POST', `/images/busybox/tag?repo=${encodeURIComponent(name)}&tag=1`)).status, 201);
  t.equal((await a.request('POST', `/images/${name}/push?tag=1`, { headers: { 'X-Registry-Auth': 'e30=' } })).status, 200);
  const pushes = await replay(a, { since, until: unixNow(), filters: { event: ['push'] } });
  t.same(pushes.map((e) => [e.Type, e.Action, e.Actor.ID, e.Actor.Attributes.name]), [['image', 'push', `${name}:1`, name]]);

  const b = await startDaemon(t, 'events-pull');
  const pulled = await b.request('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=1`);
  t.equal(pulled.status, 200);
  const pulls = await replay(b, { since, until: unixNow(), filters: { type: ['image'] } });
  t.same(pulls.map((e) => [e.Action, e.Actor.ID, e.Actor.Attributes.name]), [['pull', `${name}:1`, name]], 'a pull, and no tag event for the names it brought');
});

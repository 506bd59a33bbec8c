// The events table: order, nanosecond times kept exactly, the newest N kept and seqs never
// reused after a trim or a reopen; and the event service's replay-then-live subscription.

import path from 'node:path';
import t, { type Test } from 'tap';
import { EventStore } from '../../src/store/event-store.js';
import { EventService, eventJson, type EventMessage } from '../../src/service/events.js';
import { openDatabase } from '../../src/store/database.js';
import { makeTempDir } from '../helpers/daemon.js';

const silent = { warn: () => {} };

function openStore(t: Test, keep?: number) {
  const file = path.join(makeTempDir(t, 'events'), 'kapal.db');
  const db = openDatabase(file);
  t.teardown(() => db.close());
  return { db, file, store: new EventStore(db, keep) };
}

const ev = (n: number, timeNano = 1_764_430_000_000_000_000n + BigInt(n)) => ({
  type: 'container' as const,
  action: `a${n}`,
  actorId: `id${n}`,
  attributes: { n: String(n) },
  timeNano,
});

t.test('the store keeps only the newest `keep` events and trims as it appends', async (t) => {
  const { store } = openStore(t, 5);
  const seqs = Array.from({ length: 12 }, (_, i) => store.append(ev(i)).seq);
  t.same(seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'seq counts up');
  t.equal(store.count(), 5);
  const kept = store.between(0n, 2n ** 63n - 1n);
  t.same(kept.map((e) => e.action), ['a7', 'a8', 'a9', 'a10', 'a11'], 'the newest five, oldest first');
  t.same(kept.map((e) => e.seq), [8, 9, 10, 11, 12]);
  t.same(kept[0]!.attributes, { n: '7' });
});

t.test('seqs are never reused after a trim, and survive reopening the database', async (t) => {
  const dir = makeTempDir(t, 'events-reopen');
  const file = path.join(dir, 'kapal.db');
  const db1 = openDatabase(file);
  const first = new EventStore(db1, 2);
  for (let i = 0; i < 4; i++) first.append(ev(i));
  db1.close();
  const db2 = openDatabase(file);
  t.teardown(() => db2.close());
  const second = new EventStore(db2, 2);
  t.equal(second.lastSeq(), 4);
  t.equal(second.append(ev(9)).seq, 5, 'the next seq follows the last one ever given');
  t.same(second.between(0n, 2n ** 63n - 1n).map((e) => e.action), ['a3', 'a9']);
});

t.test('times are nanoseconds kept exactly, and between() is inclusive at both ends', async (t) => {
  const { store } = openStore(t);
  const base = 1_764_430_000_123_456_789n; // beyond 2^53: a double would round it
  for (let i = 0; i < 5; i++) store.append(ev(i, base + BigInt(i)));
  const got = store.between(base + 1n, base + 3n);
  t.same(got.map((e) => e.timeNano), [base + 1n, base + 2n, base + 3n]);
  t.same(got.map((e) => e.action), ['a1', 'a2', 'a3']);
});

t.test('a store that keeps no events is refused', async (t) => {
  const { db } = openStore(t);
  t.throws(() => new EventStore(db, 0), /positive integer/);
});

t.test('events as Docker sends them: legacy fields for containers and images, sorted attributes, timeNano exact', async (t) => {
  const { store } = openStore(t);
  let now = 1_764_430_000_123_456_789n;
  const events = new EventService({ store, log: silent, clock: () => now++ });
  const got: EventMessage[] = [];
  const sub = events.subscribe({ filters: new Map() }, (m) => got.push(m));
  events.container({ id: 'c'.repeat(64), name: '/web', imageName: 'busybox', config: { Image: 'busybox', Labels: { zz: '1', name: 'label-loses' } } as never }, 'die', { exitCode: '3' });
  events.image('sha256:abc', 'busybox:latest', 'tag');
  events.publish('network', 'create', 'n1', { name: 'net' });
  sub.close();
  t.equal(
    eventJson(got[0]!),
    `{"status":"die","id":"${'c'.repeat(64)}","from":"busybox","Type":"container","Action":"die","Actor":{"ID":"${'c'.repeat(64)}","Attributes":{"exitCode":"3","image":"busybox","name":"web","zz":"1"}},"scope":"local","time":1764430000,"timeNano":1764430000123456789}\n`,
  );
  t.equal(
    eventJson(got[1]!),
    '{"status":"tag","id":"sha256:abc","Type":"image","Action":"tag","Actor":{"ID":"sha256:abc","Attributes":{"name":"busybox:latest"}},"scope":"local","time":1764430000,"timeNano":1764430000123456790}\n',
  );
  t.notOk('status' in got[2]!, 'other types carry no legacy fields');
});

t.test('subscribe replays what is stored in [since, until], then live events, each once', async (t) => {
  const { store } = openStore(t);
  let now = 1_000n * 1_000_000_000n;
  const events = new EventService({ store, log: silent, clock: () => (now += 1_000_000_000n) });
  for (const a of ['one', 'two', 'three']) events.publish('container', a, 'x');
  // one at 1001 s, two at 1002 s, three at 1003 s
  const got: string[] = [];
  const sub = events.subscribe({ filters: new Map(), since: 1002n * 1_000_000_000n }, (m) => got.push(m.Action));
  t.same(got, ['two', 'three'], 'replayed from since');
  events.publish('container', 'four', 'x');
  t.same(got, ['two', 'three', 'four'], 'then live, nothing twice');
  sub.close();
  events.publish('container', 'five', 'x');
  t.same(got, ['two', 'three', 'four'], 'nothing after close');
  await sub.ended;

  const past: string[] = [];
  const until = events.subscribe({ filters: new Map(), until: 1002n * 1_000_000_000n }, (m) => past.push(m.Action));
  await until.ended; // an until in the past ends at once, after the replay
  t.same(past, ['one', 'two']);

  const filtered: string[] = [];
  const f = events.subscribe({ filters: new Map([['event', ['four', 'five']]]), since: 0n, until: now }, (m) => filtered.push(m.Action));
  await f.ended;
  t.same(filtered, ['four', 'five']);
});

t.test('a live subscription with a future until ends by itself; close() ends every subscription', async (t) => {
  const { store } = openStore(t);
  const events = new EventService({ store, log: silent });
  const got: string[] = [];
  const sub = events.subscribe({ filters: new Map(), until: events.now() + 300_000_000n }, (m) => got.push(m.Action));
  events.publish('container', 'inside', 'x');
  const started = Date.now();
  await sub.ended;
  t.ok(Date.now() - started >= 250, 'ended when until came');
  events.publish('container', 'after', 'x');
  t.same(got, ['inside']);
  const forever = events.subscribe({ filters: new Map() }, () => {});
  events.close();
  await forever.ended;
  t.pass('close() ended the open subscription');
});

t.test('since after until, and unknown filter keys, are refused before anything is sent', async (t) => {
  const { store } = openStore(t);
  const events = new EventService({ store, log: silent });
  t.throws(() => events.subscribe({ filters: new Map(), since: 2_000_000_000n, until: 1_000_000_000n }, () => {}), {
    message: '`since` time (2.000000000) cannot be after `until` time (1.000000000)',
    kind: 'InvalidArgument',
  });
  t.throws(() => events.subscribe({ filters: new Map([['colour', ['red']]]) }, () => {}), { message: "invalid filter 'colour'", kind: 'InvalidArgument' });
});

t.test('an event the store cannot record is logged, not thrown at the caller whose change is already made', async (t) => {
  const file = path.join(makeTempDir(t, 'events-broken'), 'kapal.db');
  const db = openDatabase(file);
  const warned: string[] = [];
  const events = new EventService({ store: new EventStore(db), log: { warn: (_o, msg) => warned.push(msg) } });
  const got: string[] = [];
  const sub = events.subscribe({ filters: new Map() }, (m) => got.push(m.Action));
  db.close();
  t.doesNotThrow(() => events.publish('container', 'start', 'x'));
  t.same(warned, ['an event could not be recorded; it is lost']);
  t.same(got, [], 'subscribers only hear of recorded events');
  sub.close();
});

t.test('an event published while a subscriber replays comes after the replay, in order, once', async (t) => {
  const { store } = openStore(t);
  const events = new EventService({ store, log: silent });
  const since = events.now();
  for (const a of ['one', 'two', 'three']) events.publish('container', a, 'x');
  const got: string[] = [];
  const sub = events.subscribe({ filters: new Map(), since }, (m) => {
    got.push(m.Action);
    // A subscriber's own reaction (here: at the first replayed event) publishes meanwhile.
    if (m.Action === 'one') events.publish('container', 'four', 'x');
  });
  events.publish('container', 'five', 'x');
  sub.close();
  t.same(got, ['one', 'two', 'three', 'four', 'five']);
});

t.test('events published while held ones go out queue behind them', async (t) => {
  const { store } = openStore(t);
  const events = new EventService({ store, log: silent });
  const since = events.now();
  events.publish('container', 'one', 'x');
  const got: string[] = [];
  const sub = events.subscribe({ filters: new Map(), since }, (m) => {
    got.push(m.Action);
    if (m.Action === 'one') events.publish('container', 'two', 'x'); // held during the replay
    if (m.Action === 'two') events.publish('container', 'four', 'x'); // published while held ones drain
    if (m.Action === 'one') events.publish('container', 'three', 'x');
  });
  sub.close();
  t.same(got, ['one', 'two', 'three', 'four']);
});

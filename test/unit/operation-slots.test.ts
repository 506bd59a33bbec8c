// The bound on concurrent pulls and loads: at most `size` run, the rest wait first come first
// served, and a waiter whose client went away leaves the queue without running.

import t from 'tap';
import { OperationSlots, type QueuePosition } from '../../src/service/operation-slots.js';

/** An operation the test ends when it likes. */
function held(): { run: () => Promise<string>; started: boolean; finish: (v: string) => void; fail: (e: Error) => void } {
  let finish!: (v: string) => void;
  let fail!: (e: Error) => void;
  const op = {
    started: false,
    finish: (v: string) => finish(v),
    fail: (e: Error) => fail(e),
    run: () => {
      op.started = true;
      return new Promise<string>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
    },
  };
  return op;
}

const tick = () => new Promise((r) => setImmediate(r));

t.test('at most size operations run; the rest wait their turn in order', async (t) => {
  const slots = new OperationSlots(2, 'max-concurrent-loads');
  const ops = [held(), held(), held(), held()];
  const queued: QueuePosition[] = [];
  let admitted = 0;
  const results = ops.map((op) => slots.run(op.run, { onQueued: (q) => queued.push(q), onAdmitted: () => admitted++ }));
  await tick();
  t.same(ops.map((o) => o.started), [true, true, false, false]);
  t.same([slots.running, slots.waiting], [2, 2]);
  t.same(queued, [{ ahead: 0, size: 2, name: 'max-concurrent-loads' }, { ahead: 1, size: 2, name: 'max-concurrent-loads' }], 'each waiter hears where it stands');
  ops[1]!.finish('b');
  await tick();
  t.same(ops.map((o) => o.started), [true, true, true, false], 'the first waiter goes next');
  t.equal(admitted, 1);
  ops[0]!.fail(new Error('broken'));
  await t.rejects(results[0]!, /broken/);
  await tick();
  t.equal(ops[3]!.started, true, 'a failed operation frees its slot too');
  ops[2]!.finish('c');
  ops[3]!.finish('d');
  t.same(await Promise.all(results.slice(1)), ['b', 'c', 'd']);
  t.same([slots.running, slots.waiting], [0, 0]);
});

t.test('a waiter whose signal aborts leaves the queue and never runs', async (t) => {
  const slots = new OperationSlots(1, 'max-concurrent-pulls');
  const first = held();
  const gone = held();
  const next = held();
  const running = slots.run(first.run);
  const client = new AbortController();
  const abandoned = slots.run(gone.run, { signal: client.signal });
  const waiting = slots.run(next.run, { onQueued: (q) => t.equal(q.ahead, 1) });
  await tick();
  t.equal(slots.waiting, 2);
  client.abort();
  await t.rejects(abandoned, /went away/);
  t.equal(slots.waiting, 1, 'it left the queue at once');
  first.finish('a');
  await running;
  await tick();
  t.equal(gone.started, false, 'it never ran');
  t.equal(next.started, true, 'the next waiter got the slot');
  next.finish('n');
  t.equal(await waiting, 'n');
  t.rejects(slots.run(held().run, { signal: AbortSignal.abort() }), /went away/, 'already aborted: never queued');
  t.equal(slots.running, 0);
});

t.test('the bound must be at least one', async (t) => {
  t.throws(() => new OperationSlots(0, 'max-concurrent-loads'), /max-concurrent-loads must be at least 1/);
});

// Crash safety: kapald is made to die (as kill -9 would kill it) at each failure point of create,
// start, stop, remove, exec and load (KAPAL_TEST_FAILPOINTS), then started again on the same
// directories. The state must converge: no container lost or half-made, no duplicate name, and
// kapal-leak-check finds no mount, cgroup, veth, nft rule, shim or directory left behind. Each
// container is then still usable (start, stop, remove) and the operation can be done again.

import t from 'tap';
import { FAILPOINTS, type Failpoint } from '../../src/service/failpoints.js';
import { openDatabaseReadOnly } from '../../src/store/database.js';
import { create, inspect, loadBusybox, waitFor } from '../helpers/containers.js';
import { spawnDaemon, startDaemon, waitForPing, type TestDaemon } from '../helpers/daemon.js';
import { buildFixtureImage } from '../helpers/images.js';
import { leakCheck } from '../helpers/leak-check.js';
import { freePort } from '../helpers/ports.js';

type T = Parameters<Parameters<typeof t.test>[1]>[0];

// Eleven daemons killed and restarted: more than the default three minutes on a loaded machine.
t.setTimeout(480_000);

const json = { 'Content-Type': 'application/json' };
const post = (d: TestDaemon, url: string, body?: unknown) => d.request('POST', url, body === undefined ? {} : { body: JSON.stringify(body), headers: json });

interface Case {
  /** What exists before the operation (done by a kapald without failure points). */
  setup?(d: TestDaemon): Promise<void>;
  /** The operation that reaches the failure point. */
  op(d: TestDaemon): Promise<unknown>;
  /** After the restart: what must hold besides a clean leak check. */
  after(t: T, d: TestDaemon): Promise<void>;
}

const victim = async (d: TestDaemon) => (await d.request('GET', '/containers/json?all=1&filters=' + encodeURIComponent(JSON.stringify({ name: ['^/victim$'] })))).json() as { Id: string; State: string }[];

/** A container on a user network with a published port, as the victim. */
async function createVictim(d: TestDaemon): Promise<string> {
  if ((await d.request('GET', '/networks/crashnet')).status === 404) await post(d, '/networks/create', { Name: 'crashnet' });
  const port = await freePort();
  return create(d, {
    Cmd: ['sh', '-c', 'trap "exit 3" TERM; while :; do sleep 1; done'], ExposedPorts: { '80/tcp': {} }, StopTimeout: 1,
    HostConfig: { NetworkMode: 'crashnet', PortBindings: { '80/tcp': [{ HostPort: String(port) }] }, Binds: ['crashvol:/v'] },
  }, 'victim');
}

/** The victim (if there is one) still works: it starts, runs, stops and goes. */
async function usable(t: T, d: TestDaemon): Promise<void> {
  const [v] = await victim(d);
  if (!v) return;
  if (v.State !== 'running') t.equal((await post(d, `/containers/${v.Id}/start`)).status, 204, 'it starts');
  t.equal((await inspect(d, v.Id)).State.Status, 'running');
  t.equal((await post(d, `/containers/${v.Id}/stop?t=1`)).status, 204, 'it stops');
  t.equal((await d.request('DELETE', `/containers/${v.Id}`)).status, 204, 'it is removed');
}

async function converged(t: T, d: TestDaemon): Promise<void> {
  let last = leakCheck(d);
  await waitFor(() => (last = leakCheck(d)).code === 0, 10_000, 'a clean leak check').catch(() => {});
  t.same([last.code, last.stdout], [0, ''], `kapal-leak-check: ${last.stderr}`);
  const names = ((await d.request('GET', '/containers/json?all=1')).json() as { Names: string[] }[]).map((c) => c.Names[0]);
  t.same(names, [...new Set(names)], 'no duplicate name');
}

const startOf = (d: TestDaemon) => async () => {
  const [v] = await victim(d);
  return post(d, `/containers/${v!.Id}/start`);
};

/** Setups: the victim created, or created and running. */
const victimCreated = async (d: TestDaemon) => void (await createVictim(d));
async function victimRunning(d: TestDaemon): Promise<void> {
  await createVictim(d);
  await startOf(d)();
}

/** A removal that began is finished by the next start, wherever it was cut. */
const REMOVAL: Case = {
  setup: victimCreated,
  async op(d) {
    const [v] = await victim(d);
    return d.request('DELETE', `/containers/${v!.Id}`);
  },
  async after(t, d) {
    t.same(await victim(d), [], 'a removal that began is finished at start');
    await createVictim(d);
    await usable(t, d);
  },
};

const CASES: Record<Failpoint, Case> = {
  'create.prepared': {
    op: createVictim,
    async after(t, d) {
      t.same(await victim(d), [], 'the container that was never committed is not there');
      await createVictim(d);
      await usable(t, d);
    },
  },
  'create.committed': {
    op: createVictim,
    async after(t, d) {
      t.equal((await victim(d)).length, 1, 'the committed container is there');
      t.equal((await post(d, '/containers/create?name=victim', { Image: 'busybox' })).status, 409, 'its name is taken');
      await usable(t, d);
    },
  },
  'start.network': { setup: victimCreated, op: (d) => startOf(d)(), after: usable },
  'start.launched': { setup: victimCreated, op: (d) => startOf(d)(), after: usable },
  'start.recorded': {
    setup: victimCreated,
    op: (d) => startOf(d)(),
    async after(t, d) {
      t.equal((await victim(d))[0]?.State, 'running', 'the started container is adopted');
      await usable(t, d);
    },
  },
  'stop.signalled': {
    setup: victimRunning,
    async op(d) {
      const [v] = await victim(d);
      return post(d, `/containers/${v!.Id}/stop?t=1`);
    },
    async after(t, d) {
      const [v] = await victim(d);
      // The signal was sent before kapald died; the exit came while it was down and is recorded now.
      await waitFor(async () => (await inspect(d, v!.Id)).State.Status === 'exited', 10_000, 'the stop to take effect');
      t.equal((await inspect(d, v!.Id)).State.ExitCode, 3, 'with the exit code the container gave');
      await usable(t, d);
    },
  },
  'remove.marked': REMOVAL,
  'remove.destroyed': REMOVAL,
  'exec.launched': {
    setup: victimRunning,
    async op(d) {
      const [v] = await victim(d);
      const exec = await post(d, `/containers/${v!.Id}/exec`, { Cmd: ['sleep', '30'] });
      return post(d, `/exec/${exec.json().Id}/start`, { Detach: true });
    },
    after: usable,
  },
  'image.unpacked': {
    op: (d) => loadBusybox(t, d),
    async after(t, d) {
      t.same((await d.request('GET', '/images/json')).json(), [], 'nothing registered');
      await loadBusybox(t, d);
      await createVictim(d);
      await usable(t, d);
    },
  },
  'image.registered': {
    op: (d) => loadBusybox(t, d),
    async after(t, d) {
      t.equal((await d.request('GET', '/images/busybox/json')).status, 200, 'the registered image is there');
      await createVictim(d);
      await usable(t, d);
    },
  },
};

t.test('every failure point has a case', async (t) => {
  t.same(Object.keys(CASES).sort(), [...FAILPOINTS].sort());
});

t.test('an unknown failure point stops kapald at start: a typo cannot make a test pass', async (t) => {
  const d = spawnDaemon(t, 'crash-typo', { env: { KAPAL_TEST_FAILPOINTS: 'create.nosuch' } });
  t.not(await d.exited, 0);
  t.match(d.output(), /unknown failure point "create.nosuch"/);
});

for (const point of FAILPOINTS) {
  t.test(`kapald killed at ${point}: the state converges at the next start`, async (t) => {
    const c = CASES[point];
    const image = !point.startsWith('image.');
    const first = await startDaemon(t, `crash-${point.replace('.', '-')}`);
    if (image) await loadBusybox(t, first);
    await c.setup?.(first);
    await first.stop();

    const dying = spawnDaemon(t, 'crash', { dir: first.dir, cgroupParent: first.cgroupParent, env: { KAPAL_TEST_FAILPOINTS: point } });
    await waitForPing(dying);
    const outcome = await c.op(dying).then(() => 'answered', (err: Error) => err.message);
    t.equal(await dying.exited, 'SIGKILL', `kapald died at ${point} (the operation: ${outcome})`);
    t.match(dying.output(), `failure point ${point}`);

    const after = spawnDaemon(t, 'crash', { dir: first.dir, cgroupParent: first.cgroupParent });
    await waitForPing(after);
    await c.after(t, after);
    await converged(t, after);
    const db = openDatabaseReadOnly(`${after.dataRoot}/kapal.db`);
    t.same(db.pragma('integrity_check'), [{ integrity_check: 'ok' }], 'the database is intact');
    db.close();
  });
}

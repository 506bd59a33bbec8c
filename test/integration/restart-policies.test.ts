// Restart policies through a real kapald: on-failure:N counts its restarts with docker's backoff,
// always comes back after its process dies and after kapald restarts, a stop by the user is
// final until the next start (or, for always, kapald's next start), unless-stopped stays stopped.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, inspect, loadBusybox, waitFor } from '../helpers/containers.js';

const json = { 'Content-Type': 'application/json' };
const post = (d: TestDaemon, url: string, body?: unknown) => d.request('POST', url, body === undefined ? {} : { body: JSON.stringify(body), headers: json });

async function daemon(t: Parameters<Parameters<typeof t.test>[1]>[0], name: string, dir?: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name, dir ? { dir } : {});
  await loadBusybox(t, d);
  return d;
}

const started = async (d: TestDaemon, body: Record<string, unknown>) => {
  const id = await create(d, body);
  const res = await post(d, `/containers/${id}/start`);
  if (res.status !== 204) throw new Error(`start: ${res.status} ${res.text}`);
  return id;
};

t.test('on-failure:2 restarts a failing container twice, with docker\'s backoff, then leaves it exited', async (t) => {
  const d = await daemon(t, 'restart-onfailure');
  const since = Math.floor(Date.now() / 1000);
  const id = await started(d, { Cmd: ['sh', '-c', 'exit 3'], HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
  await waitFor(async () => {
    const doc = await inspect(d, id);
    return doc.State.Status === 'exited' && doc.RestartCount === 2;
  }, 10_000, 'two restarts, then exited');
  await new Promise((r) => setTimeout(r, 1000));
  const doc = await inspect(d, id);
  t.equal(doc.RestartCount, 2, 'no third restart');
  t.equal(doc.State.ExitCode, 3);
  const events = (await d.request('GET', `/events?since=${since}&until=${Math.ceil(Date.now() / 1000)}&filters=${encodeURIComponent(JSON.stringify({ container: [id] }))}`)).text.trim().split('\n').map((l) => JSON.parse(l).Action);
  t.same(events.filter((a: string) => a === 'start' || a === 'die'), ['start', 'die', 'start', 'die', 'start', 'die']);
  const ok = await started(d, { Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'on-failure' } } });
  await waitFor(async () => (await inspect(d, ok)).State.Status === 'exited', 5000, 'the exit');
  await new Promise((r) => setTimeout(r, 500));
  t.equal((await inspect(d, ok)).RestartCount, 0, 'exit 0 is not a failure');
});

t.test('always: restarted after its process dies, shown as restarting meanwhile; a stop is final; a start resets the count', async (t) => {
  const d = await daemon(t, 'restart-always');
  const id = await started(d, { Cmd: ['sh', '-c', 'sleep 0.3; exit 1'], HostConfig: { RestartPolicy: { Name: 'always' } } });
  const seen = new Set<string>();
  await waitFor(async () => {
    const doc = await inspect(d, id);
    seen.add(doc.State.Status);
    return doc.RestartCount >= 3;
  }, 15_000, 'three restarts');
  t.ok(seen.has('running'), 'seen running');
  const list = (await d.request('GET', '/containers/json?all=1')).json();
  t.match(list[0].Status, /^(Up|Restarting \(1\))/);
  t.equal((await post(d, `/containers/${id}/stop?t=1`)).status, 204);
  await new Promise((r) => setTimeout(r, 1500));
  const stopped = await inspect(d, id);
  t.equal(stopped.State.Status, 'exited', 'docker stop is final');
  const count = stopped.RestartCount;
  await new Promise((r) => setTimeout(r, 1000));
  t.equal((await inspect(d, id)).RestartCount, count);
  t.equal((await post(d, `/containers/${id}/start`)).status, 204);
  t.equal((await inspect(d, id)).RestartCount, 0, 'a start by the user resets RestartCount, as moby does');
  t.equal((await d.request('DELETE', `/containers/${id}?force=1`)).status, 204, 'removable, restarting or not');
});

t.test('across kapald restarts: a killed shim\'s always container comes back, a stopped unless-stopped one does not, a stopped always one does', async (t) => {
  const first = await daemon(t, 'restart-daemon');
  const always = await started(first, { Cmd: ['sleep', '1000'], HostConfig: { RestartPolicy: { Name: 'always' } } });
  const unless = await started(first, { Cmd: ['sleep', '1000'], HostConfig: { RestartPolicy: { Name: 'unless-stopped' } } });
  const stoppedAlways = await started(first, { Cmd: ['sleep', '1000'], HostConfig: { RestartPolicy: { Name: 'always' } } });
  t.equal((await post(first, `/containers/${unless}/stop?t=0`)).status, 204);
  t.equal((await post(first, `/containers/${stoppedAlways}/stop?t=0`)).status, 204);
  const pid = (await inspect(first, always)).State.Pid;
  first.proc.kill('SIGKILL');
  await first.exited;
  t.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0], 'sleep', 'the container outlives kapald');
  // Its shim killed while kapald is away: the container goes with it.
  const shimPid = Number(readFileSync(path.join(first.execRoot, 'containers', always, 'shim.pid'), 'utf8'));
  process.kill(shimPid, 'SIGKILL');
  await waitFor(() => {
    try {
      readFileSync(`/proc/${pid}/cmdline`);
      return false;
    } catch {
      return true;
    }
  }, 5000, 'the container to go with its shim');

  const second = await startDaemon(t, 'restart-daemon', { dir: first.dir });
  await waitFor(async () => (await inspect(second, always)).State.Status === 'running', 10_000, 'always to run again');
  t.equal((await inspect(second, always)).RestartCount, 1);
  t.equal((await inspect(second, unless)).State.Status, 'exited', 'unless-stopped, stopped by the user, stays stopped');
  t.equal((await inspect(second, stoppedAlways)).State.Status, 'running', 'always starts with kapald even after a docker stop, as with dockerd');
  for (const id of [always, unless, stoppedAlways]) await second.request('DELETE', `/containers/${id}?force=1`);
});

t.test('moby\'s checks of a restart policy', async (t) => {
  const d = await daemon(t, 'restart-checks');
  const bad = async (hostConfig: Record<string, unknown>) => {
    const res = await post(d, '/containers/create', { Image: 'busybox', HostConfig: hostConfig });
    t.equal(res.status, 400);
    return res.json().message;
  };
  t.equal(await bad({ RestartPolicy: { Name: 'sometimes' } }), "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  t.equal(await bad({ RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } }), "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  t.equal(await bad({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } }), 'invalid restart policy: maximum retry count cannot be negative');
  t.equal(await bad({ RestartPolicy: { Name: 'always' }, AutoRemove: true }), "can't create 'AutoRemove' container with restart policy");
  const created = await post(d, '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1 } } });
  t.same(created.json().Warnings, [], 'no warning: the policy is applied');
});

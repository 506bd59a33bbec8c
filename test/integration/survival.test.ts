// What outlives what: a container that writes 10 MB of log while kapald is down (killed -9) has
// every line, once and in order, in `docker logs` once kapald is back; the restarted kapald adopts
// the running container and the leak checker finds nothing.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { create, inspect, loadBusybox, waitFor } from '../helpers/containers.js';
import { startDaemon } from '../helpers/daemon.js';
import { dockerShell, skipWithoutDocker } from '../helpers/docker-cli.js';
import { leakCheck } from '../helpers/leak-check.js';

const LINES = 100_000;
const PAD = 'x'.repeat(90); // ~100 bytes a line: 10 MB

/** Running (a zombie waiting for its reaper is not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

t.test('10 MB of log written while kapald is down: every line in docker logs afterwards', { skip: skipWithoutDocker }, async (t) => {
  const first = await startDaemon(t, 'survive-logs');
  await loadBusybox(t, first);
  // It waits for a file kapald cannot see, so the writing starts only once kapald is gone.
  const id = await create(first, {
    Image: 'busybox',
    Cmd: ['sh', '-c', `while [ ! -e /go ]; do sleep 0.05; done; seq 1 ${LINES} | sed 's/$/ ${PAD}/'; sleep 600`],
  }, 'writer');
  t.equal((await first.request('POST', `/containers/${id}/start`)).status, 204);
  const pid = (await inspect(first, id)).State.Pid as number;
  t.equal(first.proc.kill('SIGKILL'), true);
  await first.exited;

  const logFile = path.join(first.dataRoot, 'containers', id, `${id}-json.log`);
  const size = () => {
    try {
      return readFileSync(logFile).length;
    } catch {
      return 0;
    }
  };
  // Start the writing through the container's own root: the process sees /go in its mount namespace.
  writeFileSync(`/proc/${pid}/root/go`, '');
  // The output is done when the last line is in the log (rotation may have moved the first ones).
  await waitFor(() => readFileSync(logFile, 'utf8').includes(`"${LINES} ${PAD}\\n"`), 60_000, 'the last line in the log');
  t.ok(alive(pid), 'the container ran on without kapald');
  t.ok(size() > 0);

  const second = await startDaemon(t, 'survive-logs', { dir: first.dir });
  t.equal((await inspect(second, id)).State.Status, 'running', 'the restarted kapald adopts it');
  const sh = dockerShell(t, second);
  const out = await sh(`docker logs writer | awk '{ if ($1 != NR || $2 != "${PAD}") bad++ } END { print NR, bad + 0 }'`);
  t.equal(out.code, 0, out.stderr);
  t.equal(out.stdout, `${LINES} 0\n`, 'every line, once, in order');
  const check = leakCheck(second);
  t.equal(check.code, 0, check.stdout + check.stderr);
  t.equal((await second.request('DELETE', `/containers/${id}?force=1`)).status, 204);
});

t.test('kill -9 of a shim while kapald runs: the container goes with it, is recorded exited with an error, its resources go, and its restart policy fires', async (t) => {
  const d = await startDaemon(t, 'survive-shim');
  await loadBusybox(t, d);
  const plain = await create(d, { Image: 'busybox', Cmd: ['sleep', '600'] }, 'plain');
  const always = await create(d, { Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { RestartPolicy: { Name: 'always' } } }, 'always');
  for (const id of [plain, always]) t.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  const shimOf = (id: string) => Number(readFileSync(path.join(d.execRoot, 'containers', id, 'shim.pid'), 'utf8'));
  const firstPid = (await inspect(d, always)).State.Pid as number;
  const pid = (await inspect(d, plain)).State.Pid as number;
  process.kill(shimOf(plain), 'SIGKILL');
  process.kill(shimOf(always), 'SIGKILL');

  await waitFor(async () => (await inspect(d, plain)).State.Status === 'exited', 10_000, 'the exit to be recorded');
  const state = (await inspect(d, plain)).State;
  t.same([state.ExitCode, state.Error], [255, 'kapal-shim exited without reporting the exit status']);
  await waitFor(() => !alive(pid), 5000, 'the container\'s process to go with its shim');
  t.notOk(alive(pid), 'the container\'s process went with its shim');
  await waitFor(async () => (await inspect(d, always)).RestartCount === 1 && (await inspect(d, always)).State.Status === 'running', 10_000, 'the always container to be restarted');
  t.not((await inspect(d, always)).State.Pid, firstPid, 'a new process');
  t.equal(leakCheck(d).code, 0, 'nothing of the dead shim is left: cgroups, state, veth');
  for (const id of [plain, always]) t.equal((await d.request('DELETE', `/containers/${id}?force=1`)).status, 204);
});

// Real containers through a real kapald and kapal-shim: the lifecycle over the API, what a
// process sees inside, and containers that outlive a kapald killed with SIGKILL.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, demux, hijack, inspect, loadBusybox, logs, run, waitFor } from '../helpers/containers.js';

const json = { 'Content-Type': 'application/json' };

async function daemon(t: Parameters<Parameters<typeof t.test>[1]>[0], name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

t.test('a container runs its command and reports the exit code', async (t) => {
  const d = await daemon(t, 'ctr-run');
  const hi = await run(d, { Cmd: ['echo', 'hi'] });
  t.equal(hi.code, 0);
  t.equal(hi.stdout, 'hi\n');
  const three = await run(d, { Cmd: ['sh', '-c', 'echo oops >&2; exit 3'] });
  t.equal(three.code, 3);
  t.equal(three.stderr, 'oops\n');
  const doc = await inspect(d, three.id);
  t.match(doc.State, { Status: 'exited', Running: false, ExitCode: 3, Pid: 0, Error: '' });
  t.not(doc.State.FinishedAt, '0001-01-01T00:00:00Z');
  t.equal(doc.HostConfig.LogConfig.Type, 'json-file');
  t.equal(doc.Path, 'sh');
  t.same(doc.Args, ['-c', 'echo oops >&2; exit 3']);
  const log = readFileSync(doc.LogPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.match(log, [{ log: 'oops\n', stream: 'stderr', time: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ }]);
});

t.test('a command that does not exist fails the start with moby\'s wording and exit code 127', async (t) => {
  const d = await daemon(t, 'ctr-nocmd');
  const id = await create(d, { Cmd: ['nosuchcmd'] });
  const res = await d.request('POST', `/containers/${id}/start`);
  t.equal(res.status, 400);
  t.match(res.json().message, /exec: "nosuchcmd": executable file not found in \$PATH/);
  const doc = await inspect(d, id);
  t.equal(doc.State.ExitCode, 127);
  t.equal(doc.State.Status, 'created');
  const notExec = await create(d, { Cmd: ['/etc/passwd'] });
  const denied = await d.request('POST', `/containers/${notExec}/start`);
  t.equal(denied.status, 400);
  t.match(denied.json().message, /permission denied/);
  t.equal((await inspect(d, notExec)).State.ExitCode, 126);
});

t.test('inside: pid 1 is the command, the hostname is the short ID, no host cgroup paths, read-only /proc/sys, docker\'s caps', async (t) => {
  const d = await daemon(t, 'ctr-inside');
  const script = [
    'echo pid=$$',
    'echo host=$(hostname)',
    'echo cg=$(cut -d: -f3 /proc/self/cgroup | sort -u | tr "\\n" " ")',
    'grep CapEff /proc/self/status',
    'echo x > /proc/sys/kernel/hostname 2>/dev/null && echo sys=rw || echo sys=ro',
    'echo procs=$(ls /proc | grep -c "^[0-9]")',
    'echo mounts=$(grep -c " / " /proc/self/mountinfo)',
    'id',
  ].join('; ');
  const r = await run(d, { Cmd: ['sh', '-c', script] });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^pid=1$/m);
  t.match(r.stdout, new RegExp(`^host=${r.id.slice(0, 12)}$`, 'm'));
  t.match(r.stdout, /^cg=\/$/m, 'every hierarchy shows / inside the cgroup namespace');
  t.match(r.stdout, /^CapEff:\s+00000000a80425fb$/m);
  t.match(r.stdout, /^sys=ro$/m);
  const procs = Number(/^procs=(\d+)$/m.exec(r.stdout)?.[1]);
  t.ok(procs >= 1 && procs <= 5, `only the container's few processes are visible (${procs})`);
  t.match(r.stdout, /^uid=0\(root\) gid=0\(root\)/m);
  const nobody = await run(d, { Cmd: ['id'], User: 'nobody', WorkingDir: '/made/here' });
  t.match(nobody.stdout, /^uid=65534\(nobody\) gid=65534\(nogroup\)/);
  const cwd = await run(d, { Cmd: ['pwd'], WorkingDir: '/made/here' });
  t.equal(cwd.stdout, '/made/here\n', 'a missing working directory is created');
  const env = await run(d, { Cmd: ['sh', '-c', 'echo $A-$HOSTNAME-$PATH'], Env: ['A=1'], Hostname: 'box' });
  t.equal(env.stdout, '1-box-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
});

t.test('stop sends the stop signal, then SIGKILL after the timeout', async (t) => {
  const d = await daemon(t, 'ctr-stop');
  const id = await create(d, { Cmd: ['sleep', '1000'] }, 'sleeper');
  t.equal((await d.request('POST', '/containers/sleeper/start')).status, 204);
  t.equal((await d.request('POST', '/containers/sleeper/start')).status, 304, 'start of a running container is 304');
  const doc = await inspect(d, 'sleeper');
  t.equal(doc.State.Status, 'running');
  t.ok(doc.State.Pid > 0);
  t.ok(existsSync(`/proc/${doc.State.Pid}`));
  const stop = await d.request('POST', `/containers/${id}/stop?t=1`);
  t.equal(stop.status, 204);
  const after = await inspect(d, id);
  t.match(after.State, { Status: 'exited', ExitCode: 137, Running: false });
  t.equal((await d.request('POST', `/containers/${id}/stop`)).status, 304, 'stop of a stopped container is 304');
  const kill = await d.request('POST', `/containers/${id}/kill`);
  t.equal(kill.status, 409);
  t.equal(kill.json().message, `cannot kill container: ${id}: container ${id} is not running`);
});

t.test('kill with another signal only delivers it; pause and unpause freeze and thaw; top lists processes', async (t) => {
  const d = await daemon(t, 'ctr-signals');
  const id = await create(d, { Cmd: ['sh', '-c', 'trap "echo got-usr1" USR1; while true; do sleep 0.05; done'] });
  await d.request('POST', `/containers/${id}/start`);
  await new Promise((r) => setTimeout(r, 200));
  t.equal((await d.request('POST', `/containers/${id}/kill?signal=USR1`)).status, 204);
  await waitFor(async () => (await logs(d, id)).stdout.includes('got-usr1'), 5000, 'the trap output');
  t.equal((await inspect(d, id)).State.Status, 'running');
  const top = await d.request('GET', `/containers/${id}/top`);
  t.equal(top.status, 200);
  t.match(top.json().Titles, ['UID', 'PID']);
  t.ok(top.json().Processes.some((p: string[]) => p.at(-1)!.startsWith('sh -c')));
  t.equal((await d.request('POST', `/containers/${id}/pause`)).status, 204);
  t.match((await inspect(d, id)).State, { Status: 'paused', Paused: true, Running: true });
  t.equal((await d.request('POST', `/containers/${id}/pause`)).json().message, `Container ${id} is already paused`);
  const list = (await d.request('GET', '/containers/json')).json();
  t.match(list[0].Status, /^Up .* \(Paused\)$/);
  t.equal((await d.request('POST', `/containers/${id}/unpause`)).status, 204);
  t.equal((await inspect(d, id)).State.Status, 'running');
  const rm = await d.request('DELETE', `/containers/${id}`);
  t.equal(rm.status, 409);
  t.match(rm.json().message, /container is running: stop the container before removing or force remove/);
  t.equal((await d.request('DELETE', `/containers/${id}?force=1`)).status, 204);
  t.equal((await d.request('GET', `/containers/${id}/json`)).status, 404);
});

t.test('names: given, generated, unique, renamed; list filters; prune', async (t) => {
  const d = await daemon(t, 'ctr-names');
  const a = await create(d, { Cmd: ['true'], Labels: { tier: 'web' } }, 'alpha');
  const b = await create(d, { Cmd: ['true'] });
  const dup = await d.request('POST', '/containers/create?name=alpha', { body: JSON.stringify({ Image: 'busybox', Cmd: ['true'] }), headers: json });
  t.equal(dup.status, 409);
  t.match(dup.json().message, `The container name "/alpha" is already in use by container "${a}"`);
  t.match((await inspect(d, b)).Name, /^\/[a-z]+_[a-z]+\d?$/);
  t.equal((await d.request('POST', `/containers/alpha/rename?name=beta`)).status, 204);
  t.equal((await inspect(d, a)).Name, '/beta');
  t.equal((await d.request('GET', '/containers/json')).json().length, 0, 'created containers are not running');
  const all = (await d.request('GET', '/containers/json?all=1')).json();
  t.equal(all.length, 2);
  t.same(all.map((c: any) => c.Names[0].slice(1)).includes('beta'), true);
  const byLabel = (await d.request('GET', `/containers/json?all=1&filters=${encodeURIComponent('{"label":["tier=web"]}')}`)).json();
  t.same(byLabel.map((c: any) => c.Id), [a]);
  const byStatus = (await d.request('GET', `/containers/json?filters=${encodeURIComponent('{"status":{"created":true}}')}`)).json();
  t.equal(byStatus.length, 2);
  t.equal((await d.request('GET', `/containers/json?filters=${encodeURIComponent('{"bogus":["x"]}')}`)).status, 400);
  const pruned = await d.request('POST', '/containers/prune');
  t.same(pruned.json().ContainersDeleted.sort(), [a, b].sort());
  t.equal((await d.request('GET', '/containers/json?all=1')).json().length, 0);
  t.equal((await d.request('POST', '/containers/create', { body: JSON.stringify({ Image: 'nosuch' }), headers: json })).json().message, 'No such image: nosuch:latest');
  const noCmd = await d.request('POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', Entrypoint: [''], Cmd: [] }), headers: json });
  t.equal(noCmd.status, 400, '--entrypoint "" with no command leaves nothing to run');
  t.equal(noCmd.json().message, 'no command specified');
});

t.test('AutoRemove removes the container when it exits, and wait?condition=removed answers then', async (t) => {
  const d = await daemon(t, 'ctr-autorm');
  const id = await create(d, { Cmd: ['sh', '-c', 'exit 5'], HostConfig: { AutoRemove: true } });
  const waiting = d.request('POST', `/containers/${id}/wait?condition=removed`);
  await d.request('POST', `/containers/${id}/start`);
  t.same((await waiting).json(), { StatusCode: 5, Error: null });
  t.equal((await d.request('GET', `/containers/${id}/json`)).status, 404);
  t.notOk(existsSync(path.join(d.dataRoot, 'containers', id)), 'its directory is gone');
  const failing = await create(d, { Cmd: ['nosuchcmd'], HostConfig: { AutoRemove: true } });
  const removed = d.request('POST', `/containers/${failing}/wait?condition=removed`);
  t.equal((await d.request('POST', `/containers/${failing}/start`)).status, 400);
  t.equal((await removed).json().StatusCode, 127, 'a failed start removes an AutoRemove container too');
  t.equal((await d.request('POST', `/containers/${id}/wait?condition=bogus`)).json().message, 'invalid condition: "bogus"');
});

t.test('a hijacked attach before start gets all output, and stdin reaches the process', async (t) => {
  const d = await daemon(t, 'ctr-attach');
  const id = await create(d, { Cmd: ['sh', '-c', 'read line; echo "got $line"; echo err >&2'], OpenStdin: true, StdinOnce: true, AttachStdin: true });
  const a = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
  t.equal(a.status, 101);
  const waiting = d.request('POST', `/containers/${id}/wait?condition=next-exit`);
  t.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  a.socket.write('hello\n');
  a.socket.end();
  await a.ended;
  t.same(demux(a.output()), { stdout: 'got hello\n', stderr: 'err\n' });
  t.equal((await waiting).json().StatusCode, 0);
});

t.test('containers outlive kapald: after kill -9 and a restart they are adopted or their exit is recorded', async (t) => {
  const first = await daemon(t, 'ctr-restore');
  const long = await create(first, { Cmd: ['sh', '-c', 'echo started; sleep 1000'] }, 'long');
  const short = await create(first, { Cmd: ['sh', '-c', 'echo bye; sleep 1; exit 7'] }, 'short');
  await first.request('POST', '/containers/long/start');
  await first.request('POST', '/containers/short/start');
  const pid = (await inspect(first, long)).State.Pid;
  await first.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 1500)); // short exits while no kapald runs
  t.ok(existsSync(`/proc/${pid}`), 'the container survived its daemon');
  const second = await startDaemon(t, 'ctr-restore', { dir: first.dir });
  const adopted = await inspect(second, long);
  t.match(adopted.State, { Status: 'running', Pid: pid });
  const gone = await inspect(second, short);
  t.match(gone.State, { Status: 'exited', ExitCode: 7 });
  t.ok(Date.parse(gone.State.FinishedAt) > Date.parse(gone.State.StartedAt) + 900);
  t.equal((await logs(second, short)).stdout, 'bye\n');
  t.equal((await logs(second, long)).stdout, 'started\n');
  const waiting = second.request('POST', `/containers/${long}/wait`);
  t.equal((await second.request('POST', `/containers/${long}/kill`)).status, 204);
  t.equal((await waiting).json().StatusCode, 137);
  t.notOk(existsSync(`/proc/${pid}`));
});

t.test('restart runs the command again; Init puts a reaper in as pid 1', async (t) => {
  const d = await daemon(t, 'ctr-restart');
  const id = await create(d, { Cmd: ['sh', '-c', 'echo run; sleep 1000'] });
  await d.request('POST', `/containers/${id}/start`);
  const firstPid = (await inspect(d, id)).State.Pid;
  t.equal((await d.request('POST', `/containers/${id}/restart?t=0`)).status, 204);
  const after = await inspect(d, id);
  t.equal(after.State.Status, 'running');
  t.not(after.State.Pid, firstPid, 'a new process');
  t.equal(after.RestartCount, 0, 'a manual restart is not a policy restart');
  await waitFor(async () => (await logs(d, id)).stdout === 'run\nrun\n', 5000, 'the second run\'s output');
  await d.request('DELETE', `/containers/${id}?force=1`);
  const init = await run(d, { Cmd: ['ps', '-o', 'pid,args'], HostConfig: { Init: true } });
  t.equal(init.code, 0, init.stderr);
  t.match(init.stdout, /^\s*1 .*kapal-init/m, 'pid 1 is the init');
  t.match(init.stdout, /^\s*2 ps -o pid,args$/m, 'the command runs under it');
});

t.test('a container whose start kapald never recorded (killed mid-start) is adopted at the next start', async (t) => {
  const first = await daemon(t, 'ctr-midstart');
  const id = await create(first, { Cmd: ['sleep', '1000'] });
  await first.request('POST', `/containers/${id}/start`);
  const pid = (await inspect(first, id)).State.Pid;
  await first.stop('SIGKILL');
  // What the database holds when kapald dies after spawning the shim, before recording the start.
  const db = new Database(path.join(first.dataRoot, 'kapal.db'));
  db.prepare("UPDATE containers SET status = 'created', pid = 0, started_at = NULL WHERE id = ?").run(id);
  db.close();
  const second = await startDaemon(t, 'ctr-midstart', { dir: first.dir });
  t.match((await inspect(second, id)).State, { Status: 'running', Pid: pid });
  t.equal((await second.request('DELETE', `/containers/${id}?force=1`)).status, 204);
  t.notOk(existsSync(`/proc/${pid}`));
});

t.test('a privileged container sees the host\'s devices and every capability kapald has', async (t) => {
  const d = await daemon(t, 'ctr-privileged');
  const r = await run(d, { Cmd: ['sh', '-c', 'ls /dev; grep CapEff /proc/self/status; echo done'], HostConfig: { Privileged: true } });
  t.equal(r.code, 0, r.stderr);
  const dev = new Set(r.stdout.split('\n'));
  for (const name of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'kmsg', 'loop-control']) {
    if (existsSync(`/dev/${name}`)) t.ok(dev.has(name), `/dev/${name}`);
  }
  const own = new Set(['', 'pts', 'shm', 'mqueue', 'fd', 'stdin', 'stdout', 'stderr', 'ptmx', 'core', 'console']);
  const foreign = [...dev].filter((name) => !own.has(name) && !name.startsWith('CapEff') && name !== 'done' && !existsSync(`/dev/${name}`));
  t.same(foreign, [], 'every node is one of the host\'s');
  t.notMatch(r.stdout, /^CapEff:\s+00000000a80425fb$/m, 'more than docker\'s defaults');
});

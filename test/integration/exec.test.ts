// docker exec through a real kapald: the process joins every namespace, the cgroups and the
// privileges of the running container (entered by `kapal-shim exec`), its exit code is recorded
// before the stream ends, and the API answers as moby does when it cannot run.

import { existsSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, demux, hijack, inspect, loadBusybox, waitFor } from '../helpers/containers.js';

const json = { 'Content-Type': 'application/json' };

async function daemon(t: Test, name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

async function runningContainer(d: TestDaemon, body: Record<string, unknown> = {}, name?: string): Promise<string> {
  const id = await create(d, { Cmd: ['sleep', '1000'], ...body }, name);
  const res = await d.request('POST', `/containers/${id}/start`);
  if (res.status !== 204) throw new Error(`start failed: ${res.status} ${res.text}`);
  return id;
}

async function execCreate(d: TestDaemon, container: string, body: Record<string, unknown>): Promise<string> {
  const res = await d.request('POST', `/containers/${container}/exec`, { body: JSON.stringify({ AttachStdout: true, AttachStderr: true, ...body }), headers: json });
  if (res.status !== 201) throw new Error(`exec create failed: ${res.status} ${res.text}`);
  return res.json().Id as string;
}

/** The docker CLI's sequence: create, hijacked start, then the exit code from the exec's inspect. */
async function execRun(d: TestDaemon, container: string, body: Record<string, unknown>, stdin?: string): Promise<{ id: string; code: number; stdout: string; stderr: string; raw: Buffer }> {
  const id = await execCreate(d, container, { AttachStdin: stdin !== undefined, ...body });
  const a = await hijack(d.socket, `/exec/${id}/start`, JSON.stringify({ Detach: false, Tty: body.Tty ?? false }), 'application/json');
  if (a.status !== 101) throw new Error(`exec start answered ${a.status}: ${a.output().toString()}`);
  if (stdin !== undefined) a.socket.write(stdin);
  a.socket.end();
  await a.ended;
  const doc = (await d.request('GET', `/exec/${id}/json`)).json();
  const raw = a.output();
  return { id, code: doc.ExitCode, raw, ...(body.Tty ? { stdout: raw.toString(), stderr: '' } : demux(raw)) };
}

t.test('an exec joins the container: its namespaces, cgroups, capabilities, and an exit code set before the stream ends', async (t) => {
  const d = await daemon(t, 'exec-join');
  const ctr = await runningContainer(d, { Env: ['FROM_IMAGE=1'] }, 'web');
  const nsOf = 'for n in pid mnt net uts ipc cgroup; do [ "$(readlink /proc/1/ns/$n)" = "$(readlink /proc/self/ns/$n)" ] || echo "differs: $n"; done';
  const r = await execRun(d, 'web', { Cmd: ['sh', '-c', `${nsOf}; hostname; cat /proc/self/cgroup | head -1; grep CapEff /proc/self/status; grep PPid /proc/$$/status; echo err >&2; exit 5`] });
  t.equal(r.code, 5, 'ExitCode is there as soon as the stream closed');
  t.equal(r.stderr, 'err\n');
  const lines = r.stdout.trim().split('\n');
  t.notMatch(r.stdout, /differs/, 'every namespace is the container\'s');
  t.equal(lines[0], ctr.slice(0, 12), 'the container\'s hostname');
  t.match(lines[1], /:\/$/, 'its cgroup is the root of the container\'s cgroup namespace');
  t.match(lines[2], /CapEff:\s+00000000a80425fb/, 'docker\'s default capabilities');
  t.match(lines[3], /PPid:\s+0/, 'its parent, the shim, is outside the container\'s pid namespace');

  const hostPids = (await d.request('GET', `/containers/${ctr}/top`)).json();
  t.equal(hostPids.Processes.length, 1, 'the exec is gone from the container once it exited');
  const doc = (await d.request('GET', `/exec/${r.id}/json`)).json();
  t.match(doc, { ID: r.id, Running: false, ExitCode: 5, ContainerID: ctr, OpenStdout: true, OpenStderr: true, OpenStdin: false, CanRemove: false });
  t.match(doc.ProcessConfig, { entrypoint: 'sh', tty: false, privileged: false });
  t.ok(doc.Pid > 0, 'Pid is the host\'s view of the process');
  t.notOk(existsSync(path.join(d.execRoot, 'containers', ctr, 'exec', r.id)), 'the exec\'s shim state is removed after its exit');

  const filters = encodeURIComponent(JSON.stringify({ event: ['exec_create', 'exec_start', 'exec_die'] }));
  const events = (await d.request('GET', `/events?since=0&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${filters}`)).text
    .trim().split('\n').map((l) => JSON.parse(l));
  t.match(events.map((e) => [e.Action.split(':')[0], e.Actor.ID, e.Actor.Attributes.execID, e.Actor.Attributes.exitCode]), [
    ['exec_create', ctr, r.id, undefined],
    ['exec_start', ctr, r.id, undefined],
    ['exec_die', ctr, r.id, '5'],
  ], 'exec_create, exec_start and exec_die, in order');
  t.match(events[0].Action, /^exec_create: sh -c /, 'the action names the command, as moby\'s does');
});

t.test('Env, User, WorkingDir and Privileged apply as in docker exec', async (t) => {
  const d = await daemon(t, 'exec-config');
  await runningContainer(d, { Env: ['A=container', 'B=container'], WorkingDir: '/srv' }, 'cfg');
  const env = await execRun(d, 'cfg', { Cmd: ['sh', '-c', 'echo $A $B $HOSTNAME; pwd'], Env: ['B=exec'] });
  const [vars, cwd] = env.stdout.trim().split('\n');
  t.match(vars, /^container exec [0-9a-f]{12}$/, 'the exec\'s Env goes over the container\'s');
  t.equal(cwd, '/srv', 'the container\'s WorkingDir by default');
  const user = await execRun(d, 'cfg', { Cmd: ['sh', '-c', 'id -u; id -g; pwd'], User: 'nobody', WorkingDir: '/tmp' });
  t.equal(user.stdout, '65534\n65534\n/tmp\n');
  const caps = await execRun(d, 'cfg', { Cmd: ['grep', 'CapEff', '/proc/self/status'], Privileged: true });
  t.notMatch(caps.stdout, /00000000a80425fb/, 'Privileged gives more than the default set');
  t.ok(BigInt(`0x${caps.stdout.split(/\s+/)[1]}`) > 0xa80425fbn);
  const noUser = await execRun(d, 'cfg', { Cmd: ['true'], User: 'nosuchuser' });
  t.match(noUser.stdout, /unable to find user nosuchuser/);
  t.not(noUser.code, 0);
});

t.test('a command that does not exist: moby\'s message in the stream, exit code 127 or 126', async (t) => {
  const d = await daemon(t, 'exec-nocmd');
  await runningContainer(d, {}, 'box');
  const missing = await execRun(d, 'box', { Cmd: ['nosuchcmd'] });
  t.match(missing.stdout, /exec: "nosuchcmd": executable file not found in \$PATH/);
  t.match(missing.stdout, /\r\n$/);
  t.equal(missing.code, 127);
  const denied = await execRun(d, 'box', { Cmd: ['/etc/passwd'] });
  t.match(denied.stdout, /permission denied/);
  t.equal(denied.code, 126);
  const noDir = await execRun(d, 'box', { Cmd: ['true'], WorkingDir: '/no/such/dir' });
  t.match(noDir.stdout, /chdir `\/no\/such\/dir`: no such file or directory/);
  t.equal(noDir.code, 127);
});

t.test('stdin reaches the process and its end closes the process\'s stdin', async (t) => {
  const d = await daemon(t, 'exec-stdin');
  await runningContainer(d, {}, 'box');
  const r = await execRun(d, 'box', { Cmd: ['sh', '-c', 'cat; echo done'] }, 'abc\n');
  t.equal(r.stdout, 'abc\ndone\n');
  t.equal(r.code, 0);
});

t.test('a TTY exec gets a pty of its own, resizable through /exec/{id}/resize', async (t) => {
  const d = await daemon(t, 'exec-tty');
  await runningContainer(d, {}, 'box');
  const id = await execCreate(d, 'box', { Tty: true, AttachStdin: true, Cmd: ['sh', '-c', 'tty; read x; stty size; exit 3'], ConsoleSize: [20, 70] });
  const a = await hijack(d.socket, `/exec/${id}/start`, JSON.stringify({ Detach: false, Tty: true, ConsoleSize: [20, 70] }), 'application/json');
  t.equal(a.status, 101);
  await waitFor(() => a.output().includes('/dev/pts/'), 10_000, 'the tty line');
  t.equal((await d.request('POST', `/exec/${id}/resize?h=33&w=101`)).status, 200);
  a.socket.write('go\r');
  await a.ended;
  const out = a.output().toString();
  t.match(out, /^\/dev\/pts\/\d+\r\n/, 'raw pty output, no stdcopy frames');
  t.match(out, /33 101\r\n/, 'the resize reached the pty');
  t.equal((await d.request('GET', `/exec/${id}/json`)).json().ExitCode, 3);
});

t.test('a detached exec runs on, and dies with its container', async (t) => {
  const d = await daemon(t, 'exec-detach');
  const ctr = await runningContainer(d, {}, 'box');
  const id = await execCreate(d, 'box', { Cmd: ['sleep', '1000'], AttachStdout: false, AttachStderr: false });
  const started = await d.request('POST', `/exec/${id}/start`, { body: JSON.stringify({ Detach: true }), headers: json });
  t.equal(started.status, 200);
  t.equal(started.text, '');
  const running = (await d.request('GET', `/exec/${id}/json`)).json();
  t.match(running, { Running: true, ExitCode: null });
  t.ok(existsSync(`/proc/${running.Pid}`), 'the process runs');
  t.same((await inspect(d, ctr)).ExecIDs, [id], 'the container lists its running exec');
  t.equal((await d.request('POST', `/exec/${id}/start`, { body: JSON.stringify({ Detach: true }), headers: json })).json().message, `exec command ${id} is already running`);
  await d.request('POST', `/containers/${ctr}/kill`);
  await waitFor(async () => (await d.request('GET', `/exec/${id}/json`)).json().Running === false, 10_000, 'the exec to end');
  t.equal((await d.request('GET', `/exec/${id}/json`)).json().ExitCode, 137, 'killed with the container\'s pid namespace');
});

t.test('exec answers 404, 409 and 400 with moby\'s words', async (t) => {
  const d = await daemon(t, 'exec-errors');
  const stopped = await create(d, { Cmd: ['true'] });
  const r1 = await d.request('POST', `/containers/${stopped}/exec`, { body: JSON.stringify({ Cmd: ['true'] }), headers: json });
  t.equal(r1.status, 409);
  t.equal(r1.json().message, `container ${stopped} is not running`);
  t.equal((await d.request('POST', '/containers/nosuch/exec', { body: JSON.stringify({ Cmd: ['true'] }), headers: json })).status, 404);
  const ctr = await runningContainer(d);
  const empty = await d.request('POST', `/containers/${ctr}/exec`, { body: JSON.stringify({ Cmd: [] }), headers: json });
  t.equal(empty.status, 400);
  t.equal(empty.json().message, 'No exec command specified');
  const badKeys = await d.request('POST', `/containers/${ctr}/exec`, { body: JSON.stringify({ Cmd: ['true'], DetachKeys: 'ctrl-1' }), headers: json });
  t.equal(badKeys.status, 400);
  t.equal(badKeys.json().message, 'Invalid escape keys (ctrl-1) provided');
  const missing = await d.request('GET', '/exec/nosuch/json');
  t.equal(missing.status, 404);
  t.equal(missing.json().message, 'No such exec instance: nosuch');
  t.equal((await d.request('POST', '/exec/nosuch/start', { body: '{}', headers: json })).status, 404);

  const done = await execRun(d, ctr, { Cmd: ['true'] });
  const again = await d.request('POST', `/exec/${done.id}/start`, { body: JSON.stringify({ Detach: true }), headers: json });
  t.equal(again.status, 409);
  t.equal(again.json().message, `exec command ${done.id} has already run`);

  const later = await execCreate(d, ctr, { Cmd: ['true'] });
  t.equal((await d.request('POST', `/containers/${ctr}/pause`)).status, 204);
  const paused = await d.request('POST', `/containers/${ctr}/exec`, { body: JSON.stringify({ Cmd: ['true'] }), headers: json });
  t.equal(paused.status, 409);
  t.equal(paused.json().message, `Container ${ctr} is paused, unpause the container before exec`);
  t.equal((await d.request('POST', `/exec/${later}/start`, { body: JSON.stringify({ Detach: true }), headers: json })).status, 409, 'start in a paused container');
  await d.request('POST', `/containers/${ctr}/unpause`);
});

t.test('GET /exec/{id}/start/ws: stdin and output as binary frames, resize and the exit code with kapal.attach.v1', async (t) => {
  const d = await daemon(t, 'exec-ws');
  await runningContainer(d, {}, 'box');
  const id = await execCreate(d, 'box', { Tty: true, AttachStdin: true, Cmd: ['sh', '-c', 'read x; echo "got $x"; stty size; exit 7'] });
  const ws = new WebSocket(`ws+unix://${d.socket}:/exec/${id}/start/ws?h=10&w=40`, ['kapal.attach.v1']);
  const binary: Buffer[] = [];
  const text: string[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? binary.push(data) : text.push(data.toString())));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  t.equal(ws.protocol, 'kapal.attach.v1');
  ws.send(JSON.stringify({ type: 'resize', height: 44, width: 132 }));
  ws.send(Buffer.from('hello\r'), { binary: true });
  t.equal(await closed, 1000);
  const out = Buffer.concat(binary).toString();
  t.match(out, /got hello\r\n/);
  t.match(out, /44 132\r\n/, 'the resize message reached the pty');
  t.same(text.map((m) => JSON.parse(m)), [{ type: 'exit', exitCode: 7 }]);
  t.equal((await d.request('GET', `/exec/${id}/json`)).json().ExitCode, 7);

  const failing = await execCreate(d, 'box', { Cmd: ['nosuchcmd'] });
  const ws2 = new WebSocket(`ws+unix://${d.socket}:/exec/${failing}/start/ws`, ['kapal.attach.v1']);
  const frames: { data: string; binary: boolean }[] = [];
  ws2.on('message', (data: Buffer, isBinary: boolean) => frames.push({ data: data.toString(), binary: isBinary }));
  await new Promise<void>((resolve) => ws2.on('close', () => resolve()));
  t.match(frames[0], { binary: true, data: /executable file not found in \$PATH: unknown\r\n$/ });
  t.same(JSON.parse(frames[1]!.data), { type: 'exit', exitCode: 127 });

  const again = await d.request('GET', `/exec/${id}/start/ws`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
  t.equal(again.status, 409, 'refusals are HTTP answers before the upgrade');
  t.equal(again.json().message, `exec command ${id} has already run`);
});

t.test('a TTY exec ends its stream at the detach keys, and the process runs on', async (t) => {
  const d = await daemon(t, 'exec-detachkeys');
  await runningContainer(d, {}, 'box');
  const id = await execCreate(d, 'box', { Tty: true, AttachStdin: true, Cmd: ['cat'], DetachKeys: 'ctrl-x,x' });
  const a = await hijack(d.socket, `/exec/${id}/start`, JSON.stringify({ Detach: false, Tty: true }), 'application/json');
  for (const key of ['a', '\x18', 'x']) {
    a.socket.write(key); // each key a read of its own, as moby matches them
    await new Promise((r) => setTimeout(r, 200));
  }
  await a.ended;
  const doc = (await d.request('GET', `/exec/${id}/json`)).json();
  t.match(doc, { Running: true, ExitCode: null }, 'cat still runs');
  t.equal(doc.DetachKeys, Buffer.from([0x18, 0x78]).toString('base64'), 'inspect has the key bytes, as moby\'s []byte');
  t.ok(existsSync(`/proc/${doc.Pid}`));
});

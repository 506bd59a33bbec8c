// What a default container cannot do, asked from inside it: test/fixtures/security-probe.sh runs
// in real containers and in an exec, and each property it reports is an assertion of its own.
// From the host: the container's pid 1 and its execs are parented by kapal-shim, which nothing
// inside can see or open, not even while an exec crosses over.

import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { ROOT, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, hijack, inspect, loadBusybox, run } from '../helpers/containers.js';

const PROBE = readFileSync(path.join(ROOT, 'test/fixtures/security-probe.sh'), 'utf8');
const SHIM = path.join(ROOT, 'native/kapal-shim');
const MIN_PROPERTIES = 40;
const DEFAULT_CAPS = '00000000a80425fb';
const json = { 'Content-Type': 'application/json' };

async function daemon(t: Test, name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

/** One assertion per `ok`/`FAIL` line, named after the property; then the count and the exit. */
function assertProbe(t: Test, output: string, code: number): void {
  const lines = output.replace(/\r/g, '').split('\n').filter((l) => l !== '');
  let passed = 0;
  for (const line of lines) {
    if (line.startsWith('ok ')) {
      passed++;
      t.pass(line.slice(3).replace(/ # (.*)$/, ' ($1)'));
    } else if (line.startsWith('FAIL ')) {
      t.fail(line.slice(5));
    } else if (!line.startsWith('# ')) {
      t.fail(`the probe printed something else: ${line}`);
    }
  }
  t.ok(passed >= MIN_PROPERTIES, `at least ${MIN_PROPERTIES} properties hold (${passed})`);
  t.equal(code, 0, 'the probe exits 0');
}

function hostParent(pid: number): number {
  // The comm field may hold spaces and parentheses: the fields after it start at the last ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function runningContainer(d: TestDaemon, body: Record<string, unknown>): Promise<string> {
  const id = await create(d, body);
  const res = await d.request('POST', `/containers/${id}/start`);
  if (res.status !== 204) throw new Error(`start failed: ${res.status} ${res.text}`);
  return id;
}

/** docker exec -t: create, hijacked start with a tty, then the exit code from the exec's inspect. */
async function execTty(d: TestDaemon, container: string, cmd: string[], env: string[] = []): Promise<{ code: number; output: string }> {
  const created = await d.request('POST', `/containers/${container}/exec`, { body: JSON.stringify({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true, Tty: true }), headers: json });
  if (created.status !== 201) throw new Error(`exec create failed: ${created.status} ${created.text}`);
  const id = created.json().Id as string;
  const a = await hijack(d.socket, `/exec/${id}/start`, JSON.stringify({ Detach: false, Tty: true }), 'application/json');
  if (a.status !== 101) throw new Error(`exec start answered ${a.status}: ${a.output().toString()}`);
  a.socket.end();
  await a.ended;
  const doc = (await d.request('GET', `/exec/${id}/json`)).json();
  return { code: doc.ExitCode, output: a.output().toString().replace(/\r/g, '') };
}

t.test('a default container holds every property of the probe', async (t) => {
  const d = await daemon(t, 'probe-default');
  const r = await run(d, { Cmd: ['sh', '-c', PROBE] });
  assertProbe(t, r.stdout, r.code);
  t.equal(r.stderr, '', 'nothing on stderr');
});

t.test('with no-new-privileges every property holds and NoNewPrivs is 1', async (t) => {
  const d = await daemon(t, 'probe-nnp');
  const r = await run(d, { Cmd: ['sh', '-c', PROBE], Env: ['PROBE_NO_NEW_PRIVS=1'], HostConfig: { SecurityOpt: ['no-new-privileges'] } });
  assertProbe(t, r.stdout, r.code);
  t.match(r.stdout, /^ok no-new-privs$/m, 'NoNewPrivs 1');
});

t.test('a user other than root has docker\'s capabilities in the bounding set only', async (t) => {
  const d = await daemon(t, 'probe-user');
  const r = await run(d, { Cmd: ['grep', '^Cap', '/proc/self/status'], User: 'kapal' });
  t.equal(r.code, 0);
  const caps = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/:\s+/)));
  const none = '0000000000000000';
  t.same(caps, { CapInh: none, CapPrm: none, CapEff: none, CapBnd: DEFAULT_CAPS, CapAmb: none }, 'moby 20.10.14+: nothing inheritable (CVE-2022-24769)');
});

t.test('from the host: the container\'s pid 1 is a child of kapal-shim and shares none of the host\'s namespaces', async (t) => {
  const d = await daemon(t, 'probe-host-view');
  const plain = await runningContainer(d, { Cmd: ['sleep', '1000'] });
  const pid = (await inspect(d, plain)).State.Pid as number;
  t.equal(readlinkSync(`/proc/${hostParent(pid)}/exe`), SHIM, 'its parent runs the host\'s kapal-shim');
  for (const ns of ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup']) {
    t.not(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), `its own ${ns} namespace`);
  }

  const withInit = await runningContainer(d, { Cmd: ['sleep', '1000'], HostConfig: { Init: true } });
  const initPid = (await inspect(d, withInit)).State.Pid as number;
  t.match(readlinkSync(`/proc/${initPid}/exe`), /^\/memfd:/, '--init: pid 1 runs from a memfd, not a host path');
  t.equal(readlinkSync(`/proc/${hostParent(initPid)}/exe`), SHIM, '--init: its parent runs kapal-shim');
  const inside = await execTty(d, withInit, ['sh', '-c', 'readlink /proc/1/exe; (: >>/proc/1/exe) 2>/dev/null && echo opened || echo refused']);
  t.match(inside.output, /^\/memfd:kapal-init.*\nrefused\n$/, '--init: the container cannot open its init for writing');
});

t.test('an exec holds every property of the probe and never sees the shim', async (t) => {
  const d = await daemon(t, 'probe-exec');
  const id = await runningContainer(d, { Cmd: ['sleep', '1000'] });
  // In exec mode the probe also opens /proc/PID/exe for writing for every pid it sees, self and
  // its parent, and compares its capabilities, seccomp and no_new_privs with pid 1's.
  const r = await execTty(d, id, ['sh', '-c', PROBE], ['PROBE_EXEC=1']);
  assertProbe(t, r.output, r.code);
  t.match(r.output, /^ok exec-privileges-as-pid1$/m, 'the exec\'s capabilities and seccomp are the container\'s');

  // From the host: a running exec is a child of its own kapal-shim (exec).
  const created = await d.request('POST', `/containers/${id}/exec`, { body: JSON.stringify({ Cmd: ['sleep', '1000'] }), headers: json });
  const execId = created.json().Id as string;
  t.equal((await d.request('POST', `/exec/${execId}/start`, { body: JSON.stringify({ Detach: true }), headers: json })).status, 200);
  const execPid = (await d.request('GET', `/exec/${execId}/json`)).json().Pid as number;
  const parent = hostParent(execPid);
  t.equal(readlinkSync(`/proc/${parent}/exe`), SHIM, 'the exec\'s parent runs kapal-shim');
  t.equal(readFileSync(`/proc/${parent}/cmdline`, 'utf8').split('\0')[1], 'exec', 'as `kapal-shim exec`');
});

t.test('a process racing execs never sees the exec shim\'s executable', async (t) => {
  const d = await daemon(t, 'probe-exec-race');
  // pid 1 lists every process's exe as fast as it can and keeps what is not busybox. A shim's
  // child crossing into the container shows up in its /proc, unreadable (not dumpable).
  const watch = 'while [ ! -e /tmp/stop ]; do ls -l /proc/[0-9]*/exe 2>&1 | grep -v " -> /bin/busybox$" >>/tmp/seen; done; touch /tmp/stopped; sleep 1000';
  const id = await runningContainer(d, { Cmd: ['sh', '-c', watch] });
  for (let i = 0; i < 20; i++) {
    const r = await execTty(d, id, ['true']);
    t.equal(r.code, 0, `exec ${i + 1} ran`);
  }
  const stop = await execTty(d, id, ['sh', '-c', 'touch /tmp/stop; while [ ! -e /tmp/stopped ]; do sleep 0.05; done; cat /tmp/seen']);
  const readable = stop.output.split('\n').filter((l) => l.includes(' -> '));
  t.same(readable, [], 'every exe link the watcher could read was busybox');
  t.notMatch(stop.output, /kapal/, 'the watcher never saw kapal-shim');
  const denied = stop.output.split('\n').filter((l) => /cannot read link: Permission denied/.test(l)).length;
  t.comment(`the watcher was refused ${denied} reads of an exe mid-crossing`);
});

// The seccomp filter on real containers: on by default (mode 2) for the process and every exec,
// refusing what docker's default profile refuses; --cap-add opens what the capability governs;
// unconfined and --privileged run without; a profile in docker's JSON is applied; a bad one is
// a 400 at create.

import t from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, loadBusybox, run } from '../helpers/containers.js';

const json = { 'Content-Type': 'application/json' };

async function daemon(t: Parameters<Parameters<typeof t.test>[1]>[0], name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

const probe = 'grep Seccomp: /proc/self/status; unshare -U true 2>/dev/null && echo unshare=ok || echo unshare=refused';

t.test('on by default, for the process and its execs; capabilities and unconfined open it, privileged has none', async (t) => {
  const d = await daemon(t, 'seccomp-default');
  const plain = await run(d, { Cmd: ['sh', '-c', probe] });
  t.equal(plain.stdout, 'Seccomp:\t2\nunshare=refused\n');
  const admin = await run(d, { Cmd: ['sh', '-c', probe], HostConfig: { CapAdd: ['CAP_SYS_ADMIN'] } });
  t.equal(admin.stdout, 'Seccomp:\t2\nunshare=ok\n', 'CAP_SYS_ADMIN opens unshare, as in docker');
  const unconfined = await run(d, { Cmd: ['sh', '-c', probe], HostConfig: { SecurityOpt: ['seccomp=unconfined'] } });
  t.equal(unconfined.stdout, 'Seccomp:\t0\nunshare=ok\n');
  const privileged = await run(d, { Cmd: ['sh', '-c', probe], HostConfig: { Privileged: true } });
  t.equal(privileged.stdout, 'Seccomp:\t0\nunshare=ok\n');
  const ran = await run(d, { Cmd: ['sh', '-c', 'echo works; ls / >/dev/null && echo listed'] });
  t.equal(ran.stdout, 'works\nlisted\n', 'an ordinary process is not disturbed');

  const id = await create(d, { Cmd: ['sleep', '1000'] });
  await d.request('POST', `/containers/${id}/start`);
  const exec = await d.request('POST', `/containers/${id}/exec`, { body: JSON.stringify({ Cmd: ['sh', '-c', probe], AttachStdout: true }), headers: json });
  const started = await d.request('POST', `/exec/${exec.json().Id}/start`, { body: JSON.stringify({ Detach: false, Tty: true }), headers: json });
  t.equal(started.text.replace(/\r/g, ''), 'Seccomp:\t2\nunshare=refused\n', 'an exec runs under the container\'s filter');
});

t.test('a profile in docker\'s JSON is applied; a bad one is refused at create with moby\'s words', async (t) => {
  const d = await daemon(t, 'seccomp-profile');
  const profile = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] });
  const custom = await run(d, { Cmd: ['sh', '-c', 'mkdir /x 2>&1; unshare -U true && echo unshare=ok'], HostConfig: { SecurityOpt: [`seccomp=${profile}`] } });
  t.match(custom.stdout, /Permission denied/, 'mkdir gets the profile\'s errno');
  t.match(custom.stdout, /unshare=ok/, 'what the profile allows runs');
  const bad = await d.request('POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', HostConfig: { SecurityOpt: ['seccomp={"defaultAction":1}'] } }), headers: json });
  t.equal(bad.status, 400);
  t.match(bad.json().message, /^Decoding seccomp profile failed: defaultAction/);
  t.equal((await d.request('GET', '/containers/json?all=1')).json().length, 1, 'only the good one exists');
});

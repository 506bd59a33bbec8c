// Seccomp profiles: docker's format parsed and checked, and resolved for a container's
// capabilities and this machine's architecture.
import t from 'tap';
import { DEFAULT_PROFILE } from '../../src/runtime/seccomp/default-profile.js';
import { parseProfile, resolveProfile } from '../../src/runtime/seccomp/profile.js';
import { seccompProfileOf } from '../../src/runtime/seccomp/container-seccomp.js';

const defaults = new Set(['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE']);
const names = (r: ReturnType<typeof resolveProfile>) => new Set(r.rules.filter((x) => x.action === 'SCMP_ACT_ALLOW').map((x) => x.name));

t.test('the default profile with docker\'s default capabilities: an allow-list without the syscalls that reach beyond the container', async (t) => {
  const r = resolveProfile(DEFAULT_PROFILE, { caps: defaults, arch: 'x64', kernel: '6.1.0' });
  t.equal(r.defaultAction, 'SCMP_ACT_ERRNO');
  t.equal(r.defaultErrno, 1, 'EPERM');
  t.same(r.arches, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], 'the 32-bit paths get the same rules');
  const allowed = names(r);
  for (const s of ['read', 'write', 'execve', 'clone', 'socket', 'chroot', 'arch_prctl', 'ptrace', 'capset', 'close_range']) t.ok(allowed.has(s), `${s} allowed`);
  for (const s of ['mount', 'umount2', 'unshare', 'setns', 'keyctl', 'add_key', 'bpf', 'perf_event_open', 'kexec_load', 'open_by_handle_at', 'init_module', 'userfaultfd', 'reboot', 'swapon', 'clock_settime', 'pivot_root']) {
    t.notOk(allowed.has(s), `${s} refused`);
  }
  t.same(r.rules.filter((x) => x.name === 'clone').map((x) => x.args), ['0,SCMP_CMP_MASKED_EQ,2114060288,0'], 'clone only without namespace flags');
  t.same(r.rules.filter((x) => x.name === 'clone3').map((x) => [x.action, x.errno]), [['SCMP_ACT_ERRNO', 38]], 'clone3 is ENOSYS');
  t.same(r.rules.filter((x) => x.name === 'socket').map((x) => x.args), ['0,SCMP_CMP_NE,40,0'], 'no AF_VSOCK');
  t.equal(r.rules.filter((x) => x.name === 'personality').length, 5);
  t.notOk(allowed.has('cacheflush'), 'arm only');
});

t.test('capabilities open what they govern, as --cap-add does in docker', async (t) => {
  const r = resolveProfile(DEFAULT_PROFILE, { caps: new Set([...defaults, 'CAP_SYS_ADMIN', 'CAP_SYS_TIME']), arch: 'x64', kernel: '6.1.0' });
  const allowed = names(r);
  for (const s of ['mount', 'unshare', 'setns', 'clock_settime']) t.ok(allowed.has(s), `${s} with its capability`);
  t.same(r.rules.filter((x) => x.name === 'clone').map((x) => x.args), [''], 'clone with any flags');
  t.notOk(r.rules.some((x) => x.name === 'clone3' && x.action === 'SCMP_ACT_ERRNO'));
  t.notOk(names(resolveProfile(DEFAULT_PROFILE, { caps: defaults, arch: 'x64', kernel: '4.4.0' })).has('ptrace'), 'ptrace needs kernel 4.8');
});

t.test('profiles in docker\'s JSON: parsed, bad ones refused in moby\'s words; unconfined and privileged mean none', async (t) => {
  const p = parseProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"args":[{"index":1,"value":448,"valueTwo":0,"op":"SCMP_CMP_EQ"}]}]}');
  t.same(resolveProfile(p, { caps: defaults, arch: 'x64', kernel: '6.1' }).rules, [{ name: 'mkdir', action: 'SCMP_ACT_ERRNO', errno: 13, args: '1,SCMP_CMP_EQ,448,0' }]);
  t.throws(() => parseProfile('{nope'), { kind: 'InvalidArgument', message: /^Decoding seccomp profile failed: / });
  t.throws(() => parseProfile('{"defaultAction":"SCMP_ACT_NOPE"}'), /Decoding seccomp profile failed: defaultAction/);
  t.throws(() => parseProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":9,"value":1,"op":"SCMP_CMP_EQ"}]}]}'), /syscalls\.0\.args\.0\.index/);
  const hc = (SecurityOpt: string[], Privileged = false) => ({ hostConfig: { SecurityOpt, Privileged } as never });
  t.equal(seccompProfileOf(hc([])), DEFAULT_PROFILE);
  t.equal(seccompProfileOf(hc(['seccomp=unconfined'])), undefined);
  t.equal(seccompProfileOf(hc(['seccomp:unconfined'])), undefined, 'the old spelling');
  t.equal(seccompProfileOf(hc([], true)), undefined, 'privileged');
});

// The data kapald hands the shim and the helpers around it, tested without starting anything.
import t from 'tap';
import { boundingCapabilities, containerCapabilities } from '../../src/runtime/capabilities.js';
import { parseSignal } from '../../src/runtime/signals.js';
import { processEnv, rlimitsOf } from '../../src/runtime/container-spec.js';
import { containerResolvConf } from '../../src/runtime/container-files.js';
import { readV1Hierarchies } from '../../src/runtime/cgroups/hierarchies.js';
import { fixedNanos } from '../../src/runtime/json-log.js';
import { hostDevices, splitDev } from '../../src/runtime/host-devices.js';
import { parsePs } from '../../src/service/containers/top.js';
import { humanDuration } from '../../src/domain/human-duration.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir } from '../helpers/daemon.js';

const ALL = Array.from({ length: 41 }, (_, i) => i);
const capMask = (caps: number[]) => caps.reduce((m, c) => m | (1n << BigInt(c)), 0n).toString(16).padStart(16, '0');

t.test('docker\'s default capabilities are CapEff 00000000a80425fb', async (t) => {
  t.equal(capMask(containerCapabilities({ capAdd: null, capDrop: null, privileged: false, available: ALL })), '00000000a80425fb');
});

t.test('CapAdd and CapDrop take names with or without CAP_, and ALL', async (t) => {
  const withAdmin = containerCapabilities({ capAdd: ['NET_ADMIN'], capDrop: ['CAP_MKNOD'], privileged: false, available: ALL });
  t.ok(withAdmin.includes(12));
  t.notOk(withAdmin.includes(27));
  t.same(containerCapabilities({ capAdd: ['CAP_KILL'], capDrop: ['ALL'], privileged: false, available: ALL }), [5]);
  t.equal(containerCapabilities({ capAdd: null, capDrop: null, privileged: true, available: ALL }).length, 41);
  const noSysResource = ALL.filter((c) => c !== 24);
  t.notOk(containerCapabilities({ capAdd: ['ALL'], capDrop: null, privileged: false, available: noSysResource }).includes(24), 'ALL is what kapald has');
  t.throws(() => containerCapabilities({ capAdd: ['BOGUS'], capDrop: null, privileged: false, available: ALL }), /unknown capability: "BOGUS"/);
});

t.test('signals by name with or without SIG, and by number', async (t) => {
  t.equal(parseSignal('KILL'), 9);
  t.equal(parseSignal('SIGTERM'), 15);
  t.equal(parseSignal('hup'), 1);
  t.equal(parseSignal('10'), 10);
  t.equal(parseSignal('SIGRTMIN+1'), 35);
  t.throws(() => parseSignal('NOPE'), /Invalid signal: NOPE/);
  t.throws(() => parseSignal('0'), /Invalid signal/);
});

t.test('the process environment: PATH and HOSTNAME first, Env replaces, a bare key unsets', async (t) => {
  const env = processEnv({ config: { Hostname: 'h1', Tty: true, Env: ['PATH=/bin', 'A=1', 'HOSTNAME'] } as never });
  t.same(env, ['PATH=/bin', 'TERM=xterm', 'A=1']);
});

t.test('ulimits above the host hard limit are refused with a clear error', async (t) => {
  const limits = 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 20000                files     \n';
  t.same(rlimitsOf([{ Name: 'nofile', Soft: 1000, Hard: 2000 }], limits), [{ resource: 7, soft: 1000, hard: 2000 }]);
  t.throws(() => rlimitsOf([{ Name: 'nofile', Soft: 1000, Hard: 1048576 }], limits), /above the host's hard limit 20000/);
  t.throws(() => rlimitsOf([{ Name: 'bogus', Soft: 1, Hard: 1 }], limits), /invalid ulimit type: bogus/);
});

t.test('resolv.conf loses loopback name servers, and falls back to public ones', async (t) => {
  t.equal(containerResolvConf('nameserver 127.0.0.53\nsearch lan\n'), 'search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  t.equal(containerResolvConf('nameserver 10.0.0.1\n'), 'nameserver 10.0.0.1\n');
});

t.test('cgroup v1 hierarchies are read from mountinfo and /proc/self/cgroup', async (t) => {
  const dir = makeTempDir(t, 'cgparse');
  const mountinfo = path.join(dir, 'mountinfo');
  const cgroup = path.join(dir, 'cgroup');
  writeFileSync(mountinfo, [
    '30 25 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw',
    '31 25 0:27 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd',
    '32 25 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
    '33 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
  ].join('\n'));
  writeFileSync(cgroup, '1:name=systemd:/\n2:memory:/a/b\n3:cpu,cpuacct:/\n0::/\n');
  t.same(readV1Hierarchies(mountinfo, cgroup), [
    { controllers: ['memory'], mount: '/sys/fs/cgroup/memory', own: '/a/b' },
    { controllers: ['cpu', 'cpuacct'], mount: '/sys/fs/cgroup/cpu,cpuacct', own: '/' },
  ]);
});

t.test('log timestamps get docker\'s fixed nine-digit fraction', async (t) => {
  t.equal(fixedNanos('2026-11-29T18:29:47.1234Z'), '2026-11-29T18:29:47.123400000Z');
  t.equal(fixedNanos('2026-11-29T18:29:47Z'), '2026-11-29T18:29:47.000000000Z');
});

t.test('top keeps the rows of the container\'s pids, the command with its spaces', async (t) => {
  const out = 'UID PID PPID C STIME TTY TIME CMD\nroot 10 1 0 10:00 ? 00:00:00 sleep 1000\nroot 11 1 0 10:00 ? 00:00:00 other\n';
  t.same(parsePs(out, new Set([10])), { Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], Processes: [['root', '10', '1', '0', '10:00', '?', '00:00:00', 'sleep 1000']] });
});

t.test('durations read as docker prints them', async (t) => {
  t.equal(humanDuration(500), 'Less than a second');
  t.equal(humanDuration(5000), '5 seconds');
  t.equal(humanDuration(65_000), 'About a minute');
  t.equal(humanDuration(3 * 3600_000), '3 hours');
});

t.test('kapald\'s bounding set is read from /proc/self/status', async (t) => {
  t.same(boundingCapabilities('Name:\tx\nCapBnd:\t00000000000000a1\n'), [0, 5, 7]);
});

t.test('privileged containers get the host\'s device nodes, not its pts or shm trees', async (t) => {
  const devices = hostDevices();
  t.match(devices.find((d) => d.path === '/dev/null'), { type: 'c', major: 1, minor: 3 });
  t.notOk(devices.some((d) => d.path.startsWith('/dev/pts/') || d.path === '/dev/ptmx' || d.path === '/dev/console'));
  t.same(splitDev(0x0103), { major: 1, minor: 3 });
  t.same(splitDev(0x10010304), { major: 259, minor: 65540 }, 'makedev(259, 65540): a minor above 255 keeps its high bits above the major');
});

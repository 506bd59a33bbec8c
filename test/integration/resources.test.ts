// Resource limits through a real kapald on this host's cgroup v1: the kernel enforces them (OOM,
// pids), docker update changes them on a running container, and stats reads them back in
// docker's shape.

import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import t from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, inspect, loadBusybox, logs, run, waitFor } from '../helpers/containers.js';
import { replay, unixNow } from '../helpers/events.js';

const json = { 'Content-Type': 'application/json' };
const post = (d: TestDaemon, url: string, body?: unknown) => d.request('POST', url, body === undefined ? {} : { body: JSON.stringify(body), headers: json });

async function daemon(t: Parameters<Parameters<typeof t.test>[1]>[0], name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

/** A controller's file of the running container, read on the host through its pid's cgroup. */
function cgroupFile(pid: number, controller: string, file: string): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]!.split(',').includes(controller))!;
  return readFileSync(path.join('/sys/fs/cgroup', controller, line.split(':')[2]!, file), 'utf8').trim();
}

t.test('the kernel enforces them: OOM is exit 137 with OOMKilled and an oom event; a fork loop stops at the pids limit', async (t) => {
  const d = await daemon(t, 'res-enforce');
  const since = unixNow(-1);
  const oom = await run(d, { Cmd: ['sh', '-c', 'x=a; while :; do x=$x$x; done'], HostConfig: { Memory: 32 << 20 } });
  t.equal(oom.code, 137);
  const doc = await inspect(d, oom.id);
  t.match(doc.State, { OOMKilled: true, ExitCode: 137 });
  t.match(doc.HostConfig, { Memory: 32 << 20, MemorySwap: 64 << 20 }, 'swap stored as docker does: as much again');
  const events = await replay(d, { since, until: unixNow(1), filters: { event: ['oom'] } });
  t.same(events.map((e) => e.Actor.ID), [oom.id]);

  const forks = await run(d, { Cmd: ['sh', '-c', 'i=0; while :; do sleep 100 & i=$((i+1)); echo $i; done'], HostConfig: { PidsLimit: 20 } });
  const counted = forks.stdout.trim().split('\n');
  t.equal(counted[counted.length - 1], '19', 'sh and 19 children: 20 processes');
  t.match(forks.stderr, /can't fork/);
});

t.test('limits land in the cgroup files; update changes a running container and a stopped one at its next start', async (t) => {
  const d = await daemon(t, 'res-update');
  const id = await create(d, { Cmd: ['sleep', '1000'], HostConfig: { Memory: 32 << 20, NanoCpus: 5e8, CpuShares: 512, CpusetCpus: '0' } });
  t.equal((await post(d, `/containers/${id}/start`)).status, 204);
  const pid = (await inspect(d, id)).State.Pid;
  t.equal(cgroupFile(pid, 'memory', 'memory.limit_in_bytes'), String(32 << 20));
  t.equal(cgroupFile(pid, 'cpu', 'cpu.cfs_quota_us'), '50000');
  t.equal(cgroupFile(pid, 'cpu', 'cpu.shares'), '512');
  t.equal(cgroupFile(pid, 'cpuset', 'cpuset.cpus'), '0');

  const updated = await post(d, `/containers/${id}/update`, { Memory: 64 << 20, MemorySwap: 128 << 20, NanoCpus: 0, PidsLimit: 50, BlkioWeight: 0 });
  t.equal(updated.status, 200, updated.text);
  t.same(updated.json(), { Warnings: [] });
  t.equal(cgroupFile(pid, 'memory', 'memory.limit_in_bytes'), String(64 << 20));
  t.equal(cgroupFile(pid, 'pids', 'pids.max'), '50');
  t.equal(cgroupFile(pid, 'cpu', 'cpu.cfs_quota_us'), '50000', 'zero means unchanged, as the CLI sends every field');
  t.match((await inspect(d, id)).HostConfig, { Memory: 64 << 20, MemorySwap: 128 << 20, PidsLimit: 50, NanoCpus: 5e8 });
  const tooSmall = await post(d, `/containers/${id}/update`, { Memory: 4 << 20 });
  t.equal(tooSmall.status, 400);
  t.equal(tooSmall.json().message, 'Minimum memory limit allowed is 6MB');
  const aboveSwap = await post(d, `/containers/${id}/update`, { Memory: 256 << 20 });
  t.equal(aboveSwap.status, 409);
  t.equal(aboveSwap.json().message, `Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`);
  const quota = await post(d, `/containers/${id}/update`, { CpuQuota: 20000 });
  t.equal(quota.json().message, `Cannot update container ${id}: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set`);
  t.equal((await post(d, `/containers/${id}/update`, { PidsLimit: 0 })).status, 200);
  t.equal(cgroupFile(pid, 'pids', 'pids.max'), 'max', 'PidsLimit 0 in an update lifts the limit');
  t.equal((await inspect(d, id)).HostConfig.PidsLimit, 0);
  t.equal((await post(d, '/containers/nosuch/update', { Memory: 64 << 20 })).status, 404);

  const stopped = await create(d, { Cmd: ['sleep', '1000'] });
  t.equal((await post(d, `/containers/${stopped}/update`, { PidsLimit: 33 })).status, 200);
  await post(d, `/containers/${stopped}/start`);
  t.equal(cgroupFile((await inspect(d, stopped)).State.Pid, 'pids', 'pids.max'), '33', 'applied at the start');
});

t.test('bad limits are refused at create in moby\'s words; limits this host lacks are warned about', async (t) => {
  const d = await daemon(t, 'res-checks');
  const info = (await d.request('GET', '/info')).json();
  t.match(info, { MemoryLimit: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true, OomKillDisable: true, IPv4Forwarding: true }, 'docker info has no limit to warn about');
  const cases: [Record<string, unknown>, string][] = [
    [{ Memory: 4 << 20 }, 'Minimum memory limit allowed is 6MB'],
    [{ NanoCpus: 64e9 }, /^Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available$/ as unknown as string],
    [{ CpusetCpus: '63' }, /^Requested CPUs are not available - requested 63, available: / as unknown as string],
    [{ Memory: 20 << 20, MemorySwap: 10 << 20 }, 'Minimum memoryswap limit should be larger than memory limit, see usage'],
  ];
  for (const [hc, message] of cases) {
    const res = await post(d, '/containers/create', { Image: 'busybox', HostConfig: hc });
    t.equal(res.status, 400, JSON.stringify(hc));
    t.match(res.json().message, message);
  }
  t.equal((await d.request('GET', '/containers/json?all=1')).json().length, 0, 'nothing was created');
  const blkio = await post(d, '/containers/create', { Image: 'busybox', HostConfig: { BlkioWeight: 300 } });
  t.equal(blkio.status, 201);
  const weighted = existsSync('/sys/fs/cgroup/blkio/blkio.weight');
  t.same(blkio.json().Warnings, weighted ? [] : ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.']);
});

t.test('stats: one-shot, two samples for stream=0, a stream, and zeros for a stopped container', async (t) => {
  const d = await daemon(t, 'res-stats');
  const id = await create(d, { Cmd: ['sh', '-c', 'while :; do :; done'], HostConfig: { Memory: 64 << 20, PidsLimit: 10, NanoCpus: 5e8 } }, 'busy');
  await post(d, `/containers/${id}/start`);
  const one = (await d.request('GET', '/containers/busy/stats?stream=0&one-shot=1')).json();
  t.match(one, {
    id, name: '/busy', num_procs: 0,
    cpu_stats: { cpu_usage: { total_usage: Number }, system_cpu_usage: Number, online_cpus: Number, throttling_data: { periods: Number } },
    precpu_stats: { cpu_usage: { total_usage: 0 } },
    memory_stats: { usage: Number, limit: 64 << 20, stats: { total_inactive_file: Number } },
    pids_stats: { current: 1, limit: 10 },
    blkio_stats: { io_service_bytes_recursive: Array },
    networks: { eth0: { rx_bytes: Number, tx_bytes: Number } },
  });
  t.equal(one.preread, '0001-01-01T00:00:00Z');
  const two = (await d.request('GET', '/containers/busy/stats?stream=0')).json();
  t.ok(two.precpu_stats.cpu_usage.total_usage > 0, 'stream=0: precpu from a sample a second before');
  t.ok(two.cpu_stats.cpu_usage.total_usage > two.precpu_stats.cpu_usage.total_usage);
  t.ok(Date.parse(two.read) - Date.parse(two.preread) >= 900);
  const cpuShare = (two.cpu_stats.cpu_usage.total_usage - two.precpu_stats.cpu_usage.total_usage) / (two.cpu_stats.system_cpu_usage - two.precpu_stats.system_cpu_usage);
  t.ok(cpuShare > 0, 'docker stats has what it needs for CPU %');

  // A stream: samples keep coming, each with the previous as precpu.
  const streamed = await new Promise<object[]>((resolve, reject) => {
    const got: object[] = [];
    const req = http.request({ socketPath: d.socket, path: '/containers/busy/stats' }, (res) => {
      let buf = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        buf += c;
        for (let i = buf.indexOf('\n'); i >= 0 && got.length < 2; i = buf.indexOf('\n')) {
          got.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
        if (got.length === 2) {
          req.destroy();
          resolve(got);
        }
      });
    });
    req.on('error', (e) => (got.length < 2 ? reject(e) : undefined));
    req.end();
  });
  t.equal((streamed[1] as { preread: string }).preread, (streamed[0] as { read: string }).read);

  await post(d, '/containers/busy/kill');
  await waitFor(async () => (await inspect(d, id)).State.Status === 'exited');
  const stopped = (await d.request('GET', '/containers/busy/stats?stream=0')).json();
  t.match(stopped, { read: '0001-01-01T00:00:00Z', cpu_stats: { cpu_usage: { total_usage: 0 } }, memory_stats: {}, pids_stats: {} });
  t.equal((await d.request('GET', '/containers/nosuch/stats?stream=0')).status, 404);
  t.same((await logs(d, id)).stdout, '');
});

t.test('--device makes a host device usable, --device-cgroup-rule allows a node, --sysctl sets namespaced ones only', async (t) => {
  const d = await daemon(t, 'res-devices');
  const sysctls = await run(d, { Cmd: ['sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax'], HostConfig: { Sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '123456' } } });
  t.equal(sysctls.stdout, '1\n123456\n');
  for (const [sysctls, hc, message] of [
    [{ 'vm.swappiness': '1' }, {}, 'sysctl "vm.swappiness" is not in a separate kernel namespace'],
    [{ 'net.ipv4.ip_forward': '1' }, { NetworkMode: 'host' }, 'sysctl "net.ipv4.ip_forward" not allowed in host network namespace'],
    [{ 'kernel.hostname': 'x' }, {}, 'sysctl "kernel.hostname" is not allowed as it conflicts with the --hostname option'],
  ] as const) {
    const res = await post(d, '/containers/create', { Image: 'busybox', HostConfig: { Sysctls: sysctls, ...hc } });
    t.equal(res.status, 400);
    t.equal(res.json().message, message);
  }
  const missing = await post(d, '/containers/create', { Image: 'busybox', HostConfig: { Devices: [{ PathOnHost: '/dev/nosuch', PathInContainer: '/dev/nosuch', CgroupPermissions: 'rwm' }] } });
  t.equal(missing.json().message, 'error gathering device information while adding custom device "/dev/nosuch": no such file or directory');
  t.equal((await post(d, '/containers/create', { Image: 'busybox', HostConfig: { DeviceCgroupRules: ['x 1:2 r'] } })).json().message, "invalid device cgroup format 'x 1:2 r'");

  if (!existsSync('/dev/fuse')) return t.skip('this host has no /dev/fuse to pass in');
  const open = 'mknod /tmp/f c 10 229; (: < /tmp/f) 2>/dev/null && echo made=opened || echo made=refused; (: < /dev/myfuse) 2>/dev/null && echo passed=opened || echo passed=refused';
  const plain = await run(d, { Cmd: ['sh', '-c', open] });
  t.equal(plain.stdout, 'made=refused\npassed=refused\n', 'the devices cgroup refuses a node the container made');
  const passed = await run(d, { Cmd: ['sh', '-c', open], HostConfig: { Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/myfuse', CgroupPermissions: 'rwm' }] } });
  t.equal(passed.stdout, 'made=opened\npassed=opened\n', '--device: the node exists and may be opened');
  const ruled = await run(d, { Cmd: ['sh', '-c', open], HostConfig: { DeviceCgroupRules: ['c 10:229 rwm'] } });
  t.equal(ruled.stdout, 'made=opened\npassed=refused\n', '--device-cgroup-rule: allowed, no node made');
});

t.test('the container sees its own cgroups read-only at /sys/fs/cgroup, with its limits', async (t) => {
  const d = await daemon(t, 'res-cgroupfs');
  const inside = await run(d, { Cmd: ['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; cat /proc/self/cgroup | grep -c ":/$"; echo 1 > /sys/fs/cgroup/pids/pids.max 2>/dev/null && echo written || echo refused'], HostConfig: { Memory: 48 << 20, PidsLimit: 30 } });
  t.equal(inside.code, 0, inside.stderr);
  const lines = inside.stdout.trim().split('\n');
  t.equal(lines[0], String(48 << 20), 'the memory limit, read inside (what a JVM looks for)');
  t.equal(lines[1], '30');
  t.equal(lines[3], 'refused', 'read-only');
});

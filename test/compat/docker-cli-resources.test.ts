// The real docker CLI with resource limits on kapald (cgroup v1): the OOM killer under -m, a fork
// bomb under --pids-limit, the CPU quota of --cpus and what docker stats makes of it, docker update
// on running and stopped containers, cpuset and shares, and moby's validation messages. The
// limits are read from the host's side of the container's cgroups: /proc/<State.Pid>/cgroup as
// this process sees it (the container has its own cgroup namespace, so its view would be "/").

import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { waitFor } from '../helpers/containers.js';
import { dockerSetup, skipWithoutDocker as skip, succeeds, type Run } from '../helpers/docker-cli.js';
import { readV1Hierarchies } from '../../src/runtime/cgroups/hierarchies.js';

const setup = dockerSetup;
const ok = succeeds;

/** The host directory of `pid`'s cgroup in the hierarchy holding `controller`. */
function cgroupDirOf(pid: number, controller: string): string {
  const h = readV1Hierarchies().find((x) => x.controllers.includes(controller));
  if (!h) throw new Error(`no v1 hierarchy has ${controller}`);
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m && m[1]!.split(',').includes(controller)) return path.join(h.mount, m[2]!);
  }
  throw new Error(`/proc/${pid}/cgroup has no ${controller} line`);
}

/** A cgroup file of a running container, read from the host. */
async function cgroupFile(sh: (script: string) => Promise<Run>, name: string, controller: string, file: string): Promise<string> {
  const pid = Number((await sh(`docker inspect -f '{{.State.Pid}}' ${name}`)).stdout.trim());
  if (!(pid > 0)) throw new Error(`${name} has no State.Pid`);
  return readFileSync(path.join(cgroupDirOf(pid, controller), file), 'utf8').trim();
}

const EAT_MEMORY = "sh -c 'x=a; while :; do x=$x$x; done'";
const FORK_LOOP = "sh -c 'i=0; while :; do sleep 100 & i=$((i+1)); echo $i; done'";
const BUSY_LOOP = "sh -c 'while :; do :; done'";
const MiB = 1024 * 1024;

/**
 * The CLI sends `--until 0s` as whole seconds (to dockerd too), so an event of the current second
 * falls after it: a replay of what just happened waits for the next second first.
 */
const nextSecond = () => new Promise((r) => setTimeout(r, 1010 - (Date.now() % 1000)));

t.test('a container that outgrows -m 32m is OOM-killed: exit 137, State.OOMKilled, an oom event, and inspect shows Memory and the doubled MemorySwap', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'res-cli-oom');
  const since = Math.floor(Date.now() / 1000) - 1;
  const rm = await sh(`docker run --rm -m 32m busybox ${EAT_MEMORY}`);
  t.equal(rm.code, 137, `docker run --rm exits 137: ${rm.stderr}`);

  const named = await sh(`docker run --name oomer -m 32m busybox ${EAT_MEMORY}`);
  t.equal(named.code, 137, `and without --rm too: ${named.stderr}`);
  t.same(await sh("docker inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}} {{.State.Status}}' oomer"), { code: 0, stdout: 'true 137 exited\n', stderr: '' });
  t.equal((await sh("docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' oomer")).stdout, `${32 * MiB} ${64 * MiB}\n`, 'MemorySwap defaults to twice Memory');

  await nextSecond();
  const events = await sh(`docker events --since ${since} --until 0s --filter event=oom --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'`);
  t.equal(events.code, 0, events.stderr);
  const lines = events.stdout.split('\n').filter(Boolean);
  t.ok(lines.includes('container oom oomer'), `docker events --filter event=oom lists oomer: ${events.stdout}`);
  t.equal(lines.length, 2, 'and the --rm container: one oom event each');
  await ok(t, d, sh, 'docker rm oomer');
});

t.test('--pids-limit 20 stops a fork loop at 19 children: the log counts to 19 and says "can\'t fork"', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'res-cli-pids');
  const run = await sh(`timeout 30 docker run --name forker --pids-limit 20 busybox ${FORK_LOOP}`);
  t.not(run.code, 124, 'the loop ends by itself');
  const log = await sh('docker logs forker');
  const numbers = log.stdout.split('\n').filter((l) => /^\d+$/.test(l));
  t.equal(numbers.at(-1), '19', `sh and 19 sleeps are 20 processes; the last number is 19 (exit ${run.code})`);
  t.match(log.stdout + log.stderr, "can't fork", 'busybox sh says why it stopped');
  t.equal((await sh("docker inspect -f '{{.HostConfig.PidsLimit}}' forker")).stdout, '20\n');
  await ok(t, d, sh, 'docker rm -f forker');

  await ok(t, d, sh, 'docker run -d --name capped --pids-limit 20 busybox sleep 1000');
  t.equal(await cgroupFile(sh, 'capped', 'pids', 'pids.max'), '20', 'pids.max of the running container');
  await ok(t, d, sh, 'docker rm -f capped');
});

t.test('--cpus 0.5 sets cfs_quota_us 50000 per 100000, and docker stats shows a busy loop under 80% CPU and the -m limit', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'res-cli-cpus');
  await ok(t, d, sh, `docker run -d --name busy --cpus 0.5 -m 64m busybox ${BUSY_LOOP}`);
  t.equal(await cgroupFile(sh, 'busy', 'cpu', 'cpu.cfs_quota_us'), '50000');
  t.equal(await cgroupFile(sh, 'busy', 'cpu', 'cpu.cfs_period_us'), '100000');
  t.equal(await cgroupFile(sh, 'busy', 'memory', 'memory.limit_in_bytes'), String(64 * MiB));
  t.equal((await sh("docker inspect -f '{{.HostConfig.NanoCpus}}' busy")).stdout, '500000000\n');

  const table = await ok(t, d, sh, 'docker stats --no-stream busy');
  const [header, row] = table.split('\n');
  t.match(header, /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/, `the table's header: ${table}`);
  t.match(row, /^[0-9a-f]{12} +busy +\d+\.\d+% +[\d.]+[KMG]?i?B \/ 64MiB +[\d.]+% /, 'a row with the 64MiB limit');
  const cpu = Number(/ (\d+\.\d+)% /.exec(row ?? '')?.[1]);
  t.ok(cpu > 0, `the busy loop uses some CPU: ${cpu}%`);
  t.ok(cpu < 80, `but less than 80% of one CPU under --cpus 0.5: ${cpu}%`);

  const json = await ok(t, d, sh, "docker stats --no-stream --format '{{json .}}' busy");
  let parsed: Record<string, string> = {};
  t.doesNotThrow(() => (parsed = JSON.parse(json)), `--format '{{json .}}' is JSON: ${json}`);
  t.match(parsed, { Name: 'busy', CPUPerc: /^\d+\.\d+%$/, MemUsage: / \/ 64MiB$/, MemPerc: /^\d+\.\d+%$/, PIDs: '1' });
  t.ok(Number(parsed.CPUPerc?.replace('%', '')) < 80, `CPUPerc ${parsed.CPUPerc} < 80%`);
  await ok(t, d, sh, 'docker rm -f busy');
});

t.test('docker update changes a running container\'s memory and CPU cgroups and inspect, refuses 4m with moby\'s words, and a stopped container gets the value at its next start', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'res-cli-update');
  await ok(t, d, sh, 'docker run -d --name web busybox sleep 1000');
  t.same(await sh('docker update --memory 64m --memory-swap 128m web'), { code: 0, stdout: 'web\n', stderr: '' });
  t.equal(await cgroupFile(sh, 'web', 'memory', 'memory.limit_in_bytes'), String(64 * MiB), 'memory.limit_in_bytes follows at once');
  t.equal(await cgroupFile(sh, 'web', 'memory', 'memory.memsw.limit_in_bytes'), String(128 * MiB), 'and memory.memsw.limit_in_bytes');
  t.equal((await sh("docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' web")).stdout, `${64 * MiB} ${128 * MiB}\n`);

  t.same(await sh('docker update --cpus 1 web'), { code: 0, stdout: 'web\n', stderr: '' });
  t.equal(await cgroupFile(sh, 'web', 'cpu', 'cpu.cfs_quota_us'), '100000');
  t.equal(await cgroupFile(sh, 'web', 'cpu', 'cpu.cfs_period_us'), '100000');
  t.equal((await sh("docker inspect -f '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}' web")).stdout, `1000000000 ${64 * MiB}\n`, 'NanoCpus, and the memory limit stays');

  const small = await sh('docker update --memory 4m web');
  t.not(small.code, 0, 'docker update --memory 4m fails');
  t.match(small.stderr, 'Minimum memory limit allowed is 6MB');
  t.equal(await cgroupFile(sh, 'web', 'memory', 'memory.limit_in_bytes'), String(64 * MiB), 'and changes nothing');
  t.equal((await sh("docker inspect -f '{{.HostConfig.Memory}}' web")).stdout, `${64 * MiB}\n`);

  await ok(t, d, sh, 'docker create --name later busybox sleep 1000');
  t.same(await sh('docker update --memory 48m --memory-swap 96m --cpus 0.25 later'), { code: 0, stdout: 'later\n', stderr: '' });
  t.equal((await sh("docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}}' later")).stdout, `${48 * MiB} ${96 * MiB} 250000000\n`, 'a created container stores the values');
  await ok(t, d, sh, 'docker start later');
  t.equal(await cgroupFile(sh, 'later', 'memory', 'memory.limit_in_bytes'), String(48 * MiB), 'start applies them');
  t.equal(await cgroupFile(sh, 'later', 'cpu', 'cpu.cfs_quota_us'), '25000');

  await ok(t, d, sh, 'docker stop -t 0 later');
  t.same(await sh('docker update --memory 80m --memory-swap 160m later'), { code: 0, stdout: 'later\n', stderr: '' });
  t.equal((await sh("docker inspect -f '{{.HostConfig.Memory}} {{.State.Status}}' later")).stdout, `${80 * MiB} exited\n`, 'an exited container stores the value');
  await ok(t, d, sh, 'docker start later');
  t.equal(await cgroupFile(sh, 'later', 'memory', 'memory.limit_in_bytes'), String(80 * MiB), 'and the next start applies it');
  t.equal(await cgroupFile(sh, 'later', 'memory', 'memory.memsw.limit_in_bytes'), String(160 * MiB));
  await ok(t, d, sh, 'docker rm -f web later');
});

t.test('limits moby refuses exit 125 with moby\'s words and create nothing; --blkio-weight on a kernel without blkio.weight runs with a warning', { skip }, async (t) => {
  const { sh } = await setup(t, 'res-cli-validate');
  const cpus = os.availableParallelism();
  const cases: [string, string][] = [
    ['-m 4m', 'Minimum memory limit allowed is 6MB'],
    ['--cpus 9', `Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`],
    ['--cpuset-cpus 5', 'Requested CPUs are not available'],
    ['--memory-swap 10m -m 20m', 'Minimum memoryswap limit should be larger than memory limit'],
  ];
  t.equal(Number((await sh('nproc')).stdout.trim()), cpus, 'nproc agrees on the CPU count');
  for (const [flags, message] of cases) {
    const r = await sh(`docker run --rm ${flags} busybox true`);
    t.equal(r.code, 125, `docker run ${flags} exits 125`);
    t.match(r.stderr, message, `and says: ${message}`);
    t.equal(r.stdout, '');
  }
  t.equal((await sh('docker ps -aq')).stdout, '', 'no container was created');

  const blkio = `${readV1Hierarchies().find((h) => h.controllers.includes('blkio'))?.mount ?? '/sys/fs/cgroup/blkio'}/blkio.weight`;
  let hasWeight = true;
  try {
    readFileSync(blkio);
  } catch {
    hasWeight = false;
  }
  const weight = await sh('docker run --rm --blkio-weight 300 busybox echo ran');
  t.equal(weight.code, 0, weight.stderr);
  t.equal(weight.stdout, 'ran\n');
  if (hasWeight) t.notMatch(weight.stderr, 'Block I/O weight', `${blkio} exists: no warning`);
  else t.match(weight.stderr, 'WARNING: Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.', `${blkio} does not exist: the warning`);
});

t.test('--cpuset-cpus 0 writes cpuset.cpus 0 and nproc inside prints 1', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'res-cli-cpuset');
  await ok(t, d, sh, 'docker run -d --name pinned --cpuset-cpus 0 busybox sleep 1000');
  t.equal(await cgroupFile(sh, 'pinned', 'cpuset', 'cpuset.cpus'), '0');
  t.same(await sh('docker exec pinned nproc'), { code: 0, stdout: '1\n', stderr: '' });
  t.same(await sh('docker run --rm --cpuset-cpus 0 busybox nproc'), { code: 0, stdout: '1\n', stderr: '' });
  t.equal((await sh("docker inspect -f '{{.HostConfig.CpusetCpus}}' pinned")).stdout, '0\n');
  await ok(t, d, sh, 'docker rm -f pinned');
});

t.test('--cpu-shares 512 writes cpu.shares 512', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'res-cli-shares');
  await ok(t, d, sh, 'docker run -d --name shared --cpu-shares 512 busybox sleep 1000');
  t.equal(await cgroupFile(sh, 'shared', 'cpu', 'cpu.shares'), '512');
  t.equal((await sh("docker inspect -f '{{.HostConfig.CpuShares}}' shared")).stdout, '512\n');
  await ok(t, d, sh, 'docker rm -f shared');
  await waitFor(async () => (await sh('docker ps -aq')).stdout === '', 5000, 'shared to be gone');
});

// The CLI 28 sends PidsLimit null for `--pids-limit 0` (unchanged) and -1 for `--pids-limit -1`.
t.test('docker update --pids-limit -1 removes the limit, stored as 0 as moby does', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'res-cli-pids-unset');
  await ok(t, d, sh, 'docker run -d --name capped --pids-limit 20 busybox sleep 1000');
  t.same(await sh('docker update --pids-limit -1 capped'), { code: 0, stdout: 'capped\n', stderr: '' });
  t.equal(await cgroupFile(sh, 'capped', 'pids', 'pids.max'), 'max', 'pids.max is max again');
  t.equal((await sh("docker inspect -f '{{.HostConfig.PidsLimit}}' capped")).stdout, '0\n', 'moby stores 0');
  await ok(t, d, sh, 'docker rm -f capped');
});

// A known difference from dockerd, kept visible: the assertions kapal fails today are marked todo
// (tap shows them as "not ok # TODO" without failing the file) until kapal matches.
t.test('an OOM kill of a docker exec process is an oom event when it happens, and a later docker stop is not an OOM kill', { skip }, async (t) => {
  const todo = 'the shim calls any oom_kill in the cgroup an OOM kill of the container, at its exit';
  const { d, sh } = await setup(t, 'res-cli-oom-exec');
  await ok(t, d, sh, 'docker run -d --name host -m 32m busybox sleep 1000');
  const since = Math.floor(Date.now() / 1000) - 1;
  t.equal((await sh("docker exec host sh -c 'x=a; while :; do x=$x$x; done'")).code, 137, 'the exec is OOM-killed');
  await nextSecond();
  t.equal((await sh(`docker events --since ${since} --until 0s --filter event=oom --format '{{.Actor.Attributes.name}}'`)).stdout, 'host\n', 'an oom event while the container runs on', { todo });
  const stopped = Math.floor(Date.now() / 1000);
  await ok(t, d, sh, 'docker stop -t 0 host');
  t.equal((await sh("docker inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' host")).stdout, '137 false\n', 'killed by docker stop, not by the OOM killer', { todo });
  await nextSecond();
  t.equal((await sh(`docker events --since ${stopped} --until 0s --filter event=oom`)).stdout, '', 'and no oom event at the stop', { todo });
  await ok(t, d, sh, 'docker rm -f host');
});

t.test('a container sees its own memory limit at /sys/fs/cgroup/memory/memory.limit_in_bytes, as under dockerd on cgroup v1', { skip }, async (t) => {
  const { sh } = await setup(t, 'res-cli-cgroupfs');
  const r = await sh('docker run --rm -m 48m busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes');
  t.same(r, { code: 0, stdout: `${48 * MiB}\n`, stderr: '' }, 'the limit, read inside');
});

// The cgroup drivers on the real kernel: v1 on its hierarchies, and v2 on this machine's (empty)
// unified hierarchy at /sys/fs/cgroup/unified, which has no controllers but does have cgroup.procs
// and cgroup.freeze, all the v2 driver uses.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { openSync, closeSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { CgroupsV2, readV2Mount } from '../../src/runtime/cgroups/v2.js';
import { CgroupsV1 } from '../../src/runtime/cgroups/v1.js';
import { readV1Hierarchies } from '../../src/runtime/cgroups/hierarchies.js';
import type { CgroupDriver } from '../../src/runtime/cgroups/driver.js';
import { removeCgroupParent } from '../helpers/leftovers.js';
import { limitsOf } from '../../src/domain/resources.js';

const UNIFIED = '/sys/fs/cgroup/unified';
const hasUnified = existsSync(path.join(UNIFIED, 'cgroup.procs'));

async function exercise(t: Test, driver: CgroupDriver, id: string): Promise<void> {
  const cg = driver.create(id, { privileged: false, limits: limitsOf({}) });
  t.ok(cg.dirs.length > 0 && cg.dirs.every((d) => existsSync(d)), 'the directories exist');
  // A process that keeps writing: while frozen, its output file must not grow.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kapal-test-cgroups-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = openSync(path.join(dir, 'ticks'), 'w');
  // One process that never forks (a shell loop's `sleep` children would race the pids check).
  const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => process.stdout.write("tick\\n"), 10)'], { stdio: ['ignore', out, 'ignore'] });
  closeSync(out);
  const size = () => statSync(path.join(dir, 'ticks')).size;
  t.teardown(() => sleeper.kill('SIGKILL'));
  while (size() === 0) await new Promise((r) => setTimeout(r, 10)); // it is ticking
  for (const dir of cg.dirs) writeFileSync(path.join(dir, 'cgroup.procs'), String(sleeper.pid));
  t.same(driver.pids(id), [sleeper.pid]);
  const pause = () => new Promise((r) => setTimeout(r, 150));
  await driver.setFrozen(id, true);
  const frozenAt = size();
  await pause();
  t.equal(size(), frozenAt, 'no output while frozen');
  await driver.setFrozen(id, false);
  await pause();
  t.ok(size() > frozenAt, 'output again once thawed');
  const exited = new Promise((r) => sleeper.once('exit', r));
  sleeper.kill('SIGKILL');
  await exited;
  driver.remove(id);
  t.ok(cg.dirs.every((d) => !existsSync(d)), 'removed');
  t.same(driver.pids(id), []);
}

t.test('cgroup v2 driver: create, move a process in, freeze, thaw, remove (on the real unified hierarchy)', { skip: hasUnified ? false : `no cgroup2 mount at ${UNIFIED}` }, async (t) => {
  const parent = `kapal-test-v2-${process.pid}`;
  const mount = readV2Mount(UNIFIED);
  t.teardown(() => {
    try {
      rmdirSync(path.join(UNIFIED, mount.own, parent));
    } catch {
      // already gone
    }
  });
  const driver = new CgroupsV2(mount, parent);
  t.equal(driver.confinesDevices, false, 'v2 cannot confine devices without eBPF: the runtime drops CAP_MKNOD');
  await exercise(t, driver, 'c1');
});

t.test('cgroup v1 driver: create with device rules, freeze, thaw, remove', async (t) => {
  const parent = `kapal-test-v1-${process.pid}`;
  t.teardown(() => removeCgroupParent(parent));
  const driver = new CgroupsV1(readV1Hierarchies(), parent);
  t.equal(driver.confinesDevices, true);
  const devices = driver.paths('c1').dirs.find((d) => d.includes('/devices/'));
  await exercise(t, driver, 'c1');
  const again = driver.create('c2', { privileged: false, limits: limitsOf({}) });
  t.teardown(() => driver.remove('c2'));
  const rules = readFileSync(path.join(again.dirs.find((d) => d.includes('/devices/'))!, 'devices.list'), 'utf8');
  t.match(rules, /^c 1:3 rwm$/m, 'docker\'s allow list');
  t.notMatch(rules, /^a \*:\* rwm$/m, 'not everything');
  t.ok(devices);
});

t.test('cgroup v1 driver: limits reach the kernel, update changes them, a refused write leaves nothing behind', async (t) => {
  const parent = `kapal-test-v1l-${process.pid}`;
  t.teardown(() => removeCgroupParent(parent));
  const driver = new CgroupsV1(readV1Hierarchies(), parent);
  driver.create('c1', { privileged: false, limits: limitsOf({ Memory: 32 << 20, NanoCpus: 5e8, PidsLimit: 20, CpusetCpus: '0', CpuShares: 512 }) });
  t.teardown(() => driver.remove('c1'));
  const file = (controller: string, name: string) => readFileSync(path.join(driver.controllerDir('c1', controller)!, name), 'utf8').trim();
  t.equal(file('memory', 'memory.limit_in_bytes'), String(32 << 20));
  if (driver.features.swap) t.equal(file('memory', 'memory.memsw.limit_in_bytes'), String(64 << 20), 'swap: as much again');
  t.equal(file('cpu', 'cpu.cfs_quota_us'), '50000');
  t.equal(file('cpu', 'cpu.cfs_period_us'), '100000');
  t.equal(file('cpu', 'cpu.shares'), '512');
  t.equal(file('pids', 'pids.max'), '20');
  t.equal(file('cpuset', 'cpuset.cpus'), '0');
  driver.update('c1', limitsOf({ Memory: 128 << 20, MemorySwap: 256 << 20, PidsLimit: -1 }));
  t.equal(file('memory', 'memory.limit_in_bytes'), String(128 << 20), 'raised above the old swap limit: the order of writes works');
  t.equal(file('pids', 'pids.max'), 'max');
  driver.update('c1', limitsOf({ Memory: 16 << 20 }));
  t.equal(file('memory', 'memory.limit_in_bytes'), String(16 << 20), 'and lowered again');

  t.throws(() => driver.create('c2', { privileged: false, limits: limitsOf({ CpusetCpus: '0-63' }) }), /cgroup: write 0-63 to cpuset.cpus/);
  t.notOk(driver.paths('c2').dirs.some((d) => existsSync(d)), 'no directory of the failed create is left');
});

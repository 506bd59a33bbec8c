// kapal-shim on its own, without kapald: a busybox rootfs, a spec written by spec.ts, the start
// channel on fd 3 and the container socket, exactly as kapald uses them. Real namespaces, mounts,
// cgroups and capabilities; every shim, container and cgroup is removed even when a test fails.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ROOT, makeTempDir } from '../helpers/daemon.js';
import { buildFixtureImage } from '../helpers/images.js';
import {
  FrameReader,
  ShimAttachFlag,
  ShimClientMsg,
  ShimOutputMsg,
  ShimStartMsg,
  encodeFrame,
  u32,
  type Frame,
  type ShimExit,
} from '../../src/runtime/shim/protocol.js';
import { encodeSpec, writeSpec, type ShimSpec } from '../../src/runtime/shim/spec.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const SHIM = path.join(ROOT, 'native/kapal-shim');
if (!existsSync(SHIM)) throw new Error('kapal-shim is not built: run `make -C native` (or `npm run build`) first');

const DOCKER_CAPS = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31];
const MASKED = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
const DEVICES = [['null', 3], ['zero', 5], ['full', 7], ['random', 8], ['urandom', 9]].map(([name, minor]) => ({
  path: `/dev/${name}`, type: 'c' as const, major: 1, minor: minor as number, mode: 0o666, uid: 0, gid: 0,
}));

// One busybox tree, extracted once, is the read-only lower layer of every container in this file.
const fixture = buildFixtureImage(t);
const lower = makeTempDir(t, 'shim-lower');
execFileSync('tar', ['-xf', fixture.rootfsTar, '-C', lower]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A queue of frames from one socket; next() waits for the next one of `type` (any when omitted). */
class Frames {
  private readonly frames: Frame[] = [];
  private wake: (() => void) | undefined;
  closed = false;

  constructor(socket: net.Socket) {
    const reader = new FrameReader((f) => {
      this.frames.push({ type: f.type, payload: Buffer.from(f.payload) });
      this.wake?.();
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  all(): Frame[] {
    return this.frames;
  }

  async next(type?: number, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ; ) {
      const found = this.frames.slice(seen).find((f) => type === undefined || f.type === type);
      if (found) {
        this.frames.splice(this.frames.indexOf(found), 1);
        return found;
      }
      seen = 0;
      if (this.closed) throw new Error(`socket closed before a frame of type ${type}`);
      if (Date.now() > deadline) throw new Error(`no frame of type ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  text(type: number): string {
    return Buffer.concat(this.frames.filter((f) => f.type === type).map((f) => f.payload)).toString();
  }
}

interface Client {
  socket: net.Socket;
  frames: Frames;
  send(type: number, payload?: Buffer): Promise<void>;
}

async function connectClient(dir: string, flags: number): Promise<Client> {
  const socket = net.connect(path.join(dir, 'sock'));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const frames = new Frames(socket);
  const send = (type: number, payload?: Buffer) =>
    new Promise<void>((resolve, reject) => socket.write(encodeFrame(type, payload), (err) => (err ? reject(err) : resolve())));
  await send(ShimClientMsg.CLIENT_ATTACH, Buffer.from([flags]));
  return { socket, frames, send };
}

interface Shim {
  dir: string;
  proc: ChildProcess;
  channel: net.Socket;
  start: Frame;
  /** The container's pid (host view) once SHIM_STARTED arrived. */
  pid: number;
  startMs: number;
  /** Resolves with the shim's exit code. */
  exited: Promise<number | null>;
  exitFile(): ShimExit;
  logRecords(): { log: string; stream: string; time: string }[];
  stdout(): string;
}

function baseSpec(dir: string): ShimSpec {
  const files = path.join(dir, 'files');
  mkdirSync(files);
  writeFileSync(path.join(files, 'hostname'), 'box\n');
  writeFileSync(path.join(files, 'hosts'), '127.0.0.1\tlocalhost\n');
  writeFileSync(path.join(files, 'resolv.conf'), 'nameserver 127.0.0.53\n');
  for (const d of ['rootfs', 'upper', 'work']) mkdirSync(path.join(dir, d));
  return {
    rootfs: path.join(dir, 'rootfs'),
    lowers: [lower],
    upper: path.join(dir, 'upper'),
    work: path.join(dir, 'work'),
    readonlyRootfs: false,
    hostname: 'box',
    namespaces: ['pid', 'mnt', 'uts', 'ipc', 'net'],
    cgroups: [],
    memoryCgroup: undefined,
    binds: ['hostname', 'hosts', 'resolv.conf'].map((f) => ({ source: path.join(files, f), target: `/etc/${f}`, readonly: false })),
    shmSize: 64 * 1024 * 1024,
    maskedPaths: MASKED,
    readonlyPaths: READONLY,
    devices: DEVICES,
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=box'],
    args: ['true'],
    cwd: '/',
    user: '',
    groupAdd: [],
    caps: DOCKER_CAPS,
    noNewPrivileges: false,
    rlimits: [],
    tty: false,
    stdin: false,
    consoleSize: [0, 0],
    logPath: path.join(dir, 'container.log'),
    init: false,
    privileged: false,
    uidMap: [],
    gidMap: [],
  };
}

/**
 * Spawns `kapal-shim run DIR` as kapald does and speaks the start channel. `beforeGo` runs
 * between SHIM_READY and SHIM_GO (connect attach clients there). Resolves after SHIM_STARTED or
 * SHIM_FAILED (see `start`).
 */
async function launch(
  t: Teardown,
  spec: Partial<ShimSpec> | Buffer,
  beforeGo: (dir: string) => Promise<void> = async () => {},
): Promise<Shim> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kapal-test-shim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true })); // also when the spec cannot even be written
  if (Buffer.isBuffer(spec)) writeFileSync(path.join(dir, 'spec'), spec);
  else writeSpec(path.join(dir, 'spec'), encodeSpec({ ...baseSpec(dir), ...spec }));
  const logFd = openSync(path.join(dir, 'shim.log'), 'a', 0o600);
  const began = performance.now();
  const proc = spawn(SHIM, ['run', dir], { detached: true, stdio: ['ignore', 'ignore', logFd, 'pipe'] });
  closeSync(logFd);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const shim = { dir, proc, pid: 0, exited } as Shim;
  t.teardown(async () => {
    // The container first (its pid 1 takes the rest of its pid namespace along), then the shim, then its files.
    if (shim.pid && proc.exitCode === null && alive(shim.pid)) process.kill(shim.pid, 'SIGKILL');
    const timeout = sleep(5000).then(() => 'timeout');
    if (proc.exitCode === null && (await Promise.race([exited, timeout])) === 'timeout') proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  shim.channel = proc.stdio[3] as net.Socket;
  const frames = new Frames(shim.channel);
  shim.start = await frames.next(); // SHIM_FAILED may come first, when the spec is refused
  if (shim.start.type === ShimStartMsg.SHIM_READY) {
    await beforeGo(dir);
    shim.channel.write(encodeFrame(ShimStartMsg.SHIM_GO));
    shim.start = await frames.next();
  }
  shim.startMs = performance.now() - began;
  if (shim.start.type === ShimStartMsg.SHIM_STARTED) shim.pid = shim.start.payload.readUInt32BE(0);
  shim.exitFile = () => JSON.parse(readFileSync(path.join(dir, 'exit'), 'utf8'));
  shim.logRecords = () =>
    readFileSync(path.join(dir, 'container.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  shim.stdout = () => shim.logRecords().filter((r) => r.stream === 'stdout').map((r) => r.log).join('');
  return shim;
}

/** Runs `args` to completion; returns the exit file and the logged stdout and stderr. */
async function run(t: Teardown, args: string[], spec: Partial<ShimSpec> = {}) {
  const shim = await launch(t, { args, ...spec });
  if (shim.start.type !== ShimStartMsg.SHIM_STARTED) throw new Error(`start failed: ${shim.start.payload}`);
  const code = await shim.exited;
  const records = shim.logRecords();
  const text = (stream: string) => records.filter((r) => r.stream === stream).map((r) => r.log).join('');
  return { shim, code, exit: shim.exitFile(), stdout: text('stdout'), stderr: text('stderr') };
}

t.test('echo hi is logged as a json-file line and the exit file says 0', async (t) => {
  const { shim, code, exit, stdout } = await run(t, ['echo', 'hi']);
  t.equal(code, 0, 'the shim exits 0 after its container');
  const line = readFileSync(path.join(shim.dir, 'container.log'), 'utf8');
  t.match(line, /^\{"log":"hi\\n","stream":"stdout","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z"\}\n$/);
  t.equal(stdout, 'hi\n');
  t.same(Object.keys(exit), ['exitCode', 'signal', 'oomKilled', 'finishedAt', 'pid']);
  t.match(exit, { exitCode: 0, signal: 0, oomKilled: false, pid: shim.pid });
  t.ok(Math.abs(Date.parse(exit.finishedAt) - Date.now()) < 60_000, 'finishedAt is now');
  t.notOk(existsSync(path.join(shim.dir, 'sock')), 'the socket is removed');
  t.equal(readFileSync(path.join(shim.dir, 'pid'), 'utf8').trim(), String(shim.pid));
  t.equal(readFileSync(path.join(shim.dir, 'shim.pid'), 'utf8').trim(), String(shim.proc.pid));
  t.comment(`spawn to SHIM_STARTED: ${shim.startMs.toFixed(1)} ms`);
});

t.test("the container's exit status is the exit file's exitCode", async (t) => {
  t.match((await run(t, ['sh', '-c', 'exit 3'])).exit, { exitCode: 3, signal: 0 });
});

t.test('exec failures come back as SHIM_FAILED in moby\'s words', async (t) => {
  for (const [args, message] of [
    [['nosuchcmd'], 'exec: "nosuchcmd": executable file not found in $PATH'],
    [['/nope/x'], 'exec: "/nope/x": stat /nope/x: no such file or directory'],
    [['/etc/passwd'], 'exec: "/etc/passwd": permission denied'],
  ] as const) {
    const shim = await launch(t, { args: [...args] });
    t.equal(shim.start.type, ShimStartMsg.SHIM_FAILED, args[0]);
    t.equal(shim.start.payload.toString(), message);
    t.equal(await shim.exited, 1, 'the shim exits 1');
    t.notOk(existsSync(path.join(shim.dir, 'sock')));
    t.match(readFileSync(path.join(shim.dir, 'shim.log'), 'utf8'), `kapal-shim: ${message}`);
  }
});

t.test('a setup failure names the step, the syscall and the argument', async (t) => {
  const shim = await launch(t, { cwd: '/etc/passwd/sub' });
  t.equal(shim.start.type, ShimStartMsg.SHIM_FAILED);
  t.equal(shim.start.payload.toString(), 'make_cwd: mkdir `/etc/passwd/sub`: not a directory');
});

t.test('a malformed spec is refused before anything starts, naming the key', async (t) => {
  const raw = (...strings: string[]) => Buffer.from(strings.map((s) => `${s}\0`).join(''));
  for (const [spec, message] of [
    [raw('version', '1', 'bogus', 'x'), 'spec: unknown key `bogus`'],
    [raw('version', '1', 'bind', '/a', '/b'), 'spec: key `bind` takes 3 values, the file ends after 2'],
    [raw('version', '2'), 'spec: first record must be `version 1`'],
    [raw('version', '1', 'rootfs', '/r', 'rootfs', '/s'), 'spec: key `rootfs` given twice'],
    [raw('version', '1', 'rootfs', '/r', 'arg', 'true'), 'spec: no `lower` directory'],
  ] as const) {
    const shim = await launch(t, spec);
    t.equal(shim.start.type, ShimStartMsg.SHIM_FAILED, message);
    t.equal(shim.start.payload.toString(), message);
    t.equal(await shim.exited, 1);
  }
});

t.test('the command is pid 1 of its own pid namespace', async (t) => {
  t.equal((await run(t, ['sh', '-c', 'echo $$'])).stdout, '1\n');
});

t.test('the hostname, the bind-mounted /etc files and the environment are the spec\'s', async (t) => {
  const { stdout } = await run(t, ['sh', '-c', 'hostname; cat /etc/hostname /etc/resolv.conf; env | sort; pwd'], {
    cwd: '/work/dir',
  });
  t.equal(stdout, 'box\nbox\nnameserver 127.0.0.53\nHOME=/root\nHOSTNAME=box\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nPWD=/work/dir\nSHLVL=1\n/work/dir\n');
});

t.test('with a cgroup namespace /proc/self/cgroup shows no host paths', async (t) => {
  const name = `kapal-shim-test-${process.pid}`;
  const own = (controller: string) => {
    const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.split(':')[1]!.split(',').includes(controller));
    return path.join('/sys/fs/cgroup', controller, line!.split(':')[2]!, name);
  };
  const cgroups = [own('memory'), own('pids')];
  for (const c of cgroups) mkdirSync(c);
  t.teardown(async () => {
    for (const c of cgroups) {
      for (let i = 0; i < 50 && existsSync(c); i++) {
        try {
          rmdirSync(c);
        } catch {
          // Only this test's container can be in this uniquely named cgroup: make sure it is gone.
          for (const pid of readFileSync(path.join(c, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
            if (alive(Number(pid))) process.kill(Number(pid), 'SIGKILL');
          }
          await sleep(100);
        }
      }
    }
  });
  const { stdout, exit } = await run(t, ['cat', '/proc/self/cgroup'], {
    namespaces: ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'],
    cgroups,
    memoryCgroup: cgroups[0],
  });
  const lines = stdout.trim().split('\n');
  t.ok(lines.length >= 2);
  for (const line of lines) t.match(line, /:\/$/, `${line} is the namespace root`);
  t.notMatch(stdout, name);
  t.equal(exit.oomKilled, false, 'memory.oom_control was read');
  t.equal(readFileSync(path.join(cgroups[1]!, 'pids.max'), 'utf8').trim(), 'max', 'the pids cgroup was real');
});

t.test("root keeps docker's 14 default capabilities, none inheritable", async (t) => {
  const { stdout } = await run(t, ['grep', '^Cap', '/proc/self/status']);
  t.match(stdout, /CapInh:\t0000000000000000\n/);
  t.match(stdout, /CapPrm:\t00000000a80425fb\n/);
  t.match(stdout, /CapEff:\t00000000a80425fb\n/);
  t.match(stdout, /CapBnd:\t00000000a80425fb\n/);
});

t.test('/proc/sys and /sys are read-only and the masked paths are empty', async (t) => {
  const script = [
    'echo 1 > /proc/sys/kernel/domainname && echo sys-writable',
    'touch /sys/x 2>/dev/null && echo sysfs-writable',
    'wc -c < /proc/timer_list',
    'ls -A /proc/acpi | wc -l',
    'ls -A /sys/firmware | wc -l',
    'wc -c < /proc/keys',
    'grep -c " /proc/sys proc ro," /proc/mounts',
    'test -e /proc/kcore && echo kcore',
    'echo done',
  ].join('; ');
  const { stdout, stderr } = await run(t, ['sh', '-c', script]);
  t.equal(stdout, '0\n0\n0\n0\n1\ndone\n');
  t.match(stderr, /Read-only file system/);
});

t.test('/dev is a tmpfs with the spec\'s devices, the pts instance and shm', async (t) => {
  const { stdout } = await run(t, ['sh', '-c', 'ls -l /dev/null | cut -c1-10; readlink /dev/ptmx; readlink /dev/fd; grep -E " /dev(/pts|/shm|/mqueue)? " /proc/mounts | cut -d" " -f2,3 | sort']);
  t.equal(stdout, 'crw-rw-rw-\npts/ptmx\n/proc/self/fd\n/dev tmpfs\n/dev/mqueue mqueue\n/dev/pts devpts\n/dev/shm tmpfs\n');
});

t.test('attach clients connected before GO get live output, and stdin reaches cat', async (t) => {
  let client: Client | undefined;
  const shim = await launch(t, { args: ['sh', '-c', 'echo ready; echo warn >&2; cat'], stdin: true }, async (dir) => {
    client = await connectClient(dir, ShimAttachFlag.ATTACH_STDIN | ShimAttachFlag.ATTACH_STDOUT | ShimAttachFlag.ATTACH_STDERR);
  });
  t.equal(shim.start.type, ShimStartMsg.SHIM_STARTED);
  const c = client!;
  t.equal((await c.frames.next(ShimOutputMsg.OUT_STDOUT)).payload.toString(), 'ready\n', 'no output is missed');
  t.equal((await c.frames.next(ShimOutputMsg.OUT_STDERR)).payload.toString(), 'warn\n');
  await c.send(ShimClientMsg.CLIENT_STDIN, Buffer.from('hello\n'));
  t.equal((await c.frames.next(ShimOutputMsg.OUT_STDOUT)).payload.toString(), 'hello\n');
  const late = await connectClient(shim.dir, ShimAttachFlag.ATTACH_STDOUT);
  await c.send(ShimClientMsg.CLIENT_STDIN, Buffer.from('again\n'));
  t.equal((await late.frames.next(ShimOutputMsg.OUT_STDOUT)).payload.toString(), 'again\n', 'a client attached later');
  await c.send(ShimClientMsg.CLIENT_CLOSE_STDIN);
  const exit = JSON.parse((await c.frames.next(ShimOutputMsg.OUT_EXIT)).payload.toString());
  t.match(exit, { exitCode: 0, signal: 0 });
  t.same(JSON.parse((await late.frames.next(ShimOutputMsg.OUT_EXIT)).payload.toString()), exit, 'every client gets OUT_EXIT');
  t.equal(await shim.exited, 0);
  t.equal(shim.stdout(), 'ready\nhello\nagain\n', 'the log has it all');
});

t.test('a client that stops reading holds the output back, and is dropped once it has taken nothing for a while', async (t) => {
  let slow: Client | undefined;
  const size = 80_000_000;
  const shim = await launch(t, { args: ['sh', '-c', `head -c ${size} /dev/zero | tr "\\0" x`] }, async (dir) => {
    slow = await connectClient(dir, ShimAttachFlag.ATTACH_STDOUT);
    slow.socket.pause(); // reads nothing
  });
  t.equal(shim.start.type, ShimStartMsg.SHIM_STARTED, 'the container started');
  const logSize = () => statSync(path.join(shim.dir, 'container.log')).size;
  let last = -1;
  let exited = false;
  void shim.exited.then(() => (exited = true));
  for (;;) { // until the log stands still: the output is held back, the container waits
    const now = logSize();
    if (now === last) break;
    last = now;
    await sleep(300);
  }
  t.notOk(exited, 'the container waits for the reader');
  t.ok(last < size, `the log stands at ${last} bytes`);
  t.equal(await shim.exited, 0, 'after the stalled client is dropped the container goes on to its end');
  t.equal(shim.exitFile().exitCode, 0);
  t.equal(shim.stdout().length, size, 'the log has every byte');
  slow!.socket.resume();
  while (!slow!.frames.closed) await sleep(20);
  const got = slow!.frames.text(ShimOutputMsg.OUT_STDOUT).length;
  t.ok(got < size, `the slow client got ${got} bytes before it was dropped`);
  t.notOk(slow!.frames.all().some((f) => f.type === ShimOutputMsg.OUT_EXIT), 'no OUT_EXIT for a dropped client');
});

t.test('a slow client that keeps reading gets every byte: the container waits for it', async (t) => {
  let client: Client | undefined;
  const size = 40_000_000;
  const shim = await launch(t, { args: ['sh', '-c', `head -c ${size} /dev/zero | tr "\\0" x`] }, async (dir) => {
    client = await connectClient(dir, ShimAttachFlag.ATTACH_STDOUT);
  });
  client!.socket.pause();
  const reading = setInterval(() => { // a reader far slower than the writer: a short read now and then
    client!.socket.resume();
    setTimeout(() => client!.socket.pause(), 5);
  }, 50);
  await client!.frames.next(ShimOutputMsg.OUT_EXIT, 120_000).finally(() => clearInterval(reading));
  client!.socket.resume();
  t.equal(client!.frames.text(ShimOutputMsg.OUT_STDOUT).length, size);
  t.equal(await shim.exited, 0);
});

t.test('8 MB of stdin reach a container that reads it late, intact', async (t) => {
  let client: Client | undefined;
  await launch(t, { args: ['sh', '-c', 'sleep 0.5; md5sum'], stdin: true }, async (dir) => {
    client = await connectClient(dir, ShimAttachFlag.ATTACH_STDIN | ShimAttachFlag.ATTACH_STDOUT);
  });
  const data = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
  for (let off = 0; off < data.length; off += 32768) void client!.send(ShimClientMsg.CLIENT_STDIN, data.subarray(off, off + 32768));
  await client!.send(ShimClientMsg.CLIENT_CLOSE_STDIN);
  await client!.frames.next(ShimOutputMsg.OUT_EXIT, 20_000);
  const md5 = (await import('node:crypto')).createHash('md5').update(data).digest('hex');
  t.equal(client!.frames.text(ShimOutputMsg.OUT_STDOUT), `${md5}  -\n`);
});

t.test('CLIENT_SIGNAL SIGKILL ends the container with 137', async (t) => {
  const shim = await launch(t, { args: ['sleep', '100'] });
  const c = await connectClient(shim.dir, 0);
  await c.send(ShimClientMsg.CLIENT_SIGNAL, u32(9));
  t.same(JSON.parse((await c.frames.next(ShimOutputMsg.OUT_EXIT)).payload.toString()).exitCode, 137);
  t.equal(await shim.exited, 0);
  t.match(shim.exitFile(), { exitCode: 137, signal: 9 });
});

t.test('with a tty the output is one stdout stream from a pty of the console size', async (t) => {
  const { stdout, stderr } = await run(t, ['sh', '-c', 'tty; stty size; echo err >&2; readlink /proc/self/fd/0'], {
    tty: true,
    consoleSize: [30, 100],
  });
  t.equal(stdout, '/dev/pts/0\r\n30 100\r\nerr\r\n/dev/pts/0\r\n');
  t.equal(stderr, '');
});

t.test('a tty takes stdin and CLIENT_RESIZE', async (t) => {
  let client: Client | undefined;
  const shim = await launch(t, { args: ['sh'], tty: true, stdin: true }, async (dir) => {
    client = await connectClient(dir, ShimAttachFlag.ATTACH_STDIN | ShimAttachFlag.ATTACH_STDOUT);
  });
  const c = client!;
  const rows = Buffer.alloc(4);
  rows.writeUInt16BE(12, 0);
  rows.writeUInt16BE(34, 2);
  await c.send(ShimClientMsg.CLIENT_RESIZE, rows);
  await c.send(ShimClientMsg.CLIENT_STDIN, Buffer.from('stty size; exit 7\n'));
  const exit = JSON.parse((await c.frames.next(ShimOutputMsg.OUT_EXIT)).payload.toString());
  t.equal(exit.exitCode, 7);
  t.match(c.frames.text(ShimOutputMsg.OUT_STDOUT), '12 34\r\n');
  t.equal(shim.exitFile().exitCode, 7);
});

t.test('user nobody runs as 65534 without capabilities, none inheritable either', async (t) => {
  const { stdout } = await run(t, ['sh', '-c', 'id; grep -E "^Cap(Eff|Inh)" /proc/self/status; echo $HOME'], { user: 'nobody' });
  t.equal(stdout, 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\nCapInh:\t0000000000000000\nCapEff:\t0000000000000000\n/nonexistent\n');
});

t.test('users resolve from the image: supplementary groups, uid:gid, group-add', async (t) => {
  t.equal((await run(t, ['id'], { user: 'kapal' })).stdout, 'uid=1000(kapal) gid=1000(kapal) groups=10(wheel),1000(kapal)\n');
  t.equal((await run(t, ['id'], { user: '1234:daemon' })).stdout, 'uid=1234 gid=1(daemon) groups=1(daemon)\n');
  t.equal((await run(t, ['id', '-G'], { user: '4321', groupAdd: ['wheel', '77'] })).stdout, '0 10 77\n');
  const missing = await launch(t, { user: 'ghost' });
  t.equal(missing.start.payload.toString(), 'find_user: unable to find user ghost: no matching entries in passwd file');
});

t.test('rlimits, no-new-privileges and a read-only rootfs apply', async (t) => {
  const { stdout } = await run(
    t,
    ['sh', '-c', 'ulimit -n; ulimit -Hn; grep NoNewPrivs /proc/self/status; touch /x 2>&1; (echo hi > /etc/hostname) 2>&1'],
    {
      rlimits: [{ resource: 7, soft: 1000, hard: 2000 }],
      noNewPrivileges: true,
      readonlyRootfs: true,
      binds: [{ source: '/etc/hostname', target: '/etc/hostname', readonly: true }],
    },
  );
  t.equal(stdout, "1000\n2000\nNoNewPrivs:\t1\ntouch: /x: Read-only file system\nsh: can't create /etc/hostname: Read-only file system\n");
});

t.test('the log escapes like docker: quotes, controls, HTML, bad UTF-8, and a partial last line', async (t) => {
  const { shim } = await run(t, ['printf', '"q" \\\\ \\t<&>\\001 é \\377\\nlast']);
  const raw = readFileSync(path.join(shim.dir, 'container.log'), 'utf8').split('\n');
  t.match(raw[0], /^\{"log":"\\"q\\" \\\\ \\u0009\\u003c\\u0026\\u003e\\u0001 é \\ufffd\\n","stream":"stdout"/);
  t.same(shim.logRecords().map((r) => r.log), ['"q" \\ \t<&>\u0001 é \ufffd\n', 'last']);
});

t.test('with init 1 a sealed copy of the shim is pid 1 and forwards signals', async (t) => {
  const pids = await run(t, ['sh', '-c', 'echo $$; cat /proc/1/cmdline | tr "\\0" " "'], { init: true });
  t.equal(pids.stdout, '2\nkapal-init init -- sh -c echo $$; cat /proc/1/cmdline | tr "\\0" " " ');
  t.equal((await run(t, ['sh', '-c', 'exit 5'], { init: true })).exit.exitCode, 5);
  const missing = await run(t, ['nosuchcmd'], { init: true });
  t.equal(missing.exit.exitCode, 127);
  t.equal(missing.stderr, 'kapal-init: exec: "nosuchcmd": executable file not found in $PATH\n');
  const shim = await launch(t, { args: ['sleep', '100'], init: true });
  const c = await connectClient(shim.dir, 0);
  await c.send(ShimClientMsg.CLIENT_SIGNAL, u32(15));
  t.match(JSON.parse((await c.frames.next(ShimOutputMsg.OUT_EXIT)).payload.toString()), { exitCode: 143, signal: 0 });
});

t.test('the shim and its container outlive the start channel closing', async (t) => {
  const shim = await launch(t, { args: ['sh', '-c', 'sleep 0.5; echo still here'] });
  shim.channel.destroy();
  await sleep(100);
  t.ok(alive(shim.proc.pid!), 'the shim runs on');
  t.equal(await shim.exited, 0);
  t.equal(shim.stdout(), 'still here\n');
  t.equal(shim.exitFile().exitCode, 0);
});

t.test('the shim stays under 1 MB of RSS while it monitors', async (t) => {
  const shim = await launch(t, { args: ['sh', '-c', 'while true; do echo tick; sleep 0.05; done'] });
  await sleep(400);
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${shim.proc.pid}/status`, 'utf8'))![1]);
  t.comment(`kapal-shim VmRSS while monitoring: ${rss} kB`);
  t.ok(rss < 1024, `${rss} kB < 1024 kB`);
  process.kill(shim.pid, 'SIGKILL');
  t.equal(await shim.exited, 0);
});

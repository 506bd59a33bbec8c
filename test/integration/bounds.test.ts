// Bounds that keep one client or one container from taking kapald down: JSON bodies have a
// limit (413) while tar uploads stream without one; loads beyond max-concurrent-loads wait
// their turn and leave the queue when their client goes; a container gets default-pids-limit,
// so a fork bomb stops there; a frozen shim never holds up list or inspect. No timings are
// asserted: only that kapald answers.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import t, { type Test } from 'tap';
import { CgroupsV1 } from '../../src/runtime/cgroups/v1.js';
import { readV1Hierarchies } from '../../src/runtime/cgroups/hierarchies.js';
import { create, inspect, loadBusybox, logs, waitFor } from '../helpers/containers.js';
import { makeTempDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { dockerShell, skipWithoutDocker } from '../helpers/docker-cli.js';
import { buildFixtureImage } from '../helpers/images.js';
import { shimsOf } from '../helpers/leftovers.js';

t.setTimeout(240_000);

const MiB = 1024 * 1024;

async function answers(t: Test, d: TestDaemon, what: string): Promise<void> {
  const ping = await d.request('GET', '/_ping');
  const list = await d.request('GET', '/containers/json?all=1');
  t.same([ping.status, list.status], [200, 200], `${what}: /_ping and GET /containers/json answer`);
}

/**
 * A JSON body, sent with a Content-Length or chunked (then nothing tells kapald its size in
 * advance). kapald answers a body over the limit before it has all of it, and closes.
 */
function postJson(socketPath: string, urlPath: string, chunks: Buffer[], opts: { chunked: boolean }): Promise<{ status: number; type: string; text: string }> {
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const headers = { 'Content-Type': 'application/json', ...(opts.chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': String(length) }) };
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'POST', path: urlPath, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text }));
    });
    // kapald may answer and close before the whole body went out.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    for (const c of chunks) req.write(c);
    req.end();
  });
}

t.test('a JSON body over 16 MiB is a 413 with a message; an oversized header or query is a 431; tar uploads have no limit', async (t) => {
  const d = await startDaemon(t, 'bounds-body');
  const big = Buffer.from(`{"Image":"busybox","Env":["X=${'x'.repeat(17 * MiB)}"]}`);
  const res = await postJson(d.socket, '/containers/create', [big], { chunked: false });
  t.equal(res.status, 413);
  t.equal(res.type, 'application/json');
  t.same(JSON.parse(res.text), { message: 'request body too large: the limit is 16 MiB' });

  const chunked = await postJson(d.socket, '/containers/create', Array.from({ length: 18 }, (_, i) => Buffer.from(i === 0 ? `{"Image":"${'y'.repeat(MiB)}` : 'y'.repeat(MiB))), { chunked: true });
  t.equal(chunked.status, 413, 'chunked, without a Content-Length, too');
  t.match(chunked.text, /request body too large/);

  // Node answers 431 as soon as it has seen too much, and closes: a client still writing may
  // see a reset instead of the answer.
  const refused = (status: number | string | undefined) => status === 431 || status === 'ECONNRESET' || status === 'EPIPE';
  const statusOf = (p: Promise<{ status: number }>) => p.then((r) => r.status, (err: NodeJS.ErrnoException) => err.code);
  const header = await statusOf(d.request('GET', '/_ping', { headers: { 'X-Big': 'h'.repeat(64 * 1024) } }));
  t.ok(refused(header), `a header over Node's 16 KiB is refused: ${header}`);
  const query = await statusOf(d.request('GET', `/containers/json?${'all=1&'.repeat(20_000)}`));
  t.ok(refused(query), `a huge query string too (it is part of the header): ${query}`);
  const small = await statusOf(d.request('GET', '/_ping', { headers: { 'X-Big': 'h'.repeat(20 * 1024) } }));
  t.equal(small, 431, 'one that arrives whole before the answer gets the 431');
  await answers(t, d, 'after the oversized requests');

  // A root file system tar of 20 MiB, imported as an image: the tar route streams it whole.
  const dir = makeTempDir(t, 'bounds-tar');
  mkdirSync(path.join(dir, 'root'));
  writeFileSync(path.join(dir, 'root', 'blob'), Buffer.alloc(20 * MiB, 7));
  execFileSync('tar', ['-C', path.join(dir, 'root'), '-cf', path.join(dir, 'root.tar'), '.']);
  const imported = await d.request('POST', '/images/create?fromSrc=-&repo=bigimport&tag=1', { body: readFileSync(path.join(dir, 'root.tar')), headers: { 'Content-Type': 'application/x-tar' } });
  t.equal(imported.status, 200, imported.text);
  t.match(imported.text, /"status":"sha256:[0-9a-f]{64}"/);
  const image = await d.request('GET', '/images/bigimport:1/json');
  t.ok(image.json().Size >= 20 * MiB, 'the whole 20 MiB arrived');
});

/** A load sent by hand (not quiet: quiet hides the Waiting message): headers at once, the archive when the test says so. */
function openLoad(socketPath: string, first: Buffer = Buffer.alloc(0)) {
  const socket = net.connect(socketPath);
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString()));
  socket.on('error', () => {});
  const ended = new Promise<void>((r) => socket.once('close', () => r()));
  socket.write('POST /images/load?quiet=0 HTTP/1.1\r\nHost: kapal\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n');
  const chunk = (b: Buffer) => {
    if (b.length === 0) return;
    socket.write(`${b.length.toString(16)}\r\n`);
    socket.write(b);
    socket.write('\r\n');
  };
  chunk(first);
  return {
    socket,
    received: () => received,
    ended,
    finish(rest: Buffer) {
      chunk(rest);
      socket.write('0\r\n\r\n');
    },
  };
}

/** The "ahead" of a load's Waiting message, once one arrived. */
const aheadOf = (text: string): number | undefined => {
  const m = /Waiting for a free slot: max-concurrent-loads is 1, (\d+) ahead in the queue/.exec(text);
  return m ? Number(m[1]) : undefined;
};

t.test('loads beyond max-concurrent-loads wait with a message, keep their connection, and leave the queue when their client goes', async (t) => {
  const d = await startDaemon(t, 'bounds-loads', { config: { 'max-concurrent-loads': 1 } });
  const archive = readFileSync(path.join(buildFixtureImage(t).dir, 'busybox.tar'));
  t.ok(archive.length > 2 * MiB, 'an archive bigger than the socket buffers');

  // A takes the slot and holds it: half its archive sent, the rest later.
  const a = openLoad(d.socket, archive.subarray(0, 64 * 1024));
  await waitFor(() => a.received().includes('200 OK'), 10_000, "A's 200");
  t.equal(aheadOf(a.received()), undefined, 'A did not wait');

  // B waits, with a megabyte of archive kapald does not read (its socket is paused), then goes.
  const b = openLoad(d.socket, archive.subarray(0, MiB));
  await waitFor(() => aheadOf(b.received()) !== undefined, 10_000, "B's Waiting message");
  t.equal(aheadOf(b.received()), 0, 'B is first in the queue');
  b.socket.destroy();

  // Each probe waits behind whoever is still queued, then goes too; once kapald has noticed B
  // is gone (and every probe before), a probe is first in the queue again.
  let probes = 0;
  await waitFor(async () => {
    probes++;
    const probe = openLoad(d.socket);
    await waitFor(() => aheadOf(probe.received()) !== undefined, 10_000, "a probe's Waiting message");
    probe.socket.destroy();
    await probe.ended;
    return aheadOf(probe.received()) === 0;
  }, 30_000, 'the queue to be empty again');
  t.pass(`B left the queue (${probes} probe${probes === 1 ? '' : 's'})`);
  await answers(t, d, 'while a load holds the only slot');

  // C waits for A, and loads once A is done.
  const c = openLoad(d.socket);
  await waitFor(() => aheadOf(c.received()) !== undefined, 10_000, "C's Waiting message");
  t.equal(aheadOf(c.received()), 0);
  c.finish(archive);
  a.finish(archive.subarray(64 * 1024));
  await waitFor(() => a.received().includes('Loaded image: busybox:latest'), 60_000, 'A loaded');
  await waitFor(() => c.received().includes('Loaded image: busybox:latest'), 60_000, 'C loaded after it');
  t.notMatch(a.received() + c.received(), /errorDetail/);
  a.socket.destroy();
  c.socket.destroy();
  const images = (await d.request('GET', '/images/json')).json() as { RepoTags: string[] }[];
  t.same(images.map((i) => i.RepoTags).flat(), ['busybox:latest']);
});

function pidsDir(d: TestDaemon, id: string): string {
  return new CgroupsV1(readV1Hierarchies(), `kapal-test-${path.basename(d.dir)}`).controllerDir(id, 'pids')!;
}

t.test('containers get default-pids-limit; a fork bomb stops at it while the API answers, and the container is removed', async (t) => {
  const d = await startDaemon(t, 'bounds-pids', { config: { 'default-pids-limit': 64 } });
  await loadBusybox(t, d);
  const sh = dockerShell(t, d);

  const plain = await create(d, { Cmd: ['true'] });
  t.equal((await inspect(d, plain)).HostConfig.PidsLimit, 64, 'inspect shows the limit that applies');
  const none = await create(d, { Cmd: ['true'], HostConfig: { PidsLimit: -1 } });
  t.equal((await inspect(d, none)).HostConfig.PidsLimit, null, '-1 asked for: none, as moby shows it');
  const own = await create(d, { Cmd: ['true'], HostConfig: { PidsLimit: 100 } });
  t.equal((await inspect(d, own)).HostConfig.PidsLimit, 100, 'a limit asked for wins');
  if (!skipWithoutDocker) {
    const r = await sh(`docker inspect -f '{{.HostConfig.PidsLimit}}' ${plain}`);
    t.equal(r.stdout.trim(), '64', 'docker inspect shows it too');
  }

  // The classic bomb: every call forks two more in the background. Its orphans become zombies
  // of pid 1 (sleep, which never reaps), and zombies hold their pids: the cgroup fills and stays full.
  const bomb = await create(d, { Cmd: ['sh', '-c', 'f(){ f|f & }; f; exec sleep 1000'] });
  const start = await d.request('POST', `/containers/${bomb}/start`);
  t.equal(start.status, 204, start.text);
  const dir = pidsDir(d, bomb);
  t.equal(readFileSync(path.join(dir, 'pids.max'), 'utf8').trim(), '64');
  const refusedForks = () => Number(/max (\d+)/.exec(readFileSync(path.join(dir, 'pids.events'), 'utf8'))?.[1] ?? 0);
  await waitFor(() => refusedForks() > 0, 60_000, 'a fork refused at the limit');
  t.ok(Number(readFileSync(path.join(dir, 'pids.current'), 'utf8')) <= 64, 'pids.current stays within the limit');
  await answers(t, d, 'with the bomb at its limit');
  await waitFor(async () => /can't fork|Resource temporarily unavailable/.test((await logs(d, bomb)).stderr), 30_000, "the shell's fork error in the log");
  t.pass('the bomb saw fork fail');

  const removed = await d.request('DELETE', `/containers/${bomb}?force=1`);
  t.equal(removed.status, 204, `a full pids cgroup does not stop a kill: ${removed.text}`);
  t.equal((await d.request('GET', `/containers/${bomb}/json`)).status, 404);
  await waitFor(() => !existsSync(dir), 10_000, 'the cgroup to go');
  t.notOk(existsSync(dir), 'its cgroup is gone');
});

/** The shim of one container (its command line names the container's directory). */
function shimOf(d: TestDaemon, id: string): number {
  const found = shimsOf(d.execRoot).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => a.includes(id)) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[1] === 'run');
  if (found.length !== 1) throw new Error(`expected one shim for ${id}, found ${found.length}`);
  return found[0]!;
}

t.test('with one shim frozen by SIGSTOP, list, inspect (of it and of another) and docker ps keep answering', async (t) => {
  const d = await startDaemon(t, 'bounds-frozen');
  await loadBusybox(t, d);
  const sh = dockerShell(t, d);
  const ids: string[] = [];
  for (const name of ['frozen', 'other']) {
    const id = await create(d, { Cmd: ['sleep', '1000'] }, name);
    t.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
    ids.push(id);
  }
  const [frozen, other] = ids as [string, string];
  const shim = shimOf(d, frozen);
  process.kill(shim, 'SIGSTOP');
  let thawed = false;
  const thaw = () => {
    if (thawed) return;
    thawed = true;
    try {
      process.kill(shim, 'SIGCONT');
    } catch {
      // gone already
    }
  };
  t.teardown(thaw);
  // The stop is delivered asynchronously: wait for the state to say so.
  await waitFor(() => /\) T /.test(readFileSync(`/proc/${shim}/stat`, 'utf8')), 5000, 'the shim to be stopped');
  t.match(readFileSync(`/proc/${shim}/stat`, 'utf8'), /\) T /, 'the shim is stopped');

  for (let i = 0; i < 5; i++) {
    const list = await d.request('GET', '/containers/json');
    t.equal(list.status, 200);
    t.same((list.json() as { Names: string[] }[]).map((c) => c.Names[0]).sort(), ['/frozen', '/other']);
  }
  t.equal((await inspect(d, frozen)).State.Running, true, 'inspect of the frozen one');
  t.equal((await inspect(d, other)).State.Running, true, 'inspect of another');
  if (!skipWithoutDocker) {
    const ps = await sh("docker ps --format '{{.Names}}'");
    t.equal(ps.code, 0, ps.stderr);
    t.same(ps.stdout.trim().split('\n').sort(), ['frozen', 'other'], 'docker ps');
  }
  await answers(t, d, 'with a frozen shim');

  thaw();
  for (const id of ids) t.equal((await d.request('DELETE', `/containers/${id}?force=1`)).status, 204);
  await waitFor(() => shimsOf(d.execRoot).length === 0, 10_000, 'the shims to exit');
  t.pass('no shim is left');
});

// Container logs through a real kapald and kapal-shim: the shim's rotation by max-size and
// max-file, reads and follows across rotated files, the `none` driver, LogConfig validation and
// kapald's log-opts defaults.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { spawnDaemon, startDaemon, type DaemonOptions, type TestDaemon } from '../helpers/daemon.js';
import { create, demux, hijack, inspect, loadBusybox, logs } from '../helpers/containers.js';

const json = { 'Content-Type': 'application/json' };

async function daemon(t: Parameters<Parameters<typeof t.test>[1]>[0], name: string, opts: DaemonOptions = {}): Promise<TestDaemon> {
  const d = await startDaemon(t, name, opts);
  await loadBusybox(t, d);
  return d;
}

const logConfig = (config: Record<string, string>, type = 'json-file') => ({ HostConfig: { LogConfig: { Type: type, Config: config } } });

/** Starts a created container and waits for its exit. */
async function runToExit(d: TestDaemon, id: string): Promise<void> {
  const waiting = d.request('POST', `/containers/${id}/wait?condition=next-exit`);
  const start = await d.request('POST', `/containers/${id}/start`);
  if (start.status !== 204) throw new Error(`start failed: ${start.status} ${start.text}`);
  await waiting;
}

/** The log's files as the shim left them: name → size. */
function logFiles(doc: { LogPath: string }): Map<string, number> {
  const dir = path.dirname(doc.LogPath);
  const base = path.basename(doc.LogPath);
  return new Map(readdirSync(dir).filter((f) => f.startsWith(base)).map((f) => [f, statSync(path.join(dir, f)).size]));
}

/** "1\n2\n...n\n" */
const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join('');

t.test('the shim rotates at max-size and keeps max-file files, newest first', async (t) => {
  const d = await daemon(t, 'logs-rotate');
  const id = await create(d, { Cmd: ['seq', '1', '20000'], ...logConfig({ 'max-size': '10k', 'max-file': '3' }) });
  await runToExit(d, id);
  const doc = await inspect(d, id);
  t.same(doc.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '3' } });
  const files = logFiles(doc);
  const base = path.basename(doc.LogPath);
  t.same([...files.keys()].sort(), [base, `${base}.1`, `${base}.2`], 'the current file and two rotated ones');
  // docker's rule: a record that finds the file at max-size or more goes to a new one, so a rotated
  // file holds at least max-size bytes and less than one more record.
  const longest = Math.max(...[1, 2].map((i) => Math.max(...readFileSync(`${doc.LogPath}.${i}`, 'utf8').trim().split('\n').map((l) => l.length + 1))));
  for (const f of [`${base}.1`, `${base}.2`]) {
    t.ok(files.get(f)! >= 10_000 && files.get(f)! < 10_000 + longest, `${f} is ${files.get(f)} bytes`);
  }
  const lines = (f: string) => readFileSync(path.join(path.dirname(doc.LogPath), f), 'utf8').trim().split('\n').map((l) => JSON.parse(l).log as string);
  const [older, newer, current] = [lines(`${base}.2`), lines(`${base}.1`), lines(base)];
  t.equal(Number(older.at(-1)) + 1, Number(newer[0]), '.2 ends where .1 begins');
  t.equal(Number(newer.at(-1)) + 1, Number(current[0]), '.1 ends where the current file begins');
  t.equal(current.at(-1), '20000\n');
  t.equal((await logs(d, id)).stdout, numbers(Number(older[0]), 20000), 'logs reads the kept files, oldest first');
});

t.test('max-file 1 replaces the file: only the newest records are kept', async (t) => {
  const d = await daemon(t, 'logs-one');
  const id = await create(d, { Cmd: ['seq', '1', '5000'], ...logConfig({ 'max-size': '10k' }) });
  await runToExit(d, id);
  const doc = await inspect(d, id);
  t.same([...logFiles(doc).keys()], [path.basename(doc.LogPath)]);
  const out = (await logs(d, id)).stdout;
  t.ok(out.length > 0 && out.endsWith('5000\n') && !out.startsWith('1\n'), 'the last file only');
});

t.test('logs across rotated files: every line once, in order; tail counts across files', async (t) => {
  const d = await daemon(t, 'logs-read');
  const id = await create(d, { Cmd: ['sh', '-c', 'seq 1 20000; echo to-stderr >&2'], ...logConfig({ 'max-size': '10k', 'max-file': '1000' }) });
  await runToExit(d, id);
  const doc = await inspect(d, id);
  t.ok(logFiles(doc).size > 50, `${logFiles(doc).size} files`);
  const all = await logs(d, id);
  t.equal(all.stdout, numbers(1, 20000));
  t.equal(all.stderr, 'to-stderr\n');
  // tail counts records, and a line the shim read in two pieces is two records: the expected
  // tails come from the files themselves.
  const dir = path.dirname(doc.LogPath);
  const names = [...logFiles(doc).keys()].sort((a, b) => (Number(b.split('.log.')[1] ?? 0) || 0) - (Number(a.split('.log.')[1] ?? 0) || 0));
  const records = names.flatMap((f) => readFileSync(path.join(dir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { log: string; stream: string }));
  t.equal(records.map((r) => r.log).join(''), numbers(1, 20000) + 'to-stderr\n', 'the files, oldest first, hold every line');
  const tailOf = (n: number, streams = ['stdout']) => records.filter((r) => streams.includes(r.stream)).slice(-n).map((r) => r.log).join('');
  t.equal((await logs(d, id, 'stdout=1&tail=3')).stdout, tailOf(3));
  t.equal((await logs(d, id, 'stdout=1&stderr=1&tail=3')).stdout, tailOf(3, ['stdout', 'stderr']).replace('to-stderr\n', ''), 'tail counts the stderr line too');
  t.equal((await logs(d, id, 'stdout=1&tail=5000')).stdout, tailOf(5000), 'a tail longer than the current file');
  t.ok(readFileSync(doc.LogPath, 'utf8').split('\n').length < 5000, 'which it is');
  t.equal((await logs(d, id, 'stdout=1&tail=0')).stdout, '');
  t.equal((await logs(d, id, 'stdout=1&tail=99999')).stdout, numbers(1, 20000));
  const stamped = (await logs(d, id, 'stdout=1&tail=2&timestamps=1')).stdout.split('\n');
  t.match(stamped[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 19999$/);
});

t.test('a follower while the container writes and rotates many times gets every line exactly once', async (t) => {
  const d = await daemon(t, 'logs-follow');
  const n = 60000;
  // Slow enough at the start for the follower to be there first, then as fast as seq goes.
  const id = await create(d, { Cmd: ['sh', '-c', `sleep 0.3; seq 1 ${n}; sleep 0.2; seq ${n + 1} ${n + 100}`], ...logConfig({ 'max-size': '8k', 'max-file': '10000' }) });
  const waiting = d.request('POST', `/containers/${id}/wait?condition=next-exit`);
  t.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  const followed = await d.request('GET', `/containers/${id}/logs?stdout=1&stderr=1&follow=1`);
  await waiting;
  const doc = await inspect(d, id);
  t.ok(logFiles(doc).size > 100, `the log rotated ${logFiles(doc).size - 1} times`);
  const got = demux(followed.body).stdout.split('\n').slice(0, -1).map(Number);
  const missing = got.length < n + 100 ? `first gap after ${got.find((v, i) => v !== i + 1)}` : '';
  t.equal(got.length, n + 100, `every line (${missing})`);
  t.ok(got.every((v, i) => v === i + 1), 'once each, in order');
});

t.test('a follower with max-file 1 keeps reading the replaced file to its end', async (t) => {
  const d = await daemon(t, 'logs-follow1');
  // A file holds 9 records of 400 bytes; a pause after every 4 lets the follower see each file
  // before the next replaces it (what it holds open it reads to the end; a file it never saw is gone).
  const script = 'i=0; while [ $i -lt 40 ]; do i=$((i+1)); printf "%0400d\\n" $i; [ $((i % 4)) -eq 0 ] && sleep 0.3; done; true';
  const id = await create(d, { Cmd: ['sh', '-c', `sleep 0.3; ${script}`], ...logConfig({ 'max-size': '4k', 'max-file': '1' }) });
  const waiting = d.request('POST', `/containers/${id}/wait?condition=next-exit`);
  t.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  const followed = await d.request('GET', `/containers/${id}/logs?stdout=1&follow=1`);
  await waiting;
  const got = demux(followed.body).stdout.split('\n').slice(0, -1).map(Number);
  t.same(got, Array.from({ length: 40 }, (_, i) => i + 1));
  t.ok((await logs(d, id)).stdout.split('\n').length < 20, 'while the file itself was cut');
});

t.test('the none driver: no log file, logs answers 501 as moby does, attach still works', async (t) => {
  const d = await daemon(t, 'logs-none');
  const id = await create(d, { Cmd: ['echo', 'through-attach'], ...logConfig({}, 'none') });
  const attach = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdout=1&stderr=1`);
  t.equal(attach.status, 101);
  await runToExit(d, id);
  await attach.ended;
  t.equal(demux(attach.output()).stdout, 'through-attach\n');
  const doc = await inspect(d, id);
  t.same(doc.HostConfig.LogConfig, { Type: 'none', Config: {} });
  t.equal(doc.LogPath, '');
  t.same(readdirSync(path.join(d.dataRoot, 'containers', id)).filter((f) => f.includes('json.log')), []);
  const res = await d.request('GET', `/containers/${id}/logs?stdout=1`);
  t.equal(res.status, 501);
  t.equal(res.json().message, 'configured logging driver does not support reading');
});

t.test('bad log options are refused at create with moby\'s words (400)', async (t) => {
  const d = await daemon(t, 'logs-bad');
  const cases: [Record<string, unknown>, string | RegExp][] = [
    [{ Type: 'json-file', Config: { 'max-size': 'abc' } }, "invalid size: 'abc'"],
    [{ Type: 'json-file', Config: { 'max-size': '10x' } }, "invalid suffix: 'x'"],
    [{ Type: 'json-file', Config: { 'max-size': '0' } }, 'max-size must be a positive number'],
    [{ Type: 'json-file', Config: { 'max-file': '0' } }, 'max-file cannot be less than 1'],
    [{ Type: 'json-file', Config: { 'max-file': 'three' } }, 'strconv.Atoi: parsing "three": invalid syntax'],
    [{ Type: 'json-file', Config: { 'max-sise': '1m' } }, "unknown log opt 'max-sise' for json-file log driver"],
    [{ Type: 'json-file', Config: { compress: 'true' } }, /compress/],
    [{ Type: 'syslog', Config: {} }, /no log driver named 'syslog'/],
  ];
  for (const [LogConfig, message] of cases) {
    const res = await d.request('POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { LogConfig } }), headers: json });
    t.equal(res.status, 400, JSON.stringify(LogConfig));
    t.match(res.json().message, message);
  }
});

t.test('LogConfig defaults: kapal bounds the log when nothing else does; kapald\'s log-opts fill what a container leaves out', async (t) => {
  const plain = await daemon(t, 'logs-defaults');
  const id = await create(plain, { Cmd: ['true'] });
  t.same((await inspect(plain, id)).HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '5' } });
  const own = await create(plain, { Cmd: ['true'], ...logConfig({ 'max-size': '1m' }) });
  t.same((await inspect(plain, own)).HostConfig.LogConfig.Config, { 'max-size': '1m' }, 'a max-size of its own: docker\'s max-file 1');

  const d = await daemon(t, 'logs-daemon-opts', { config: { 'log-opts': { 'max-size': '10k', 'max-file': '2' } } });
  const a = await create(d, { Cmd: ['seq', '1', '5000'] });
  await runToExit(d, a);
  const doc = await inspect(d, a);
  t.same(doc.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '2' } });
  t.equal(logFiles(doc).size, 2, 'the shim applied them');
  const b = await create(d, { Cmd: ['true'], ...logConfig({ 'max-size': '5k' }) });
  t.same((await inspect(d, b)).HostConfig.LogConfig.Config, { 'max-size': '5k', 'max-file': '2' });

  const none = await daemon(t, 'logs-daemon-none', { args: ['--log-driver', 'none'] });
  const c = await create(none, { Cmd: ['true'] });
  t.same((await inspect(none, c)).HostConfig.LogConfig, { Type: 'none', Config: {} });
  t.equal((await none.request('GET', '/info')).json().LoggingDriver, 'none');
  const json = await create(none, { Cmd: ['echo', 'hi'], ...logConfig({}) });
  t.same((await inspect(none, json)).HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '5' } }, 'an explicit json-file still gets kapal\'s bound');
});

t.test('kapald refuses bad log-opts at start', async (t) => {
  const d = spawnDaemon(t, 'logs-daemon-bad', { config: { 'log-opts': { 'max-size': 'huge' } } });
  t.not(await d.exited, 0);
  t.match(d.output(), /failed to set log opts: invalid size: 'huge'/);
  t.notOk(existsSync(d.socket));
});

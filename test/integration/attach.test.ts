// Attach through a real kapald and real containers: the hijacked stream's half-close, StdinOnce,
// TTY stdin, detach keys, logs=1, a 200 MB stream checked byte for byte, clients that go away or
// stop reading, and the websocket route with kapal's resize/exit extension.

import { readdirSync, statSync } from 'node:fs';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { StdcopyDemuxer, type StdFrame } from '../../src/api/streams/stdcopy.js';
import { create, demux, hijack, inspect, loadBusybox, waitFor } from '../helpers/containers.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

async function daemon(t: Test, name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

async function started(d: TestDaemon, body: Record<string, unknown>): Promise<string> {
  const id = await create(d, body);
  const res = await d.request('POST', `/containers/${id}/start`);
  if (res.status !== 204) throw new Error(`start failed: ${res.status} ${res.text}`);
  return id;
}

/** Separate writes, so kapald reads them separately: detach keys count only as reads of their own (as in moby). */
async function typeKeys(socket: { write(b: string): unknown }, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    socket.write(k);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const running = async (d: TestDaemon, id: string) => (await inspect(d, id)).State.Running as boolean;
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const logSize = async (d: TestDaemon, id: string) => statSync((await inspect(d, id)).LogPath).size;

/** A websocket to kapald's Unix socket; `frames` collects what the server sends. */
function websocket(d: TestDaemon, urlPath: string, protocol?: string) {
  const ws = new WebSocket(`ws+unix://${d.socket}:${urlPath}`, protocol ? [protocol] : []);
  const frames: { data: Buffer; binary: boolean }[] = [];
  const headers: Record<string, unknown> = {};
  ws.on('upgrade', (res) => Object.assign(headers, res.headers));
  ws.on('message', (data: Buffer, binary: boolean) => frames.push({ data, binary }));
  const closed = new Promise<{ code: number }>((resolve) => ws.on('close', (code) => resolve({ code })));
  const open = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames, headers, closed, open, binaryText: () => Buffer.concat(frames.filter((f) => f.binary).map((f) => f.data)).toString() };
}

t.test('a client that half-closes right after the 101 still gets all output until the exit', async (t) => {
  const d = await daemon(t, 'att-halfclose');
  const id = await create(d, { Cmd: ['sh', '-c', 'for i in 1 2 3; do echo out$i; sleep 0.2; done; echo bye >&2'] });
  const a = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdout=1&stderr=1`);
  t.equal(a.status, 101);
  a.socket.end(); // the docker CLI's CloseWrite when it has no stdin
  t.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  await a.ended;
  t.same(demux(a.output()), { stdout: 'out1\nout2\nout3\n', stderr: 'bye\n' });
});

t.test('StdinOnce: the client\'s EOF closes the container\'s stdin, cat ends and its output arrives', async (t) => {
  const d = await daemon(t, 'att-stdinonce');
  const id = await started(d, { Cmd: ['sh', '-c', 'cat; echo cat-ended'], OpenStdin: true, StdinOnce: true });
  const a = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
  a.socket.write('line1\nline2\n');
  a.socket.end();
  await a.ended;
  t.same(demux(a.output()), { stdout: 'line1\nline2\ncat-ended\n', stderr: '' });
  await waitFor(async () => !(await running(d, id)), 10_000, 'the exit recorded');
  t.equal((await inspect(d, id)).State.ExitCode, 0);
});

t.test('without StdinOnce the client\'s EOF ends only its session: stdin stays open for the next client', async (t) => {
  const d = await daemon(t, 'att-stdinmany');
  const id = await started(d, { Cmd: ['sh', '-c', 'while read l; do echo "got $l"; done'], OpenStdin: true });
  const first = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdin=1&stdout=1`);
  first.socket.write('one\n');
  await waitFor(() => demux(first.output()).stdout === 'got one\n', 10_000, 'the first answer');
  first.socket.end();
  await first.ended;
  t.ok(await running(d, id), 'the container runs on');
  const second = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdin=1&stdout=1`);
  second.socket.write('two\n');
  await waitFor(() => demux(second.output()).stdout === 'got two\n', 10_000, 'the second answer');
  second.socket.destroy();
  await d.request('DELETE', `/containers/${id}?force=1`);
});

t.test('stdin reaches a TTY container, and its output is raw', async (t) => {
  const d = await daemon(t, 'att-tty');
  const id = await started(d, { Cmd: ['sh', '-c', 'read l; echo "got $l"'], Tty: true, OpenStdin: true });
  const a = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
  a.socket.write('hello\r');
  await a.ended;
  const out = a.output().toString();
  t.match(out, /got hello\r\n/);
  t.notOk(out.startsWith('\u0001'), 'no stdcopy header');
});

t.test('detach keys on a TTY: the session ends, the container runs on, a later attach works', async (t) => {
  const d = await daemon(t, 'att-detach');
  const id = await started(d, { Cmd: ['cat'], Tty: true, OpenStdin: true });
  const since = Math.floor(Date.now() / 1000);
  const a = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
  a.socket.write('abc\r');
  await waitFor(() => a.output().toString().includes('abc'), 10_000, 'the echo');
  await typeKeys(a.socket, '\x10', '\x11'); // ctrl-p (held back), ctrl-q: the default sequence
  await a.ended;
  t.ok(await running(d, id), 'the container still runs');
  const events = await d.request('GET', `/events?since=${since}&until=${Math.floor(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ event: ['detach'] }))}`);
  if (events.status === 200) t.match(events.text, new RegExp(`"Action":"detach".*"ID":"${id}"`), 'moby\'s detach event');

  // Own keys; a partial match that turns out not to be the sequence is passed through.
  const b = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-a,x`);
  await typeKeys(b.socket, '\x01', 'y\r');
  await waitFor(() => b.output().toString().includes('^Ay'), 10_000, 'the held-back ctrl-a passed on');
  b.socket.write('\x01x\r'); // the keys in one read with other bytes are data, as in moby
  await waitFor(() => b.output().toString().includes('^Ax'), 10_000, 'keys read with other bytes passed on');
  await typeKeys(b.socket, '\x01', 'x');
  await b.ended;
  t.ok(await running(d, id));

  const bad = await d.request('POST', `/containers/${id}/attach?stream=1&stdin=1&detachKeys=ctrl-xx`, { headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
  t.equal(bad.status, 400);
  t.equal(bad.json().message, 'Invalid detach keys (ctrl-xx) provided');
  await d.request('DELETE', `/containers/${id}?force=1`);
});

t.test('detach keys are not matched without a TTY (as moby): the bytes reach the process', async (t) => {
  const d = await daemon(t, 'att-detach-notty');
  const id = await started(d, { Cmd: ['od', '-An', '-c'], OpenStdin: true, StdinOnce: true });
  const a = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdin=1&stdout=1`);
  await typeKeys(a.socket, 'a', '\x10', '\x11');
  a.socket.end('b');
  await a.ended;
  t.match(demux(a.output()).stdout, /a\s+020\s+021\s+b/);
});

t.test('logs=1 replays the stored log first; with stream=0 the stream ends after it', async (t) => {
  const d = await daemon(t, 'att-logs');
  const id = await create(d, { Cmd: ['sh', '-c', 'echo one; echo two >&2; echo three'] });
  const waiting = d.request('POST', `/containers/${id}/wait?condition=next-exit`);
  await d.request('POST', `/containers/${id}/start`);
  await waiting;
  const a = await hijack(d.socket, `/containers/${id}/attach?logs=1&stream=0&stdout=1&stderr=1`);
  await a.ended;
  t.same(demux(a.output()), { stdout: 'one\nthree\n', stderr: 'two\n' });
  const onlyErr = await hijack(d.socket, `/containers/${id}/attach?logs=1&stream=0&stderr=1`);
  await onlyErr.ended;
  t.same(demux(onlyErr.output()), { stdout: '', stderr: 'two\n' });

  const live = await started(d, { Cmd: ['sh', '-c', 'echo before; read l; echo "after $l"'], OpenStdin: true, StdinOnce: true });
  await waitFor(async () => (await logSize(d, live)) > 0, 10_000, 'the first line in the log');
  const b = await hijack(d.socket, `/containers/${live}/attach?logs=1&stream=1&stdin=1&stdout=1`);
  await waitFor(() => demux(b.output()).stdout === 'before\n', 10_000, 'the replay');
  b.socket.end('x\n');
  await b.ended;
  t.equal(demux(b.output()).stdout, 'before\nafter x\n');
});

t.test('200 MB through a hijacked attach arrive complete and in order', async (t) => {
  const d = await daemon(t, 'att-200mb');
  const line = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n';
  const block = line.length * 158_730; // 9,999,990 bytes: whole lines
  const copies = 20;
  const script = `yes ${line.trim()} | head -c ${block} > /lines; set --; i=0; while [ $i -lt ${copies} ]; do set -- "$@" /lines; i=$((i+1)); done; exec cat "$@"`;
  const id = await create(d, { Cmd: ['sh', '-c', script] });
  const a = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdout=1&stderr=1`);
  a.socket.end();
  const pattern = Buffer.from(line);
  let offset = 0;
  let mismatch = -1;
  let stderr = 0;
  const demuxer = new StdcopyDemuxer();
  const first = a.output();
  a.socket.removeAllListeners('data'); // the helper keeps everything; count and check instead
  demuxer.on('data', (f: StdFrame) => {
    if (f.stream !== 1) stderr += f.payload.length;
    for (let i = 0; i < f.payload.length && mismatch < 0; i++, offset++) {
      if (f.payload[i] !== pattern[offset % pattern.length]) mismatch = offset;
    }
  });
  demuxer.write(first);
  a.socket.on('data', (chunk: Buffer) => demuxer.write(chunk));
  const done = new Promise((resolve) => demuxer.on('finish', resolve));
  a.socket.on('end', () => demuxer.end());
  t.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  await done;
  t.equal(mismatch, -1, 'every byte is the expected one');
  t.equal(offset, block * copies, 'every byte arrived');
  t.equal(stderr, 0);
});

t.test('a client that goes away mid-stream leaves the container running and no fd behind in kapald', async (t) => {
  const d = await daemon(t, 'att-gone');
  const id = await started(d, { Cmd: ['sh', '-c', 'i=0; while true; do echo "line $i"; i=$((i+1)); done'] });
  const pid = d.proc.pid!;
  const idle = fdCount(pid);
  const a = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdout=1&stderr=1`);
  await waitFor(() => a.output().length > 100_000, 10_000, 'some output');
  t.ok(fdCount(pid) > idle, 'the attach holds fds while it lasts');
  a.socket.destroy();
  await waitFor(() => fdCount(pid) <= idle, 10_000, 'kapald\'s fds back to where they were');
  const size = await logSize(d, id);
  await waitFor(async () => (await logSize(d, id)) > size, 10_000, 'the container writing on');
  t.ok(await running(d, id));

  // A client that stops reading holds the output back (nothing is lost), until it goes away.
  const stalled = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdout=1`);
  stalled.socket.pause();
  let last = -1;
  await waitFor(async () => {
    const now = await logSize(d, id);
    const still = now === last;
    last = now;
    if (!still) await new Promise((r) => setTimeout(r, 300));
    return still;
  }, 20_000, 'the output held back by the reader that stopped');
  stalled.socket.destroy();
  await waitFor(async () => (await logSize(d, id)) > last, 10_000, 'the output going on once the reader is gone');
  t.ok(await running(d, id));
  await waitFor(() => fdCount(pid) <= idle, 10_000, 'kapald\'s fds back again');
  await d.request('DELETE', `/containers/${id}?force=1`);
});

t.test('stdin a container does not take yet backs up into the client instead of piling up in kapald', async (t) => {
  const d = await daemon(t, 'att-stdin-flood');
  const size = 8 * 1024 * 1024;
  const id = await create(d, { Cmd: ['sh', '-c', `head -c ${size} > /dev/null; echo read-all`], OpenStdin: true, StdinOnce: true });
  const a = await hijack(d.socket, `/containers/${id}/attach?stream=1&stdin=1&stdout=1`);
  a.socket.write(Buffer.alloc(size, 'x'));
  const taken = () => size - a.socket.writableLength;
  let last = -1;
  await waitFor(async () => {
    const now = taken();
    const still = now === last;
    last = now;
    if (!still) await new Promise((r) => setTimeout(r, 300));
    return still;
  }, 20_000, 'kapald to stop reading stdin');
  t.ok(last < 4 * 1024 * 1024, `kapald took ${last} bytes of stdin for a container not started yet`);
  t.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  await waitFor(() => demux(a.output()).stdout === 'read-all\n', 20_000, 'the process to read all of it');
  t.equal(a.socket.writableLength, 0);
  a.socket.destroy();
});

t.test('websocket attach as docker serves it: binary frames, stdout and stderr unframed, client frames are stdin', async (t) => {
  const d = await daemon(t, 'att-ws');
  const id = await started(d, { Cmd: ['sh', '-c', 'read l; echo "got $l"; echo err >&2'], OpenStdin: true });
  const c = websocket(d, `/v1.49/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1&stderr=1`);
  await c.open;
  c.ws.send(Buffer.from('hel'));
  c.ws.send('lo\n'); // a text frame is stdin too without the extension
  const { code } = await c.closed;
  t.equal(code, 1000);
  t.ok(c.frames.every((f) => f.binary), 'only binary frames');
  t.equal(c.headers['api-version'], '1.49', 'the 101 carries the headers of every response');
  t.equal(c.headers['sec-websocket-protocol'], undefined, 'no subprotocol unless asked for');
  t.equal(c.binaryText(), 'got hello\nerr\n');

  const logs = websocket(d, `/containers/${id}/attach/ws?logs=1&stream=0&stdout=1&stderr=1`);
  await logs.open;
  await logs.closed;
  t.equal(logs.binaryText(), 'got hello\nerr\n', 'logs=1 replays the log');

  const missing = await d.request('GET', '/containers/nosuch/attach/ws?stream=1', {
    headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
  });
  t.equal(missing.status, 404);
  t.equal(missing.json().message, 'No such container: nosuch');
});

t.test('kapal.attach.v1: resize from the client, the exit code at the end, detach reported', async (t) => {
  const d = await daemon(t, 'att-ws-ext');
  const id = await started(d, { Cmd: ['sh', '-c', 'read l; stty size; exit 3'], Tty: true, OpenStdin: true });
  const c = websocket(d, `/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1&stderr=1`, 'kapal.attach.v1');
  await c.open;
  t.equal(c.ws.protocol, 'kapal.attach.v1');
  c.ws.send(JSON.stringify({ type: 'resize', height: 33, width: 77 }));
  c.ws.send(Buffer.from('go\r'));
  const { code } = await c.closed;
  t.equal(code, 1000);
  t.match(c.binaryText(), /33 77\r\n/);
  const text = c.frames.filter((f) => !f.binary).map((f) => JSON.parse(f.data.toString()));
  t.same(text, [{ type: 'exit', exitCode: 3 }]);
  t.equal(c.frames.at(-1)?.binary, false, 'the exit comes last');

  const cat = await started(d, { Cmd: ['cat'], Tty: true, OpenStdin: true });
  const e = websocket(d, `/containers/${cat}/attach/ws?stream=1&stdin=1&stdout=1`, 'kapal.attach.v1');
  await e.open;
  e.ws.send(Buffer.from([0x10])); // a websocket message is a read of its own
  e.ws.send(Buffer.from([0x11]));
  t.equal((await e.closed).code, 1000);
  t.same(e.frames.filter((f) => !f.binary).map((f) => JSON.parse(f.data.toString())), [{ type: 'detached' }]);
  t.ok(await running(d, cat));

  const once = await started(d, { Cmd: ['sh', '-c', 'cat; echo cat-ended'], OpenStdin: true, StdinOnce: true });
  const o = websocket(d, `/containers/${once}/attach/ws?stream=1&stdin=1&stdout=1`, 'kapal.attach.v1');
  await o.open;
  o.ws.send(Buffer.from('x\n'));
  o.ws.send(JSON.stringify({ type: 'eof' })); // a hijacked client's half-close: StdinOnce closes cat's stdin
  t.equal((await o.closed).code, 1000);
  t.equal(o.binaryText(), 'x\ncat-ended\n');
  t.same(o.frames.filter((f) => !f.binary).map((f) => JSON.parse(f.data.toString())), [{ type: 'exit', exitCode: 0 }]);

  const bad = websocket(d, `/containers/${cat}/attach/ws?stream=1&stdin=1&stdout=1`, 'kapal.attach.v1');
  await bad.open;
  bad.ws.send('not json');
  t.equal((await bad.closed).code, 1007);
  await d.request('DELETE', `/containers/${cat}?force=1`);
});

// docker cp through a real kapald: files and directories out of and into a running container,
// docker's stat header, and paths that the container points at the host with symlinks — also
// while it swaps a directory for a symlink as fast as it can — never reach the host.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, inspect, loadBusybox, run } from '../helpers/containers.js';

const json = { 'Content-Type': 'application/json' };

async function daemon(t: Parameters<Parameters<typeof t.test>[1]>[0], name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

async function running(d: TestDaemon, script: string): Promise<string> {
  const id = await create(d, { Cmd: ['sh', '-c', `${script}\ntouch /ready\nsleep 1000`] });
  await d.request('POST', `/containers/${id}/start`);
  for (let i = 0; i < 100; i++) {
    const probe = await d.request('HEAD', `/containers/${id}/archive?path=/ready`);
    if (probe.status === 200) return id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the container did not get ready');
}

const untar = (body: Buffer, ...args: string[]) => execFileSync('tar', args, { input: body, encoding: 'utf8' });

t.test('out and in: files, directories, symlinks as symlinks, docker\'s stat header and not-found message', async (t) => {
  const d = await daemon(t, 'cp-basic');
  const id = await running(d, 'mkdir -p /d/sub; echo hello > /d/f; echo deep > /d/sub/g; ln -s /d/f /link');
  const head = await d.request('HEAD', `/containers/${id}/archive?path=/d/f`);
  t.equal(head.status, 200);
  const stat = JSON.parse(Buffer.from(head.headers['x-docker-container-path-stat'] as string, 'base64').toString());
  t.match(stat, { name: 'f', size: 6, mode: 0o644, linkTarget: '' });
  const link = JSON.parse(Buffer.from((await d.request('HEAD', `/containers/${id}/archive?path=/link`)).headers['x-docker-container-path-stat'] as string, 'base64').toString());
  t.match(link, { name: 'link', linkTarget: '/d/f', mode: 2 ** 27 + 0o777 });
  const dir = await d.request('GET', `/containers/${id}/archive?path=/d`);
  t.equal(dir.status, 200);
  t.same(untar(dir.body, '-t').split('\n').filter(Boolean).sort(), ['d', 'd/f', 'd/sub', 'd/sub/g']);
  t.equal(untar(dir.body, '-xO', 'd/sub/g'), 'deep\n');
  t.equal((await d.request('GET', `/containers/${id}/archive?path=/nosuch`)).json().message, `Could not find the file /nosuch in container ${id}`);

  const upload = execFileSync('sh', ['-c', 'cd "$(mktemp -d)" && mkdir -p up/x && echo y > up/x/z && chmod 600 up/x/z && touch -d @978307200 up/x/z && tar -c up && cd / && rm -rf "$OLDPWD"'], { maxBuffer: 1 << 20 });
  const put = await d.request('PUT', `/containers/${id}/archive?path=/d`, { body: upload, headers: { 'Content-Type': 'application/x-tar' } });
  t.equal(put.status, 200, put.text);
  const check = await d.request('POST', `/containers/${id}/exec`, { body: JSON.stringify({ Cmd: ['sh', '-c', 'cat /d/up/x/z; stat -c %a:%u /d/up/x/z'], AttachStdout: true }), headers: json });
  const out = await d.request('POST', `/exec/${check.json().Id}/start`, { body: JSON.stringify({ Tty: true }), headers: json });
  t.equal(out.text.replace(/\r/g, ''), 'y\n600:0\n', 'the archive\'s mode, the container\'s root as owner');
  const upTimes = await d.request('POST', `/containers/${id}/exec`, { body: JSON.stringify({ Cmd: ['stat', '-c', '%Y', '/d/up/x/z'], AttachStdout: true }), headers: json });
  const mtime = (await d.request('POST', `/exec/${upTimes.json().Id}/start`, { body: JSON.stringify({ Tty: true }), headers: json })).text.trim();
  t.equal(mtime, '978307200', 'the file keeps the archive\'s time, as docker cp');
});

t.test('a stopped container: its file system (volumes included) is built for the copy and let go after', async (t) => {
  const d = await daemon(t, 'cp-stopped');
  const stopped = await run(d, { Cmd: ['sh', '-c', 'echo made > /made; echo data > /vol/v'], Volumes: { '/vol': {} } });
  const out = await d.request('GET', `/containers/${stopped.id}/archive?path=/made`);
  t.equal(out.status, 200);
  t.equal(untar(out.body, '-xO', 'made'), 'made\n');
  t.equal(untar((await d.request('GET', `/containers/${stopped.id}/archive?path=/vol/v`)).body, '-xO', 'v'), 'data\n', 'through its volume');
  const upload = execFileSync('sh', ['-c', 'cd "$(mktemp -d)" && echo put > putfile && tar -c putfile && cd / && rm -rf "$OLDPWD"']);
  t.equal((await d.request('PUT', `/containers/${stopped.id}/archive?path=/`, { body: upload, headers: { 'Content-Type': 'application/x-tar' } })).status, 200);
  t.equal((await d.request('HEAD', `/containers/${stopped.id}/archive?path=/putfile`)).status, 200);
  const state = await inspect(d, stopped.id);
  t.equal(state.State.Status, 'exited', 'still stopped');
  const again = await d.request('POST', `/containers/${stopped.id}/start`);
  t.equal(again.status, 204, 'and it starts as before');
  t.equal(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`${stopped.id}/cp/`)).length, 0, 'no holding shim left');
});

t.test('cp in: missing parents are made, read-only mounts and a read-only rootfs refuse it in moby\'s words, a failed copy leaves kapald serving', async (t) => {
  const d = await daemon(t, 'cp-refused');
  const tarOf = (script: string) => execFileSync('sh', ['-c', `cd "$(mktemp -d)" && ${script} && cd / && rm -rf "$OLDPWD"`], { maxBuffer: 1 << 20 });
  const put = (id: string, p: string, body: Buffer) => d.request('PUT', `/containers/${id}/archive?path=${p}`, { body, headers: { 'Content-Type': 'application/x-tar' } });
  const stopped = await run(d, { Cmd: ['true'], HostConfig: { Binds: ['cpro:/ro:ro'], Tmpfs: { '/scratch': '' }, ReadonlyRootfs: true } });
  const onlyFile = tarOf('mkdir -p a/b && echo deep > a/b/f && tar -c a/b/f');
  const ro = await put(stopped.id, '/ro', onlyFile);
  t.equal(ro.status, 500);
  t.equal(ro.json().message, 'mounted volume is marked read-only');
  const rootfs = await put(stopped.id, '/', onlyFile);
  t.equal(rootfs.status, 400);
  t.equal(rootfs.json().message, 'container rootfs is marked read-only');

  const plain = await run(d, { Cmd: ['true'] });
  t.equal((await put(plain.id, '/', onlyFile)).status, 200, 'an archive without its directories');
  t.equal(untar((await d.request('GET', `/containers/${plain.id}/archive?path=/a/b/f`)).body, '-xO', 'f'), 'deep\n', 'the parents were made');
  const broken = await put(plain.id, '/', tarOf("echo x > f && mkdir d && echo y > d/g && tar -c f d/g --transform 's|^d/g|f/g|'"));
  t.equal(broken.status, 500, 'an entry below a file fails the copy');
  t.equal(broken.json().message, 'Error processing tar file: f/g: not a directory');
  t.equal((await d.request('GET', '/_ping')).status, 200, 'kapald still serves');
});

t.test('a symlink the container plants towards the host\'s root resolves inside the container', async (t) => {
  const d = await daemon(t, 'cp-escape');
  const id = await running(d, 'echo container-shadow > /etc/shadow; ln -s / /hostroot; ln -s ../../../../../etc /up');
  for (const p of ['/hostroot/etc/shadow', '/up/shadow']) {
    const res = await d.request('GET', `/containers/${id}/archive?path=${p}`);
    t.equal(res.status, 200, p);
    t.equal(untar(res.body, '-xO', 'shadow'), 'container-shadow\n', `${p}: the container's file, not the host's`);
  }
  const upload = execFileSync('sh', ['-c', 'cd "$(mktemp -d)" && echo planted > kapal-cp-escape-probe && tar -c kapal-cp-escape-probe && cd / && rm -rf "$OLDPWD"']);
  const put = await d.request('PUT', `/containers/${id}/archive?path=/hostroot/tmp`, { body: upload, headers: { 'Content-Type': 'application/x-tar' } });
  t.equal(put.status, 200);
  t.throws(() => readFileSync('/tmp/kapal-cp-escape-probe'), 'nothing reached the host\'s /tmp');
});

t.test('a directory swapped for a symlink to / in a loop while cp reads through it never yields the host\'s file', async (t) => {
  const d = await daemon(t, 'cp-race');
  const hostShadow = readFileSync('/etc/shadow', 'utf8');
  const id = await running(d, "mkdir -p /a/etc; echo inside > /a/etc/shadow; (while :; do mv /a /a.d; ln -s / /a; rm /a; mv /a.d /a; done) &");
  let inside = 0;
  for (let i = 0; i < 200; i++) {
    const res = await d.request('GET', `/containers/${id}/archive?path=/a/etc/shadow`);
    if (res.status !== 200) continue;
    const content = untar(res.body, '-xO', 'shadow');
    t.not(content, hostShadow, 'never the host\'s /etc/shadow');
    if (content === 'inside\n') inside++;
  }
  t.ok(inside > 0, `copied the container's file ${inside} of 200 times (the rest found the swap)`);
  t.match((await inspect(d, id)).State, { Status: 'running' });
});

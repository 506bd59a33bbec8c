// docker diff and docker commit through a real kapald: the writable layer against the image
// (mount points left out), and a new image of it that runs with the change, whiteouts included.

import t from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, inspect, loadBusybox, run } from '../helpers/containers.js';

const json = { 'Content-Type': 'application/json' };

async function daemon(t: Parameters<Parameters<typeof t.test>[1]>[0], name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

t.test('diff lists added, changed and deleted paths, not the container\'s mount points', async (t) => {
  const d = await daemon(t, 'commit-diff');
  const c = await run(d, { Cmd: ['sh', '-c', 'echo new > /added; echo more >> /etc/passwd; rm /bin/vi; mkdir -p /opt/d; echo x > /opt/d/f; echo v > /vol/f'], Volumes: { '/vol': {} } });
  t.equal(c.code, 0, c.stderr);
  const changes = (await d.request('GET', `/containers/${c.id}/changes`)).json();
  t.same(changes, [
    { Path: '/added', Kind: 1 },
    { Path: '/bin', Kind: 0 },
    { Path: '/bin/vi', Kind: 2 },
    { Path: '/etc', Kind: 0 },
    { Path: '/etc/passwd', Kind: 0 },
    { Path: '/opt', Kind: 1 },
    { Path: '/opt/d', Kind: 1 },
    { Path: '/opt/d/f', Kind: 1 },
  ]);
  t.equal((await d.request('GET', '/containers/nosuch/changes')).status, 404);
  const idle = await run(d, { Cmd: ['true'] });
  t.same((await d.request('GET', `/containers/${idle.id}/changes`)).json(), [], 'nothing for the mount points the runtime made in /etc');
});

t.test('commit: a new image with the change, the container\'s config and the given changes; a running one is paused for it', async (t) => {
  const d = await daemon(t, 'commit-image');
  const c = await run(d, { Cmd: ['sh', '-c', 'echo new > /added; rm /bin/vi'], Env: ['FROM_CONTAINER=1'] });
  const q = new URLSearchParams({ container: c.id, repo: 'snap', tag: '1', comment: 'a message', author: 'me' });
  q.append('changes', 'CMD ["cat", "/added"]');
  q.append('changes', 'ENV FROM_CHANGE=2');
  const res = await d.request('POST', `/commit?${q}`, { body: '{}', headers: json });
  t.equal(res.status, 201, res.text);
  const id = res.json().Id as string;
  t.match(id, /^sha256:[0-9a-f]{64}$/);
  const image = (await d.request('GET', '/images/snap:1/json')).json();
  t.equal(image.Id, id);
  t.match(image, { Comment: 'a message', Author: 'me', Config: { Cmd: ['cat', '/added'] } });
  t.ok(image.Config.Env.includes('FROM_CONTAINER=1') && image.Config.Env.includes('FROM_CHANGE=2'), 'the container\'s env and the change');
  t.equal(image.RootFS.Layers.length, 2, 'the image\'s layer and the new one');
  const ran = await run(d, { Image: 'snap:1', Cmd: null });
  t.equal(ran.stdout, 'new\n');
  const gone = await run(d, { Image: 'snap:1', Cmd: ['sh', '-c', 'ls /bin/vi 2>/dev/null || echo deleted'] });
  t.equal(gone.stdout, 'deleted\n', 'the deletion is a whiteout in the new layer');
  const history = (await d.request('GET', '/images/snap:1/history')).json();
  t.match(history[0], { Comment: 'a message', CreatedBy: /echo new > \/added/ });

  const live = await create(d, { Cmd: ['sh', '-c', 'echo live > /live; sleep 1000'] });
  await d.request('POST', `/containers/${live}/start`);
  await new Promise((r) => setTimeout(r, 300));
  const snap = await d.request('POST', `/commit?container=${live}&repo=live`, { body: '', headers: {} });
  t.equal(snap.status, 201, snap.text);
  t.equal((await inspect(d, live)).State.Status, 'running', 'running again after the commit');
  t.equal((await run(d, { Image: 'live', Cmd: ['cat', '/live'] })).stdout, 'live\n');
  t.equal((await d.request('POST', '/commit?container=nosuch')).status, 404);
});

t.test('export: the container\'s whole file system as a tar, its changes included, deleted files not', async (t) => {
  const d = await daemon(t, 'commit-export');
  const c = await run(d, { Cmd: ['sh', '-c', 'echo new > /added; rm /bin/vi; mkdir /opt; echo v > /vol/inside'], Volumes: { '/vol': {} } });
  const res = await d.request('GET', `/containers/${c.id}/export`);
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/x-tar');
  const { execFileSync } = await import('node:child_process');
  const names = execFileSync('tar', ['-t'], { input: res.body, encoding: 'utf8' }).split('\n').filter(Boolean);
  t.ok(names.includes('added'), 'the added file');
  t.ok(names.includes('bin/busybox') && names.includes('etc/passwd'), 'the image\'s files');
  t.notOk(names.includes('bin/vi'), 'not the deleted one');
  t.ok(names.includes('opt/') || names.includes('opt'), 'the new directory');
  t.notOk(names.some((n) => n.startsWith('vol/inside')), 'not the volume\'s content');
  t.notOk(names.some((n) => n.includes('.wh.')), 'no whiteout markers in an export');
  const added = execFileSync('tar', ['-xO', 'added'], { input: res.body, encoding: 'utf8' });
  t.equal(added, 'new\n');
  t.equal((await d.request('GET', '/containers/nosuch/export')).status, 404);
});

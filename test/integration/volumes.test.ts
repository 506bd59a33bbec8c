// Binds, volumes and tmpfs through a real kapald: data lands where docker would put it, read-only
// means read-only, named volumes outlive containers and anonymous ones go with `rm -v` and --rm,
// and the volumes API answers in moby's words.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { makeTempDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, demux, inspect, loadBusybox, run, waitFor } from '../helpers/containers.js';

const json = { 'Content-Type': 'application/json' };
const post = (d: TestDaemon, url: string, body?: unknown) => d.request('POST', url, body === undefined ? {} : { body: JSON.stringify(body), headers: json });

async function daemon(t: Parameters<Parameters<typeof t.test>[1]>[0], name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

t.test('binds: writes reach the host, :ro refuses them, -v makes a missing source and --mount refuses it', async (t) => {
  const d = await daemon(t, 'vol-binds');
  const host = makeTempDir(t, 'vol-bind-src');
  writeFileSync(path.join(host, 'in'), 'from the host\n');
  const rw = await run(d, { Cmd: ['sh', '-c', 'cat /data/in; echo hi > /data/f'], HostConfig: { Binds: [`${host}:/data`] } });
  t.equal(rw.stdout, 'from the host\n');
  t.equal(readFileSync(path.join(host, 'f'), 'utf8'), 'hi\n', 'the file is on the host');
  const ro = await run(d, { Cmd: ['sh', '-c', 'echo x > /data/g'], HostConfig: { Binds: [`${host}:/data:ro`] } });
  t.equal(ro.code, 1);
  t.match(ro.stderr, /Read-only file system/);
  t.notOk(existsSync(path.join(host, 'g')));
  const made = path.join(host, 'made', 'here');
  t.equal((await run(d, { Cmd: ['true'], HostConfig: { Binds: [`${made}:/m`] } })).code, 0);
  t.ok(existsSync(made), '-v made the missing source directory');
  const refused = await post(d, '/containers/create', { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'bind', Source: path.join(host, 'nope'), Target: '/m' }] } });
  t.equal(refused.status, 400);
  t.equal(refused.json().message, `invalid mount config for type "bind": bind source path does not exist: ${path.join(host, 'nope')}`);
  const doc = await inspect(d, rw.id);
  t.same(doc.Mounts, [{ Type: 'bind', Source: host, Destination: '/data', Mode: '', RW: true, Propagation: 'rprivate' }]);
});

t.test('named volumes keep data across containers; in use they cannot go; the API lists, inspects, removes and prunes', async (t) => {
  const d = await daemon(t, 'vol-named');
  const created = await post(d, '/volumes/create', { Name: 'v1', Labels: { team: 'a' } });
  t.equal(created.status, 201);
  t.match(created.json(), { Name: 'v1', Driver: 'local', Scope: 'local', Labels: { team: 'a' }, Mountpoint: path.join(d.dataRoot, 'volumes/v1/_data') });
  t.equal((await post(d, '/volumes/create', { Name: 'v1' })).json().Labels.team, 'a', 'creating it again gives the same volume');
  await run(d, { Cmd: ['sh', '-c', 'echo persisted > /v/file'], HostConfig: { Binds: ['v1:/v'] } });
  t.equal((await run(d, { Cmd: ['cat', '/v/file'], HostConfig: { Mounts: [{ Type: 'volume', Source: 'v1', Target: '/v' }] } })).stdout, 'persisted\n');
  const user = await create(d, { Cmd: ['sleep', '1000'], HostConfig: { Binds: ['v1:/v', 'fresh:/f'] } });
  t.equal((await d.request('GET', '/volumes/fresh')).status, 200, 'a named volume is made on first use');
  const busy = await d.request('DELETE', '/volumes/v1');
  t.equal(busy.status, 409);
  t.match(busy.json().message, new RegExp(`^remove v1: volume is in use - \\[.*${user}.*\\]$`));
  t.same((await d.request('GET', `/volumes?filters=${encodeURIComponent('{"label":["team=a"]}')}`)).json().Volumes.map((v: { Name: string }) => v.Name), ['v1']);
  t.equal((await d.request('GET', '/volumes/nosuch')).json().message, 'get nosuch: no such volume');
  const bad = await post(d, '/volumes/create', { Name: 'a b' });
  t.equal(bad.status, 400);

  await d.request('DELETE', `/containers/${user}?force=1`);
  t.equal((await d.request('DELETE', '/volumes/fresh')).status, 204);
  t.notOk(existsSync(path.join(d.dataRoot, 'volumes/fresh')), 'its directory went');
  t.same((await post(d, `/volumes/prune?filters=${encodeURIComponent('{"all":["true"]}')}`)).json().VolumesDeleted, null, 'stopped containers still use v1');
  await post(d, '/containers/prune');
  t.same((await post(d, '/volumes/prune')).json(), { VolumesDeleted: null, SpaceReclaimed: 0 }, 'named volumes stay unless all=true');
  const all = (await post(d, `/volumes/prune?filters=${encodeURIComponent('{"all":["true"]}')}`)).json();
  t.same(all.VolumesDeleted, ['v1']);
  t.ok(all.SpaceReclaimed > 0);
});

t.test('anonymous volumes: from VOLUME and -v /path; rm -v and --rm remove them, a plain rm keeps them', async (t) => {
  const d = await daemon(t, 'vol-anon');
  const kept = await create(d, { Cmd: ['true'], Volumes: { '/cache': {} } });
  const name = (await inspect(d, kept)).Mounts[0].Name as string;
  t.match(name, /^[0-9a-f]{64}$/);
  await d.request('DELETE', `/containers/${kept}`);
  t.equal((await d.request('GET', `/volumes/${name}`)).status, 200, 'rm without -v keeps it');
  const removed = await create(d, { Cmd: ['true'], Volumes: { '/cache': {} } });
  const gone = (await inspect(d, removed)).Mounts[0].Name as string;
  await d.request('DELETE', `/containers/${removed}?v=1`);
  t.equal((await d.request('GET', `/volumes/${gone}`)).status, 404, 'rm -v removes it');
  const auto = await create(d, { Cmd: ['sh', '-c', 'echo x > /cache/x'], Volumes: { '/cache': {} }, HostConfig: { AutoRemove: true } });
  const removedWait = d.request('POST', `/containers/${auto}/wait?condition=removed`);
  await post(d, `/containers/${auto}/start`);
  t.equal((await removedWait).json().StatusCode, 0);
  const left = (await d.request('GET', '/volumes')).json().Volumes.map((v: { Name: string }) => v.Name);
  t.same(left, [name], '--rm removed its anonymous volume');
  t.same((await post(d, '/volumes/prune')).json().VolumesDeleted, [name], 'prune removes unused anonymous volumes');
});

t.test('tmpfs: --tmpfs and --mount type=tmpfs with docker\'s defaults; --read-only still writes to them', async (t) => {
  const d = await daemon(t, 'vol-tmpfs');
  const r = await run(d, {
    Cmd: ['sh', '-c', 'grep -E " /(run|t) " /proc/mounts; touch /etc/x 2>/dev/null || echo root-refused; echo ok > /run/f && cat /run/f; echo ok > /t/f && cat /t/f'],
    HostConfig: { ReadonlyRootfs: true, Tmpfs: { '/run': 'size=10m' }, Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576 } }] },
  });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^tmpfs \/run tmpfs rw,nosuid,nodev,noexec,relatime,size=10240k/m);
  t.match(r.stdout, /^tmpfs \/t tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k/m);
  t.match(r.stdout, /root-refused\nok\nok\n$/);
  const src = makeTempDir(t, 'vol-ro-root');
  mkdirSync(path.join(src, 'd'));
  const ro = await run(d, { Cmd: ['sh', '-c', 'touch /x 2>/dev/null || echo root-refused; touch /data/d/ok && echo bind-writable'], HostConfig: { ReadonlyRootfs: true, Binds: [`${src}:/data`] } });
  t.equal(ro.stdout, 'root-refused\nbind-writable\n', '--read-only refuses writes outside volumes and tmpfs');
});

t.test('a new named volume gets what the image has at its path (docker\'s copy-up); nocopy and a volume with content do not', async (t) => {
  const d = await daemon(t, 'vol-copyup');
  const copied = await run(d, { Cmd: ['sh', '-c', 'head -1 /etc/passwd; echo mine > /etc/added'], HostConfig: { Binds: ['etcvol:/etc'] } });
  t.equal(copied.code, 0, copied.stderr);
  t.match(copied.stdout, /^root:/, 'the image\'s /etc is in the new volume');
  const data = path.join(d.dataRoot, 'volumes/etcvol/_data');
  t.ok(existsSync(path.join(data, 'passwd')));
  writeFileSync(path.join(data, 'group'), 'changed\n');
  const again = await run(d, { Cmd: ['sh', '-c', 'cat /etc/group /etc/added'], HostConfig: { Binds: ['etcvol:/etc'] } });
  t.equal(again.stdout, 'changed\nmine\n', 'a volume with content is not copied into again');
  const none = await run(d, { Cmd: ['sh', '-c', 'ls /etc/passwd 2>/dev/null || echo none'], HostConfig: { Binds: ['empty:/etc:nocopy'] } });
  t.equal(none.stdout, 'none\n', 'nocopy: the volume starts empty');

  // The runtime's /etc files go on top of a volume at /etc, as docker mounts them after it.
  const files = await run(d, { Cmd: ['sh', '-c', 'ls /etc/hostname /etc/hosts /etc/resolv.conf'], HostConfig: { Binds: ['etcvol:/etc'] } });
  t.equal(files.code, 0, files.stderr);

  // docker copies at create only: emptied on purpose, the volume stays empty at the next start.
  const script = '[ -e /marker ] || { rm -f /usr/sbin/*; touch /marker; }; echo done';
  const emptied = await run(d, { Cmd: ['sh', '-c', script], HostConfig: { Binds: ['sbinvol:/usr/sbin'] } });
  t.equal(emptied.stdout, 'done\n', emptied.stderr);
  const restarted = await d.request('POST', `/containers/${emptied.id}/start`);
  t.equal(restarted.status, 204);
  await waitFor(async () => (await inspect(d, emptied.id)).State.Status === 'exited', 10_000, 'the second run to end');
  t.same(readdirSync(path.join(d.dataRoot, 'volumes/sbinvol/_data')), [], 'not copied into again at a later start');
});

const mountedAt = (p: string): boolean => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);

t.test('local volume options: mounted on the host while running containers use it, shared by them, unmounted after the last', async (t) => {
  const d = await daemon(t, 'vol-opts');
  const created = await post(d, '/volumes/create', { Name: 'ram', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=2m' } });
  t.equal(created.status, 201, created.text);
  t.same(created.json().Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=2m' });
  const data = created.json().Mountpoint;
  t.notOk(mountedAt(data), 'nothing is mounted before a container uses it');
  const first = await create(d, { Cmd: ['sh', '-c', 'echo shared > /r/f; sleep 1000'], HostConfig: { Binds: ['ram:/r'] } });
  t.equal((await d.request('POST', `/containers/${first}/start`)).status, 204);
  t.ok(mountedAt(data), 'the tmpfs is mounted at the volume\'s mountpoint');
  await waitFor(async () => (await run(d, { Cmd: ['cat', '/r/f'], HostConfig: { Binds: ['ram:/r'] } })).stdout === 'shared\n', 10_000, 'the second container to see the first one\'s file');
  const line = await run(d, { Cmd: ['grep', ' /r ', '/proc/mounts'], HostConfig: { Binds: ['ram:/r'] } });
  t.match(line.stdout, /^tmpfs \/r tmpfs rw,.*size=2048k/m);
  t.ok(mountedAt(data), 'still mounted while the first container runs');
  t.equal((await d.request('POST', `/containers/${first}/kill`)).status, 204);
  await waitFor(() => !mountedAt(data), 10_000, 'the unmount after the last container');
  t.equal((await run(d, { Cmd: ['sh', '-c', 'ls /r | wc -l'], HostConfig: { Binds: ['ram:/r'] } })).stdout.trim(), '0', 'a tmpfs volume starts empty again once unmounted');

  const host = makeTempDir(t, 'vol-opts-bind');
  writeFileSync(path.join(host, 'there'), 'on the host\n');
  t.equal((await post(d, '/volumes/create', { Name: 'hostdir', DriverOpts: { type: 'none', o: 'bind', device: host } })).status, 201);
  const bound = await run(d, { Cmd: ['sh', '-c', 'cat /h/there; echo back > /h/back'], HostConfig: { Binds: ['hostdir:/h'] } });
  t.equal(bound.stdout, 'on the host\n');
  t.equal(readFileSync(path.join(host, 'back'), 'utf8'), 'back\n');
  t.equal((await d.request('DELETE', `/containers/${bound.id}`)).status, 204);
  t.equal((await d.request('DELETE', '/volumes/hostdir')).status, 204);
  t.ok(existsSync(path.join(host, 'there')), 'removing the volume leaves the host directory alone');

  t.equal((await post(d, '/volumes/create', { Name: 'gone', DriverOpts: { type: 'none', o: 'bind', device: path.join(host, 'nope') } })).status, 201, 'as docker: the device is only checked at the mount');
  const failed = await post(d, `/containers/${await create(d, { Cmd: ['true'], HostConfig: { Binds: ['gone:/g'] } })}/start`);
  t.equal(failed.status, 500);
  t.equal(failed.json().message, `error while mounting volume '${path.join(d.dataRoot, 'volumes/gone/_data')}': failed to mount local volume: mount ${path.join(host, 'nope')}:${path.join(d.dataRoot, 'volumes/gone/_data')}, flags: 0x1000: no such file or directory`);

  const bad = async (opts: Record<string, string>) => {
    const res = await post(d, '/volumes/create', { Name: 'badopts', DriverOpts: opts });
    t.equal(res.status, 400);
    return res.json().message;
  };
  t.equal(await bad({ bogus: '1' }), 'create badopts: invalid option: "bogus"');
  t.equal(await bad({ type: 'tmpfs' }), 'create badopts: missing required option: "device"');
  t.equal(await bad({ device: 'tmpfs' }), 'create badopts: missing required option: "type"');
  t.equal(await bad({ type: 'tmpfs', o: 'size=1m' }), 'create badopts: missing required option: "device"');
  t.equal(await bad({ size: '1g' }), 'create badopts: quota size requested but no quota support');
  t.equal(await bad({ size: 'lots' }), "create badopts: invalid size: 'lots'");
});

t.test('local volume on a block device: ext4 on a loop device, mounted for the container and unmounted after', async (t) => {
  const d = await daemon(t, 'vol-ext4');
  const dir = makeTempDir(t, 'vol-ext4-img');
  const image = path.join(dir, 'fs.img');
  execFileSync('truncate', ['-s', '16M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'kapaltest', image]);
  const loop = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
  t.teardown(() => {
    try {
      execFileSync('losetup', ['-d', loop]);
    } catch {
      // detached already
    }
  });
  t.equal((await post(d, '/volumes/create', { Name: 'disk', DriverOpts: { type: 'ext4', device: loop, o: 'noatime' } })).status, 201);
  const wrote = await run(d, { Cmd: ['sh', '-c', 'grep " /disk " /proc/mounts; echo kept > /disk/f'], HostConfig: { Binds: ['disk:/disk'] } });
  t.equal(wrote.code, 0, wrote.stderr);
  t.match(wrote.stdout, new RegExp(`^${loop} /disk ext4 rw,noatime`, 'm'));
  const data = path.join(d.dataRoot, 'volumes/disk/_data');
  await waitFor(() => !mountedAt(data), 10_000, 'the unmount after the container');
  t.equal((await run(d, { Cmd: ['cat', '/disk/f'], HostConfig: { Binds: ['disk:/disk'] } })).stdout, 'kept\n', 'the data is on the device');
  await waitFor(() => !mountedAt(data), 10_000, 'the unmount after the second container');
});

t.test('bind propagation: rslave sees the host\'s later mounts, rshared gives the container\'s back, rprivate neither; moby\'s checks', async (t) => {
  const d = await daemon(t, 'vol-prop');
  const shared = makeTempDir(t, 'vol-prop-shared');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'kapal-test-prop', shared]);
  execFileSync('mount', ['--make-shared', shared]);
  const privateDir = makeTempDir(t, 'vol-prop-private');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'kapal-test-prop', privateDir]);
  execFileSync('mount', ['--make-private', privateDir]);

  const started = async (bind: string, extra: Record<string, unknown> = {}) => {
    const id = await create(d, { Cmd: ['sleep', '1000'], HostConfig: { Binds: [bind], ...extra } });
    const res = await d.request('POST', `/containers/${id}/start`);
    t.equal(res.status, 204, res.text);
    return id;
  };
  const exec = async (id: string, cmd: string) => {
    const e = (await post(d, `/containers/${id}/exec`, { Cmd: ['sh', '-c', cmd], AttachStdout: true, AttachStderr: true })).json().Id;
    const out = await post(d, `/exec/${e}/start`, { Detach: false });
    const { stdout, stderr } = demux(out.body);
    return stdout + stderr;
  };
  const slave = await started(`${shared}:/p:rslave`);
  const priv = await started(`${shared}:/p`);
  const both = await started(`${shared}:/p:rshared`, { Privileged: true });
  t.same((await inspect(d, slave)).Mounts[0].Propagation, 'rslave');

  mkdirSync(path.join(shared, 'late'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'kapal-test-prop', path.join(shared, 'late')]);
  writeFileSync(path.join(shared, 'late', 'f'), 'mounted later\n');
  t.match(await exec(slave, 'cat /p/late/f'), /mounted later/, 'rslave: the host\'s new mount reaches the container');
  t.match(await exec(both, 'cat /p/late/f'), /mounted later/, 'rshared: and to this one');
  t.notMatch(await exec(priv, 'cat /p/late/f 2>&1'), /mounted later/, 'rprivate: not to this one');

  await exec(both, 'mkdir -p /p/back && mount -t tmpfs none /p/back && echo from the container > /p/back/f');
  t.equal(readFileSync(path.join(shared, 'back', 'f'), 'utf8'), 'from the container\n', 'rshared: the container\'s mount reaches the host');
  t.match(await exec(slave, 'cat /p/back/f'), /from the container/, 'rslave: it reaches the rslave container too, through the host');

  const refused = await d.request('POST', `/containers/${await create(d, { Cmd: ['true'], HostConfig: { Binds: [`${privateDir}:/q:rslave`] } })}/start`);
  t.equal(refused.status, 500);
  t.equal(refused.json().message, `path "${privateDir}" is mounted on "${privateDir}" but it is not a shared or slave mount`);
  const refusedShared = await d.request('POST', `/containers/${await create(d, { Cmd: ['true'], HostConfig: { Binds: [`${privateDir}:/q:rshared`] } })}/start`);
  t.equal(refusedShared.json().message, `path "${privateDir}" is mounted on "${privateDir}" but it is not a shared mount`);
  for (const id of [slave, priv, both]) await d.request('DELETE', `/containers/${id}?force=1`);
});

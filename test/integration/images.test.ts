import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { buildFixtureImage } from '../helpers/images.js';

const load = (d: TestDaemon, file: string, query = '') =>
  d.request('POST', `/images/load${query}`, { body: readFileSync(file), headers: { 'Content-Type': 'application/x-tar' } });

const lines = (text: string) => text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l));

t.test('a docker save archive loads as busybox:latest with the ID docker computes', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgload');
  const res = await load(d, fixture.dockerArchive);
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/json');
  t.same(lines(res.text), [{ stream: 'Loaded image: busybox:latest\n' }], 'quiet by default: no layer progress');
  const list = (await d.request('GET', '/images/json')).json();
  t.equal(list.length, 1);
  t.equal(list[0].Id, fixture.id);
  t.same(list[0].RepoTags, ['busybox:latest']);
  t.ok(list[0].Size > 1_000_000, 'the unpacked size');
  t.equal(list[0].Created, Date.parse('2024-01-01T00:00:00Z') / 1000);
  const info = (await d.request('GET', '/info')).json();
  t.equal(info.Images, 1);
});

t.test('quiet=0 adds Loading layer progress before the result', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgloadprogress');
  const out = lines((await load(d, fixture.dockerArchive, '?quiet=0')).text);
  t.equal(out[0].status, 'Loading layer');
  t.equal(out[0].id, fixture.diffIds[0]!.slice(7, 19));
  t.same(out[out.length - 1], { stream: 'Loaded image: busybox:latest\n' });
});

t.test('inspect and history show the image as docker does; the layer is unpacked on disk', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imginspect');
  await load(d, fixture.dockerArchive);
  for (const name of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', fixture.id, fixture.id.slice(7), fixture.id.slice(7, 19)]) {
    const res = await d.request('GET', `/images/${name}/json`);
    t.equal(res.status, 200, name);
    t.equal(res.json().Id, fixture.id, name);
  }
  const inspect = (await d.request('GET', '/v1.49/images/busybox/json')).json();
  t.same(inspect.RepoTags, ['busybox:latest']);
  t.same(inspect.RootFS, { Type: 'layers', Layers: fixture.diffIds });
  t.same(inspect.Config.Cmd, ['sh']);
  t.equal(inspect.Os, 'linux');
  t.equal(inspect.GraphDriver.Name, 'overlayfs');
  const lower = inspect.GraphDriver.Data.LowerDir as string;
  t.ok(statSync(path.join(lower, 'bin/busybox')).isFile(), 'the layer directory holds the rootfs');
  t.equal(statSync(path.join(lower, 'tmp')).mode & 0o7777, 0o1777);
  t.ok(lower.startsWith(d.dataRoot), 'layers live under data-root');
  const history = (await d.request('GET', '/images/busybox/history')).json();
  t.equal(history.length, 1);
  t.equal(history[0].Id, fixture.id);
  t.same(history[0].Tags, ['busybox:latest']);
  t.match(history[0].CreatedBy, /busybox-static/);
  t.equal(history[0].Size, inspect.Size);
});

t.test('a missing image is a 404 naming it as docker does', async (t) => {
  const d = await startDaemon(t, 'img404');
  for (const [url, message] of [
    ['/images/nope/json', 'No such image: nope:latest'],
    ['/images/myrepo/app:1/history', 'No such image: myrepo/app:1'],
    ['/images/deadbeef/json', 'No such image: deadbeef:latest'],
    [`/images/${'d'.repeat(64)}/json`, `No such image: sha256:${'d'.repeat(64)}`],
  ]) {
    const res = await d.request('GET', url!);
    t.equal(res.status, 404, url);
    t.same(res.json(), { message }, url);
  }
  t.equal((await d.request('DELETE', '/images/nope')).status, 404);
  const invalid = await d.request('GET', '/images/Bad/json');
  t.equal(invalid.status, 400, 'an invalid reference is a bad parameter, as in moby');
  t.match(invalid.json().message, /must be lowercase/);
});

t.test('tag adds names with slashes and registries; lookups and filters find them', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgtag');
  await load(d, fixture.dockerArchive);
  t.equal((await d.request('POST', '/images/busybox:latest/tag?repo=docker.io%2Fmyrepo%2Fbb&tag=v1')).status, 201);
  t.equal((await d.request('POST', `/images/${fixture.id.slice(7, 19)}/tag?repo=localhost:5000/team/bb`)).status, 201);
  const inspect = (await d.request('GET', '/images/localhost:5000/team/bb:latest/json')).json();
  t.same([...inspect.RepoTags].sort(), ['busybox:latest', 'localhost:5000/team/bb:latest', 'myrepo/bb:v1']);
  t.equal((await d.request('GET', '/images/myrepo/bb:v1/json')).json().Id, fixture.id);
  const filtered = (await d.request('GET', `/images/json?filters=${encodeURIComponent('{"reference":{"myrepo/*":true}}')}`)).json();
  t.equal(filtered.length, 1);
  const none = (await d.request('GET', `/images/json?filters=${encodeURIComponent('{"dangling":["true"]}')}`)).json();
  t.same(none, []);
  const bad = await d.request('POST', '/images/busybox/tag?repo=Bad/Name');
  t.equal(bad.status, 400);
});

t.test('rmi untags one name at a time, then deletes the image, its layer and its blobs', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgrmi');
  await load(d, fixture.dockerArchive);
  await d.request('POST', '/images/busybox/tag?repo=myrepo/bb&tag=v1');
  const lower = (await d.request('GET', '/images/busybox/json')).json().GraphDriver.Data.LowerDir;
  const first = await d.request('DELETE', '/images/myrepo/bb:v1');
  t.equal(first.status, 200);
  t.same(first.json(), [{ Untagged: 'myrepo/bb:v1' }]);
  const second = await d.request('DELETE', '/images/busybox');
  t.same(second.json(), [{ Untagged: 'busybox:latest' }, { Deleted: fixture.id }]);
  t.same((await d.request('GET', '/images/json')).json(), []);
  t.notOk(existsSync(lower), 'the layer directory is gone');
  t.same(readdirSync(path.join(d.dataRoot, 'images/blobs/sha256')), [], 'no blob is left');
});

t.test('rmi by ID of an image in two repositories needs force', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgrmiforce');
  await load(d, fixture.dockerArchive);
  await d.request('POST', '/images/busybox/tag?repo=myrepo/bb&tag=v1');
  const refused = await d.request('DELETE', `/images/${fixture.id.slice(7, 19)}`);
  t.equal(refused.status, 409);
  t.equal(refused.json().message, `conflict: unable to delete ${fixture.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
  const forced = await d.request('DELETE', `/images/${fixture.id.slice(7, 19)}?force=1`);
  t.equal(forced.status, 200);
  t.same(forced.json().at(-1), { Deleted: fixture.id });
});

t.test('save then load round-trips to the same image ID in another daemon', async (t) => {
  const fixture = buildFixtureImage(t);
  const a = await startDaemon(t, 'imgsavea');
  await load(a, fixture.dockerArchive);
  await a.request('POST', '/images/busybox/tag?repo=myrepo/bb&tag=v1');
  const saved = await a.request('GET', '/images/get?names=busybox&names=myrepo%2Fbb%3Av1');
  t.equal(saved.status, 200);
  t.equal(saved.headers['content-type'], 'application/x-tar');
  const again = await a.request('GET', '/images/get?names=busybox&names=myrepo%2Fbb%3Av1');
  t.ok(saved.body.equals(again.body), 'two saves are byte-identical');
  const b = await startDaemon(t, 'imgsaveb');
  const res = await b.request('POST', '/images/load', { body: saved.body, headers: { 'Content-Type': 'application/x-tar' } });
  t.same(lines(res.text).map((l) => l.stream).sort(), ['Loaded image: busybox:latest\n', 'Loaded image: myrepo/bb:v1\n']);
  const list = (await b.request('GET', '/images/json')).json();
  t.equal(list.length, 1);
  t.equal(list[0].Id, fixture.id);
  const one = await a.request('GET', '/images/myrepo/bb:v1/get');
  t.equal(one.status, 200);
  // GNU tar, an independent reader: the layout's directories can be entered once extracted.
  const { execFileSync } = await import('node:child_process');
  const listing = execFileSync('tar', ['-tvf', '-'], { input: one.body, encoding: 'utf8' });
  t.match(listing, /^drwxr-xr-x 0\/0 +0 [^\n]* blobs\/\n/m);
  t.match(listing, /^drwxr-xr-x 0\/0 +0 [^\n]* blobs\/sha256\/\n/m);
});

t.test('an OCI layout archive loads with its name from the annotations', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgoci');
  const res = await load(d, fixture.ociArchive);
  t.same(lines(res.text), [{ stream: 'Loaded image: busybox:latest\n' }]);
  t.equal((await d.request('GET', '/images/busybox/json')).json().Id, fixture.id);
});

t.test('loading the same image twice reuses its layer and keeps one image', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgtwice');
  await load(d, fixture.dockerArchive);
  const out = lines((await load(d, fixture.dockerArchive, '?quiet=0')).text);
  t.same(out, [{ stream: 'Loaded image: busybox:latest\n' }], 'no layer is loaded again');
  t.equal(readdirSync(path.join(d.dataRoot, 'images/layers')).length, 1);
});

t.test('a broken archive is reported in the stream and leaves nothing behind', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgbroken');
  const whole = readFileSync(fixture.dockerArchive);
  for (const body of [Buffer.from('not a tar at all'), whole.subarray(0, Math.floor(whole.length / 2))]) {
    const res = await d.request('POST', '/images/load', { body, headers: { 'Content-Type': 'application/x-tar' } });
    t.equal(res.status, 200, 'moby reports load failures inside the stream');
    const out = lines(res.text);
    t.ok(out.at(-1).errorDetail?.message, JSON.stringify(out));
    t.equal(out.at(-1).error, out.at(-1).errorDetail.message);
  }
  t.same((await d.request('GET', '/images/json')).json(), []);
  for (const dir of ['blobs/sha256', 'layers', 'tmp']) t.same(readdirSync(path.join(d.dataRoot, 'images', dir)), [], dir);
});

t.test('data a crash left behind is removed at the next start', async (t) => {
  const fixture = buildFixtureImage(t);
  const d1 = await startDaemon(t, 'imgorphans');
  await load(d1, fixture.dockerArchive);
  await d1.stop('SIGKILL');
  const images = path.join(d1.dataRoot, 'images');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(path.join(images, 'tmp/layer-crashed/bin'), { recursive: true });
  mkdirSync(path.join(images, 'layers', 'f'.repeat(64)));
  writeFileSync(path.join(images, 'blobs/sha256', 'e'.repeat(64)), 'orphan');
  const d2 = await startDaemon(t, 'imgorphans', { dir: d1.dir });
  t.same(readdirSync(path.join(images, 'tmp')), []);
  t.notOk(existsSync(path.join(images, 'layers', 'f'.repeat(64))));
  t.notOk(existsSync(path.join(images, 'blobs/sha256', 'e'.repeat(64))));
  t.equal((await d2.request('GET', '/images/busybox/json')).json().Id, fixture.id, 'the registered image is kept');
});

t.test('import makes a one-layer image from a rootfs tar, with changes and message', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgimport');
  const changes = ['CMD ["/bin/sh","-c","echo hi"]', 'ENV A=1 B="two words"', 'WORKDIR /srv', 'LABEL team=kapal', 'EXPOSE 8080'];
  const query = new URLSearchParams([['fromSrc', '-'], ['repo', 'myimp:1'], ['tag', ''], ['message', 'from a test'], ...changes.map((c) => ['changes', c])]);
  const res = await d.request('POST', `/images/create?${query}`, { body: readFileSync(fixture.rootfsTar), headers: { 'Content-Type': 'text/plain' } });
  t.equal(res.status, 200, res.text);
  const [{ status: id }] = lines(res.text);
  t.match(id, /^sha256:[0-9a-f]{64}$/);
  const inspect = (await d.request('GET', '/images/myimp:1/json')).json();
  t.equal(inspect.Id, id);
  t.same(inspect.RootFS.Layers, fixture.diffIds, 'the layer is the same diff as busybox');
  t.equal(inspect.Comment, 'from a test');
  t.same(inspect.Config.Cmd, ['/bin/sh', '-c', 'echo hi']);
  t.same(inspect.Config.Env, ['A=1', 'B=two words']);
  t.equal(inspect.Config.WorkingDir, '/srv');
  t.same(inspect.Config.Labels, { team: 'kapal' });
  t.same(inspect.Config.ExposedPorts, { '8080/tcp': {} });
  // Refused before the body is read (a small body: a big one would be cut off mid-upload).
  const bad = await d.request('POST', '/images/create?fromSrc=-&changes=RUN%20rm%20-rf%20/', { body: Buffer.alloc(512), headers: { 'Content-Type': 'text/plain' } });
  t.equal(bad.status, 400);
  t.equal(bad.json().message, 'RUN is not a valid change command');
  t.same(readdirSync(path.join(d.dataRoot, 'images/tmp')), [], 'a refused import leaves nothing');
});

t.test('prune removes dangling images by default and every image with dangling=false', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgprune');
  await load(d, fixture.dockerArchive);
  const imported = await d.request('POST', '/images/create?fromSrc=-&changes=CMD%20sh', { body: readFileSync(fixture.rootfsTar), headers: { 'Content-Type': 'application/x-tar' } });
  const danglingId = lines(imported.text)[0].status;
  const first = (await d.request('POST', '/images/prune')).json();
  t.same(first.ImagesDeleted, [{ Deleted: danglingId }]);
  t.equal(first.SpaceReclaimed, 0, 'the shared layer stays: busybox still uses it');
  t.equal((await d.request('GET', '/images/json')).json().length, 1);
  const all = (await d.request('POST', `/images/prune?filters=${encodeURIComponent('{"dangling":["false"]}')}`)).json();
  t.same(all.ImagesDeleted, [{ Untagged: 'busybox:latest' }, { Deleted: fixture.id }]);
  t.ok(all.SpaceReclaimed > 1_000_000);
  t.same((await d.request('POST', '/images/prune')).json(), { ImagesDeleted: null, SpaceReclaimed: 0 });
});

t.test('an archive whose layer is truncated inside a huge entry fails cleanly and kapald keeps serving', async (t) => {
  const { createHash } = await import('node:crypto');
  const tar = (await import('tar-stream')).default;
  const d = await startDaemon(t, 'imghostile');
  // A layer whose only entry declares 8 GiB and stops after 4 KiB.
  const header = Buffer.alloc(512, 0);
  header.write('huge', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write('77777777777\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  header.write(`${header.reduce((n, b) => n + b, 0).toString(8).padStart(6, '0')}\0 `, 148);
  const layer = Buffer.concat([header, Buffer.alloc(4096, 0x41)]);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layer)}`] } }));
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  pack.entry({ name: `blobs/sha256/${sha(layer)}` }, layer);
  pack.entry({ name: `blobs/sha256/${sha(config)}` }, config);
  pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: `blobs/sha256/${sha(config)}`, RepoTags: ['hostile:1'], Layers: [`blobs/sha256/${sha(layer)}`] }]));
  pack.finalize();
  await done;
  for (let i = 0; i < 5; i++) {
    const res = await d.request('POST', '/images/load', { body: Buffer.concat(chunks), headers: { 'Content-Type': 'application/x-tar' } });
    t.match(lines(res.text).at(-1).errorDetail.message, /layer is not a valid tar/, `attempt ${i + 1}`);
  }
  t.equal((await d.request('GET', '/_ping')).text, 'OK', 'kapald is still up');
  t.same((await d.request('GET', '/images/json')).json(), []);
  for (const dir of ['layers', 'tmp']) t.same(readdirSync(path.join(d.dataRoot, 'images', dir)), [], dir);
});

t.test('a gzip or zstd compressed archive loads like the plain one (docker load < image.tar.gz)', async (t) => {
  const { gzipSync } = await import('node:zlib');
  const { execFileSync } = await import('node:child_process');
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgcompressed');
  const plain = readFileSync(fixture.dockerArchive);
  const variants: [string, Buffer][] = [['gzip', gzipSync(plain)], ['zstd', execFileSync('zstd', ['-q', '-c'], { input: plain, maxBuffer: 1 << 28 })]];
  for (const [kind, body] of variants) {
    const res = await d.request('POST', '/images/load', { body, headers: { 'Content-Type': 'application/x-tar' } });
    t.same(lines(res.text), [{ stream: 'Loaded image: busybox:latest\n' }], kind);
    t.equal((await d.request('GET', '/images/busybox/json')).json().Id, fixture.id, kind);
    await d.request('DELETE', '/images/busybox');
  }
});

t.test('a pre-1.10 archive (repositories and v1 image chains) loads; empty layers are history only', async (t) => {
  const tar = (await import('tar-stream')).default;
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imglegacy');
  const base = 'a'.repeat(64);
  const top = 'b'.repeat(64);
  const v1 = (id: string, parent: string | undefined, cmd: string) => JSON.stringify({
    id, ...(parent ? { parent } : {}), created: '2015-06-01T00:00:00Z', architecture: 'amd64', os: 'linux',
    container_config: { Cmd: ['/bin/sh', '-c', cmd] }, config: { Cmd: ['sh'], Env: ['PATH=/bin'] }, Size: 0,
  });
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  pack.entry({ name: 'repositories' }, JSON.stringify({ legacy: { '1': top } }));
  pack.entry({ name: `${base}/VERSION` }, '1.0');
  pack.entry({ name: `${base}/json` }, v1(base, undefined, '#(nop) MAINTAINER nobody'));
  pack.entry({ name: `${base}/layer.tar` }, Buffer.alloc(1024));
  pack.entry({ name: `${top}/VERSION` }, '1.0');
  pack.entry({ name: `${top}/json` }, v1(top, base, '#(nop) ADD file:busybox in /'));
  pack.entry({ name: `${top}/layer.tar` }, readFileSync(fixture.rootfsTar));
  pack.finalize();
  await done;
  const res = await d.request('POST', '/images/load', { body: Buffer.concat(chunks), headers: { 'Content-Type': 'application/x-tar' } });
  t.same(lines(res.text), [{ stream: 'Loaded image: legacy:1\n' }]);
  const inspect = (await d.request('GET', '/images/legacy:1/json')).json();
  t.same(inspect.RootFS.Layers, fixture.diffIds, 'the empty layer is not in rootfs');
  t.same(inspect.Config.Cmd, ['sh']);
  t.ok(statSync(path.join(inspect.GraphDriver.Data.LowerDir, 'bin/busybox')).isFile());
  const history = (await d.request('GET', '/images/legacy:1/history')).json();
  t.same(history.map((h: { CreatedBy: string }) => h.CreatedBy), ['/bin/sh -c #(nop) ADD file:busybox in /', '/bin/sh -c #(nop) MAINTAINER nobody']);
  t.equal(history[1].Size, 0);
});

t.test('prune refuses unknown filters instead of deleting everything, and honours label!', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgprunefilters');
  await load(d, fixture.dockerArchive);
  const labelled = await d.request('POST', '/images/create?fromSrc=-&repo=keep%3A1&changes=LABEL%20a%3Db', { body: readFileSync(fixture.rootfsTar), headers: { 'Content-Type': 'application/x-tar' } });
  t.equal(labelled.status, 200);
  for (const filters of ['{"bogus":["1"],"dangling":["false"]}', '{"dangling":["nope"]}', '{"reference":["x"]}']) {
    const res = await d.request('POST', `/images/prune?filters=${encodeURIComponent(filters)}`);
    t.equal(res.status, 400, filters);
    t.match(res.json().message, /^invalid filter/);
  }
  t.equal((await d.request('GET', '/images/json')).json().length, 2, 'nothing was deleted');
  const res = await d.request('POST', `/images/prune?filters=${encodeURIComponent('{"dangling":["false"],"label!":["a=b"]}')}`);
  t.same(res.json().ImagesDeleted, [{ Untagged: 'busybox:latest' }, { Deleted: fixture.id }]);
  t.same((await d.request('GET', '/images/json')).json().map((i: { RepoTags: string[] }) => i.RepoTags), [['keep:1']]);
});

t.test('a reference filter lists only the matching tags of an image, as docker does', async (t) => {
  const fixture = buildFixtureImage(t);
  const d = await startDaemon(t, 'imgreffilter');
  await load(d, fixture.dockerArchive);
  for (const repo of ['me/a:1', 'me/b:2', 'other/c:3', 'me/sub/d:4']) {
    const [r, tag] = repo.split(':') as [string, string];
    await d.request('POST', `/images/busybox/tag?repo=${encodeURIComponent(r)}&tag=${tag}`);
  }
  const list = (await d.request('GET', `/images/json?filters=${encodeURIComponent('{"reference":{"me/*":true}}')}`)).json();
  t.equal(list.length, 1);
  t.same([...list[0].RepoTags].sort(), ['me/a:1', 'me/b:2']);
  const all = (await d.request('GET', '/images/json')).json();
  t.equal(all[0].RepoTags.length, 5, 'without the filter every tag is listed');
});

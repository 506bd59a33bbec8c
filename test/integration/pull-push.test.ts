import { readFileSync } from 'node:fs';
import t from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { buildFixtureImage } from '../helpers/images.js';
import { registryMissing, skopeo, startRegistry } from '../helpers/registry.js';

const skip = registryMissing() ?? false;
const lines = (text: string) => text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l));
const load = (d: TestDaemon, file: string) =>
  d.request('POST', '/images/load', { body: readFileSync(file), headers: { 'Content-Type': 'application/x-tar' } });

t.test('push to a loopback registry, then pull it back into another daemon: same image, RepoDigests set', { skip }, async (t) => {
  const fixture = buildFixtureImage(t);
  const registry = await startRegistry(t);
  const a = await startDaemon(t, 'pusher');
  await load(a, fixture.dockerArchive);
  const name = `${registry.host}/x/busybox`;
  t.equal((await a.request('POST', `/images/busybox/tag?repo=${encodeURIComponent(name)}&tag=1`)).status, 201);
  const pushed = await a.request('POST', `/images/${name}/push?tag=1`, { headers: { 'X-Registry-Auth': 'e30=' } });
  t.equal(pushed.status, 200);
  const out = lines(pushed.text);
  t.same(out[0], { status: `The push refers to repository [${name}]` });
  const id = fixture.diffIds[0]!.slice(7, 19);
  const steps = out.filter((m) => m.id === id).map((m) => m.status);
  t.same(steps.filter((s, i) => s !== steps[i - 1]), ['Preparing', 'Pushing', 'Pushed'], 'progress updates in between');
  const pushing = out.filter((m) => m.id === id && m.status === 'Pushing');
  t.equal(pushing.at(-1).progressDetail.current, pushing.at(-1).progressDetail.total, 'the last update is complete');
  const aux = out.at(-1).aux;
  t.equal(aux.Tag, '1');
  t.match(aux.Digest, /^sha256:[0-9a-f]{64}$/);
  t.same((await a.request('GET', `/images/${name}:1/json`)).json().RepoDigests, [`${name}@${aux.Digest}`]);
  const again = lines((await a.request('POST', `/images/${name}/push?tag=1`)).text);
  t.ok(again.some((m) => m.status === 'Layer already exists'), 'a second push skips what the registry has');

  const b = await startDaemon(t, 'puller');
  const pulled = await b.request('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=1`);
  t.equal(pulled.status, 200);
  const msgs = lines(pulled.text);
  t.same(msgs[0], { status: 'Pulling from x/busybox', id: '1' }, 'familiar name as docker prints it');
  const layerId = out.find((m) => m.status === 'Pushed') && msgs.find((m) => m.status === 'Pulling fs layer')?.id;
  t.ok(layerId);
  const pullSteps = msgs.filter((m) => m.id === layerId).map((m) => m.status);
  t.same(
    pullSteps.filter((s, i) => s !== pullSteps[i - 1]),
    ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete'],
  );
  const downloading = msgs.filter((m) => m.id === layerId && m.status === 'Downloading');
  t.equal(downloading.at(-1).progressDetail.current, downloading.at(-1).progressDetail.total, 'the download bar ends full');
  t.same(msgs.at(-2), { status: `Digest: ${aux.Digest}` });
  t.same(msgs.at(-1), { status: `Status: Downloaded newer image for ${name}:1` });
  const inspect = (await b.request('GET', `/images/${name}:1/json`)).json();
  t.equal(inspect.Id, fixture.id, 'the same image ID');
  t.same(inspect.RepoDigests, [`${name}@${aux.Digest}`]);
  const twice = lines((await b.request('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=1`)).text);
  t.same(twice.at(-1), { status: `Status: Image is up to date for ${name}:1` });
  t.ok(twice.some((m) => m.status === 'Already exists'));
  const byDigest = await b.request('POST', `/images/create?fromImage=${encodeURIComponent(`${name}@${aux.Digest}`)}`);
  t.equal(byDigest.status, 200);
  t.same(lines(byDigest.text).at(-1), { status: `Status: Image is up to date for ${name}@${aux.Digest}` }, 'the digest was already here');
});

t.test('a Docker v2 schema 2 manifest pulls to the same image as the OCI one', { skip }, async (t) => {
  const fixture = buildFixtureImage(t);
  const registry = await startRegistry(t);
  await skopeo(['copy', '--dest-tls-verify=false', '--format', 'v2s2', `oci-archive:${fixture.ociArchive}`, `docker://${registry.host}/x/docker:v2`]);
  await skopeo(['copy', '--dest-tls-verify=false', '--format', 'oci', `oci-archive:${fixture.ociArchive}`, `docker://${registry.host}/x/oci:v1`]);
  const d = await startDaemon(t, 'pullv2');
  for (const repo of ['x/docker:v2', 'x/oci:v1']) {
    const [path, tag] = repo.split(':') as [string, string];
    const res = await d.request('POST', `/images/create?fromImage=${encodeURIComponent(`${registry.host}/${path}`)}&tag=${tag}`);
    t.equal(res.status, 200, repo);
    t.match(lines(res.text).at(-1).status, /^Status: /, repo);
    t.equal((await d.request('GET', `/images/${registry.host}/${repo}/json`)).json().Id, fixture.id, repo);
  }
  const dist = await d.request('GET', `/distribution/${registry.host}/x/docker:v2/json`);
  t.equal(dist.status, 200);
  t.equal(dist.json().Descriptor.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
});

t.test('pulling a missing tag or repository is a 404 with docker wording, before any stream', { skip }, async (t) => {
  const registry = await startRegistry(t);
  const d = await startDaemon(t, 'pull404');
  const res = await d.request('POST', `/images/create?fromImage=${encodeURIComponent(`${registry.host}/x/nothing`)}&tag=nope`);
  t.equal(res.status, 404);
  t.equal(res.headers['content-type'], 'application/json');
  t.match(res.json().message, /^(manifest for .* not found|pull access denied for)/);
  const refused = await d.request('POST', '/images/create?fromImage=127.0.0.1:1/x/y&tag=1');
  t.ok(refused.status >= 500, 'an unreachable registry is a server-side error');
  t.match(refused.json().message, /127\.0\.0\.1:1/);
  const push = await d.request('POST', `/images/${registry.host}/x/none/push?tag=1`);
  t.equal(push.status, 404);
  t.equal(push.json().message, `An image does not exist locally with the tag: ${registry.host}/x/none`);
});

t.test('credentials from X-Registry-Auth reach a registry with basic auth', { skip }, async (t) => {
  const fixture = buildFixtureImage(t);
  const registry = await startRegistry(t, { htpasswd: { username: 'kapal', password: 's3cret' } });
  const d = await startDaemon(t, 'pushauth');
  await load(d, fixture.dockerArchive);
  const name = `${registry.host}/private/busybox`;
  await d.request('POST', `/images/busybox/tag?repo=${encodeURIComponent(name)}&tag=1`);
  const denied = await d.request('POST', `/images/${name}/push?tag=1`);
  const deniedText = denied.status === 200 ? lines(denied.text).at(-1).errorDetail?.message : denied.json().message;
  t.ok(deniedText, 'without credentials the push fails');
  const auth = Buffer.from(JSON.stringify({ username: 'kapal', password: 's3cret', serveraddress: registry.host })).toString('base64');
  const ok = await d.request('POST', `/images/${name}/push?tag=1`, { headers: { 'X-Registry-Auth': auth } });
  t.equal(ok.status, 200);
  t.ok(lines(ok.text).at(-1).aux?.Digest, ok.text);
});

t.test('pull --platform must match a single-platform image; a bad platform is a 400', { skip }, async (t) => {
  const fixture = buildFixtureImage(t);
  const registry = await startRegistry(t);
  await skopeo(['copy', '--dest-tls-verify=false', `oci-archive:${fixture.ociArchive}`, `docker://${registry.host}/x/amd:1`]);
  const d = await startDaemon(t, 'pullplatform');
  const from = encodeURIComponent(`${registry.host}/x/amd`);
  const arm = await d.request('POST', `/images/create?fromImage=${from}&tag=1&platform=linux%2Farm64`);
  t.equal(arm.status, 404);
  t.equal(arm.json().message, `image with reference ${registry.host}/x/amd:1 was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64`);
  t.same((await d.request('GET', '/images/json')).json(), [], 'nothing was registered');
  const bad = await d.request('POST', `/images/create?fromImage=${from}&tag=1&platform=linux`);
  t.equal(bad.status, 400);
  const amd = await d.request('POST', `/images/create?fromImage=${from}&tag=1&platform=linux%2Famd64`);
  t.equal(amd.status, 200);
  t.equal((await d.request('GET', `/images/${registry.host}/x/amd:1/json`)).json().Id, fixture.id);
});

t.test('an empty tag pulls every tag of the repository, as docker pull -a', { skip }, async (t) => {
  const fixture = buildFixtureImage(t);
  const registry = await startRegistry(t);
  for (const tag of ['1', '2']) {
    await skopeo(['copy', '--dest-tls-verify=false', `oci-archive:${fixture.ociArchive}`, `docker://${registry.host}/x/all:${tag}`]);
  }
  const d = await startDaemon(t, 'pullall');
  const res = await d.request('POST', `/images/create?fromImage=${encodeURIComponent(`${registry.host}/x/all`)}&tag=`);
  t.equal(res.status, 200);
  const statuses = lines(res.text).map((m) => m.status).filter((s) => /^Status: /.test(s)).sort();
  t.same(statuses, [`Status: Downloaded newer image for ${registry.host}/x/all:1`, `Status: Downloaded newer image for ${registry.host}/x/all:2`]);
  const tags = (await d.request('GET', `/images/${registry.host}/x/all:2/json`)).json().RepoTags.sort();
  t.same(tags, [`${registry.host}/x/all:1`, `${registry.host}/x/all:2`]);
  const none = await d.request('POST', `/images/create?fromImage=${encodeURIComponent(`${registry.host}/x/missing`)}&tag=`);
  t.equal(none.status, 404);
});

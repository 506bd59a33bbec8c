// The real docker CLI driving kapald's image routes: load, images, inspect, history, tag, rmi,
// save piped into load. DOCKER_HOST names the test socket, DOCKER_CONFIG a temp dir.

import { execFile } from 'node:child_process';
import t, { type Test } from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { dockerShell, skipWithoutDocker as skip, type Run } from '../helpers/docker-cli.js';
import { buildFixtureImage, type FixtureImage } from '../helpers/images.js';
import { registryMissing, skopeo, startRegistry } from '../helpers/registry.js';

async function setup(t: Test): Promise<{ d: TestDaemon; fixture: FixtureImage; sh: (script: string) => Promise<Run> }> {
  const d = await startDaemon(t, 'docker-images');
  const fixture = buildFixtureImage(t);
  return { d, fixture, sh: dockerShell(t, d, fixture.dir) };
}

t.test('docker load -i prints Loaded image: busybox:latest', { skip }, async (t) => {
  const { sh } = await setup(t);
  const run = await sh('docker load -i busybox.tar');
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout, 'Loaded image: busybox:latest\n');
});

t.test('docker images, image inspect and history show the image as docker does', { skip }, async (t) => {
  const { sh, fixture } = await setup(t);
  await sh('docker load -i busybox.tar');
  const images = await sh('docker images --format "{{.Repository}} {{.Tag}} {{.ID}}"');
  t.equal(images.code, 0, images.stderr);
  t.equal(images.stdout, `busybox latest ${fixture.id.slice(7, 19)}\n`);
  const table = await sh('docker images');
  t.match(table.stdout, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\nbusybox +latest +[0-9a-f]{12} +\S.* +\d+(\.\d+)?MB\n$/);
  const inspect = await sh('docker image inspect busybox');
  t.equal(inspect.code, 0, inspect.stderr);
  const [doc] = JSON.parse(inspect.stdout);
  t.equal(doc.Id, fixture.id);
  t.same(doc.RootFS.Layers, fixture.diffIds);
  const id = await sh("docker image inspect --format '{{.Id}} {{json .Config.Cmd}}' busybox:latest");
  t.equal(id.stdout, `${fixture.id} ["sh"]\n`);
  const history = await sh('docker history --no-trunc --format "{{.ID}} {{.CreatedBy}}" busybox');
  t.equal(history.code, 0, history.stderr);
  t.match(history.stdout, new RegExp(`^${fixture.id} kapal test fixture: busybox-static`));
});

t.test('docker tag and docker rmi work by name with registries and slashes', { skip }, async (t) => {
  const { sh, fixture } = await setup(t);
  await sh('docker load -i busybox.tar');
  t.equal((await sh('docker tag busybox:latest localhost:5000/team/bb:1')).code, 0);
  t.equal((await sh('docker tag busybox myrepo/bb:v1')).code, 0);
  const tags = await sh('docker images --format "{{.Repository}}:{{.Tag}}" | sort');
  t.equal(tags.stdout, 'busybox:latest\nlocalhost:5000/team/bb:1\nmyrepo/bb:v1\n');
  const untag = await sh('docker rmi myrepo/bb:v1 localhost:5000/team/bb:1');
  t.equal(untag.code, 0, untag.stderr);
  t.equal(untag.stdout, 'Untagged: myrepo/bb:v1\nUntagged: localhost:5000/team/bb:1\n');
  const last = await sh('docker rmi busybox');
  t.equal(last.stdout, `Untagged: busybox:latest\nDeleted: ${fixture.id}\n`);
  const missing = await sh('docker rmi busybox');
  t.equal(missing.code, 1);
  t.equal(missing.stderr, 'Error response from daemon: No such image: busybox:latest\n');
});

t.test('docker save | docker load round-trips to the same image ID', { skip }, async (t) => {
  const { sh, fixture } = await setup(t);
  await sh('docker load -i busybox.tar');
  await sh('docker tag busybox myrepo/bb:v1');
  const saved = await sh('docker save busybox myrepo/bb:v1 -o saved.tar && docker rmi -f $(docker images -q | sort -u) >/dev/null && docker load -i saved.tar');
  t.equal(saved.code, 0, saved.stderr);
  t.same(saved.stdout.split('\n').filter(Boolean).sort(), ['Loaded image: busybox:latest', 'Loaded image: myrepo/bb:v1']);
  const piped = await sh('docker save busybox | docker load');
  t.equal(piped.code, 0, piped.stderr);
  t.equal(piped.stdout, 'Loaded image: busybox:latest\n');
  t.equal((await sh("docker image inspect --format '{{.Id}}' busybox")).stdout, `${fixture.id}\n`);
});

t.test('docker-py images.load, images.get and images.list', { skip: false }, async (t) => {
  const { d, fixture } = await setup(t);
  const script = `
import docker, json, sys
client = docker.DockerClient(base_url='unix://' + sys.argv[1])
with open(sys.argv[2], 'rb') as f:
    loaded = client.images.load(f.read())
image = client.images.get('busybox')
print(json.dumps({'loaded': [i.id for i in loaded], 'tags': image.tags, 'list': [i.id for i in client.images.list()]}))
`;
  const run = await new Promise<Run>((resolve) =>
    execFile('python3', ['-c', script, d.socket, fixture.dockerArchive], (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, stdout, stderr }),
    ),
  );
  if (run.code !== 0 && /No module named 'docker'/.test(run.stderr)) {
    t.skip('docker-py is not installed');
    return;
  }
  t.equal(run.code, 0, run.stderr);
  t.same(JSON.parse(run.stdout), { loaded: [fixture.id], tags: ['busybox:latest'], list: [fixture.id] });
});

t.test('docker import rootfs.tar name:tag prints the new ID; docker image prune -a removes everything', { skip }, async (t) => {
  const { sh, fixture } = await setup(t);
  const imported = await sh(`docker import --change 'CMD ["sh"]' -m 'rootfs' ${fixture.rootfsTar} myimp:1`);
  t.equal(imported.code, 0, imported.stderr);
  t.match(imported.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const inspect = await sh("docker image inspect --format '{{.Comment}} {{json .Config.Cmd}}' myimp:1");
  t.equal(inspect.stdout, 'rootfs ["sh"]\n');
  await sh('docker load -i busybox.tar');
  const pruned = await sh('docker image prune -a -f');
  t.equal(pruned.code, 0, pruned.stderr);
  t.match(pruned.stdout, /untagged: myimp:1/);
  t.match(pruned.stdout, new RegExp(`deleted: ${fixture.id}`));
  t.match(pruned.stdout, /Total reclaimed space: \d/);
  t.equal((await sh('docker images -q')).stdout, '');
});

t.test('docker push to a loopback registry and docker pull back, OCI and Docker v2 manifests', { skip: skip || registryMissing() || false }, async (t) => {
  const { sh, fixture } = await setup(t);
  const registry = await startRegistry(t);
  const name = `${registry.host}/x/busybox`;
  await sh('docker load -i busybox.tar');
  await sh(`docker tag busybox ${name}:1`);
  const push = await sh(`docker push ${name}:1`);
  t.equal(push.code, 0, push.stderr);
  t.match(push.stdout, new RegExp(`^The push refers to repository \\[${name.replace(/\./g, '\\.')}\\]\\n`));
  t.match(push.stdout, /[0-9a-f]{12}: Pushed\n/);
  t.match(push.stdout, /1: digest: sha256:[0-9a-f]{64} size: \d+\n$/);
  await sh(`docker rmi ${name}:1 busybox`);
  const pull = await sh(`docker pull ${name}:1`);
  t.equal(pull.code, 0, pull.stderr);
  t.match(pull.stdout, /^1: Pulling from x\/busybox\n/);
  t.match(pull.stdout, /[0-9a-f]{12}: Pull complete\n/);
  t.match(pull.stdout, /Digest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for .*x\/busybox:1\n.*x\/busybox:1\n$/);
  t.equal((await sh(`docker image inspect --format '{{.Id}}' ${name}:1`)).stdout, `${fixture.id}\n`);
  const digests = await sh(`docker images --digests --format '{{.Digest}}' ${name}`);
  t.match(digests.stdout, /^sha256:[0-9a-f]{64}\n$/);

  await skopeo(['copy', '--dest-tls-verify=false', '--format', 'v2s2', `oci-archive:${fixture.ociArchive}`, `docker://${registry.host}/x/v2:1`]);
  const v2 = await sh(`docker pull -q ${registry.host}/x/v2:1`);
  t.equal(v2.code, 0, v2.stderr);
  t.equal(v2.stdout, `${registry.host}/x/v2:1\n`);
  const missing = await sh(`docker pull ${registry.host}/x/nothing:1`);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^Error response from daemon: (manifest for .* not found|pull access denied)/);
});

t.test('docker-py images.pull from a loopback registry', { skip: registryMissing() || false }, async (t) => {
  const { d, fixture } = await setup(t);
  const registry = await startRegistry(t);
  await skopeo(['copy', '--dest-tls-verify=false', '--format', 'oci', `oci-archive:${fixture.ociArchive}`, `docker://${registry.host}/py/busybox:2`]);
  const script = `
import docker, json, sys
client = docker.DockerClient(base_url='unix://' + sys.argv[1])
image = client.images.pull(sys.argv[2], tag='2')
print(json.dumps({'id': image.id, 'tags': image.tags}))
`;
  const run = await new Promise<Run>((resolve) =>
    execFile('python3', ['-c', script, d.socket, `${registry.host}/py/busybox`], (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr })),
  );
  if (run.code !== 0 && /No module named 'docker'/.test(run.stderr)) {
    t.skip('docker-py is not installed');
    return;
  }
  t.equal(run.code, 0, run.stderr);
  t.same(JSON.parse(run.stdout), { id: fixture.id, tags: [`${registry.host}/py/busybox:2`] });
});

// The real docker CLI on kapal's storage: binds and volumes, tmpfs, docker cp both ways on running
// and stopped containers (a planted symlink cannot reach the host), diff, commit and export.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { makeTempDir } from '../helpers/daemon.js';
import { dockerSetup, skipWithoutDocker as skip, succeeds } from '../helpers/docker-cli.js';

t.test('-v binds and :ro, named volumes across containers, volume ls/inspect/rm/prune, --tmpfs and --mount type=tmpfs', { skip }, async (t) => {
  const { d, sh } = await dockerSetup(t, 'storage-cli-mounts');
  const work = makeTempDir(t, 'storage-cli-work');
  await succeeds(t, d, sh, `docker run --rm -v ${work}/data:/data busybox sh -c 'echo hi > /data/f'`);
  t.equal(readFileSync(path.join(work, 'data/f'), 'utf8'), 'hi\n');
  const ro = await sh(`docker run --rm -v ${work}/data:/data:ro busybox sh -c 'echo x > /data/g'`);
  t.not(ro.code, 0);
  t.match(ro.stderr, /Read-only file system/);
  t.equal(await succeeds(t, d, sh, 'docker volume create v1'), 'v1\n');
  await succeeds(t, d, sh, "docker run --rm -v v1:/v busybox sh -c 'echo kept > /v/file'");
  t.equal(await succeeds(t, d, sh, 'docker run --rm -v v1:/v busybox cat /v/file'), 'kept\n');
  t.match(await succeeds(t, d, sh, 'docker volume ls'), /local\s+v1/);
  t.equal(await succeeds(t, d, sh, "docker volume inspect -f '{{.Mountpoint}}' v1"), `${d.dataRoot}/volumes/v1/_data\n`);
  t.equal(await succeeds(t, d, sh, 'docker volume rm v1'), 'v1\n');
  await succeeds(t, d, sh, 'docker run -d --name anon -v /cache busybox true');
  t.match(await succeeds(t, d, sh, 'docker rm anon && docker volume prune -f'), /Deleted Volumes:\n[0-9a-f]{64}\n/);
  t.match(await succeeds(t, d, sh, "docker run --rm --tmpfs /run:size=10m busybox sh -c 'grep \" /run \" /proc/mounts'"), /tmpfs \/run tmpfs rw,nosuid,nodev,noexec,relatime,size=10240k/);
  t.match(await succeeds(t, d, sh, "docker run --rm --read-only --mount type=tmpfs,destination=/t,tmpfs-size=1m busybox sh -c 'echo ok > /t/f && cat /t/f'"), /^ok\n$/);
});

t.test('volume create -o: a tmpfs shared by two running containers; -v :rslave sees a later host mount; moby\'s refusals', { skip }, async (t) => {
  const { d, sh } = await dockerSetup(t, 'storage-cli-opts');
  await succeeds(t, d, sh, 'docker volume create -o type=tmpfs -o device=tmpfs -o o=size=1m ram');
  t.equal(await succeeds(t, d, sh, "docker volume inspect -f '{{json .Options}}' ram"), '{"device":"tmpfs","o":"size=1m","type":"tmpfs"}\n');
  await succeeds(t, d, sh, "docker run -d --name writer -v ram:/r busybox sh -c 'echo shared > /r/f; sleep 1000'");
  await succeeds(t, d, sh, 'until docker run --rm -v ram:/r busybox cat /r/f; do sleep 0.1; done');
  t.equal(await succeeds(t, d, sh, 'docker run --rm -v ram:/r busybox cat /r/f'), 'shared\n');
  await succeeds(t, d, sh, 'docker rm -f writer');
  const bad = await sh('docker volume create -o type=tmpfs nodevice');
  t.not(bad.code, 0);
  t.match(bad.stderr, /Error response from daemon: create nodevice: missing required option: "device"/);

  const shared = makeTempDir(t, 'storage-cli-prop');
  const run = (script: string) => sh(script).then((r) => t.equal(r.code, 0, r.stderr));
  await run(`mount -t tmpfs -o size=1m kapal-test-prop ${shared} && mount --make-shared ${shared}`);
  await succeeds(t, d, sh, `docker run -d --name slave -v ${shared}:/p:rslave busybox sleep 1000`);
  await run(`mkdir ${shared}/late && mount -t tmpfs -o size=1m kapal-test-prop ${shared}/late && echo later > ${shared}/late/f`);
  t.equal(await succeeds(t, d, sh, 'docker exec slave cat /p/late/f'), 'later\n');
  t.match(await succeeds(t, d, sh, "docker inspect -f '{{(index .Mounts 0).Propagation}}' slave"), /^rslave\n$/);
  await succeeds(t, d, sh, 'docker rm -f slave');
  const privateDir = makeTempDir(t, 'storage-cli-prop-private');
  await run(`mount -t tmpfs -o size=1m kapal-test-prop ${privateDir} && mount --make-private ${privateDir}`);
  const refused = await sh(`docker run --rm -v ${privateDir}:/p:rshared busybox true`);
  t.equal(refused.code, 125);
  t.match(refused.stderr, `path "${privateDir}" is mounted on "${privateDir}" but it is not a shared mount`);
});

t.test('docker cp both ways on running and stopped containers; a planted symlink to / cannot reach the host\'s files', { skip }, async (t) => {
  const { d, sh } = await dockerSetup(t, 'storage-cli-cp');
  const work = makeTempDir(t, 'storage-cli-cp-work');
  await succeeds(t, d, sh, "docker run -d --name box busybox sh -c 'mkdir -p /d/sub; echo inside > /d/f; echo deep > /d/sub/g; echo container-shadow > /etc/shadow; ln -s / /hostroot; sleep 1000'");
  await succeeds(t, d, sh, "until docker exec box test -e /hostroot; do sleep 0.1; done");
  await succeeds(t, d, sh, `cd ${work} && docker cp box:/d/f . && docker cp box:/d ./dir`);
  t.equal(readFileSync(path.join(work, 'f'), 'utf8'), 'inside\n');
  t.equal(readFileSync(path.join(work, 'dir/sub/g'), 'utf8'), 'deep\n');
  await succeeds(t, d, sh, `cd ${work} && docker cp box:/hostroot/etc/shadow ./shadow`);
  t.equal(readFileSync(path.join(work, 'shadow'), 'utf8'), 'container-shadow\n', 'the container\'s /etc/shadow, not the host\'s');
  writeFileSync(path.join(work, 'in.txt'), 'from the host\n');
  mkdirSync(path.join(work, 'tree/x'), { recursive: true });
  writeFileSync(path.join(work, 'tree/x/y'), 'nested\n');
  await succeeds(t, d, sh, `docker cp ${work}/in.txt box:/tmp/ && docker cp ${work}/tree box:/`);
  t.equal(await succeeds(t, d, sh, 'docker exec box cat /tmp/in.txt /tree/x/y'), 'from the host\nnested\n');
  await succeeds(t, d, sh, 'docker stop -t 0 box');
  await succeeds(t, d, sh, `cd ${work} && docker cp box:/tmp/in.txt ./back.txt && docker cp ${work}/f box:/stopped-in`);
  t.equal(readFileSync(path.join(work, 'back.txt'), 'utf8'), 'from the host\n', 'out of a stopped container');
  await succeeds(t, d, sh, 'docker start box');
  t.equal(await succeeds(t, d, sh, 'docker exec box cat /stopped-in'), 'inside\n', 'into a stopped container');
  t.notOk(existsSync('/stopped-in'));
  await succeeds(t, d, sh, 'docker rm -f box');
});

t.test('docker diff, commit and export', { skip }, async (t) => {
  const { d, sh } = await dockerSetup(t, 'storage-cli-commit');
  await succeeds(t, d, sh, "docker run --name changed busybox sh -c 'echo new > /added; rm /bin/vi'");
  t.equal(await succeeds(t, d, sh, 'docker diff changed'), 'A /added\nC /bin\nD /bin/vi\n');
  await succeeds(t, d, sh, `docker commit -c 'CMD ["cat","/added"]' -m 'a message' changed snap:1`);
  t.equal(await succeeds(t, d, sh, 'docker run --rm snap:1'), 'new\n');
  t.equal(await succeeds(t, d, sh, 'docker run --rm snap:1 sh -c "ls /bin/vi 2>/dev/null || echo gone"'), 'gone\n');
  const listed = await succeeds(t, d, sh, 'docker export changed | tar -t');
  t.match(listed, /^added$/m);
  t.match(listed, /^bin\/busybox$/m);
  t.notMatch(listed, /^bin\/vi$/m);
});

t.test('docker system df and df -v count images, containers and volumes from GET /system/df', { skip }, async (t) => {
  const { d, sh } = await dockerSetup(t, 'storage-cli-df');
  await succeeds(t, d, sh, "docker run --name sized -v dfvol:/v busybox sh -c 'head -c 100000 /dev/zero > /v/f; head -c 50000 /dev/zero > /big'");
  const df = await succeeds(t, d, sh, 'docker system df');
  t.match(df, /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +1 +1 +[\d.]+[kMG]?B +0B \(0%\)\nContainers +1 +0 +5\d(\.\d+)?kB +5\d(\.\d+)?kB \(100%\)\nLocal Volumes +1 +1 +100(\.\d+)?kB +0B \(0%\)\nBuild Cache +0 +0 +0B +0B\n$/);
  const verbose = await succeeds(t, d, sh, 'docker system df -v');
  t.match(verbose, /\ndfvol +1 +100(\.\d+)?kB\n/, 'the volume, its one container and its size');
  const api = (await d.request('GET', '/system/df?type=volume')).json();
  t.same(Object.keys(api), ['Volumes']);
  t.same(api.Volumes[0].UsageData, { Size: 100000, RefCount: 1 });
  t.equal((await d.request('GET', '/system/df?type=nope')).status, 400);
  await succeeds(t, d, sh, 'docker rm sized && docker volume rm dfvol');
});

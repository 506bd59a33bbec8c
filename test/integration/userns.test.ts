// kapald --userns-remap: containers run in a user namespace, their root is an unprivileged host
// id, and the image layers are shared unchanged through idmapped mounts.

import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { makeTempDir, startDaemon } from '../helpers/daemon.js';
import { create, inspect, loadBusybox, logs, run } from '../helpers/containers.js';

const json = { 'Content-Type': 'application/json' };
const OUTSIDE = 340000;

t.test('with --userns-remap a container\'s root is root inside and an unprivileged id outside', async (t) => {
  const dir = makeTempDir(t, 'userns');
  chmodSync(dir, 0o711); // the containers' roots pass through to their own directories
  writeFileSync(path.join(dir, 'subuid'), `4243:${OUTSIDE}:65536\n`);
  writeFileSync(path.join(dir, 'subgid'), `4243:${OUTSIDE}:65536\n`);
  const d = await startDaemon(t, 'userns', {
    dir,
    config: { 'userns-remap': '4243', 'userns-subuid-file': path.join(dir, 'subuid'), 'userns-subgid-file': path.join(dir, 'subgid') },
  });
  await loadBusybox(t, d);
  t.same((await d.request('GET', '/info')).json().SecurityOptions, ['name=seccomp,profile=builtin', 'name=userns']);

  const inside = await run(d, { Cmd: ['sh', '-c', 'id -u; cat /proc/self/uid_map; stat -c %u /bin/busybox; touch /made && echo written; echo x > /etc/hosts && echo hosts; echo x > /dev/null && echo null'] });
  t.equal(inside.code, 0, inside.stderr);
  const lines = inside.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  t.same(lines, ['0', `0 ${OUTSIDE} 65536`, '0', 'written', 'hosts', 'null'], 'root inside, image files owned by root, writable layer, /etc files and devices work');
  const upper = path.join(d.dataRoot, 'containers', inside.id, 'upper');
  t.equal(statSync(path.join(upper, 'made')).uid, OUTSIDE, 'on the host the file belongs to the mapped id');

  const layers = path.join(d.dataRoot, 'images', 'layers');
  const layer = readdirSync(layers)[0]!;
  t.equal(statSync(path.join(layers, layer, 'bin', 'busybox')).uid, 0, 'the shared layer is not chowned');

  const id = await create(d, { Cmd: ['sleep', '1000'] });
  await d.request('POST', `/containers/${id}/start`);
  const pid = (await inspect(d, id)).State.Pid;
  const status = (await import('node:fs')).readFileSync(`/proc/${pid}/status`, 'utf8');
  t.match(status, new RegExp(`^Uid:\\s+${OUTSIDE}\\s`, 'm'), 'the process runs as the mapped id on the host');
  // An exec joins the container's user namespace too: root inside, the mapped id outside.
  const exec = (await d.request('POST', `/containers/${id}/exec`, { body: JSON.stringify({ Cmd: ['sh', '-c', 'id -u; cat /proc/self/uid_map; sleep 1000'] }), headers: json })).json().Id;
  t.equal((await d.request('POST', `/exec/${exec}/start`, { body: JSON.stringify({ Detach: true }), headers: json })).status, 200);
  const execPid = (await d.request('GET', `/exec/${exec}/json`)).json().Pid;
  t.match((await import('node:fs')).readFileSync(`/proc/${execPid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${OUTSIDE}\\s`, 'm'), 'the exec runs as the mapped id on the host');
  t.equal((await import('node:fs')).readlinkSync(`/proc/${execPid}/ns/user`), (await import('node:fs')).readlinkSync(`/proc/${pid}/ns/user`), 'in the container\'s user namespace');
  t.equal((await d.request('DELETE', `/containers/${id}?force=1`)).status, 204);
  t.equal((await logs(d, inside.id)).stderr, '');

  const privileged = await d.request('POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', HostConfig: { Privileged: true } }), headers: json });
  t.equal(privileged.status, 400);
  t.match(privileged.json().message, /privileged mode is incompatible with user namespaces/);
  const hostNet = await d.request('POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', HostConfig: { NetworkMode: 'host' } }), headers: json });
  t.equal(hostNet.json().message, "cannot share the host's network namespace when user namespaces are enabled");

  // Volumes are idmapped, not chowned: root inside writes root-owned files on the host's disk, and
  // the image's files copied into a new volume keep their owners. Binds of host paths are not
  // idmapped (as with docker): the host's root shows as nobody inside.
  const hostDir = makeTempDir(t, 'userns-bind');
  chmodSync(hostDir, 0o755);
  writeFileSync(path.join(hostDir, 'f'), 'x');
  const vol = await run(d, { Cmd: ['sh', '-c', 'touch /v/made; stat -c %u /v /v/made /etc/passwd /h/f'], HostConfig: { Binds: ['uv:/v', 'ue:/etc', `${hostDir}:/h`] } });
  t.equal(vol.code, 0, vol.stderr);
  t.same(vol.stdout.trim().split('\n'), ['0', '0', '0', '65534']);
  const volData = path.join(d.dataRoot, 'volumes', 'uv', '_data');
  t.equal(statSync(volData).uid, 0, 'the volume directory is the host root\'s');
  t.equal(statSync(path.join(volData, 'made')).uid, 0, 'what the container\'s root wrote is owned by root on the host');
  t.equal(statSync(path.join(d.dataRoot, 'volumes', 'ue', '_data', 'passwd')).uid, 0, 'copied-up image files keep their owner');
  // docker cp into a volume and into the writable layer: both owned by the container's root.
  const cpTarget = await create(d, { Cmd: ['sleep', '1000'], HostConfig: { Binds: ['uv:/v'] } });
  t.equal((await d.request('POST', `/containers/${cpTarget}/start`)).status, 204);
  const upload = execFileSync('sh', ['-c', 'cd "$(mktemp -d)" && echo cp > up && tar -c up && rm -rf "$PWD"'], { maxBuffer: 1 << 20 });
  for (const dest of ['/v', '/tmp']) {
    const put = await d.request('PUT', `/containers/${cpTarget}/archive?path=${dest}`, { body: upload, headers: { 'Content-Type': 'application/x-tar' } });
    t.equal(put.status, 200, `cp into ${dest}: ${put.text}`);
  }
  t.equal(statSync(path.join(volData, 'up')).uid, 0, 'cp into the volume: root on disk, as the container\'s root wrote it');
  t.equal(statSync(path.join(d.dataRoot, 'containers', cpTarget, 'upper', 'tmp', 'up')).uid, OUTSIDE, 'cp into the layer: the mapped id on disk');
  t.equal((await d.request('DELETE', `/containers/${cpTarget}?force=1`)).status, 204);
  const sharedBind = await d.request('POST', `/containers/${await create(d, { Cmd: ['true'], HostConfig: { Binds: [`${hostDir}:/h:rshared`] } })}/start`);
  t.equal(sharedBind.status, 500);
  t.match(sharedBind.json().message, /not possible in a user namespace/);

  // --userns host opts one container out: the host's root, and privileged is allowed again.
  const optOut = await run(d, { Cmd: ['sh', '-c', 'cat /proc/self/uid_map; id -u'], HostConfig: { UsernsMode: 'host', Privileged: true } });
  t.equal(optOut.code, 0, optOut.stderr);
  t.match(optOut.stdout, /^\s+0\s+0\s+4294967295\n0\n$/, 'no user namespace');
});

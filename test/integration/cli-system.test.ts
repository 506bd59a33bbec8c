// kapal's network, volume and system verbs as a user runs them: bin/kapal as a child process
// against a real kapald with the busybox fixture, containers made through the API, and the output
// checked against what the daemon itself reports.

import { spawn } from 'node:child_process';
import t, { type Test } from 'tap';
import { create, loadBusybox, run, waitFor } from '../helpers/containers.js';
import { KAPAL, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { kapal, type CliRun } from '../helpers/kapal-cli.js';


const json = { 'Content-Type': 'application/json' };
const post = (d: TestDaemon, url: string, body?: unknown) => d.request('POST', url, body === undefined ? {} : { body: JSON.stringify(body), headers: json });

async function daemon(t: Test, name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

/** A running `sleep` container, removed (with force) when the test ends. */
async function running(t: Test, d: TestDaemon, body: Record<string, unknown> = {}, name?: string): Promise<string> {
  const id = await create(d, { Cmd: ['sleep', '1000'], ...body }, name);
  t.teardown(() => d.request('DELETE', `/containers/${id}?force=1&v=1`));
  const res = await post(d, `/containers/${id}/start`);
  if (res.status !== 204) throw new Error(`start failed: ${res.status} ${res.text}`);
  return id;
}

/** Runs kapal and fails the test, showing stderr, unless it exits 0. */
async function ok(t: Test, d: TestDaemon, args: string[], input?: string): Promise<string> {
  const r = await kapal(d, args, { input: input ?? '', env: { TZ: 'UTC' } });
  t.equal(r.code, 0, `kapal ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const cli = (d: TestDaemon, args: string[], input?: string): Promise<CliRun> => kapal(d, args, { input: input ?? '', env: { TZ: 'UTC' } });

/**
 * A table as docker prints it: the cells of each line, after checking that every cell starts
 * where its column's header starts (columns aligned, however wide the padding).
 */
function cells(t: Test, text: string): string[][] {
  const lines = text.replace(/\n$/, '').split('\n');
  const starts = (line: string) => [...line.matchAll(/(?:^| {2,})(\S(?:\S| (?! ))*)/g)].map((m) => m.index! + m[0].length - m[1]!.length);
  const header = starts(lines[0]!);
  for (const line of lines.slice(1)) {
    const s = starts(line);
    t.same(s, header.slice(0, s.length), `aligned under the header: ${JSON.stringify(line)}`);
  }
  return lines.map((line) => line.split(/ {2,}/).map((c) => c.trim()));
}

/** go-units' HumanSize, written out again so the test does not check kapal against itself. */
function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let size = bytes;
  for (; size >= 1000 && i < units.length - 1; i++) size /= 1000;
  return `${parseFloat(size.toPrecision(4))}${units[i]}`;
}

const NETWORK_WARNING = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ';
const VOLUME_WARNING = 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ';
const ALL_VOLUMES_WARNING = 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ';

t.test('network ls prints the predefined networks in docker\'s table, sorted by name, and -q, --no-trunc, json and templates', async (t) => {
  const d = await startDaemon(t, 'cli-net-ls');
  const networks = (await d.request('GET', '/networks')).json<{ Id: string; Name: string; Driver: string }[]>();
  const byName = new Map(networks.map((n) => [n.Name, n]));

  const rows = cells(t, await ok(t, d, ['network', 'ls']));
  t.same(rows[0], ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE']);
  t.same(rows.slice(1).map((r) => r[1]), ['bridge', 'host', 'none']);
  for (const [id, name, driver, scope] of rows.slice(1)) {
    t.equal(id, byName.get(name!)!.Id.slice(0, 12), `${name}'s short ID`);
    t.equal(driver, byName.get(name!)!.Driver);
    t.equal(scope, 'local');
  }

  t.equal(await ok(t, d, ['network', 'ls', '-q']), ['bridge', 'host', 'none'].map((n) => `${byName.get(n)!.Id.slice(0, 12)}\n`).join(''));
  t.equal(await ok(t, d, ['network', 'ls', '-q', '--no-trunc']), ['bridge', 'host', 'none'].map((n) => `${byName.get(n)!.Id}\n`).join(''));

  const lines = (await ok(t, d, ['network', 'ls', '--format', 'json'])).trimEnd().split('\n').map((l) => JSON.parse(l));
  t.same(Object.keys(lines[0]), ['CreatedAt', 'Driver', 'ID', 'IPv4', 'IPv6', 'Internal', 'Labels', 'Name', 'Scope'], 'docker\'s keys, in its order');
  t.match(lines[2], { Name: 'none', Driver: 'null', ID: byName.get('none')!.Id.slice(0, 12), Internal: 'false', Scope: 'local', CreatedAt: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/ });

  t.equal(await ok(t, d, ['network', 'ls', '--filter', 'driver=null', '--format', '{{.Name}}/{{.Driver}}']), 'none/null\n');
  const table = cells(t, await ok(t, d, ['network', 'ls', '--format', 'table {{.Name}}\t{{.ID}}', '-f', 'name=host']));
  t.same(table, [['NAME', 'NETWORK ID'], ['host', byName.get('host')!.Id.slice(0, 12)]]);

  const bad = await cli(d, ['network', 'ls', '--filter', 'nonsense']);
  t.equal(bad.code, 125);
  t.match(bad.stderr, /^invalid argument "nonsense" for "-f, --filter" flag: bad format of filter \(expected name=value\)\n/);
});

t.test('network create passes subnet, gateway, range, internal, attachable, labels and options; inspect shows them; rm prints the name', async (t) => {
  const d = await startDaemon(t, 'cli-net-create');
  const out = await ok(t, d, ['network', 'create', '--subnet', '10.222.7.0/24', '--gateway', '10.222.7.1', '--ip-range', '10.222.7.128/25', '--internal', '--attachable', '--label', 'team=blue', '--label', 'empty', '-o', 'com.example.x=1', 'blue']);
  t.match(out, /^[0-9a-f]{64}\n$/);
  const id = out.trim();
  t.teardown(() => d.request('DELETE', `/networks/${id}`));
  const api = (await d.request('GET', '/networks/blue')).json();
  t.equal(api.Id, id, 'the ID printed is the network\'s');

  const inspected = await ok(t, d, ['network', 'inspect', 'blue']);
  t.equal(inspected, `${JSON.stringify([api], null, 4)}\n`, 'a JSON array indented by four spaces, as the daemon sent it');
  t.match(JSON.parse(inspected)[0], {
    Name: 'blue', Driver: 'bridge', Internal: true, Attachable: true, Labels: { team: 'blue', empty: '' }, Options: { 'com.example.x': '1' },
    IPAM: { Config: [{ Subnet: '10.222.7.0/24', Gateway: '10.222.7.1', IPRange: '10.222.7.128/25' }] },
  });
  t.equal(await ok(t, d, ['network', 'inspect', '-f', '{{.Name}} {{.ID}} {{.Labels.team}} {{.Labels.nolabel}} {{json .IPAM.Config}}', 'blue']), `blue ${id} blue <no value> ${JSON.stringify(api.IPAM.Config)}\n`);
  t.same(JSON.parse(await ok(t, d, ['network', 'inspect', '--format', 'json', 'blue', 'bridge'])).map((n: { Name: string }) => n.Name), ['blue', 'bridge']);

  t.equal(await ok(t, d, ['network', 'ls', '-q', '--no-trunc', '--filter', 'label=team=blue']), `${id}\n`);
  t.equal(await ok(t, d, ['network', 'rm', 'blue']), 'blue\n');
  t.equal((await d.request('GET', `/networks/${id}`)).status, 404, 'gone');
});

t.test('network create checks addresses as docker does before asking the daemon', async (t) => {
  const d = await startDaemon(t, 'cli-net-bad');
  const noSubnet = await cli(d, ['network', 'create', '--gateway', '10.1.2.1', 'x']);
  t.same([noSubnet.code, noSubnet.stderr], [1, 'every ip-range or gateway must have a corresponding subnet\n']);
  const outside = await cli(d, ['network', 'create', '--subnet', '10.1.2.0/24', '--gateway', '10.9.9.1', 'x']);
  t.same([outside.code, outside.stderr], [1, 'no matching subnet for gateway 10.9.9.1\n']);
  const overlap = await cli(d, ['network', 'create', '--subnet', '10.1.0.0/16,10.1.2.0/24', 'x']);
  t.same([overlap.code, overlap.stderr], [1, 'multiple overlapping subnet configuration is not supported\n']);
  const label = await cli(d, ['network', 'create', '--label', '=v', 'x']);
  t.equal(label.code, 125);
  t.match(label.stderr, /^invalid argument "=v" for "--label" flag: invalid label '=v': empty name\n/);
  const predefined = await cli(d, ['network', 'create', 'bridge']);
  t.equal(predefined.code, 1);
  t.match(predefined.stderr, /^Error response from daemon: .+\n$/);
  t.same((await d.request('GET', '/networks')).json().map((n: { Name: string }) => n.Name).sort(), ['bridge', 'host', 'none'], 'nothing was created');
});

t.test('network inspect and rm of missing networks: docker\'s words, exit 1, the others still done', async (t) => {
  const d = await startDaemon(t, 'cli-net-missing');
  const missing = await cli(d, ['network', 'inspect', 'nosuch']);
  t.same(missing, { code: 1, stdout: '[]\n', stderr: 'Error response from daemon: network nosuch not found\n' });
  const mixed = await cli(d, ['network', 'inspect', '-f', '{{.Name}}', 'nosuch', 'host']);
  t.same(mixed, { code: 1, stdout: 'host\n', stderr: 'Error response from daemon: network nosuch not found\n' });

  await ok(t, d, ['network', 'create', 'doomed']);
  const rm = await cli(d, ['network', 'rm', 'nosuch', 'doomed']);
  t.same(rm, { code: 1, stdout: 'doomed\n', stderr: 'Error response from daemon: network nosuch not found\nexit status 1\n' });
  t.equal((await d.request('GET', '/networks/doomed')).status, 404, 'the existing one was removed');
  t.same(await cli(d, ['network', 'rm', '-f', 'nosuch']), { code: 0, stdout: '', stderr: '' }, '-f: a missing network is no error');

  const usage = await cli(d, ['network', 'rm']);
  t.equal(usage.code, 1);
  t.match(usage.stderr, /requires at least 1 argument/);
});

t.test('network connect --alias --ip attaches a running container, inspect shows it, disconnect detaches it', async (t) => {
  const d = await daemon(t, 'cli-net-connect');
  const netId = (await ok(t, d, ['network', 'create', '--subnet', '10.223.5.0/24', 'backend'])).trim();
  t.teardown(() => d.request('DELETE', `/networks/${netId}`));
  const id = await running(t, d, {}, 'web');

  t.equal(await ok(t, d, ['network', 'connect', '--alias', 'api', '--alias', 'www,app', '--ip', '10.223.5.77', 'backend', 'web']), '');
  const onNetwork = (await d.request(`GET`, `/containers/${id}/json`)).json().NetworkSettings.Networks.backend;
  t.match(onNetwork, { IPAddress: '10.223.5.77', Aliases: ['api', 'www', 'app'], NetworkID: netId });
  const containers = JSON.parse(await ok(t, d, ['network', 'inspect', '-f', '{{json .Containers}}', 'backend']));
  t.match(containers[id], { Name: 'web', IPv4Address: '10.223.5.77/24' });

  t.equal(await ok(t, d, ['network', 'disconnect', 'backend', 'web']), '');
  t.notOk((await d.request('GET', `/containers/${id}/json`)).json().NetworkSettings.Networks.backend, 'no longer on backend');
  t.same(JSON.parse(await ok(t, d, ['network', 'inspect', '-f', '{{json .Containers}}', 'backend'])), {});

  const again = await cli(d, ['network', 'disconnect', 'backend', 'web']);
  t.equal(again.code, 1);
  t.match(again.stderr, /^Error response from daemon: container [0-9a-f]{64} is not connected to network backend\n$/);
  const noNetwork = await cli(d, ['network', 'connect', 'nosuch', 'web']);
  t.same([noNetwork.code, noNetwork.stderr], [1, 'Error response from daemon: network nosuch not found\n']);
  const noContainer = await cli(d, ['network', 'connect', 'backend', 'nosuchc']);
  t.same([noContainer.code, noContainer.stderr], [1, 'Error response from daemon: No such container: nosuchc\n']);
});

t.test('network prune: n keeps everything, y removes the unused custom networks and names them, -f asks nothing', async (t) => {
  const d = await daemon(t, 'cli-net-prune');
  await ok(t, d, ['network', 'create', 'unused1']);
  await ok(t, d, ['network', 'create', 'unused2']);
  await ok(t, d, ['network', 'create', 'inuse']);
  t.teardown(() => d.request('DELETE', '/networks/inuse'));
  await running(t, d, { HostConfig: { NetworkMode: 'inuse' } });
  const names = async () => (await d.request('GET', '/networks')).json().map((n: { Name: string }) => n.Name).sort();

  for (const answer of ['n\n', '', 'yes\n']) {
    const no = await cli(d, ['network', 'prune'], answer);
    t.same(no, { code: 0, stdout: NETWORK_WARNING, stderr: '' }, `${JSON.stringify(answer)} cancels quietly`);
  }
  t.same(await names(), ['bridge', 'host', 'inuse', 'none', 'unused1', 'unused2']);

  const yes = await cli(d, ['network', 'prune'], 'y\n');
  t.equal(yes.code, 0, yes.stderr);
  t.match(yes.stdout, /^WARNING! .*\nAre you sure you want to continue\? \[y\/N\] Deleted Networks:\n/);
  t.same(yes.stdout.slice(NETWORK_WARNING.length).split('\n').slice(1, 3).sort(), ['unused1', 'unused2']);
  t.ok(yes.stdout.endsWith('\n\n'), 'a blank line after the list, as docker prints it');
  t.same(await names(), ['bridge', 'host', 'inuse', 'none']);

  await ok(t, d, ['network', 'create', 'unused3']);
  t.equal(await ok(t, d, ['network', 'prune', '-f']), 'Deleted Networks:\nunused3\n\n');
  t.equal(await ok(t, d, ['network', 'prune', '-f']), '', 'nothing to prune: nothing printed');
});

t.test('volume create with a name, options and labels prints the name; ls, inspect and rm round-trip', async (t) => {
  const d = await startDaemon(t, 'cli-vol');
  t.equal(await ok(t, d, ['volume', 'create', '-d', 'local', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '--label', 'tier=db', '--label', 'k', 'data2']), 'data2\n');
  t.equal(await ok(t, d, ['volume', 'create', 'data10']), 'data10\n');
  t.equal(await ok(t, d, ['volume', 'create', '1st']), '1st\n');
  t.teardown(async () => {
    for (const v of ['data2', 'data10', '1st']) await d.request('DELETE', `/volumes/${v}`);
  });

  const rows = cells(t, await ok(t, d, ['volume', 'ls']));
  t.same(rows, [['DRIVER', 'VOLUME NAME'], ['local', '1st'], ['local', 'data2'], ['local', 'data10']], 'sorted as docker sorts: digits first, numbers by value');
  t.equal(await ok(t, d, ['volume', 'ls', '-q']), '1st\ndata2\ndata10\n');
  t.equal(await ok(t, d, ['volume', 'ls', '-q', '--filter', 'label=tier=db']), 'data2\n');
  const lines = (await ok(t, d, ['volume', 'ls', '--format', 'json', '--filter', 'name=data2'])).trimEnd().split('\n').map((l) => JSON.parse(l));
  const mountpoint = (await d.request('GET', '/volumes/data2')).json().Mountpoint;
  t.same(lines, [{ Availability: 'N/A', Driver: 'local', Group: 'N/A', Labels: lines[0].Labels, Links: 'N/A', Mountpoint: mountpoint, Name: 'data2', Scope: 'local', Size: 'N/A', Status: 'N/A' }]);
  t.same(lines[0].Labels.split(',').sort(), ['k=', 'tier=db']);
  t.same(cells(t, await ok(t, d, ['volume', 'ls', '--format', 'table {{.Name}}\t{{.Mountpoint}}', '-f', 'name=data2'])), [['VOLUME NAME', 'MOUNTPOINT'], ['data2', mountpoint]]);

  const inspected = JSON.parse(await ok(t, d, ['volume', 'inspect', 'data2']));
  t.match(inspected, [{ Name: 'data2', Driver: 'local', Mountpoint: mountpoint, Scope: 'local', Labels: { k: '', tier: 'db' }, Options: { device: 'tmpfs', type: 'tmpfs' } }]);
  t.same(Object.keys(inspected[0].Options), ['device', 'type'], 'map keys sorted, as Go writes them');
  const text = await ok(t, d, ['volume', 'inspect', 'data2']);
  t.match(text, /^\[\n {4}\{\n {8}"CreatedAt": "[^"]+Z",\n {8}"Driver": "local",\n/, 'four-space indent, docker\'s key order');
  t.equal(await ok(t, d, ['volume', 'inspect', '-f', '{{.Name}} {{.Labels.tier}} {{.Labels.none}}', 'data2', 'data10']), 'data2 db <no value>\ndata10 <no value> <no value>\n');

  t.equal(await ok(t, d, ['volume', 'rm', 'data2', 'data10']), 'data2\ndata10\n');
  t.equal(await ok(t, d, ['volume', 'ls', '-q']), '1st\n');

  const generated = (await ok(t, d, ['volume', 'create'])).trim();
  t.teardown(() => d.request('DELETE', `/volumes/${generated}`));
  t.match(generated, /^[0-9a-f]{64}$/, 'a generated name');
  t.equal((await d.request('GET', `/volumes/${generated}`)).status, 200);
});

t.test('volume inspect and rm: missing and in-use volumes in docker\'s words, the others still done', async (t) => {
  const d = await daemon(t, 'cli-vol-err');
  const missing = await cli(d, ['volume', 'inspect', 'nosuch']);
  t.same(missing, { code: 1, stdout: '[]\n', stderr: 'Error response from daemon: get nosuch: no such volume\n' });

  await ok(t, d, ['volume', 'create', 'busy']);
  await ok(t, d, ['volume', 'create', 'free']);
  const id = await running(t, d, { HostConfig: { Binds: ['busy:/data'] } });
  t.teardown(() => d.request('DELETE', '/volumes/busy'));
  const rm = await cli(d, ['volume', 'rm', 'nosuch', 'busy', 'free']);
  t.equal(rm.code, 1);
  t.equal(rm.stdout, 'free\n', 'the free one removed');
  t.equal(rm.stderr, `Error response from daemon: get nosuch: no such volume\nError response from daemon: remove busy: volume is in use - [${id}]\n`);
  t.equal((await d.request('GET', '/volumes/busy')).status, 200, 'the busy one kept');
  t.same(await cli(d, ['volume', 'rm', '-f', 'nosuch']), { code: 0, stdout: 'nosuch\n', stderr: '' }, '-f: missing is fine, as in docker');
});

t.test('volume prune: n keeps everything; y removes unused anonymous volumes; -a -f all unused ones; in use ones stay', async (t) => {
  const d = await daemon(t, 'cli-vol-prune');
  const anonymous = (await ok(t, d, ['volume', 'create'])).trim();
  await ok(t, d, ['volume', 'create', 'named']);
  await ok(t, d, ['volume', 'create', 'kept']);
  await running(t, d, { HostConfig: { Binds: ['kept:/data'] } });
  t.teardown(() => d.request('DELETE', '/volumes/kept'));
  const names = async () => (await d.request('GET', '/volumes')).json().Volumes.map((v: { Name: string }) => v.Name).sort();

  t.same(await cli(d, ['volume', 'prune'], 'n\n'), { code: 0, stdout: VOLUME_WARNING, stderr: '' });
  t.same(await cli(d, ['volume', 'prune', '-a'], 'N\n'), { code: 0, stdout: ALL_VOLUMES_WARNING, stderr: '' });
  t.same(await names(), [anonymous, 'kept', 'named'].sort());

  const yes = await cli(d, ['volume', 'prune'], 'y\n');
  t.same(yes, { code: 0, stdout: `${VOLUME_WARNING}Deleted Volumes:\n${anonymous}\n\nTotal reclaimed space: 0B\n`, stderr: '' });
  t.same(await names(), ['kept', 'named'], 'the named volume is not anonymous');

  t.equal(await ok(t, d, ['volume', 'prune', '-a', '-f']), 'Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n');
  t.equal(await ok(t, d, ['volume', 'prune', '-af']), 'Total reclaimed space: 0B\n', 'nothing left to prune');
  t.same(await names(), ['kept']);

  const conflict = await cli(d, ['volume', 'prune', '-a', '-f', '--filter', 'all=1']);
  t.same([conflict.code, conflict.stderr], [1, 'conflicting options: cannot specify both --all and --filter all=1\n']);
});

t.test('system df counts and sizes match what the daemon reports, as a table, json, a template and -v', async (t) => {
  const d = await daemon(t, 'cli-df');
  await post(d, '/volumes/create', { Name: 'dbdata' });
  const anonymous = (await post(d, '/volumes/create', {})).json().Name;
  await running(t, d, { HostConfig: { Binds: ['dbdata:/data'] } }, 'db');
  const written = await run(d, { Cmd: ['sh', '-c', 'head -c 5000 /dev/zero > /blob'] });
  t.teardown(async () => {
    await d.request('DELETE', `/containers/${written.id}`);
    await d.request('DELETE', '/volumes/dbdata');
    await d.request('DELETE', `/volumes/${anonymous}`);
  });

  // What the daemon says: GET /system/df where kapald serves it, else its lists (the CLI's fallback).
  const df = await d.request('GET', '/system/df');
  const images = (await d.request('GET', '/images/json')).json<{ Size: number }[]>();
  const containers = (await d.request('GET', '/containers/json?all=1&size=1')).json<{ SizeRw: number; State: string }[]>();
  const layersSize = df.status === 200 ? df.json().LayersSize : images.reduce((s, i) => s + i.Size, 0);
  const rwSize = containers.reduce((s, c) => s + c.SizeRw, 0);
  const stoppedRw = containers.filter((c) => c.State !== 'running').reduce((s, c) => s + c.SizeRw, 0);
  t.equal(rwSize, 5000, 'the exited container wrote 5000 bytes');
  // Volume sizes come only with /system/df; without it they are unknown and count as nothing, as in docker.
  const volumeUsage: { Name: string; UsageData: { Size: number } }[] = df.status === 200 ? df.json().Volumes : [];
  const known = volumeUsage.filter((v) => v.UsageData.Size !== -1);
  const volumesBytes = known.reduce((s, v) => s + v.UsageData.Size, 0);
  const unusedBytes = known.filter((v) => v.Name === anonymous).reduce((s, v) => s + v.UsageData.Size, 0);
  const volumesSize = humanSize(volumesBytes);
  const volumesReclaimable = volumesBytes > 0 ? `${humanSize(unusedBytes)} (${Math.trunc((unusedBytes * 100) / volumesBytes)}%)` : humanSize(unusedBytes);

  const rows = cells(t, await ok(t, d, ['system', 'df']));
  t.same(rows, [
    ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
    ['Images', '1', '1', humanSize(layersSize), '0B (0%)'],
    ['Containers', '2', '1', humanSize(rwSize), `${humanSize(stoppedRw)} (100%)`],
    ['Local Volumes', '2', '1', volumesSize, volumesReclaimable],
    ['Build Cache', '0', '0', '0B', '0B'],
  ]);
  t.equal(rows[2]![3], '5kB');

  const lines = (await ok(t, d, ['system', 'df', '--format', 'json'])).trimEnd().split('\n').map((l) => JSON.parse(l));
  t.same(lines[1], { Active: '1', Reclaimable: '5kB (100%)', Size: '5kB', TotalCount: '2', Type: 'Containers' });
  t.same(lines.map((l) => l.Type), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
  t.equal(await ok(t, d, ['system', 'df', '--format', '{{.Type}}={{.TotalCount}}/{{.Active}}']), 'Images=1/1\nContainers=2/1\nLocal Volumes=2/1\nBuild Cache=0/0\n');

  const verbose = await ok(t, d, ['system', 'df', '-v']);
  const [imagesPart, containersPart, volumesPart, cachePart] = verbose.split(/\n(?=Containers space usage:|Local Volumes space usage:|Build cache usage:)/);
  t.match(imagesPart, /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\nbusybox +latest +[0-9a-f]{12} +.+ ago +\S+ +\S+ +\S+ +2\n$/, 'two containers use busybox');
  const containerRows = cells(t, containersPart!.replace(/^Containers space usage:\n\n/, ''));
  t.same(containerRows[0], ['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES']);
  t.same(containerRows.slice(1).map((r) => [r[3], r[4]]).sort(), [['0', '5kB'], ['1', '0B']], 'local volumes and writable size per container');
  const volumeRows = cells(t, volumesPart!.replace(/^Local Volumes space usage:\n\n/, ''));
  t.same(volumeRows.slice(1).map((r) => [r[0], r[1]]).sort(), [[anonymous, '0'], ['dbdata', '1']].sort());
  t.match(cachePart, /^Build cache usage: 0B\n\n/);
  t.same(cells(t, cachePart!.replace(/^Build cache usage: 0B\n\n/, '')), [['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED']]);
});

t.test('system prune: n removes nothing; y prunes stopped containers and unused networks; -a --volumes also images and anonymous volumes', async (t) => {
  const d = await daemon(t, 'cli-sys-prune');
  await running(t, d, {}, 'keeper');
  const stopped = await run(d, { Cmd: ['sh', '-c', 'echo x > /made'] });
  const commit = await post(d, `/commit?container=${stopped.id}&repo=snapshot&tag=1`);
  t.equal(commit.status, 201, commit.text);
  const snapshotId: string = commit.json().Id;
  await ok(t, d, ['network', 'create', 'spare']);
  await post(d, '/volumes/create', { Name: 'named' });
  t.teardown(() => d.request('DELETE', '/volumes/named'));
  const anonymous = (await post(d, '/volumes/create', {})).json().Name;
  const warning = [
    'WARNING! This will remove:',
    '  - all stopped containers',
    '  - all networks not used by at least one container',
    '  - all dangling images',
    '',
    'Are you sure you want to continue? [y/N] ',
  ].join('\n');

  t.same(await cli(d, ['system', 'prune'], 'n\n'), { code: 0, stdout: warning, stderr: '' });
  t.equal((await d.request('GET', `/containers/${stopped.id}/json`)).status, 200, 'the stopped container is still there');
  t.equal((await d.request('GET', '/networks/spare')).status, 200, 'the network is still there');

  const yes = await cli(d, ['system', 'prune'], 'y\n');
  t.equal(yes.code, 0, yes.stderr);
  const reclaimed = /Total reclaimed space: (\d+(?:\.\d+)?[kMG]?B)\n$/.exec(yes.stdout)?.[1];
  t.ok(reclaimed, 'the total reclaimed, in go-units\' words');
  t.equal(yes.stdout, `${warning}Deleted Containers:\n${stopped.id}\n\nDeleted Networks:\nspare\n\nTotal reclaimed space: ${reclaimed}\n`);
  t.equal((await d.request('GET', `/containers/${stopped.id}/json`)).status, 404, 'the stopped container is gone');
  t.equal((await d.request('GET', '/images/snapshot:1/json')).status, 200, 'a tagged image is not dangling');
  t.equal((await d.request('GET', `/volumes/${anonymous}`)).status, 200, 'volumes only with --volumes');

  const all = await cli(d, ['system', 'prune', '-a', '--volumes'], 'y\n');
  t.equal(all.code, 0, all.stderr);
  t.match(all.stdout, /^WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n\nAre you sure/);
  t.match(all.stdout, `Deleted Volumes:\n${anonymous}\n\n`);
  t.match(all.stdout, `Deleted Images:\nuntagged: snapshot:1\ndeleted: ${snapshotId}\n`);
  t.match(all.stdout, /\n\nTotal reclaimed space: \S+\n$/);
  t.notMatch(all.stdout, /Deleted Containers|Deleted Networks/, 'nothing of those left');
  t.equal((await d.request('GET', '/images/busybox/json')).status, 200, 'the image of the running container stays');
  t.equal((await d.request('GET', '/volumes/named')).status, 200, 'named volumes stay');

  t.equal(await ok(t, d, ['system', 'prune', '-f']), 'Total reclaimed space: 0B\n', '-f asks nothing; nothing left');
  const until = await cli(d, ['system', 'prune', '-f', '--volumes', '--filter', 'until=1h']);
  t.same([until.code, until.stderr], [1, 'ERROR: The "until" filter is not supported with "--volumes"\n']);
  const filtered = await cli(d, ['system', 'prune', '--filter', 'label=a=b', '--filter', 'until=24h'], '\n');
  t.match(filtered.stdout, /  - all dangling images\n\n  Items to be pruned will be filtered with:\n  - label=a=b\n  - until=24h\n\nAre you sure you want to continue\? \[y\/N\] $/);
});

t.test('events --since/--until lists a container\'s life in docker\'s format, as json and through templates', async (t) => {
  const d = await daemon(t, 'cli-events');
  const before = Math.floor(Date.now() / 1000) - 1;
  const { id } = await run(d, { Cmd: ['true'], Labels: { app: 'demo' } });
  await d.request('DELETE', `/containers/${id}`);
  const after = Math.ceil(Date.now() / 1000) + 1;
  const range = ['--since', String(before), '--until', String(after), '--filter', `container=${id}`];
  const raw = (await d.request('GET', `/events?since=${before}&until=${after}&filters=${encodeURIComponent(JSON.stringify({ container: [id] }))}`)).text.trimEnd().split('\n');

  const out = await ok(t, d, ['events', ...range]);
  const lines = out.trimEnd().split('\n');
  t.same(lines.map((l) => l.split(' ')[2]), ['create', 'start', 'die', 'destroy']);
  t.match(lines[1], new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container start ${id} \\(app=demo, image=busybox, name=\\S+\\)$`));
  t.match(lines[2], /container die \S+ \(app=demo, .*exitCode=0, image=busybox, name=\S+\)$/);
  // The exact nanoseconds of the daemon's timeNano, which a JS number could not hold.
  const timeNano = BigInt(/"timeNano":(\d+)/.exec(raw[1]!)![1]!);
  const seconds = new Date(Number(timeNano / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  t.equal(lines[1]!.split(' ')[0], `${seconds}.${String(timeNano % 1_000_000_000n).padStart(9, '0')}Z`);
  t.equal(await ok(t, d, ['system', 'events', ...range]), out, 'system events is the same verb');

  const kolkata = await kapal(d, ['events', ...range], { env: { TZ: 'Asia/Kolkata' } });
  t.match(kolkata.stdout.split('\n')[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+05:30 container create /, 'times in the local zone, as Go prints them');

  const jsonLines = (await ok(t, d, ['events', ...range, '--format', 'json'])).trimEnd().split('\n');
  t.equal(jsonLines.length, 4);
  const start = JSON.parse(jsonLines[1]!);
  t.match(start, { status: 'start', id, from: 'busybox', Type: 'container', Action: 'start', Actor: { ID: id, Attributes: { app: 'demo', image: 'busybox' } }, scope: 'local' });
  t.same(Object.keys(start), ['status', 'id', 'from', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
  t.ok(jsonLines[1]!.endsWith(`"timeNano":${timeNano}}`), 'timeNano exact');

  t.equal(await ok(t, d, ['events', ...range, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.app}} {{.Actor.Attributes.nope}}']), ['create', 'start', 'die', 'destroy'].map((a) => `container ${a} demo <no value>\n`).join(''));
  t.equal(await ok(t, d, ['events', ...range, '--filter', 'event=die', '--format', '{{.Status}} {{.TimeNano}}']), `die ${/"timeNano":(\d+)/.exec(raw[2]!)![1]}\n`);
  t.match(await ok(t, d, ['events', '--since', '10m', '--until', '0s', '--filter', 'type=container', '--filter', 'event=destroy']), new RegExp(`container destroy ${id} `), 'a duration before now, as docker reads it');
});

t.test('events streams live events until interrupted', async (t) => {
  const d = await daemon(t, 'cli-events-live');
  // --since: the first start is replayed if it comes before the subscription; the second is live.
  const since = String(Math.floor(Date.now() / 1000) - 1);
  const child = spawn(process.execPath, [KAPAL, '-H', `unix://${d.socket}`, 'events', '--since', since, '--filter', 'event=start', '--format', '{{.Actor.Attributes.name}}'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const shown = (name: string) => waitFor(() => out.includes(`${name}\n`), 10_000, `${name} in the events`);
  await running(t, d, {}, 'first');
  await shown('first');
  await running(t, d, {}, 'second');
  await shown('second');
  t.equal(out, 'first\nsecond\n');
  t.equal(child.exitCode, null, 'still streaming');
  child.kill('SIGINT');
  t.equal(await exited, 'SIGINT', 'ends on ^C, as docker does (status 130 in a shell)');
});

t.test('events refuses a bad time or template with docker\'s words', async (t) => {
  const d = await startDaemon(t, 'cli-events-bad');
  t.same(await cli(d, ['events', '--since', 'yesterday']), { code: 1, stdout: '', stderr: 'failed to parse value as time or duration: "yesterday"\n' });
  const template = await cli(d, ['events', '--format', '{{.Nope}}']);
  t.equal(template.code, 64);
  t.match(template.stderr, /^Error parsing format: template: .*Nope/);
});

t.test('kapal system info is kapal info; help lists the new verbs where docker lists them', async (t) => {
  const d = await startDaemon(t, 'cli-sys-help');
  const id = (await d.request('GET', '/info')).json().ID;
  t.match(await ok(t, d, ['system', 'info']), `\n ID: ${id}\n`);
  const help = await ok(t, d, ['--help']);
  t.match(help, /Management Commands:\n(  \S+ +\S.*\n)*  network +Manage networks\n/);
  t.match(help, /Management Commands:\n(  \S+ +\S.*\n)*  volume +Manage volumes\n/);
  t.match(help, /Commands:\n(  \S+ +\S.*\n)*  events +Get real time events from the server\n/);
  const network = await ok(t, d, ['network']);
  t.same([...network.matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]), ['connect', 'create', 'disconnect', 'inspect', 'ls', 'prune', 'rm']);
  t.same([...(await ok(t, d, ['volume'])).matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]), ['create', 'inspect', 'ls', 'prune', 'rm']);
  t.same([...(await ok(t, d, ['system'])).matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]), ['df', 'events', 'info', 'prune']);
  t.match(await ok(t, d, ['network', 'create', '--help']), /--subnet strings +Subnet in CIDR format/);
});

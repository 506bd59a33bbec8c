// The real docker-py (the `docker` Python package, 7.1.0) against a real kapald: each test runs
// a short python3 script that talks to the daemon's socket and prints JSON for the test to
// check. DOCKER_CONFIG points at a temp dir so docker-py never reads ~/.docker.

import { execFile, spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { makeTempDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startRecordingProxy } from './recording-proxy.js';
import { loadBusybox } from '../helpers/containers.js';

const probe = spawnSync('python3', ['-c', 'import docker'], { encoding: 'utf8' });
const skip =
  probe.status === 0
    ? false
    : `python3 with the docker package is not available: ${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}`;


/** Imports docker and json; `base_url` is the daemon's (or the proxy's) socket URL. */
const PRELUDE = `
import json, sys
import docker
base_url = sys.argv[1]
def emit(value):
    print(json.dumps(value))
`;

interface Py {
  d: TestDaemon;
  /** Runs the script with sys.argv[1] = unix://<socket>; resolves with what it emitted. */
  python<T = any>(script: string, opts?: { proxied?: boolean }): Promise<T>;
  /** Request lines the proxied runs sent, in order. */
  requests: string[];
}

async function setup(t: Test): Promise<Py> {
  const d = await startDaemon(t, 'docker-py');
  const configDir = makeTempDir(t, 'docker-py-config');
  const proxy = await startRecordingProxy(t, makeTempDir(t, 'docker-py-proxy'), d.socket);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DOCKER_')) env[k] = v;
  env.DOCKER_CONFIG = configDir;
  // Async, not spawnSync: the recording proxy runs in this process and must keep serving.
  const python = <T>(script: string, opts: { proxied?: boolean } = {}) =>
    new Promise<T>((resolve, reject) => {
      const socket = opts.proxied ? proxy.socket : d.socket;
      execFile('python3', ['-c', PRELUDE + script, `unix://${socket}`], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`python3 failed (${err.code ?? err.signal}):\n${stderr}`));
        else resolve(JSON.parse(stdout) as T);
      });
    });
  return { d, python, requests: proxy.requests };
}

t.test('DockerClient.version() reports ApiVersion 1.49 and the Engine component', { skip }, async (t) => {
  const { python, d } = await setup(t);
  const v = await python<{ api: string; version: Record<string, any> }>(`
client = docker.DockerClient(base_url=base_url)
emit({'api': client.api.api_version, 'version': client.version()})
`);
  const expected = (await d.request('GET', '/version')).json<{ Version: string }>();
  t.equal(v.api, '1.49', 'the client settled on the version /version advertised');
  t.equal(v.version.ApiVersion, '1.49');
  t.equal(v.version.MinAPIVersion, '1.24');
  t.equal(v.version.Version, expected.Version);
  t.equal(v.version.Os, 'linux');
  t.ok(Array.isArray(v.version.Components), 'Components is a list');
  const engine = (v.version.Components as { Name: string; Version: string; Details: Record<string, string> }[]).find(
    (c) => c.Name === 'Engine',
  );
  t.ok(engine, 'an Engine component');
  t.equal(engine?.Version, expected.Version);
  t.equal(engine?.Details.ApiVersion, '1.49');
  t.equal(engine?.Details.MinAPIVersion, '1.24');
});

t.test('docker-py asks unversioned GET /version first, then uses /v1.49/ paths', { skip }, async (t) => {
  const { python, requests } = await setup(t);
  await python(
    `
client = docker.DockerClient(base_url=base_url)
emit(client.ping())
`,
    { proxied: true },
  );
  t.same(requests, ['GET /version', 'GET /v1.49/_ping']);
});

t.test('DockerClient.ping() is True', { skip }, async (t) => {
  const { python } = await setup(t);
  t.equal(await python(`emit(docker.DockerClient(base_url=base_url).ping())`), true);
});

t.test('DockerClient.info() carries the daemon ID that GET /info reports', { skip }, async (t) => {
  const { python, d } = await setup(t);
  const expected = (await d.request('GET', '/info')).json<{ ID: string; ServerVersion: string }>();
  const info = await python<{ ID: string; ServerVersion: string; OSType: string }>(`emit(docker.DockerClient(base_url=base_url).info())`);
  t.equal(info.ID, expected.ID);
  t.ok(info.ID.length > 0, 'a non-empty ID');
  t.equal(info.ServerVersion, expected.ServerVersion);
  t.equal(info.OSType, 'linux');
});

t.test("APIClient(version='auto') negotiates 1.49", { skip }, async (t) => {
  const { python } = await setup(t);
  const r = await python<{ api: string; url: string }>(`
api = docker.APIClient(base_url=base_url, version='auto')
emit({'api': api.api_version, 'url': api._url('/info')})
`);
  t.equal(r.api, '1.49');
  t.equal(r.url, 'http+docker://localhost/v1.49/info');
});

t.test("APIClient(version='1.24') works: the oldest supported version is served under /v1.24/", { skip }, async (t) => {
  const { python, requests } = await setup(t);
  const r = await python<{ api: string; version: { ApiVersion: string; MinAPIVersion: string }; info: { ID: string } }>(
    `
api = docker.APIClient(base_url=base_url, version='1.24')
emit({'api': api.api_version, 'version': api.version(), 'info': api.info()})
`,
    { proxied: true },
  );
  t.equal(r.api, '1.24');
  t.equal(r.version.ApiVersion, '1.49', 'the server still reports its own maximum');
  t.equal(r.version.MinAPIVersion, '1.24');
  t.ok(r.info.ID, 'info answers too');
  t.same(requests, ['GET /v1.24/version', 'GET /v1.24/info']);
});

t.test('containers.create of a missing image raises docker.errors.ImageNotFound with docker\'s message', { skip }, async (t) => {
  const { python } = await setup(t);
  const r = await python<Record<string, unknown>>(`
client = docker.DockerClient(base_url=base_url)
try:
    client.containers.create('nosuch')
    emit({'raised': None})
except docker.errors.APIError as e:
    emit({'raised': type(e).__name__, 'status': e.status_code, 'explanation': e.explanation})
`);
  t.same(r, { raised: 'ImageNotFound', status: 404, explanation: 'No such image: nosuch:latest' });
});

t.test('a bad container name is an APIError 400 naming the allowed characters', { skip }, async (t) => {
  const { python } = await setup(t);
  const r = await python<{ status: number; explanation: string }>(`
try:
    docker.DockerClient(base_url=base_url).containers.create('busybox', name='-x')
    emit({'status': None, 'explanation': None})
except docker.errors.APIError as e:
    emit({'status': e.status_code, 'explanation': e.explanation})
`);
  t.equal(r.status, 400);
  t.match(r.explanation, /only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
});

t.test('containers.run returns the output, raises ContainerError on failure, and detached containers work', { skip }, async (t) => {
  const { python, d } = await setup(t);
  await loadBusybox(t, d);
  const r = await python<Record<string, unknown>>(`
client = docker.DockerClient(base_url=base_url)
out = client.containers.run('busybox', 'echo hi', remove=True)
try:
    client.containers.run('busybox', ['sh', '-c', 'echo bad >&2; exit 3'], remove=True)
    failed = None
except docker.errors.ContainerError as e:
    failed = {'code': e.exit_status, 'stderr': e.stderr.decode()}
c = client.containers.run('busybox', ['sh', '-c', 'echo started; sleep 100'], detach=True, name='pyweb')
c.reload()
status = c.status
import time
for _ in range(100):
    if c.logs() == b'started\\n':
        break
    time.sleep(0.05)
logs = c.logs().decode()
c.kill()
waited = c.wait()
c.remove()
emit({'out': out.decode(), 'failed': failed, 'status': status, 'logs': logs, 'waited': waited,
      'left': len(client.containers.list(all=True))})
`);
  t.same(r, { out: 'hi\n', failed: { code: 3, stderr: 'bad\n' }, status: 'running', logs: 'started\n', waited: { StatusCode: 137, Error: null }, left: 0 });
});

t.test('client.events(decode=True, since=, until=) replays a container\'s events; filters and the low-level API too', { skip }, async (t) => {
  const { python, d } = await setup(t);
  await loadBusybox(t, d);
  const r = await python<Record<string, unknown>>(`
import time
client = docker.DockerClient(base_url=base_url)
since = int(time.time()) - 1
c = client.containers.run('busybox', ['sh', '-c', 'exit 4'], detach=True, name='pyevents', labels={'team': 'green'})
c.wait()
c.remove()
until = int(time.time()) + 1
evs = list(client.events(since=since, until=until, decode=True, filters={'container': 'pyevents'}))
dies = list(client.api.events(since=since, until=until, decode=True, filters={'type': 'container', 'event': 'die', 'label': 'team=green'}))
emit({'actions': [e['Action'] for e in evs], 'ids': sorted(set(e['id'] for e in evs)) == [c.id],
      'die': [{'status': e['status'], 'from': e['from'], 'attrs': e['Actor']['Attributes']} for e in dies]})
`);
  t.same(r.actions, ['create', 'start', 'die', 'destroy'], 'docker-py does not attach a detached container');
  t.equal(r.ids, true);
  t.match(r.die, [{ status: 'die', from: 'busybox', attrs: { exitCode: '4', image: 'busybox', name: 'pyevents', team: 'green' } }]);
  t.equal((r.die as unknown[]).length, 1);
});

t.test('exec_run returns the exit code and output, demuxed or not, with environment and user', { skip }, async (t) => {
  const { python, d } = await setup(t);
  await loadBusybox(t, d);
  const r = await python<Record<string, unknown>>(`
client = docker.DockerClient(base_url=base_url)
c = client.containers.run('busybox', 'sleep 100', detach=True, name='pyexec')
code, out = c.exec_run(['sh', '-c', 'echo out; echo err >&2; exit 5'])
dcode, (dout, derr) = c.exec_run(['sh', '-c', 'echo out; echo err >&2'], demux=True)
ecode, env = c.exec_run('sh -c "echo $X $(id -un)"', environment={'X': 'set'}, user='nobody')
mcode, missing = c.exec_run('nosuchcmd')
api = client.api
eid = api.exec_create(c.id, ['sh', '-c', 'exit 9'])['Id']
api.exec_start(eid)
inspected = api.exec_inspect(eid)
c.remove(force=True)
emit({'code': code, 'out': out.decode(), 'dcode': dcode, 'dout': dout.decode(), 'derr': derr.decode(),
      'ecode': ecode, 'env': env.decode(), 'mcode': mcode, 'missing': missing.decode(),
      'inspected': {'ExitCode': inspected['ExitCode'], 'Running': inspected['Running']}})
`);
  t.match(r, { code: 5, out: 'out\nerr\n', dcode: 0, dout: 'out\n', derr: 'err\n', ecode: 0, env: 'set nobody\n', mcode: 127, inspected: { ExitCode: 9, Running: false } });
  t.match(r.missing, /executable file not found in \$PATH/);
});

t.test('networks: create, run on it, list its containers, disconnect and connect, remove and prune', { skip }, async (t) => {
  const { python, d } = await setup(t);
  await loadBusybox(t, d);
  const r = await python<Record<string, any>>(`
client = docker.DockerClient(base_url=base_url)
net = client.networks.create('pyn')
c = client.containers.run('busybox', 'sleep 60', detach=True, network='pyn', name='pyweb')
c.reload()
ip = c.attrs['NetworkSettings']['Networks']['pyn']['IPAddress']
subnet = net.attrs['IPAM']['Config'][0]['Subnet']
listed = [x.name for x in client.networks.get('pyn').containers]
net.disconnect(c)
c.reload()
after_disconnect = sorted(c.attrs['NetworkSettings']['Networks'])
_, no_eth0 = c.exec_run('ip -o -4 addr show')
net.connect(c, aliases=['pyalias'])
c.reload()
again = c.attrs['NetworkSettings']['Networks']['pyn']
_, inside = c.exec_run('ip -o -4 addr show eth0')
names = [n.name for n in client.networks.list(names=['pyn'])]
try:
    net.remove()
    busy = None
except docker.errors.APIError as e:
    busy = {'status': e.status_code, 'explanation': e.explanation}
c.remove(force=True)
net.remove()
unused = client.networks.create('pyunused')
pruned = client.networks.prune()
emit({'ip': ip, 'subnet': subnet, 'listed': listed, 'after_disconnect': after_disconnect, 'no_eth0': no_eth0.decode(),
      'again': {'IPAddress': again['IPAddress'], 'Aliases': again['Aliases'], 'DNSNames': again['DNSNames']},
      'inside': inside.decode(), 'names': names, 'busy': busy, 'pruned': pruned,
      'left': sorted(n.name for n in client.networks.list())})
`);
  const inSubnet = (ip: string, cidr: string) => ip.split('.').slice(0, 3).join('.') === cidr.split('/')[0]!.split('.').slice(0, 3).join('.');
  t.match(r.subnet, /^\d+\.\d+\.\d+\.0\/24$/);
  t.ok(inSubnet(r.ip, r.subnet), `the container's IPAddress ${r.ip} is in ${r.subnet}`);
  t.same(r.listed, ['pyweb'], 'network.containers lists it');
  t.same(r.after_disconnect, [], 'disconnect takes the network away');
  t.notMatch(r.no_eth0, /eth0/, 'and its interface');
  t.ok(inSubnet(r.again.IPAddress, r.subnet), `connect gives an address again: ${r.again.IPAddress}`);
  t.same(r.again.Aliases, ['pyalias']);
  t.ok(r.again.DNSNames.includes('pyweb') && r.again.DNSNames.includes('pyalias'), `DNSNames ${r.again.DNSNames}`);
  t.match(r.inside, `inet ${r.again.IPAddress}/24`, 'the address is the one inside');
  t.same(r.names, ['pyn']);
  t.match(r.busy, { status: 403, explanation: /has active endpoints/ }, 'remove refuses while the container runs on it');
  t.same(r.pruned, { NetworksDeleted: ['pyunused'] }, 'prune removes the unused one (docker\'s answer has no SpaceReclaimed)');
  t.same(r.left, ['bridge', 'host', 'none']);
});

t.test('resources: run with mem_limit and nano_cpus, stats(stream=False) and a two-sample stream, update(mem_limit, memswap_limit) shows after reload()', { skip }, async (t) => {
  const { python, d } = await setup(t);
  await loadBusybox(t, d);
  const r = await python<Record<string, any>>(`
client = docker.DockerClient(base_url=base_url)
c = client.containers.run('busybox', 'sleep 60', detach=True, mem_limit='64m', nano_cpus=500000000)
c.reload()
created = {k: c.attrs['HostConfig'][k] for k in ('Memory', 'MemorySwap', 'NanoCpus')}
one = c.stats(stream=False)
c.update(mem_limit='96m', memswap_limit='192m')
c.reload()
updated = {k: c.attrs['HostConfig'][k] for k in ('Memory', 'MemorySwap')}
samples = []
for s in c.stats(stream=True, decode=True):
    samples.append(s)
    if len(samples) == 2:
        break
c.remove(force=True)
emit({'created': created, 'one': one, 'updated': updated, 'samples': samples})
`);
  t.same(r.created, { Memory: 64 * 1024 * 1024, MemorySwap: 128 * 1024 * 1024, NanoCpus: 500000000 });
  const one = r.one;
  t.type(one.cpu_stats?.cpu_usage?.total_usage, 'number', 'stats(stream=False) has cpu_stats.cpu_usage.total_usage');
  t.ok(one.cpu_stats.cpu_usage.total_usage > 0, `and the container has used some CPU: ${one.cpu_stats.cpu_usage.total_usage}`);
  t.equal(one.memory_stats?.limit, 64 * 1024 * 1024, 'memory_stats.limit is the mem_limit');
  t.type(one.precpu_stats?.cpu_usage?.total_usage, 'number', 'precpu_stats is there: stream=False takes two samples');
  t.type(one.cpu_stats.system_cpu_usage, 'number');
  t.ok(one.cpu_stats.online_cpus > 0, 'online_cpus');
  t.match(one, { id: /^[0-9a-f]{64}$/, name: /^\/.+/, read: /^\d{4}-\d\d-\d\dT/, preread: /^\d{4}-\d\d-\d\dT/, pids_stats: { current: 1 } });
  t.same(r.updated, { Memory: 96 * 1024 * 1024, MemorySwap: 192 * 1024 * 1024 }, 'update() then reload() shows the new limits');
  t.equal(r.samples.length, 2, 'the stream gives two samples');
  const [first, second] = r.samples;
  t.equal(second?.memory_stats?.limit, 96 * 1024 * 1024, 'the stream sees the updated limit');
  t.ok(second?.precpu_stats?.cpu_usage?.total_usage > 0, `the second sample's precpu_stats.cpu_usage.total_usage > 0: ${second?.precpu_stats?.cpu_usage?.total_usage}`);
  t.equal(second?.precpu_stats?.cpu_usage?.total_usage, first?.cpu_stats?.cpu_usage?.total_usage, 'and it is the first sample\'s cpu_stats');
});

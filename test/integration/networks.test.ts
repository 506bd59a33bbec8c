// Bridge networking through a real kapald: the networks API and its errors in moby's words,
// addresses that are never handed out twice (also across a kapald restart), published ports and
// their userland proxy (also after kill -9 and a restart), and the reconcile at start. Traffic
// goes only to loopback and to containers on the test daemon's own bridges.

import { execFileSync } from 'node:child_process';
import t from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, inspect, loadBusybox, run, waitFor } from '../helpers/containers.js';
import { canBind, freePort, httpGet } from '../helpers/ports.js';

const get = async (url: string) => (await httpGet(url)).body;

const json = { 'Content-Type': 'application/json' };

async function daemon(t: Parameters<Parameters<typeof t.test>[1]>[0], name: string, opts: Parameters<typeof startDaemon>[2] = {}): Promise<TestDaemon> {
  const d = await startDaemon(t, name, opts);
  await loadBusybox(t, d);
  return d;
}

const post = (d: TestDaemon, url: string, body?: unknown) => d.request('POST', url, body === undefined ? {} : { body: JSON.stringify(body), headers: json });

async function startRunning(d: TestDaemon, body: Record<string, unknown>, name?: string): Promise<string> {
  const id = await create(d, { Cmd: ['sleep', '1000'], ...body }, name);
  const res = await post(d, `/containers/${id}/start`);
  if (res.status !== 204) throw new Error(`start failed: ${res.status} ${res.text}`);
  return id;
}

const links = () => execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' });
const table = (d: TestDaemon) => JSON.parse(execFileSync('cat', [`${d.dir}/daemon.json`], { encoding: 'utf8' }))['nft-table'] as string;

t.test('the predefined networks exist; bad network requests get moby\'s status and words', async (t) => {
  const d = await daemon(t, 'net-api');
  const list = (await d.request('GET', '/networks')).json();
  t.same(list.map((n: { Name: string }) => n.Name).sort(), ['bridge', 'host', 'none']);
  const bridge = (await d.request('GET', '/networks/bridge')).json();
  t.match(bridge, { Driver: 'bridge', Scope: 'local', Internal: false, IPAM: { Driver: 'default', Config: [{ Subnet: /^10\.99\.\d+\.0\/24$/, Gateway: /^10\.99\.\d+\.1$/ }] } });
  t.equal(bridge.Options['com.docker.network.bridge.default_bridge'], 'true');
  t.equal((await d.request('GET', '/networks/none')).json().Driver, 'null');

  const created = await post(d, '/networks/create', { Name: 'n1', Labels: { team: 'a' } });
  t.equal(created.status, 201, created.text);
  const n1 = created.json().Id as string;
  t.match(created.json(), { Id: /^[0-9a-f]{64}$/, Warning: '' });
  const cases: [unknown, number, string | RegExp][] = [
    [{ Name: 'n1' }, 409, 'network with name n1 already exists'],
    [{ Name: 'bridge' }, 403, 'operation is not permitted on predefined bridge network '],
    [{ Name: 'x', Driver: 'foo' }, 404, 'plugin "foo" not found'],
    [{ Name: 'x', IPAM: { Config: [{ Subnet: bridge.IPAM.Config[0].Subnet }] } }, 403, 'invalid pool request: Pool overlaps with other one on this address space'],
    [{ Name: 'x', IPAM: { Config: [{ Subnet: '10.250.0.1/24' }] } }, 400, 'invalid network config:\ninvalid subnet 10.250.0.1/24: it should be 10.250.0.0/24'],
    [{ Name: 'x', IPAM: { Config: [{ Subnet: '10.250.0.0/24', Gateway: '10.251.0.1' }] } }, 400, /invalid gateway 10\.251\.0\.1: parent subnet 10\.250\.0\.0\/24 doesn't contain this address/],
    [{ Name: 'x', IPAM: { Config: [{ Subnet: '10.250.0.0/24', IPRange: '10.250.1.0/25' }] } }, 400, /invalid ip-range/],
    [{ Name: 'bad name!' }, 400, /invalid network name/],
    [{ Name: 'x', EnableIPv6: true }, 400, /IPv6/],
    [{}, 400, /Name/],
  ];
  for (const [body, status, message] of cases) {
    const res = await post(d, '/networks/create', body);
    t.equal(res.status, status, JSON.stringify(body));
    t.match(res.json().message, message);
  }
  t.equal((await d.request('GET', '/networks')).json().length, 4, 'no failed create left a network');
  t.equal((await d.request('GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ type: ['custom'] }))}`)).json().length, 1);
  t.equal((await d.request('GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ label: ['team=a'] }))}`)).json()[0].Id, n1);
  t.equal((await d.request('GET', `/networks/${n1.slice(0, 10)}`)).json().Name, 'n1', 'an ID prefix finds it');
  t.equal((await d.request('GET', '/networks/nosuch')).status, 404);
  t.equal((await d.request('DELETE', '/networks/bridge')).json().message, 'bridge is a pre-defined network and cannot be removed');
  t.equal((await d.request('DELETE', '/networks/n1')).status, 204);
  t.equal((await d.request('DELETE', '/networks/n1')).json().message, 'network n1 not found');
  t.notMatch(links(), `kbr-${n1.slice(0, 11)}`, 'its bridge is gone');
});

t.test('containers get distinct addresses, a default route and their names; stopped ones give them back', async (t) => {
  const d = await daemon(t, 'net-ipam');
  const a = await startRunning(d, {});
  const b = await startRunning(d, {});
  const [ia, ib] = [await inspect(d, a), await inspect(d, b)];
  const subnet = (await d.request('GET', '/networks/bridge')).json().IPAM.Config[0];
  t.match(ia.NetworkSettings, { IPAddress: /^10\.99\.\d+\.\d+$/, Gateway: subnet.Gateway, IPPrefixLen: 24, MacAddress: /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, SandboxKey: `/proc/${ia.State.Pid}/ns/net` });
  t.not(ia.NetworkSettings.IPAddress, ib.NetworkSettings.IPAddress);
  t.equal(ia.NetworkSettings.Networks.bridge.IPAddress, ia.NetworkSettings.IPAddress);
  const inside = await run(d, { Cmd: ['sh', '-c', `ip route; cat /etc/hosts; ping -c1 -W2 ${ib.NetworkSettings.IPAddress} >/dev/null && echo reached`], Hostname: 'me' });
  t.equal(inside.code, 0, inside.stderr);
  t.match(inside.stdout, `default via ${subnet.Gateway} dev eth0`);
  t.match(inside.stdout, /^10\.99\.\d+\.\d+\tme$/m, '/etc/hosts names the container\'s address');
  t.match(inside.stdout, /reached/, 'one container reaches another on the bridge');
  const listed = (await d.request('GET', '/containers/json')).json();
  t.equal(listed.find((c: { Id: string }) => c.Id === a).NetworkSettings.Networks.bridge.IPAddress, ia.NetworkSettings.IPAddress);

  await post(d, `/containers/${a}/kill`);
  await waitFor(async () => (await inspect(d, a)).State.Status === 'exited');
  const stopped = await inspect(d, a);
  t.match(stopped.NetworkSettings, { IPAddress: '', SandboxKey: '', Ports: {}, Networks: { bridge: { IPAddress: '', NetworkID: /^[0-9a-f]{64}$/ } } });
  const c = await startRunning(d, {});
  t.not((await inspect(d, c)).NetworkSettings.IPAddress, ia.NetworkSettings.IPAddress, 'a released address is not handed out again at once');

  // Across a restart the addresses in use stay taken.
  const held = [ib.NetworkSettings.IPAddress, (await inspect(d, c)).NetworkSettings.IPAddress];
  await d.stop('SIGKILL');
  const again = await startDaemon(t, 'net-ipam', { dir: d.dir });
  const fresh = await Promise.all([0, 1, 2].map(() => startRunning(again, {})));
  for (const id of fresh) t.notOk(held.includes((await inspect(again, id)).NetworkSettings.IPAddress), 'not an address a running container holds');
});

t.test('user-defined networks: names resolve, other networks are out of reach, internal ones have no way out', async (t) => {
  const d = await daemon(t, 'net-user');
  const n1 = (await post(d, '/networks/create', { Name: 'n1' })).json().Id;
  await post(d, '/networks/create', { Name: 'n2' });
  await post(d, '/networks/create', { Name: 'closed', Internal: true });
  const web = await startRunning(d, { Cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'], HostConfig: { NetworkMode: 'n1' }, NetworkingConfig: { EndpointsConfig: { n1: { Aliases: ['www'] } } } }, 'web');
  const doc = await inspect(d, web);
  const ip = doc.NetworkSettings.Networks.n1.IPAddress;
  t.equal(doc.NetworkSettings.IPAddress, '', 'top-level fields are the default bridge\'s only');
  t.same(doc.NetworkSettings.Networks.n1.DNSNames, ['web', 'www', web.slice(0, 12)]);
  const byName = await run(d, { Cmd: ['sh', '-c', 'wget -qO- http://web/hostname && wget -qO- http://www/hostname && cat /etc/resolv.conf'], HostConfig: { NetworkMode: 'n1' } });
  t.equal(byName.code, 0, byName.stderr);
  t.match(byName.stdout, `${web.slice(0, 12)}\n${web.slice(0, 12)}\n`);
  t.match(byName.stdout, `nameserver ${(await d.request('GET', '/networks/n1')).json().IPAM.Config[0].Gateway}`);
  const other = await run(d, { Cmd: ['sh', '-c', `ping -c1 -W1 ${ip} >/dev/null && echo reached || echo blocked`], HostConfig: { NetworkMode: 'n2' } });
  t.equal(other.stdout, 'blocked\n', 'another network cannot reach web');
  const sameNet = await run(d, { Cmd: ['sh', '-c', `ping -c1 -W1 ${ip} >/dev/null && echo reached || echo blocked`], HostConfig: { NetworkMode: 'n1' } });
  t.equal(sameNet.stdout, 'reached\n', 'the same network can (the check above can fail)');
  await startRunning(d, { HostConfig: { NetworkMode: 'n2' } }, 'db');
  const both = await run(d, { Cmd: ['sh', '-c', 'ip -o -4 addr show | grep -c eth; ping -c1 -W2 db >/dev/null && echo db; ping -c1 -W2 web >/dev/null && echo web'], HostConfig: { NetworkMode: 'n1' }, NetworkingConfig: { EndpointsConfig: { n1: {}, n2: {} } } });
  t.equal(both.stdout, '2\ndb\nweb\n', 'on two networks: two interfaces, names of both resolve');
  const internal = await run(d, { Cmd: ['ip', 'route'], HostConfig: { NetworkMode: 'closed' } });
  t.notMatch(internal.stdout, /default/, 'no default route on an internal network');

  const inspected = (await d.request('GET', `/networks/${n1}`)).json();
  t.match(inspected.Containers[web], { Name: 'web', IPv4Address: `${ip}/24` });
  const busy = await d.request('DELETE', '/networks/n1');
  t.equal(busy.status, 403);
  t.match(busy.json().message, /^error while removing network: network n1 has active endpoints \(name:"web" id:"[0-9a-f]{12}"\)$/);
  const pruned = await post(d, '/networks/prune');
  t.same(pruned.json().NetworksDeleted, ['closed'], 'prune keeps networks with running containers');
});

t.test('connect and disconnect a running container; a missing network fails the start, not the create', async (t) => {
  const d = await daemon(t, 'net-connect');
  await post(d, '/networks/create', { Name: 'n1' });
  const id = await startRunning(d, {}, 'box');
  t.equal((await post(d, '/networks/n1/connect', { Container: 'box', EndpointConfig: { Aliases: ['boxy'] } })).status, 200);
  const ip = (await inspect(d, id)).NetworkSettings.Networks.n1.IPAddress;
  t.match(ip, /^10\.\d+\.\d+\.\d+$/);
  const seen = await run(d, { Cmd: ['sh', '-c', 'ping -c1 -W2 boxy >/dev/null && echo reached'], HostConfig: { NetworkMode: 'n1' } });
  t.equal(seen.stdout, 'reached\n', 'reached by its alias on the new network');
  const twice = await post(d, '/networks/n1/connect', { Container: 'box' });
  t.equal(twice.status, 403);
  t.equal(twice.json().message, 'endpoint with name box already exists in network n1');
  t.equal((await post(d, '/networks/n1/disconnect', { Container: 'box' })).status, 200);
  t.same(Object.keys((await inspect(d, id)).NetworkSettings.Networks), ['bridge']);
  const again = await post(d, '/networks/n1/disconnect', { Container: 'box' });
  t.equal(again.status, 500);
  t.equal(again.json().message, `container ${id} is not connected to network n1`);
  t.equal((await post(d, '/networks/host/connect', { Container: 'box' })).status, 400);
  t.equal((await post(d, '/networks/n1/connect', { Container: 'nosuch' })).json().message, 'No such container: nosuch');

  const orphan = await create(d, { Cmd: ['true'], HostConfig: { NetworkMode: 'missing' } });
  const start = await post(d, `/containers/${orphan}/start`);
  t.equal(start.status, 404);
  t.equal(start.json().message, 'failed to set up container networking: network missing not found');
  const hostPorts = await post(d, '/containers/create', { Image: 'busybox', HostConfig: { NetworkMode: 'host', PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } });
  t.same(hostPorts.json().Warnings, ['Published ports are discarded when using host network mode']);
  const staticIp = await create(d, { Cmd: ['true'], NetworkingConfig: { EndpointsConfig: { bridge: { IPAMConfig: { IPv4Address: '10.99.0.9' } } } } }).catch((e: Error) => e.message);
  t.match(staticIp, /user specified IP address is supported on user defined networks only/);
});

t.test('published ports: DNAT and the proxy, a taken port fails the start cleanly, and kill -9 of kapald', async (t) => {
  const d = await daemon(t, 'net-ports');
  const port = await freePort();
  const web = await startRunning(d, { Cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'], ExposedPorts: { '80/tcp': {}, '81/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } } }, 'web');
  await waitFor(async () => (await get(`http://127.0.0.1:${port}/hostname`).catch(() => '')) === `${web.slice(0, 12)}\n`, 5000, 'the page through the proxy');
  const doc = await inspect(d, web);
  t.same(doc.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }], '81/tcp': null });
  const listed = (await d.request('GET', '/containers/json')).json()[0];
  t.same(listed.Ports, [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: port, Type: 'tcp' }, { PrivatePort: 81, Type: 'tcp' }]);

  const clash = await create(d, { Cmd: ['true'], HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } } });
  const failed = await post(d, `/containers/${clash}/start`);
  t.equal(failed.status, 500);
  t.match(failed.json().message, new RegExp(`^failed to set up container networking: driver failed programming external connectivity on endpoint \\S+ \\([0-9a-f]{64}\\): Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated$`));
  t.equal((await inspect(d, clash)).State.Status, 'created');
  t.equal((await inspect(d, clash)).NetworkSettings.Networks.bridge.IPAddress, '', 'its address went back');
  t.match((await inspect(d, clash)).State, { ExitCode: 128, Error: /port is already allocated/ });
  const autoRemove = await create(d, { Cmd: ['true'], HostConfig: { AutoRemove: true, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } } });
  const removed = d.request('POST', `/containers/${autoRemove}/wait?condition=removed`);
  t.equal((await post(d, `/containers/${autoRemove}/start`)).status, 500);
  t.equal((await removed).json().StatusCode, 128, 'docker run --rm gets its answer: the container is removed');
  t.equal((await d.request('GET', `/containers/${autoRemove}/json`)).status, 404);

  t.equal((await post(d, `/containers/${web}/restart?t=0`)).status, 204, 'a restart binds the port again at once');
  await waitFor(async () => (await get(`http://127.0.0.1:${port}/hostname`).catch(() => '')) === `${web.slice(0, 12)}\n`, 5000, 'the page after the restart');

  // kapald dies: the container lives on; the next kapald binds the port again.
  await d.stop('SIGKILL');
  t.ok(await canBind(port), 'the proxy died with kapald');
  const again = await startDaemon(t, 'net-ports', { dir: d.dir });
  t.equal(await get(`http://127.0.0.1:${port}/hostname`), `${web.slice(0, 12)}\n`, 'served again after the restart');
  t.equal((await again.request('DELETE', `/containers/${web}?force=1`)).status, 204);
  await waitFor(() => canBind(port), 5000, 'the port to be free');
  const rules = () => execFileSync('nft', ['list', 'table', 'inet', table(d)], { encoding: 'utf8' });

  const ephemeral = await startRunning(again, { Cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'], ExposedPorts: { '80/tcp': {} }, HostConfig: { PublishAllPorts: true } });
  const doc2 = await inspect(again, ephemeral);
  const bound = doc2.NetworkSettings.Ports['80/tcp'][0];
  t.equal(bound.HostIp, '0.0.0.0');
  t.match(rules(), `tcp dport ${bound.HostPort} dnat ip to ${doc2.NetworkSettings.IPAddress}:80`, 'a DNAT rule for a port on every address');
  await waitFor(async () => (await get(`http://127.0.0.1:${bound.HostPort}/hostname`).catch(() => '')) === `${ephemeral.slice(0, 12)}\n`, 5000, '-P serves');
  await again.request('DELETE', `/containers/${ephemeral}?force=1`);
  await waitFor(() => !/dnat ip to/.test(rules()), 5000, 'the port rule to go');
});

t.test('at start kapald removes bridges of its own that no network uses, and no veth outlives its container', async (t) => {
  const d = await daemon(t, 'net-reconcile');
  const tag = table(d);
  await d.stop('SIGTERM');
  const stale = `kbr-stale${process.pid % 100}`;
  execFileSync('ip', ['link', 'add', stale, 'type', 'bridge']);
  t.teardown(() => {
    try {
      execFileSync('ip', ['link', 'del', stale], { stdio: 'ignore' });
    } catch {
      // removed by kapald, as it should be
    }
  });
  execFileSync('ip', ['link', 'set', 'dev', stale, 'alias', `kapal ${tag}`]);
  const again = await startDaemon(t, 'net-reconcile', { dir: d.dir });
  t.notMatch(links(), `"${stale}"`, 'the stale bridge is gone');
  const id = await startRunning(again, {});
  const hostIf = execFileSync('ip', ['-j', 'link', 'show', 'master', JSON.parse(execFileSync('cat', [`${d.dir}/daemon.json`], { encoding: 'utf8' })).bridge], { encoding: 'utf8' });
  const veth = /"ifname":"(kv[0-9a-f]{12})"/.exec(hostIf)?.[1];
  t.ok(veth, 'the veth is on the bridge');
  await again.request('DELETE', `/containers/${id}?force=1`);
  await waitFor(() => !links().includes(`"${veth}"`), 5000, 'the veth to go');
  t.pass('no veth left');

  const bridge = JSON.parse(execFileSync('cat', [`${d.dir}/daemon.json`], { encoding: 'utf8' })).bridge as string;
  execFileSync('ip', ['link', 'del', bridge]);
  const healed = await run(again, { Cmd: ['ip', 'route'] });
  t.match(healed.stdout, /default via/, 'a bridge removed behind kapald\'s back is made again at the next start');
});

t.test('--bridge none, as dockerd: no default bridge network, and containers on the default network get loopback only', async (t) => {
  const d = await daemon(t, 'net-nobridge');
  const bridge = JSON.parse(execFileSync('cat', [`${d.dir}/daemon.json`], { encoding: 'utf8' })).bridge as string;
  t.match(links(), `"${bridge}"`, 'with a bridge first');
  await d.stop('SIGTERM');

  const again = await startDaemon(t, 'net-nobridge', { dir: d.dir, config: { bridge: 'none', bip: undefined } });
  const list = (await again.request('GET', '/networks')).json();
  t.same(list.map((n: { Name: string }) => n.Name).sort(), ['host', 'none'], 'the default network is gone, as dockerd deletes it at start');
  const missing = await again.request('GET', '/networks/bridge');
  t.equal(missing.status, 404);
  t.equal(missing.json().message, 'network bridge not found');
  t.notMatch(links(), `"${bridge}"`, 'its device was removed');
  t.notMatch(links(), '"ifname":"none"', 'no device is named "none"');

  for (const mode of [undefined, 'default', 'bridge']) {
    const res = await run(again, { Cmd: ['cat', '/proc/net/dev'], ...(mode ? { HostConfig: { NetworkMode: mode } } : {}) });
    t.equal(res.code, 0, `NetworkMode ${mode ?? '(unset)'}: starts`);
    t.same(res.stdout.split('\n').slice(2).filter(Boolean).map((l) => l.trim().split(':')[0]), ['lo'], `NetworkMode ${mode ?? '(unset)'}: loopback only`);
  }
  const named = await post(again, '/networks/create', { Name: 'mine' });
  t.equal(named.status, 201, 'user-defined networks still work');
  const on = await run(again, { Cmd: ['cat', '/proc/net/dev'], HostConfig: { NetworkMode: 'mine' } });
  t.match(on.stdout, /eth0:/);
  t.equal((await again.request('DELETE', '/networks/mine')).status, 204);
});

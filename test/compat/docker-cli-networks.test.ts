// The real docker CLI on kapald's bridge networking: addresses on the default bridge, names on
// user-defined networks (the embedded DNS on the gateway), isolation between networks, published
// ports (DNAT and the userland proxy), network connect/disconnect/ls/inspect/rm/prune, --subnet,
// --internal, and what is left on the host afterwards. Traffic goes only to loopback and to
// addresses on the test daemon's own bridges: no query here is one the embedded DNS forwards to
// the host's name servers.

import { execFileSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { waitFor } from '../helpers/containers.js';
import { dockerSetup, skipWithoutDocker as skip, succeeds, type Run } from '../helpers/docker-cli.js';
import { canBind, freePort, httpGet } from '../helpers/ports.js';
import { contains, ipToNumber, parseSubnet } from '../../src/domain/ipv4.js';

const setup = dockerSetup;
const ok = succeeds;

const HTTPD = 'busybox httpd -f -p 80 -h /etc';

/** Waits until `name`'s httpd listens: `docker run -d` returns before the server has bound. */
const listening = (name: string) => `docker exec ${name} timeout 10 sh -c 'until netstat -ltn | grep -q ":80 "; do sleep 0.05; done'`;

function inSubnet(ip: string, cidr: string): boolean {
  return contains(parseSubnet(cidr), ipToNumber(ip));
}

/** The IPv4 addresses `ip addr` shows for an interface: {eth0: ['10.99.3.2/24'], ...}. */
function inetByInterface(ipAddr: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current = '';
  for (const line of ipAddr.split('\n')) {
    const head = /^\d+: ([^:@]+)[:@]/.exec(line);
    if (head) current = head[1]!;
    const inet = /^\s+inet (\d+\.\d+\.\d+\.\d+\/\d+)/.exec(line);
    if (inet && current) (out[current] ??= []).push(inet[1]!);
  }
  return out;
}

const get = httpGet;

const subnetOf = async (sh: (s: string) => Promise<Run>, network: string) =>
  (await sh(`docker network inspect --format '{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}' ${network}`)).stdout.trim().split(' ') as [string, string];

const links = () => execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' });
const linksOn = (bridge: string) =>
  execFileSync('ip', ['-br', 'link', 'show', 'master', bridge], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(/[\s@]/)[0]!)
    .filter(Boolean);

t.test('on the default bridge eth0 has an address in the bridge subnet, inspect shows it, and two containers ping each other by IP', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'net-cli-bridge');
  const [subnet, gateway] = await subnetOf(sh, 'bridge');
  t.match(subnet, /^10\.99\.\d+\.0\/24$/, 'the test daemon\'s own default bridge subnet');
  const addr = await ok(t, d, sh, 'docker run --rm busybox ip addr');
  const eth0 = inetByInterface(addr).eth0 ?? [];
  t.equal(eth0.length, 1, `eth0 has one inet address: ${addr}`);
  t.ok(eth0[0] && inSubnet(eth0[0].split('/')[0]!, subnet) && eth0[0].endsWith('/24'), `${eth0[0]} is in ${subnet}`);
  t.match(await ok(t, d, sh, 'docker run --rm busybox ip route'), new RegExp(`^default via ${gateway.replace(/\./g, '\\.')} dev eth0`, 'm'));

  await ok(t, d, sh, 'docker run -d --name ca busybox sleep 1000 && docker run -d --name cb busybox sleep 1000');
  const fields = "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}} {{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.Networks.bridge.IPAddress}} {{.NetworkSettings.Networks.bridge.NetworkID}} {{.Config.Hostname}}";
  const [ipA, gwA, macA, prefixA, netIpA, netIdA, hostA] = (await ok(t, d, sh, `docker inspect --format '${fields}' ca`)).trim().split(' ');
  const ipB = (await ok(t, d, sh, "docker inspect --format '{{.NetworkSettings.IPAddress}}' cb")).trim();
  t.ok(inSubnet(ipA!, subnet), `IPAddress ${ipA} is in ${subnet}`);
  t.ok(inSubnet(ipB, subnet), `IPAddress ${ipB} is in ${subnet}`);
  t.not(ipA, ipB, 'distinct addresses');
  t.equal(gwA, gateway);
  t.match(macA, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  t.equal(prefixA, '24');
  t.equal(netIpA, ipA, 'Networks.bridge has the same address');
  t.equal(netIdA, (await sh("docker network inspect --format '{{.Id}}' bridge")).stdout.trim(), 'Networks.bridge.NetworkID is the bridge network');
  const inside = await ok(t, d, sh, 'docker exec ca ip addr show eth0');
  t.match(inside, `inet ${ipA}/24`, 'the address inspect shows is the one inside');
  t.match(inside, `link/ether ${macA}`, 'and so is the MAC address');
  t.match(await ok(t, d, sh, 'docker exec ca cat /etc/hosts'), new RegExp(`^${ipA!.replace(/\./g, '\\.')}\\t${hostA}$`, 'm'), '/etc/hosts names the container');

  const ping = await sh(`docker exec ca ping -c1 -W2 ${ipB}`);
  t.equal(ping.code, 0, `ca pings cb: ${ping.stdout}${ping.stderr}`);
  t.match(ping.stdout, '1 packets received');
  t.equal((await sh(`docker exec cb ping -c1 -W2 ${ipA}`)).code, 0, 'and back');

  // A stopped container gives its address back; started again it has one.
  await ok(t, d, sh, 'docker kill ca');
  t.equal((await sh("docker inspect --format '[{{.NetworkSettings.IPAddress}}] [{{.NetworkSettings.Networks.bridge.IPAddress}}]' ca")).stdout, '[] []\n');
  await ok(t, d, sh, 'docker start ca');
  const again = (await sh("docker inspect --format '{{.NetworkSettings.IPAddress}}' ca")).stdout.trim();
  t.ok(inSubnet(again, subnet), `restarted, ca has ${again}`);
  t.equal((await sh(`docker exec ca ping -c1 -W2 ${ipB}`)).code, 0, 'and reaches cb again');
  await ok(t, d, sh, 'docker rm -f ca cb');
});

t.test('on a user-defined network containers reach each other by name; other networks cannot reach them and the default bridge cannot resolve them', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'net-cli-dns');
  t.match(await ok(t, d, sh, 'docker network create n1'), /^[0-9a-f]{64}\n$/);
  await ok(t, d, sh, `docker run -d --name web --network n1 ${HTTPD}`);
  await ok(t, d, sh, listening('web'));
  const hostname = (await ok(t, d, sh, "docker inspect --format '{{.Config.Hostname}}' web")).trim();
  const id = (await ok(t, d, sh, "docker inspect --format '{{.Id}}' web")).trim();
  t.equal(hostname, id.slice(0, 12), 'the hostname is the short ID');
  const webIp = (await ok(t, d, sh, "docker inspect --format '{{.NetworkSettings.Networks.n1.IPAddress}}' web")).trim();
  const [n1Subnet, n1Gateway] = await subnetOf(sh, 'n1');
  t.ok(inSubnet(webIp, n1Subnet), `web has ${webIp} in n1's ${n1Subnet}`);
  t.equal((await sh("docker inspect --format '[{{.NetworkSettings.IPAddress}}]' web")).stdout, '[]\n', 'the top-level fields are the default bridge\'s only');

  t.same(await sh('docker run --rm --network n1 busybox wget -qO- http://web/hostname'), { code: 0, stdout: `${hostname}\n`, stderr: '' }, 'wget by name gets web\'s page');
  const lookup = await sh('docker run --rm --network n1 busybox nslookup web');
  t.equal(lookup.code, 0, lookup.stderr);
  t.match(lookup.stdout, new RegExp(`Name:\\s+web\\nAddress:\\s+${webIp.replace(/\./g, '\\.')}\\n`), 'nslookup web answers web\'s address');
  t.match(lookup.stdout, `Server:\t\t${n1Gateway}`, 'from the DNS server on n1\'s gateway');
  const byId = await sh(`docker run --rm --network n1 busybox nslookup ${hostname}`);
  t.match(byId.stdout, `Address: ${webIp}`, 'the short ID resolves too');
  await ok(t, d, sh, 'docker run -d --name api --network n1 --network-alias backend busybox sleep 1000');
  const apiIp = (await sh("docker inspect --format '{{.NetworkSettings.Networks.n1.IPAddress}}' api")).stdout.trim();
  t.match((await sh('docker exec web nslookup backend')).stdout, `Address: ${apiIp}`, 'a --network-alias resolves');
  t.equal((await sh('docker exec api ping -c1 -W2 web')).code, 0, 'api pings web by name');

  await ok(t, d, sh, 'docker network create n2');
  const ping = await sh(`docker run --rm --network n2 busybox ping -c1 -W1 ${webIp}`);
  t.not(ping.code, 0, `a container on n2 cannot ping web's ${webIp}`);
  t.match(ping.stdout, '0 packets received');
  const nc = await sh(`docker run --rm --network n2 busybox nc -w 1 ${webIp} 80 </dev/null`);
  t.not(nc.code, 0, 'nor connect to its port 80');
  t.not((await sh(`docker run --rm busybox ping -c1 -W1 ${webIp}`)).code, 0, 'nor can one on the default bridge');

  // The default bridge has no embedded DNS: nothing there knows web. (Its resolv.conf names the
  // host's servers; asking them would leave the machine, so the test asks the bridge's gateway.)
  const [, bridgeGateway] = await subnetOf(sh, 'bridge');
  const files = await ok(t, d, sh, 'docker run --rm busybox cat /etc/hosts /etc/resolv.conf');
  t.notMatch(files, /\bweb\b/, 'no hosts entry for web');
  t.notMatch(files, `nameserver ${n1Gateway}`, 'n1\'s DNS server is not its name server');
  const fromBridge = await sh(`docker run --rm busybox nslookup web ${bridgeGateway}`);
  t.not(fromBridge.code, 0, 'the default bridge\'s gateway answers no name');
  t.notMatch(fromBridge.stdout, webIp);
  await ok(t, d, sh, 'docker rm -f web api');
});

t.test('a network\'s DNS server answers only containers on that network: asked from n2 or the default bridge, it does not resolve web', { skip }, async (t) => {
  // docker's resolver lives in each container's namespace (127.0.0.11) and knows only that
  // container's networks; kapal's listens on the gateway, which every container can reach.
  const { d, sh } = await setup(t, 'net-cli-dns-scope');
  await ok(t, d, sh, 'docker network create n1 && docker network create n2');
  await ok(t, d, sh, 'docker run -d --name web --network n1 busybox sleep 1000');
  const webIp = (await ok(t, d, sh, "docker inspect --format '{{.NetworkSettings.Networks.n1.IPAddress}}' web")).trim();
  const [, n1Gateway] = await subnetOf(sh, 'n1');
  for (const network of ['n2', 'bridge']) {
    const r = await sh(`docker run --rm --network ${network} busybox nslookup web ${n1Gateway}`);
    t.notMatch(r.stdout, `Address: ${webIp}`, `a container on ${network} does not learn web's address from n1's DNS server`);
  }
  await ok(t, d, sh, 'docker rm -f web');
});

t.test('published ports: -p 127.0.0.1:PORT:80 serves on the host, docker port and ps show it, a second claim fails with 125, rm -f frees it; -P takes an ephemeral port', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'net-cli-ports');
  const port = await freePort();
  await ok(t, d, sh, `docker run -d --name pub -p 127.0.0.1:${port}:80 ${HTTPD}`);
  await ok(t, d, sh, listening('pub'));
  const hostname = (await sh("docker inspect --format '{{.Config.Hostname}}' pub")).stdout.trim();
  t.same(await get(`http://127.0.0.1:${port}/hostname`), { status: 200, body: `${hostname}\n` }, 'the page through the host port');
  t.same(await sh('docker port pub'), { code: 0, stdout: `80/tcp -> 127.0.0.1:${port}\n`, stderr: '' });
  t.same(await sh('docker port pub 80'), { code: 0, stdout: `127.0.0.1:${port}\n`, stderr: '' });
  const ps = await ok(t, d, sh, 'docker ps');
  t.match(ps, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n/);
  t.match(ps, new RegExp(`Up .* +127\\.0\\.0\\.1:${port}->80/tcp +pub\\n`), 'the ports column');
  t.equal((await sh('docker ps --format "{{.Ports}}"')).stdout, `127.0.0.1:${port}->80/tcp\n`);
  t.equal((await sh("docker inspect --format '{{json .NetworkSettings.Ports}}' pub")).stdout, `{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"${port}"}]}\n`);

  const clash = await sh(`docker run -d --name pub2 -p 127.0.0.1:${port}:80 ${HTTPD}`);
  t.equal(clash.code, 125, clash.stderr);
  t.match(clash.stderr, new RegExp(`Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated`));
  t.equal((await sh("docker inspect --format '{{.State.Status}}' pub2")).stdout, 'created\n', 'the second container stays created');
  t.same(await get(`http://127.0.0.1:${port}/hostname`), { status: 200, body: `${hostname}\n` }, 'the first one still serves');

  await ok(t, d, sh, 'docker rm -f pub');
  t.ok(await canBind(port), 'after rm -f the port is free');
  await ok(t, d, sh, `docker start pub2 && ${listening('pub2')}`);
  const hostname2 = (await sh("docker inspect --format '{{.Config.Hostname}}' pub2")).stdout.trim();
  t.same(await get(`http://127.0.0.1:${port}/hostname`), { status: 200, body: `${hostname2}\n` }, 'the second container can have it now');
  await ok(t, d, sh, 'docker rm -f pub2');
  t.ok(await canBind(port), 'and gives it back');

  await ok(t, d, sh, `docker run -d --name pall -P --expose 80 ${HTTPD}`);
  await ok(t, d, sh, listening('pall'));
  const shown = await ok(t, d, sh, 'docker port pall');
  const m = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/m.exec(shown);
  t.ok(m, `docker port shows an ephemeral port on every address: ${shown}`);
  const ephemeral = Number(m?.[1]);
  t.ok(ephemeral > 1024, `ephemeral port ${ephemeral}`);
  const hostname3 = (await sh("docker inspect --format '{{.Config.Hostname}}' pall")).stdout.trim();
  t.same(await get(`http://127.0.0.1:${ephemeral}/hostname`), { status: 200, body: `${hostname3}\n` }, '-P serves on loopback');
  const [, bridgeGateway] = await subnetOf(sh, 'bridge');
  t.same(await sh(`docker run --rm busybox wget -qO- http://${bridgeGateway}:${ephemeral}/hostname`), { code: 0, stdout: `${hostname3}\n`, stderr: '' }, 'and to another container through the host\'s bridge address');
  await ok(t, d, sh, 'docker rm -f pall');
  await waitFor(() => canBind(ephemeral), 5000, 'the ephemeral port to be free');
  t.pass('the ephemeral port is free again');
});

t.test('network connect and disconnect of a running container; ls, inspect, rm with active endpoints, prune', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'net-cli-connect');
  await ok(t, d, sh, 'docker network create n1 && docker network create n2');
  await ok(t, d, sh, `docker run -d --name web --network n1 ${HTTPD}`);
  await ok(t, d, sh, listening('web'));
  const [n2Subnet] = await subnetOf(sh, 'n2');
  const hostname = (await sh("docker inspect --format '{{.Config.Hostname}}' web")).stdout.trim();

  t.same(await sh('docker network connect n2 web'), { code: 0, stdout: '', stderr: '' });
  const addrs = inetByInterface(await ok(t, d, sh, 'docker exec web ip addr'));
  t.equal(addrs.eth1?.length, 1, `web has an eth1: ${JSON.stringify(addrs)}`);
  const eth1 = addrs.eth1?.[0]?.split('/')[0] ?? '';
  t.ok(inSubnet(eth1, n2Subnet), `eth1's ${eth1} is in n2's ${n2Subnet}`);
  t.equal((await sh("docker inspect --format '{{.NetworkSettings.Networks.n2.IPAddress}}' web")).stdout.trim(), eth1, 'inspect shows the n2 address');
  t.same(await sh('docker run --rm --network n2 busybox wget -qO- http://web/hostname'), { code: 0, stdout: `${hostname}\n`, stderr: '' }, 'a container on n2 reaches web by name');
  t.equal((await sh('docker run --rm --network n2 busybox ping -c1 -W2 web')).code, 0);
  const inspected = JSON.parse(await ok(t, d, sh, "docker network inspect --format '{{json .Containers}}' n2"));
  t.match(Object.values(inspected), [{ Name: 'web', IPv4Address: `${eth1}/24` }], 'n2 lists web');

  t.same(await sh('docker network disconnect n2 web'), { code: 0, stdout: '', stderr: '' });
  const after = inetByInterface(await ok(t, d, sh, 'docker exec web ip addr'));
  t.notOk(after.eth1, 'eth1 is gone');
  t.equal(after.eth0?.length, 1, 'eth0 stays');
  t.equal((await sh("docker inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' web")).stdout, 'n1 \n');
  t.not((await sh(`docker run --rm --network n2 busybox ping -c1 -W1 ${eth1}`)).code, 0, 'the n2 address answers no more');
  t.equal((await sh("docker network inspect --format '{{len .Containers}}' n2")).stdout, '0\n');

  t.equal((await sh("docker network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'")).stdout, 'bridge bridge local\nhost host local\nn1 bridge local\nn2 bridge local\nnone null local\n');
  const ls = await ok(t, d, sh, 'docker network ls');
  t.match(ls, /^NETWORK ID +NAME +DRIVER +SCOPE\n/);
  t.match(ls, /^[0-9a-f]{12} +n1 +bridge +local$/m);
  const n1 = JSON.parse(await ok(t, d, sh, 'docker network inspect n1'))[0];
  const webId = (await sh("docker inspect --format '{{.Id}}' web")).stdout.trim();
  t.match(n1, { Name: 'n1', Driver: 'bridge', Scope: 'local', Internal: false, IPAM: { Driver: 'default', Config: [{ Subnet: /\/24$/ }] } });
  t.match(n1.Containers, { [webId]: { Name: 'web', IPv4Address: /^\d+\.\d+\.\d+\.\d+\/24$/, MacAddress: /^[0-9a-f:]{17}$/ } }, 'inspect n1 shows web under Containers');

  const busy = await sh('docker network rm n1');
  t.equal(busy.code, 1);
  t.match(busy.stderr, /Error response from daemon: error while removing network: network n1 .*has active endpoints \(name:"web" id:"[0-9a-f]{12}"\)/);
  await ok(t, d, sh, 'docker rm -f web');
  t.same(await sh('docker network rm n1'), { code: 0, stdout: 'n1\n', stderr: '' }, 'without web n1 goes');
  const missing = await sh('docker network rm n1');
  t.equal(missing.code, 1);
  t.match(missing.stderr, /network n1 not found/);

  await ok(t, d, sh, 'docker network create n3 && docker run -d --name keeper --network n3 busybox sleep 1000');
  const prune = await sh('docker network prune -f');
  t.equal(prune.code, 0, prune.stderr);
  t.equal(prune.stdout, 'Deleted Networks:\nn2\n\n', 'prune removes the unused network and keeps the one in use');
  t.equal((await sh("docker network ls --format '{{.Name}}'")).stdout, 'bridge\nhost\nn3\nnone\n');
  t.equal((await sh('docker network prune -f')).stdout, '', 'nothing more to prune');
  await ok(t, d, sh, 'docker rm -f keeper');
});

t.test('network create --subnet inside the daemon\'s pool, --ip, and --internal: no default route', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'net-cli-subnet');
  await ok(t, d, sh, 'docker network create probe');
  const [probeSubnet] = await subnetOf(sh, 'probe');
  const second = probeSubnet.split('.')[1]!; // the pool is 10.<second>.0.0/16
  await ok(t, d, sh, 'docker network rm probe');
  const subnet = `10.${second}.200.0/24`;
  await ok(t, d, sh, `docker network create --subnet ${subnet} --internal nint`);
  t.same(await subnetOf(sh, 'nint'), [subnet, `10.${second}.200.1`], 'the subnet asked for, the gateway its first address');
  t.equal((await sh("docker network inspect --format '{{.Internal}}' nint")).stdout, 'true\n');
  const overlap = await sh(`docker network create --subnet 10.${second}.200.0/25 clash`);
  t.equal(overlap.code, 1);
  t.match(overlap.stderr, /Pool overlaps with other one on this address space/);

  const routes = await ok(t, d, sh, 'docker run --rm --network nint busybox ip route');
  t.notMatch(routes, /^default/m, `no default route on an internal network: ${routes}`);
  t.match(routes, `10.${second}.200.0/24 dev eth0`);
  t.match(await ok(t, d, sh, `docker run --rm --network nint --ip 10.${second}.200.50 busybox ip addr show eth0`), `inet 10.${second}.200.50/24`, '--ip gives that address');
  await ok(t, d, sh, 'docker run -d --name inner --network nint busybox sleep 1000');
  t.equal((await sh('docker run --rm --network nint busybox ping -c1 -W2 inner')).code, 0, 'containers on an internal network reach each other by name');
  await ok(t, d, sh, `docker network create --subnet 10.${second}.201.0/24 outer`);
  t.match(await ok(t, d, sh, 'docker run --rm --network outer busybox ip route'), `default via 10.${second}.201.1 dev eth0`, 'a network that is not internal has the default route');
  await ok(t, d, sh, 'docker rm -f inner');
});

t.test('when containers and networks are gone, so are their veths and bridges on the host', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'net-cli-host');
  await ok(t, d, sh, 'docker network create n1 && docker network create n2');
  const bridgeOf = async (n: string) => `kbr-${(await sh(`docker network inspect --format '{{.Id}}' ${n}`)).stdout.trim().slice(0, 11)}`;
  const [br1, br2] = [await bridgeOf('n1'), await bridgeOf('n2')];
  const defaultBridge = (await sh("docker network inspect --format '{{index .Options \"com.docker.network.bridge.name\"}}' bridge")).stdout.trim();
  t.match(links(), new RegExp(`^${br1} `, 'm'), `n1's bridge ${br1} exists`);
  t.match(links(), new RegExp(`^${br2} `, 'm'), `n2's bridge ${br2} exists`);
  await ok(t, d, sh, 'docker run -d --name web --network n1 busybox sleep 1000 && docker run -d --name plain busybox sleep 1000');
  await ok(t, d, sh, 'docker network connect n2 web');
  await ok(t, d, sh, 'docker run --rm --network n2 busybox true');
  const veths = [...linksOn(br1), ...linksOn(br2), ...linksOn(defaultBridge)];
  t.equal(veths.length, 3, `one veth per endpoint: ${veths.join(' ')}`);
  for (const v of veths) t.match(v, /^kv[0-9a-f]{12}$/);
  await ok(t, d, sh, 'docker network disconnect n2 web');
  t.same(linksOn(br2), [], 'disconnect removes the veth');
  await ok(t, d, sh, 'docker rm -f web plain && docker network rm n1 n2');
  const left = links();
  for (const v of veths) t.notMatch(left, new RegExp(`^${v}[@ ]`, 'm'), `${v} is gone`);
  t.notMatch(left, new RegExp(`^${br1} `, 'm'), `${br1} is gone`);
  t.notMatch(left, new RegExp(`^${br2} `, 'm'), `${br2} is gone`);
  t.match(left, new RegExp(`^${defaultBridge} `, 'm'), 'the default bridge stays while kapald runs');
});

t.test('docker ps --filter network= lists only the containers on that network', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'net-cli-ps-filter');
  await ok(t, d, sh, 'docker network create n1 && docker network create n2');
  await ok(t, d, sh, 'docker run -d --name on1 --network n1 busybox sleep 1000 && docker run -d --name on2 --network n2 busybox sleep 1000 && docker run -d --name onb busybox sleep 1000');
  const names = async (filter: string) => (await sh(`docker ps --filter ${filter} --format '{{.Names}}'`)).stdout.split('\n').filter(Boolean).sort();
  t.same(await names('network=n1'), ['on1']);
  t.same(await names('network=n2'), ['on2']);
  t.same(await names('network=bridge'), ['onb']);
  const n1Id = (await sh("docker network inspect --format '{{.Id}}' n1")).stdout.trim();
  t.same(await names(`network=${n1Id}`), ['on1'], 'by network ID too');
  await ok(t, d, sh, 'docker network connect n1 onb');
  t.same(await names('network=n1'), ['on1', 'onb'], 'a connected container is on the network');
  await ok(t, d, sh, 'docker rm -f on1 on2 onb');
});

t.test('disconnecting the network a container\'s default route goes through moves the route (and the name server) to a network it is still on', { skip }, async (t) => {
  const { d, sh } = await setup(t, 'net-cli-gw-move');
  await ok(t, d, sh, 'docker network create n1 && docker network create n2');
  const [, n2Gateway] = await subnetOf(sh, 'n2');
  await ok(t, d, sh, 'docker run -d --name gw --network n1 busybox sleep 1000 && docker network connect n2 gw');
  await ok(t, d, sh, 'docker network disconnect n1 gw');
  const routes = await ok(t, d, sh, 'docker exec gw ip route');
  t.match(routes, new RegExp(`^default via ${n2Gateway.replace(/\./g, '\\.')} `, 'm'), `the default route goes through n2 now: ${routes}`);
  t.match(await ok(t, d, sh, 'docker exec gw cat /etc/resolv.conf'), new RegExp(`^nameserver ${n2Gateway.replace(/\./g, '\\.')}$`, 'm'), 'and the name server is n2\'s');
  await ok(t, d, sh, 'docker rm -f gw');
});

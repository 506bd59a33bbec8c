// migrations/0005: networks, endpoints and published ports, with the constraints IPAM relies on.
import path from 'node:path';
import t from 'tap';
import type { Network } from '../../src/domain/network.js';
import { openDatabase } from '../../src/store/database.js';
import { ContainerStore } from '../../src/store/container-store.js';
import { NetworkStore } from '../../src/store/network-store.js';
import { makeTempDir } from '../helpers/daemon.js';

const network = (id: string, name: string): Network => ({
  id, name, driver: 'bridge', bridge: `kbr-${id.slice(0, 11)}`, subnet: '10.1.0.0/24', gateway: '10.1.0.1', ipRange: null,
  internal: false, attachable: false, predefined: false, labels: { a: 'b' }, options: {}, createdAt: new Date().toISOString(),
});

t.test('networks, endpoints and addresses: one endpoint per network, one holder per address', async (t) => {
  const db = openDatabase(path.join(makeTempDir(t, 'nstore'), 'kapal.db'));
  t.teardown(() => db.close());
  const imageId = `sha256:${'f'.repeat(64)}`;
  db.prepare("INSERT INTO images (id, config, manifest_digest, size, created_at) VALUES (?, x'7b7d', 'sha256:x', 0, 'now')").run(imageId);
  const containers = new ContainerStore(db);
  const base = { imageId, imageName: 'busybox', config: {} as never, hostConfig: {} as never, createdAt: 'now', restartCount: 0, state: { status: 'created' as const, pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: null, finishedAt: null } };
  const [a, b] = ['aa'.repeat(32), 'bb'.repeat(32)];
  containers.insert({ ...base, id: a, name: '/a' });
  containers.insert({ ...base, id: b, name: '/b' });
  const store = new NetworkStore(db);
  const n = network('01'.repeat(32), 'n1');
  store.insert(n);
  t.same(store.byName('n1'), n);
  t.same(store.byIdPrefix('0101').map((x) => x.id), [n.id]);
  t.throws(() => store.insert(network('02'.repeat(32), 'n1')), { kind: 'Conflict', message: 'network with name n1 already exists' });

  const ea = store.addEndpoint(a, n.id, { Aliases: ['db'] }, { container: 'a', network: 'n1' });
  t.equal(ea.position, 0);
  t.throws(() => store.addEndpoint(a, n.id, {}, { container: 'a', network: 'n1' }), { kind: 'Forbidden', message: 'endpoint with name a already exists in network n1' });
  const eb = store.addEndpoint(b, n.id, {}, { container: 'b', network: 'n1' });
  store.setRuntime({ ...ea, endpointId: 'e1', ip: '10.1.0.2', mac: '02:00:00:00:00:01', hostIf: 'kv1', containerIf: 'eth0' });
  t.equal(store.lastAddress(n.id), '10.1.0.2');
  t.throws(() => store.setRuntime({ ...eb, endpointId: 'e2', ip: '10.1.0.2', mac: 'x', hostIf: 'kv2', containerIf: 'eth0' }), { kind: 'Forbidden', message: /Address already in use/ });
  t.same([...store.usedAddresses(n.id)], ['10.1.0.2']);
  store.release(a);
  t.same([...store.usedAddresses(n.id)], [], 'released when the container stops');
  t.same(store.endpointsOf(a)[0]!.config, { Aliases: ['db'] }, 'the endpoint itself stays');

  store.setPorts(a, [{ containerId: a, proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPort: 8080, containerIp: '10.1.0.2', bridge: 'kbr' }]);
  t.equal(store.allPorts().length, 1);
  containers.remove(a);
  t.same(store.endpointsOf(a), [], 'endpoints go with their container');
  t.same(store.portsOf(a), [], 'so do its ports');
  store.remove(n.id);
  t.equal(store.get(n.id), undefined);
  t.same(store.endpointsOf(b), [], 'removing a network drops the endpoints of stopped containers');
});

import t from 'tap';
import { formatSubnet, overlaps, parseSubnet, hostRange, ipToNumber, numberToIp } from '../../src/domain/ipv4.js';
import { DEFAULT_POOLS, nextAddress, pickSubnet } from '../../src/service/networks/ipam.js';
import { parsePortKey, portRequests } from '../../src/service/networks/port-bindings.js';

t.test('subnets parse to their network, and bad ones are refused', async (t) => {
  t.equal(formatSubnet(parseSubnet('10.1.2.3/24')), '10.1.2.0/24');
  t.equal(numberToIp(ipToNumber('255.254.0.1')), '255.254.0.1');
  for (const bad of ['10.1.2.0', '10.1.2.0/33', '300.1.1.1/8', 'x/8', '10.1.2/24']) t.throws(() => parseSubnet(bad), { kind: 'InvalidArgument' }, bad);
  t.ok(overlaps(parseSubnet('10.0.0.0/8'), parseSubnet('10.9.0.0/16')));
  t.notOk(overlaps(parseSubnet('10.1.0.0/16'), parseSubnet('10.2.0.0/16')));
  t.same(hostRange(parseSubnet('10.0.0.0/30')), { first: ipToNumber('10.0.0.1'), last: ipToNumber('10.0.0.2') });
});

t.test('a new network gets the first pool subnet that overlaps no other network or route', async (t) => {
  t.equal(formatSubnet(pickSubnet(DEFAULT_POOLS, [])), '172.17.0.0/16');
  t.equal(formatSubnet(pickSubnet(DEFAULT_POOLS, [parseSubnet('172.17.0.0/16'), parseSubnet('172.18.5.0/24')])), '172.19.0.0/16');
  t.equal(formatSubnet(pickSubnet([{ base: '10.5.0.0/16', size: 24 }], [parseSubnet('10.5.0.0/23')])), '10.5.2.0/24');
  t.throws(() => pickSubnet([{ base: '10.5.0.0/24', size: 24 }], [parseSubnet('10.0.0.0/8')]), { kind: 'Forbidden' });
});

t.test('addresses go out round-robin, skipping the gateway and used ones, inside the ip range', async (t) => {
  const s = parseSubnet('10.0.0.0/29'); // hosts .1-.6
  t.equal(nextAddress(s, s, '10.0.0.1', new Set(), null), '10.0.0.2');
  t.equal(nextAddress(s, s, '10.0.0.1', new Set(['10.0.0.3']), '10.0.0.2'), '10.0.0.4');
  t.equal(nextAddress(s, s, '10.0.0.1', new Set(), '10.0.0.6'), '10.0.0.2', 'wraps around after the last');
  t.equal(nextAddress(s, s, '10.0.0.1', new Set(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']), null), undefined, 'full');
  const big = parseSubnet('10.1.0.0/16');
  t.equal(nextAddress(big, parseSubnet('10.1.5.0/24'), '10.1.0.1', new Set(), null), '10.1.5.0');
  t.equal(nextAddress(big, parseSubnet('10.1.5.0/24'), '10.1.0.1', new Set(), '10.1.5.255'), '10.1.5.0');
});

t.test('port bindings: docker\'s keys, ranges, ephemeral ports, -P, and bad input', async (t) => {
  t.same(parsePortKey('80'), { proto: 'tcp', port: 80 });
  t.same(parsePortKey('53/udp'), { proto: 'udp', port: 53 });
  t.throws(() => parsePortKey('80/sctp'), /sctp/);
  t.throws(() => parsePortKey('0/tcp'), { kind: 'InvalidArgument' });
  t.throws(() => parsePortKey('http'), /invalid port specification/);
  t.same(portRequests({ '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, false, undefined), [
    { proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPorts: [8080] },
    { proto: 'udp', containerPort: 53, hostIp: '127.0.0.1', hostPorts: [0] },
  ]);
  t.same(portRequests({ '80/tcp': [{ HostPort: '8000-8002' }] }, false, undefined)[0]!.hostPorts, [8000, 8001, 8002]);
  t.same(portRequests({ '80/tcp': null }, true, { '80/tcp': {}, '443/tcp': {} }), [
    { proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPorts: [0] },
    { proto: 'tcp', containerPort: 443, hostIp: '0.0.0.0', hostPorts: [0] },
  ], '-P publishes the exposed ports not bound already');
  t.throws(() => portRequests({ '80/tcp': [{ HostIp: '::1', HostPort: '80' }] }, false, undefined), /IPv4/);
  t.throws(() => portRequests({ '80/tcp': [{ HostPort: '70000' }] }, false, undefined), /invalid hostPort/);
  t.throws(() => portRequests({ '80/tcp': [{ HostPort: '9-1' }] }, false, undefined), /invalid hostPort/);
});

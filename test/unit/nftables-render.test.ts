// The nftables script kapald feeds to `nft -f -`: the exact rules for a model, inputs that must
// never be rendered, and the real nft in check mode (-c, which changes nothing) accepting the script.

import { execFileSync } from 'node:child_process';
import t from 'tap';
import { checkRuleset, renderRuleset, tableName, type NftModel } from '../../src/runtime/network/nftables.js';

const invalid = { name: 'InvalidArgumentError' }; // a KapalError of kind InvalidArgument

const model: NftModel = {
  networks: [
    { bridge: 'br-0a1b2c3d', subnet: '172.18.0.0/16', internal: false },
    { bridge: 'br-internal', subnet: '10.99.0.0/24', internal: true },
  ],
  ports: [
    { proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, containerIp: '172.18.0.2', containerPort: 80, bridge: 'br-0a1b2c3d' },
    { proto: 'tcp', hostIp: '', hostPort: 8081, containerIp: '172.18.0.2', containerPort: 80, bridge: 'br-0a1b2c3d' },
    { proto: 'udp', hostIp: '192.168.1.5', hostPort: 53, containerIp: '172.18.0.3', containerPort: 5353, bridge: 'br-0a1b2c3d' },
    { proto: 'tcp', hostIp: '0.0.0.0', hostPort: 443, containerIp: '172.18.0.3', containerPort: 8443, bridge: 'br-0a1b2c3d' },
  ],
};

const expected = `table inet kapal_1a2b3c4d {}
delete table inet kapal_1a2b3c4d
table inet kapal_1a2b3c4d {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		iifname "br-0a1b2c3d" oifname "br-0a1b2c3d" accept
		iifname "br-internal" oifname "br-internal" accept
		oifname "br-0a1b2c3d" ct status dnat accept
		oifname "br-0a1b2c3d" drop
		oifname "br-internal" drop
		iifname "br-internal" drop
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 172.18.0.0/16 oifname != "br-0a1b2c3d" masquerade
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		meta nfproto ipv4 fib daddr type local jump ports
	}
	chain output {
		type nat hook output priority -100; policy accept;
		ip daddr != 127.0.0.0/8 fib daddr type local jump ports
	}
	chain ports {
		iifname != "br-0a1b2c3d" tcp dport 8081 dnat ip to 172.18.0.2:80
		ip daddr 192.168.1.5 iifname != "br-0a1b2c3d" udp dport 53 dnat ip to 172.18.0.3:5353
		iifname != "br-0a1b2c3d" tcp dport 443 dnat ip to 172.18.0.3:8443
	}
}
`;

const emptyChains = (table: string) => `table inet ${table} {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		meta nfproto ipv4 fib daddr type local jump ports
	}
	chain output {
		type nat hook output priority -100; policy accept;
		ip daddr != 127.0.0.0/8 fib daddr type local jump ports
	}
	chain ports {
	}
}
`;

t.test('table names are kapal_<tag> and only short lowercase alphanumeric tags are accepted', async (t) => {
  t.equal(tableName('1a2b3c4d'), 'kapal_1a2b3c4d');
  t.equal(tableName('a'.repeat(16)), `kapal_${'a'.repeat(16)}`);
  for (const bad of ['', 'A1', 'a-b', 'a b', 'a'.repeat(17), 'x;flush ruleset', 'ü']) {
    t.throws(() => tableName(bad), invalid, JSON.stringify(bad));
  }
});

t.test('two networks (one internal) and four ports render the exact ruleset; the loopback port is left to the proxy', async (t) => {
  t.equal(renderRuleset(tableName('1a2b3c4d'), model), expected);
});

t.test('an empty model renders the table with its chains and no per-network rules', async (t) => {
  t.equal(renderRuleset('kapal_e', { networks: [], ports: [] }),
    `table inet kapal_e {}\ndelete table inet kapal_e\n${emptyChains('kapal_e')}`);
});

t.test('every port in 127.0.0.0/8 is skipped, but still validated', async (t) => {
  const net = [{ bridge: 'br0', subnet: '172.20.0.0/16', internal: false }];
  const loop = (hostIp: string, containerIp = '172.20.0.2') =>
    ({ proto: 'tcp' as const, hostIp, hostPort: 80, containerIp, containerPort: 80, bridge: 'br0' });
  t.notMatch(renderRuleset('kapal_x', { networks: net, ports: [loop('127.0.0.1'), loop('127.1.2.3')] }), /dport/);
  t.throws(() => renderRuleset('kapal_x', { networks: net, ports: [loop('127.0.0.1', '172.20.0.999')] }), invalid);
});

t.test('invalid input throws before anything is rendered', async (t) => {
  const net = { bridge: 'br0', subnet: '172.20.0.0/16', internal: false };
  const p = { proto: 'tcp' as const, hostIp: '', hostPort: 80, containerIp: '172.20.0.2', containerPort: 80, bridge: 'br0' };
  const bad: [string, string, NftModel][] = [
    ['table name', 'filter', { networks: [], ports: [] }],
    ['table name with a script in it', 'kapal_x {}\nflush ruleset', { networks: [], ports: [] }],
    ['bridge with a quote', 'kapal_x', { networks: [{ ...net, bridge: 'br"0' }], ports: [] }],
    ['bridge with a space', 'kapal_x', { networks: [{ ...net, bridge: 'br 0' }], ports: [] }],
    ['bridge of 16 chars', 'kapal_x', { networks: [{ ...net, bridge: 'b'.repeat(16) }], ports: [] }],
    ['empty bridge', 'kapal_x', { networks: [{ ...net, bridge: '' }], ports: [] }],
    ['subnet without prefix', 'kapal_x', { networks: [{ ...net, subnet: '172.20.0.0' }], ports: [] }],
    ['subnet prefix 33', 'kapal_x', { networks: [{ ...net, subnet: '172.20.0.0/33' }], ports: [] }],
    ['subnet with host bits', 'kapal_x', { networks: [{ ...net, subnet: '172.20.0.1/16' }], ports: [] }],
    ['IPv6 subnet', 'kapal_x', { networks: [{ ...net, subnet: 'fd00::/64' }], ports: [] }],
    ['subnet with an octet of 256', 'kapal_x', { networks: [{ ...net, subnet: '172.256.0.0/16' }], ports: [] }],
    ['host IP with three octets', 'kapal_x', { networks: [net], ports: [{ ...p, hostIp: '10.0.0' }] }],
    ['host IP with a leading zero', 'kapal_x', { networks: [net], ports: [{ ...p, hostIp: '10.0.0.01' }] }],
    ['IPv6 host IP', 'kapal_x', { networks: [net], ports: [{ ...p, hostIp: '::' }] }],
    ['container IP with a trailing newline', 'kapal_x', { networks: [net], ports: [{ ...p, containerIp: '172.20.0.2\n' }] }],
    ['host port 0', 'kapal_x', { networks: [net], ports: [{ ...p, hostPort: 0 }] }],
    ['host port 65536', 'kapal_x', { networks: [net], ports: [{ ...p, hostPort: 65536 }] }],
    ['fractional container port', 'kapal_x', { networks: [net], ports: [{ ...p, containerPort: 80.5 }] }],
    ['protocol sctp', 'kapal_x', { networks: [net], ports: [{ ...p, proto: 'sctp' as 'tcp' }] }],
    ['port bridge with a semicolon', 'kapal_x', { networks: [net], ports: [{ ...p, bridge: 'br0;drop' }] }],
  ];
  for (const [what, table, m] of bad) t.throws(() => renderRuleset(table, m), invalid, what);
});

const nftUsable = (() => {
  if (process.getuid?.() !== 0) return 'needs root (nft -c talks to the kernel)';
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return 'nft is not installed';
  }
})();

t.test('the real nft accepts the rendered scripts in check mode', { skip: nftUsable === true ? false : nftUsable }, async (t) => {
  const table = tableName(`check${process.pid}`);
  const before = execFileSync('nft', ['list', 'tables']).toString();
  await t.resolves(checkRuleset(table, model), 'the full model');
  await t.resolves(checkRuleset(table, { networks: [], ports: [] }), 'the empty model');
  t.equal(execFileSync('nft', ['list', 'tables']).toString(), before, 'check mode created nothing');
});

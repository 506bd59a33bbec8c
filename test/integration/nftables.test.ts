// kapald's nftables table on the real kernel: applied, replaced atomically and deleted, and what
// it does to traffic between two bridges (each with one network namespace) that this test creates.
// Reachability is a TCP connect from a namespace (ping is not installed on the test machines).

import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { onExit } from 'signal-exit';
import t, { type Test } from 'tap';
import { applyRuleset, deleteTable, deleteTableSync, tableName, type NftModel } from '../../src/runtime/network/nftables.js';

const pid = process.pid;
const usable = process.getuid?.() === 0 ? false : 'needs root (nft, ip netns)';

const invalid = { name: 'InvalidArgumentError' }; // a KapalError of kind InvalidArgument
const nft = (...args: string[]) => execFileSync('nft', args).toString();
const tablesNamed = (table: string) => nft('list', 'tables').split('\n').filter((l) => l === `table inet ${table}`).length;
const quiet = (cmd: string, args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    // already gone
  }
};

/** Runs clean-up now and, should tap kill the file before teardowns run, at exit. */
function cleanUpOnTeardown(t: Test, cleanUp: () => void): void {
  const remove = onExit(() => cleanUp());
  t.teardown(() => {
    remove();
    cleanUp();
  });
}

t.test('the table is applied, replaced atomically and deleted; deleting a missing table is fine', { skip: usable }, async (t) => {
  const table = tableName(`test${pid}`);
  cleanUpOnTeardown(t, () => deleteTableSync(table));
  const first: NftModel = {
    networks: [{ bridge: `kfirst${pid}`, subnet: '10.251.250.0/24', internal: false }],
    ports: [{ proto: 'tcp', hostIp: '', hostPort: 18080, containerIp: '10.251.250.2', containerPort: 80, bridge: `kfirst${pid}` }],
  };
  await applyRuleset(table, first);
  let listed = nft('list', 'table', 'inet', table);
  t.match(listed, `iifname "kfirst${pid}" oifname "kfirst${pid}" accept`);
  t.match(listed, 'tcp dport 18080 dnat ip to 10.251.250.2:80');
  t.match(listed, 'ip saddr 10.251.250.0/24 oifname != ' + `"kfirst${pid}" masquerade`);

  await applyRuleset(table, {
    networks: [{ bridge: `ksecond${pid}`, subnet: '10.251.251.0/24', internal: true }],
    ports: [],
  });
  listed = nft('list', 'table', 'inet', table);
  t.equal(tablesNamed(table), 1, 'still one table');
  t.notMatch(listed, `kfirst${pid}`, 'nothing of the first model is left');
  t.notMatch(listed, 'dport', 'no ports');
  t.notMatch(listed, 'masquerade', 'an internal network is not masqueraded');
  t.match(listed, `iifname "ksecond${pid}" drop`);

  await applyRuleset(table, { networks: [], ports: [] });
  t.equal(tablesNamed(table), 1, 'the empty model leaves an empty table');

  await deleteTable(table);
  t.equal(tablesNamed(table), 0, 'deleted');
  await t.resolves(deleteTable(table), 'deleting it again is fine');
  t.doesNotThrow(() => deleteTableSync(table), 'and so is the synchronous variant');
  await t.rejects(applyRuleset(table, { networks: [{ bridge: 'bad name', subnet: '10.0.0.0/8', internal: false }], ports: [] }),
    invalid, 'invalid input rejects and nft is never run');
  t.equal(tablesNamed(table), 0);
});

/** Two bridges on the host, each with one namespace behind a veth; the host routes between them. */
function twoNetworks(t: Test) {
  const third = 10 + (pid % 120) * 2; // 10.251.<third>.0/24 and the next one: unlikely to meet another test's
  const side = (letter: 'a' | 'b', octet: number) => ({
    ns: `kapalnfttest-${letter}-${pid}`,
    bridge: `knf${letter}${pid}`,
    veth: `knfv${letter}${pid}`,
    peer: `knfp${letter}${pid}`,
    subnet: `10.251.${octet}.0/24`,
    gateway: `10.251.${octet}.1`,
    ip: `10.251.${octet}.2`,
  });
  const a = side('a', third);
  const b = side('b', third + 1);
  const forwardFile = '/proc/sys/net/ipv4/ip_forward';
  const forwardBefore = readFileSync(forwardFile, 'utf8').trim();
  cleanUpOnTeardown(t, () => {
    for (const s of [a, b]) {
      quiet('ip', ['netns', 'del', s.ns]); // takes the peer, and so the veth, with it
      quiet('ip', ['link', 'del', s.veth]);
      quiet('ip', ['link', 'del', s.bridge]);
    }
    writeFileSync(forwardFile, forwardBefore);
  });
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  for (const s of [a, b]) {
    ip('link', 'add', s.bridge, 'type', 'bridge');
    ip('addr', 'add', `${s.gateway}/24`, 'dev', s.bridge);
    ip('link', 'set', s.bridge, 'up');
    ip('netns', 'add', s.ns);
    ip('link', 'add', s.veth, 'type', 'veth', 'peer', 'name', s.peer, 'netns', s.ns);
    ip('link', 'set', s.veth, 'master', s.bridge, 'up');
    ip('-n', s.ns, 'link', 'set', 'lo', 'up');
    ip('-n', s.ns, 'addr', 'add', `${s.ip}/24`, 'dev', s.peer);
    ip('-n', s.ns, 'link', 'set', s.peer, 'up');
    ip('-n', s.ns, 'route', 'add', 'default', 'via', s.gateway);
  }
  writeFileSync(forwardFile, '1');
  return { a, b };
}

/** A TCP server in a namespace that answers "hi"; resolves once it listens. */
async function serve(t: Test, ns: string, ip: string, port: number): Promise<void> {
  const code = `require('net').createServer((s) => s.end('hi')).listen(${port}, '${ip}', () => console.log('ready'))`;
  const server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  // `ip netns exec` execs node in place, so this pid is the server's.
  t.teardown(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    server.stdout.once('data', () => resolve());
    server.once('exit', (c) => reject(new Error(`server in ${ns} exited (${c})`)));
  });
}

/** Whether a TCP connection from `ns` (or the host) to ip:port is answered within a second. */
function reaches(ns: string | null, ip: string, port: number): Promise<boolean> {
  const code = `const s = require('net').connect(${port}, '${ip}'); let got = '';
    s.on('data', (d) => (got += d)); s.on('end', () => process.exit(got === 'hi' ? 0 : 2));
    s.on('error', () => process.exit(3)); setTimeout(() => process.exit(4), 1000);`;
  const [cmd, args] = ns === null ? [process.execPath, ['-e', code]] : ['ip', ['netns', 'exec', ns, process.execPath, '-e', code]];
  return new Promise((resolve) => execFile(cmd, args, (err) => resolve(err === null)));
}

t.test('the table isolates two bridge networks and lets published ports through', { skip: usable }, async (t) => {
  const { a, b } = twoNetworks(t);
  const table = tableName(`iso${pid}`);
  cleanUpOnTeardown(t, () => deleteTableSync(table));
  await serve(t, b.ns, b.ip, 8000);

  t.ok(await reaches(a.ns, b.ip, 8000), 'without the table the host routes a to b');

  const model: NftModel = {
    networks: [
      { bridge: a.bridge, subnet: a.subnet, internal: false },
      { bridge: b.bridge, subnet: b.subnet, internal: false },
    ],
    ports: [{ proto: 'tcp', hostIp: '', hostPort: 18000, containerIp: b.ip, containerPort: 8000, bridge: b.bridge }],
  };
  await applyRuleset(table, model);
  t.notOk(await reaches(a.ns, b.ip, 8000), 'with the table a cannot reach b directly');
  t.ok(await reaches(a.ns, a.gateway, 18000), "a reaches b's published port through its own gateway (DNAT, then masquerade)");
  t.ok(await reaches(null, a.gateway, 18000), "the host reaches b's published port at a local address (the output chain)");

  await applyRuleset(table, { ...model, networks: [model.networks[0]!, { ...model.networks[1]!, internal: true }] });
  t.notOk(await reaches(a.ns, a.gateway, 18000), 'an internal network takes no published-port traffic');

  await deleteTable(table);
  t.ok(await reaches(a.ns, b.ip, 8000), 'once the table is gone a reaches b again');
});

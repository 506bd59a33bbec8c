import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { checkConflicts, ConfigError, parseHost, readConfigFile, resolveConfig } from '../../src/daemon/config.js';
import { parseFlags } from '../../src/daemon/flags.js';
import { makeTempDir } from '../helpers/daemon.js';

t.test('defaults are dockerd-like paths under kapal names', async (t) => {
  const c = resolveConfig('/etc/kapal/daemon.json', {}, {});
  t.same(c.hosts.map((h) => h.url), ['unix:///run/kapal/kapal.sock']);
  t.equal(c.dataRoot, '/var/lib/kapal');
  t.equal(c.execRoot, '/run/kapal');
  t.equal(c.pidfile, '/run/kapal/kapald.pid');
  t.equal(c.group, 'kapal');
  t.equal(c.groupRequired, false);
  t.equal(c.bridge, 'kapal0');
  t.equal(c.nftTable, 'kapal');
  t.equal(c.tls, undefined);
});

t.test('flags are parsed with dockerd names, short forms and repetition', async (t) => {
  const f = parseFlags([
    '-H', 'unix:///tmp/a.sock', '--host=unix:///tmp/b.sock', '--data-root', '/d', '--exec-root=/e', '-D',
    '--insecure-registry', '127.0.0.1:5000', '--registry-mirror', 'https://mirror.example', '-G', 'wheel',
    '--log-opt', 'max-size=10m', '--log-opt', 'max-file=3', '-b', 'kbr1', '--nft-table', 'kapal_test',
    '--config-file', '/tmp/x.json',
  ]);
  t.same(f.values.hosts, ['unix:///tmp/a.sock', 'unix:///tmp/b.sock']);
  t.equal(f.values['data-root'], '/d');
  t.equal(f.values['exec-root'], '/e');
  t.equal(f.values.debug, true);
  t.same(f.values['insecure-registries'], ['127.0.0.1:5000']);
  t.same(f.values['registry-mirrors'], ['https://mirror.example']);
  t.equal(f.values.group, 'wheel');
  t.same(f.values['log-opts'], { 'max-size': '10m', 'max-file': '3' });
  t.equal(f.values.bridge, 'kbr1');
  t.equal(f.configFile, '/tmp/x.json');
  t.equal(f.configFileExplicit, true);
  const c = resolveConfig(f.configFile, {}, f.values);
  t.equal(c.logLevel, 'debug');
  t.equal(c.groupRequired, true);
  t.equal(c.pidfile, '/e/kapald.pid');
});

t.test('a bad flag is one line naming it', async (t) => {
  t.throws(() => parseFlags(['--nope']), new ConfigError('unknown flag: --nope'));
  t.throws(() => parseFlags(['-H']), /flag needs an argument: --host$/);
  t.throws(() => parseFlags(['--bridge']), /flag needs an argument: --bridge$/);
  t.throws(() => parseFlags(['stray']), /unexpected argument: stray/);
  t.throws(() => parseFlags(['--log-opt', 'novalue']), /invalid value "novalue" for flag --log-opt/);
  t.throws(() => resolveConfig('f', {}, parseFlags(['--data-root', 'relative']).values), /data-root: must be an absolute path/);
  t.throws(() => resolveConfig('f', {}, parseFlags(['--bridge', 'a-name-that-is-far-too-long']).values), /bridge/);
  t.equal(resolveConfig('f', {}, parseFlags(['-b', 'none']).values).bridge, 'none', 'dockerd\'s -b none: no default bridge');
  t.throws(() => resolveConfig('f', {}, parseFlags(['-b', 'none', '--bip', '10.9.0.1/24']).values), /^You specified -b & --bip, mutually exclusive options\. Please specify only one$/);
  t.throws(() => resolveConfig('f', {}, parseFlags(['--nft-table', 'filter']).values), /nft-table: must start with kapal/, 'never another table');
  t.throws(() => parseFlags(['--default-address-pool', 'base=10.0.0.0/8']), /expected base=CIDR,size=N/);
  t.same(resolveConfig('f', {}, parseFlags(['--default-address-pool', 'base=10.10.0.0/16,size=24', '--mtu', '1400']).values).defaultAddressPools, [{ base: '10.10.0.0/16', size: 24 }]);
  t.throws(() => resolveConfig('f', {}, parseFlags(['--mtu', '20']).values), /mtu/);
});

t.test('hosts are unix, fd or tcp URLs', async (t) => {
  t.same(parseHost('unix:///run/x.sock'), { kind: 'unix', path: '/run/x.sock', url: 'unix:///run/x.sock' });
  t.same(parseHost('fd://'), { kind: 'fd', fd: undefined, url: 'fd://' });
  t.same(parseHost('fd://3'), { kind: 'fd', fd: 3, url: 'fd://3' });
  t.same(parseHost('tcp://127.0.0.1:2376'), { kind: 'tcp', host: '127.0.0.1', port: 2376, url: 'tcp://127.0.0.1:2376' });
  t.same(parseHost('tcp://[::1]:2376'), { kind: 'tcp', host: '::1', port: 2376, url: 'tcp://[::1]:2376' });
  for (const bad of ['unix://relative.sock', 'http://x', '/run/x.sock', 'tcp://host', 'tcp://h:99999', 'fd://x']) {
    t.throws(() => parseHost(bad), /invalid host/, bad);
  }
});

t.test('plain TCP is refused; TCP with --tlsverify and the three files is accepted', async (t) => {
  t.throws(
    () => resolveConfig('f', {}, { hosts: ['tcp://127.0.0.1:2375'] }),
    /refusing to listen on tcp:\/\/127\.0\.0\.1:2375 without TLS client authentication/,
  );
  t.throws(() => resolveConfig('f', {}, { hosts: ['tcp://127.0.0.1:2375'], tlsverify: true, tlscacert: '/ca.pem' }), /refusing/);
  const c = resolveConfig('f', {}, {
    hosts: ['tcp://127.0.0.1:2376'], tlsverify: true, tlscacert: '/ca.pem', tlscert: '/cert.pem', tlskey: '/key.pem',
  });
  t.same(c.tls, { ca: '/ca.pem', cert: '/cert.pem', key: '/key.pem' });
});

t.test('the config file uses daemon.json keys and refuses unknown ones', async (t) => {
  const dir = makeTempDir(t, 'config');
  const file = path.join(dir, 'daemon.json');
  writeFileSync(file, JSON.stringify({ 'data-root': '/srv/kapal', 'insecure-registries': ['r:5000'], debug: true, 'log-opts': { 'max-size': '1m' } }));
  const c = resolveConfig(file, readConfigFile(file, true), {});
  t.equal(c.dataRoot, '/srv/kapal');
  t.same(c.insecureRegistries, ['r:5000']);
  t.equal(c.debug, true);

  writeFileSync(file, JSON.stringify({ 'data-root': '/x', storage: 'overlay' }));
  t.throws(() => readConfigFile(file, true), /the following directives don't match any configuration option: storage/);
  writeFileSync(file, '{"debug": tru');
  t.throws(() => readConfigFile(file, true), /invalid JSON in config file/);
  writeFileSync(file, JSON.stringify({ hosts: 'unix:///x' }));
  t.throws(() => readConfigFile(file, true), /hosts: /);
});

t.test('a missing config file is fine by default and an error when named', async (t) => {
  const dir = makeTempDir(t, 'config-missing');
  t.same(readConfigFile(path.join(dir, 'none.json'), false), {});
  t.throws(() => readConfigFile(path.join(dir, 'none.json'), true), /unable to read config file/);
});

t.test('a key given as a flag and in the file is an error, as in dockerd', async (t) => {
  const flags = parseFlags(['-H', 'unix:///a.sock', '--debug']).values;
  t.throws(
    () => checkConflicts(flags, { hosts: ['unix:///b.sock'], 'data-root': '/x' }),
    /the following directives are specified both as a flag and in the configuration file: hosts: \(from flag: \["unix:\/\/\/a.sock"\], from file: \["unix:\/\/\/b.sock"\]\)/,
  );
  t.doesNotThrow(() => checkConflicts(flags, { 'data-root': '/x' }));
});

t.test('bounds: concurrent pulls, loads and layer downloads, and the default pids limit', async (t) => {
  const d = resolveConfig('f', {}, {});
  t.same([d.maxConcurrentDownloads, d.maxConcurrentPulls, d.maxConcurrentLoads, d.defaultPidsLimit], [3, 4, 2, 2048], 'the defaults');
  const f = parseFlags(['--max-concurrent-pulls', '1', '--max-concurrent-loads=3', '--max-concurrent-downloads', '5', '--default-pids-limit=-1']);
  const c = resolveConfig('f', {}, f.values);
  t.same([c.maxConcurrentDownloads, c.maxConcurrentPulls, c.maxConcurrentLoads], [5, 1, 3]);
  t.equal(c.defaultPidsLimit, 0, '-1 means none, as --pids-limit');
  t.equal(resolveConfig('f', { 'default-pids-limit': 0 }, {}).defaultPidsLimit, 0, '0 too');
  t.equal(parseFlags(['--default-pids-limit', '-1']).values['default-pids-limit'], -1, 'a negative value after the flag, as dockerd takes it');
  t.equal(resolveConfig('f', { 'default-pids-limit': 100 }, {}).defaultPidsLimit, 100, 'from daemon.json');
  t.throws(() => resolveConfig('f', { 'max-concurrent-loads': 0 }, {}), /max-concurrent-loads/, 'at least one');
  t.throws(() => resolveConfig('f', { 'default-pids-limit': -2 }, {}), /default-pids-limit/);
});

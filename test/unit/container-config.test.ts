import t from 'tap';
import { completeHostConfig, mergeConfig, mergeEnv } from '../../src/service/container-create-config.js';
import { unsupportedSettings } from '../../src/service/containers/unsupported.js';

const busybox = { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] };

t.test('request Env comes first, then image entries whose key the request does not set', async (t) => {
  t.same(mergeEnv(['A=1', 'PATH=/x'], ['PATH=/bin', 'B=2']), ['A=1', 'PATH=/x', 'B=2']);
  t.same(mergeEnv([], ['PATH=/bin']), ['PATH=/bin']);
  t.same(mergeEnv(['B'], ['B=2', 'C=3']), ['B', 'C=3'], 'a bare key replaces the image entry (it unsets at start)');
});

t.test('Cmd and Entrypoint follow moby merge', async (t) => {
  t.same(mergeConfig({ Image: 'b' }, busybox).Cmd, ['sh'], 'image Cmd when the request has none');
  const withEp = mergeConfig({ Image: 'b', Entrypoint: ['echo'] }, { ...busybox, Entrypoint: ['/init'] });
  t.same([withEp.Entrypoint, withEp.Cmd], [['echo'], null], 'a request Entrypoint drops the image Cmd');
  const emptyEp = mergeConfig({ Image: 'b', Entrypoint: [] }, { Cmd: ['x'], Entrypoint: ['/init'] });
  t.same([emptyEp.Entrypoint, emptyEp.Cmd], [[], ['x']], 'an empty Entrypoint stays empty and Cmd defaults');
  const reset = mergeConfig({ Image: 'b', Entrypoint: [''], Cmd: ['ls'] }, { Entrypoint: ['/init'] });
  t.same([reset.Entrypoint, reset.Cmd], [null, ['ls']], '--entrypoint "" resets the entrypoint');
  t.same(mergeConfig({ Image: 'b', Cmd: 'echo hi' }, {}).Cmd, ['echo hi'], 'a string command is one element');
});

t.test('nothing to run is docker\'s 400 no command specified', async (t) => {
  t.throws(() => mergeConfig({ Image: 'b' }, {}), { kind: 'InvalidArgument', message: 'no command specified' });
  t.throws(() => mergeConfig({ Image: 'b', Entrypoint: [''] }, {}), { message: 'no command specified' });
});

t.test('User, WorkingDir, StopSignal fall back to the image; Labels and ports are unions', async (t) => {
  const c = mergeConfig(
    { Image: 'b', Labels: { a: 'req' }, ExposedPorts: { '80/tcp': {} } },
    { Cmd: ['x'], User: 'nobody', WorkingDir: '/srv', StopSignal: 'SIGQUIT', Labels: { a: 'img', b: 'img' }, ExposedPorts: { '22/tcp': {} } },
  );
  t.equal(c.User, 'nobody');
  t.equal(c.WorkingDir, '/srv');
  t.equal(c.StopSignal, 'SIGQUIT');
  t.same(c.Labels, { a: 'req', b: 'img' });
  t.same(c.ExposedPorts, { '22/tcp': {}, '80/tcp': {} });
  t.equal(mergeConfig({ Image: 'b', User: 'root' }, { Cmd: ['x'], User: 'nobody' }).User, 'root');
});

t.test('HostConfig is completed with docker\'s defaults, empty values meaning default', async (t) => {
  const hc = completeHostConfig({ NetworkMode: 'default', LogConfig: { Type: '', Config: {} }, ShmSize: 0, MemorySwappiness: -1, PidsLimit: 0, AutoRemove: true });
  t.same(hc.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '5' } }, 'json-file, bounded by kapal');
  t.equal(hc.ShmSize, 67108864);
  t.equal(hc.MemorySwappiness, null);
  t.equal(hc.PidsLimit, null);
  t.equal(hc.AutoRemove, true);
  t.same(hc.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  t.equal(completeHostConfig(undefined).NetworkMode, 'bridge');
  t.throws(() => completeHostConfig({ LogConfig: { Type: 'syslog' } }), { kind: 'InvalidArgument' });
  t.throws(() => completeHostConfig({ AutoRemove: true, RestartPolicy: { Name: 'always' } }), /AutoRemove/);
});

t.test('settings kapal cannot honour yet: data and isolation ones are refused, the rest warned about', async (t) => {
  const base = mergeConfig({ Image: 'b' }, busybox);
  const cli = completeHostConfig({ Binds: null, Dns: [], DnsOptions: [], Ulimits: [], PidMode: '', IpcMode: '', CgroupnsMode: '', MemorySwappiness: -1, PidsLimit: 0, OomKillDisable: false, PortBindings: {} });
  t.same(unsupportedSettings(base, cli), [], 'what the docker CLI sends by default is fine');
  t.throws(() => unsupportedSettings(base, completeHostConfig({ VolumesFrom: ['other'] })), { kind: 'InvalidArgument', message: '--volumes-from is not supported by kapal yet' });
  t.throws(() => unsupportedSettings(base, completeHostConfig({ PidMode: 'host' })), { message: '--pid=host is not supported by kapal yet' });
  const warned = unsupportedSettings(base, completeHostConfig({ Memory: 67108864, PortBindings: { '80/tcp': [{ HostPort: '8080' }] }, RestartPolicy: { Name: 'always' }, BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1 }] }));
  t.match(warned, [/per-device block IO limits are not applied yet/]);
  t.notOk(warned.some((w) => /port|memory|restart/.test(w)), 'ports, memory limits and restart policies are applied: no warning');
});

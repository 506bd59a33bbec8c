// Mounts from docker's three ways of asking (Binds, Mounts, Tmpfs) and Config.Volumes, checked in
// moby's words.
import t from 'tap';
import { containerMounts, tmpfsOptions } from '../../src/domain/volume.js';

t.test('-v: host paths are binds, names are volumes; modes; the image\'s VOLUMEs become anonymous volumes', async (t) => {
  const m = containerMounts({ binds: ['/srv/data:/data:ro', 'cache:/cache', '/x:/y:rw,rshared'], volumes: { '/data': {}, '/var/lib/db': {} } });
  t.match(m, [
    { type: 'bind', source: '/srv/data', target: '/data', readonly: true, create: true, propagation: 'rprivate' },
    { type: 'volume', name: 'cache', target: '/cache', readonly: false, anonymous: false },
    { type: 'bind', source: '/x', target: '/y', readonly: false, propagation: 'rshared' },
    { type: 'volume', name: /^[0-9a-f]{64}$/, target: '/var/lib/db', anonymous: true },
  ]);
  t.equal(m.length, 4, '/data is a bind already: no anonymous volume for it');
});

t.test('--mount and --tmpfs, with docker\'s tmpfs defaults', async (t) => {
  t.match(containerMounts({ mounts: [{ Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true }, { Type: 'volume', Target: '/v' }, { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } }] }), [
    { type: 'bind', source: '/a', target: '/b', readonly: true, create: false },
    { type: 'volume', target: '/v', anonymous: true },
    { type: 'tmpfs', target: '/t', flags: ['noexec', 'nosuid', 'nodev'], data: 'size=1048576,mode=1777' },
  ]);
  t.same(tmpfsOptions('rw,exec,size=10m'), { flags: ['exec', 'nosuid', 'nodev', 'rw'], data: 'size=10m' });
  t.same(containerMounts({ tmpfs: { '/run': '' } }), [{ type: 'tmpfs', target: '/run', flags: ['noexec', 'nosuid', 'nodev'], data: '' }]);
});

t.test('bad mounts are refused with moby\'s words', async (t) => {
  const bad: [Parameters<typeof containerMounts>[0], string | RegExp][] = [
    [{ binds: ['/a'] }, "invalid volume specification: '/a'"],
    [{ binds: ['/a:/b:xx'] }, 'invalid mode: xx'],
    [{ binds: ['a b:/c'] }, /includes invalid characters for a local volume name/],
    [{ binds: ['/a:/'] }, "invalid specification: destination can't be '/'"],
    [{ binds: ['/a:/b', 'vol:/b'] }, 'Duplicate mount point: /b'],
    [{ mounts: [{ Type: 'bind', Target: '/b' }] }, 'invalid mount config for type "bind": field Source must not be empty'],
    [{ mounts: [{ Type: 'nfs', Target: '/b' }] }, 'invalid mount config for type "nfs": mount type unknown'],
    [{ mounts: [{ Type: 'tmpfs', Source: 'x', Target: '/b' }] }, 'invalid mount config for type "tmpfs": field Source must be empty'],
    [{ tmpfs: { '/t': 'size=1m,bogus' } }, 'invalid tmpfs option "bogus"'],
    [{ binds: ['/a:b'] }, 'invalid mount config: mount path must be absolute: b'],
  ];
  for (const [req, message] of bad) t.throws(() => containerMounts(req), { kind: 'InvalidArgument', message }, String(message));
});

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { resolveUsernsRemap } from '../../src/runtime/userns.js';
import { makeTempDir } from '../helpers/daemon.js';

function files(t: Parameters<Parameters<typeof t.test>[1]>[0], subuid: string, subgid: string) {
  const dir = makeTempDir(t, 'subid');
  const f = { passwd: path.join(dir, 'passwd'), group: path.join(dir, 'group'), subuid: path.join(dir, 'subuid'), subgid: path.join(dir, 'subgid') };
  writeFileSync(f.passwd, 'root:x:0:0::/root:/bin/sh\ndockremap:x:998:997::/:/bin/false\n');
  writeFileSync(f.group, 'root:x:0:\ndockremap:x:997:\nremapgrp:x:996:\n');
  writeFileSync(f.subuid, subuid);
  writeFileSync(f.subgid, subgid);
  return f;
}

t.test('default is dockremap; its ranges follow one another inside the container', async (t) => {
  const f = files(t, 'dockremap:100000:65536\nother:1:1\ndockremap:300000:1000\n', '997:200000:65536\n');
  const remap = resolveUsernsRemap('default', f);
  t.same(remap.uidMap, [{ inside: 0, outside: 100000, count: 65536 }, { inside: 65536, outside: 300000, count: 1000 }]);
  t.same(remap.gidMap, [{ inside: 0, outside: 200000, count: 65536 }], 'matched by the group id too');
  t.equal(remap.rootUid, 100000);
  t.equal(remap.rootGid, 200000);
});

t.test('user:group, numeric ids, and clear errors', async (t) => {
  const f = files(t, '4242:500000:65536\n', 'remapgrp:600000:65536\n');
  t.same(resolveUsernsRemap('4242:remapgrp', f).gidMap, [{ inside: 0, outside: 600000, count: 65536 }]);
  t.throws(() => resolveUsernsRemap('nosuchuser', f), /no user "nosuchuser"/);
  t.throws(() => resolveUsernsRemap('default', files(t, '', '')), /no range for dockremap/);
  t.throws(() => resolveUsernsRemap('4242:nosuchgroup', f), /no group "nosuchgroup"/);
});

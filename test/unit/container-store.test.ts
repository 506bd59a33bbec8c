import path from 'node:path';
import t from 'tap';
import type { Container } from '../../src/domain/container.js';
import { openDatabase } from '../../src/store/database.js';
import { ContainerStore } from '../../src/store/container-store.js';
import { makeTempDir } from '../helpers/daemon.js';

function container(id: string, name: string, imageId: string): Container {
  return {
    id,
    name,
    imageId,
    imageName: 'busybox',
    config: { Hostname: id.slice(0, 12), Env: [], Cmd: ['true'], Labels: {} } as never,
    hostConfig: { NetworkMode: 'none' } as never,
    createdAt: new Date().toISOString(),
    restartCount: 0,
    state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: null, finishedAt: null },
  };
}

t.test('containers are stored, found by name and prefix, and names are unique', async (t) => {
  const db = openDatabase(path.join(makeTempDir(t, 'cstore'), 'kapal.db'));
  t.teardown(() => db.close());
  const imageId = `sha256:${'f'.repeat(64)}`;
  db.prepare("INSERT INTO images (id, config, manifest_digest, size, created_at) VALUES (?, x'7b7d', 'sha256:x', 0, 'now')").run(imageId);
  const store = new ContainerStore(db);
  const a = container('ab'.repeat(32), '/web', imageId);
  store.insert(a);
  t.equal(store.byName('/web')?.id, a.id);
  t.same(store.byIdPrefix('abab').map((c) => c.id), [a.id]);
  t.same(store.imageInUse(imageId), { id: a.id, status: 'created' });
  t.throws(() => store.insert(container('cd'.repeat(32), '/web', imageId)), {
    kind: 'Conflict',
    message: `Conflict. The container name "/web" is already in use by container "${a.id}". You have to remove (or rename) that container to be able to reuse that name.`,
  });
  store.setState(a.id, { ...a.state, status: 'running', pid: 42, startedAt: 'then' });
  t.match(store.get(a.id)?.state, { status: 'running', pid: 42 });
  t.equal(store.counts().get('running'), 1);
  store.rename(a.id, '/api');
  t.equal(store.byName('/api')?.id, a.id);
  t.throws(() => db.prepare('DELETE FROM images WHERE id = ?').run(imageId), /FOREIGN KEY/, 'an image in use cannot be deleted');
  store.remove(a.id);
  t.equal(store.get(a.id), undefined);
});

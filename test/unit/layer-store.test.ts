// The layer store's staging directory is marked as the top of separate trees (chattr +T) where
// the file system has the flag, so ext4 places each layer's files in block groups of their own.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayerStore } from '../../src/images/layer-store.js';
import { markTopDirectory } from '../../src/runtime/libc.js';

const fsType = (dir: string) => execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
const attrs = (dir: string) => execFileSync('lsattr', ['-d', dir], { encoding: 'utf8' }).split(' ')[0]!;

t.test('on ext4 the staging directory gets the top-directory flag, at creation and on a data root that has one', { skip: fsType(tmpdir()) === 'ext2/ext3' ? false : `${tmpdir()} is not ext4` }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kapal-layer-store-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const store = new LayerStore(root);
  const staging = join(root, 'tmp');
  t.match(attrs(staging), /T/, 'new data root: marked');
  const layer = store.stage();
  t.ok(statSync(layer).isDirectory());
  t.notMatch(attrs(layer), /T/, 'the layers themselves are not marked');

  spawnSync('chattr', ['-T', staging]);
  t.notMatch(attrs(staging), /T/);
  new LayerStore(root);
  t.match(attrs(staging), /T/, 'existing data root: marked at the next start');
  t.equal(markTopDirectory(staging), true, 'marking twice is fine');
});

t.test('where the file system has no such flag, nothing fails', async (t) => {
  const dir = mkdtempSync('/dev/shm/kapal-layer-store-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(fsType(dir), 'tmpfs');
  t.equal(markTopDirectory(dir), false);
  t.doesNotThrow(() => new LayerStore(dir));
});

t.test('a symlink is not followed', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kapal-layer-store-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const target = mkdtempSync(join(tmpdir(), 'kapal-layer-store-target-'));
  t.teardown(() => rmSync(target, { recursive: true, force: true }));
  execFileSync('ln', ['-s', target, join(root, 'link')]);
  t.equal(markTopDirectory(join(root, 'link')), false, 'O_NOFOLLOW | O_DIRECTORY refuses the link');
  t.equal(markTopDirectory(join(root, 'missing')), false, 'nor does a missing directory throw');
  t.notMatch(attrs(target), /T/, 'its target is untouched');
});

// The hostile-layer corpus against the real unpacker, as root, on real files: for every case,
// nothing outside the layer directory changes, and the case is refused or stays contained.
import t, { type Test } from 'tap';
import { chmodSync, createReadStream, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKapalError } from '../../src/domain/errors.js';
import { unpackLayer } from '../../src/images/unpack/unpack-layer.js';
import { llistxattr, lsetxattr } from '../../src/runtime/libc.js';
import { generateMaliciousLayers, layout } from '../fixtures/malicious-layers.mjs';
import { changedPaths, snapshotTree } from '../helpers/tree-snapshot.js';

interface Inside {
  type: 'file' | 'directory' | 'symlink' | 'block-device' | 'absent';
  content?: string;
  linkname?: string;
  mode?: number;
  uid?: number;
  xattrs?: string[];
}

interface MaliciousCase {
  name: string;
  why: string;
  expect: 'refused' | 'contained';
  inside: Record<string, Inside>;
  file: string;
}

const workspace = mkdtempSync(join(tmpdir(), 'kapal-unpack-'));
t.teardown(() => rmSync(workspace, { recursive: true, force: true }));
const { dest, victims } = layout(workspace) as { dest: string; victims: string[] };

for (const victim of victims) {
  mkdirSync(join(victim, 'e'), { recursive: true });
  mkdirSync(join(victim, 'etc'));
  writeFileSync(join(victim, 'secret'), 'the secret\n', { mode: 0o600 });
  writeFileSync(join(victim, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
  lsetxattr(join(victim, 'secret'), 'user.victim', Buffer.from('1'));
}

const cases = (await generateMaliciousLayers({ workspace, outDir: join(workspace, 'layers') })) as MaliciousCase[];

t.test('the corpus has at least 20 hostile layers', async (t) => {
  t.ok(cases.length >= 20, `${cases.length} cases`);
});

function checkInside(t: Test, rel: string, want: Inside): void {
  const path = join(dest, rel);
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (want.type === 'absent') {
    t.equal(st, undefined, `${rel} is absent`);
    return;
  }
  if (!st) {
    t.fail(`${rel} exists in dest`);
    return;
  }
  const type = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isBlockDevice() ? 'block-device' : 'other';
  t.equal(type, want.type, `${rel} is a ${want.type}`);
  if (want.content !== undefined) t.equal(readFileSync(path, 'utf8'), want.content, `${rel} holds ${JSON.stringify(want.content)}`);
  if (want.linkname !== undefined) t.equal(readlinkSync(path), want.linkname, `${rel} points at ${want.linkname}`);
  if (want.mode !== undefined) t.equal((st.mode & 0o7777).toString(8), want.mode.toString(8), `${rel} has mode ${want.mode.toString(8)}`);
  if (want.uid !== undefined) t.equal(st.uid, want.uid, `${rel} is owned by ${want.uid}`);
  if (want.xattrs !== undefined) t.same(llistxattr(path), want.xattrs, `${rel} carries exactly these xattrs`);
}

for (const c of cases) {
  t.test(`${c.name}: ${c.why} (${c.expect})`, async (t) => {
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest);
    chmodSync(dest, 0o700);
    const before = snapshotTree(workspace, [dest]);

    let error: unknown;
    try {
      await unpackLayer(createReadStream(c.file), dest);
    } catch (err) {
      error = err;
    }

    t.same(changedPaths(before, snapshotTree(workspace, [dest])), [], 'nothing outside dest changed');
    t.equal((lstatSync(dest).mode & 0o7777).toString(8), '700', 'dest keeps the mode its creator gave it');
    if (c.expect === 'refused') {
      t.ok(isKapalError(error) && error.kind === 'InvalidArgument', `refused as an invalid layer: ${String(error)}`);
      return;
    }
    t.equal(error, undefined, 'unpacked');
    for (const [rel, want] of Object.entries(c.inside)) checkInside(t, rel, want);
  });
}

t.test('the generator is deterministic', async (t) => {
  const again = (await generateMaliciousLayers({ workspace, outDir: join(workspace, 'layers-again') })) as MaliciousCase[];
  t.equal(again.length, cases.length);
  for (const [i, c] of cases.entries()) t.ok(readFileSync(c.file).equals(readFileSync(again[i]!.file)), `${c.name} is byte-identical`);
});

// unpackLayer on real files as root: what a layer holds comes out intact, compressed or not, with
// the right digests; whiteouts become overlayfs whiteouts that a real overlay mount honours.
import t, { type Test } from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { isKapalError } from '../../src/domain/errors.js';
import type { UnpackNote } from '../../src/images/unpack/layer-entry.js';
import { unpackLayer } from '../../src/images/unpack/unpack-layer.js';
import { lgetxattr } from '../../src/runtime/libc.js';

const T1 = 1_600_000_000;
const T2 = 1_700_000_000;
const LONG_NAME = `deep/${'n'.repeat(150)}`;

type Entry = Parameters<tar.Pack['entry']>[0] & { data?: string | Buffer; pax?: Record<string, string> };

async function packTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const out = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of pack) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  })();
  for (const { data, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      const full = { mtime: new Date(T2 * 1000), ...header };
      if (data !== undefined) pack.entry(full, typeof data === 'string' ? Buffer.from(data) : data, done);
      else pack.entry(full, done);
    });
  }
  pack.finalize();
  return out;
}

function workspace(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'kapal-unpack-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh layer directory as kapald makes one: 0700, root-owned. */
function layerDir(ws: string, name: string): string {
  const dir = join(ws, name);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const zstd = (data: Buffer) => execFileSync('zstd', ['-q', '-c'], { input: data, maxBuffer: 1 << 30 });
const modeOf = (path: string) => (lstatSync(path).mode & 0o7777).toString(8);

const NORMAL_LAYER: Entry[] = [
  { name: 'etc/', type: 'directory', mode: 0o755, mtime: new Date(T1 * 1000) },
  { name: 'etc/hostname', mode: 0o644, data: 'kapal\n' },
  { name: 'etc/tagged', mode: 0o644, data: 'x', pax: { 'SCHILY.xattr.user.kapal': '1' } },
  { name: 'usr/bin/su', mode: 0o4755, uid: 0, gid: 0, data: '#!/bin/sh\n' },
  { name: 'usr/bin/both', mode: 0o6755, uid: 1000, gid: 1000, data: '#!/bin/sh\n' },
  { name: 'usr/bin/su-again', type: 'link', linkname: 'usr/bin/su' },
  { name: 'bin', type: 'symlink', linkname: 'usr/bin' },
  { name: 'home/kapal/', type: 'directory', mode: 0o700, uid: 1000, gid: 1000 },
  { name: 'home/kapal/.profile', mode: 0o600, uid: 1000, gid: 1000, data: 'export PS1=$\n' },
  { name: 'tmp/', type: 'directory', mode: 0o1777 },
  { name: 'run/fifo', type: 'fifo', mode: 0o600 },
  { name: 'dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 },
  { name: 'dev/loop0', type: 'block-device', mode: 0o660, devmajor: 7, devminor: 0 },
  { name: LONG_NAME, mode: 0o644, data: 'long' },
  { name: 'precise', mode: 0o644, data: 'p', pax: { mtime: `${T1}.5` } },
];

t.test('a normal layer round-trips: files, dirs, links, owners, setuid, devices, long names, xattrs, mtimes', async (t) => {
  const ws = workspace(t);
  const dest = layerDir(ws, 'layer');
  const layer = await packTar(NORMAL_LAYER);
  const notes: UnpackNote[] = [];

  const result = await unpackLayer(Readable.from([layer]), dest, { onNote: (n) => notes.push(n) });

  // Regular files only: hardlinks, symlinks, directories and devices add no bytes.
  const fileBytes = NORMAL_LAYER.filter((e) => (e.type ?? 'file') === 'file').reduce((n, e) => n + Buffer.byteLength(e.data ?? ''), 0);
  t.same(result, { diffId: sha256(layer), compressed: 'none', digest: sha256(layer), size: layer.length, unpackedSize: fileBytes });
  t.same(notes, [], 'nothing skipped');
  const at = (rel: string) => join(dest, rel);
  t.equal(readFileSync(at('etc/hostname'), 'utf8'), 'kapal\n');
  t.equal(modeOf(at('etc')), '755');
  t.equal(lstatSync(at('etc')).mtimeMs, T1 * 1000, 'a directory keeps its mtime though entries were added to it later');
  t.equal(lstatSync(at('etc/hostname')).mtimeMs, T2 * 1000);
  t.equal(lstatSync(at('precise')).mtimeMs, T1 * 1000 + 500, 'PAX sub-second mtime');
  t.equal(lgetxattr(at('etc/tagged'), 'user.kapal')?.toString(), '1', 'xattr from SCHILY.xattr');

  const su = lstatSync(at('usr/bin/su'));
  t.same([su.uid, su.gid, modeOf(at('usr/bin/su'))], [0, 0, '4755'], 'setuid root file');
  const both = lstatSync(at('usr/bin/both'));
  t.same([both.uid, both.gid, modeOf(at('usr/bin/both'))], [1000, 1000, '6755'], 'setuid+setgid survive the chown');
  t.same([modeOf(at('usr')), lstatSync(at('usr')).uid], ['755', 0], 'a missing parent is made 0755 root');
  t.equal(lstatSync(at('usr/bin/su-again')).ino, su.ino, 'hardlink shares the inode');
  t.equal(lstatSync(at('usr/bin/su')).nlink, 2);
  t.equal(readlinkSync(at('bin')), 'usr/bin');

  const home = lstatSync(at('home/kapal'));
  t.same([home.uid, home.gid, modeOf(at('home/kapal'))], [1000, 1000, '700']);
  t.equal(lstatSync(at('home/kapal/.profile')).uid, 1000);
  t.equal(modeOf(at('tmp')), '1777', 'sticky bit');
  t.ok(lstatSync(at('run/fifo')).isFIFO(), 'FIFO');
  const devNull = lstatSync(at('dev/null'));
  t.ok(devNull.isCharacterDevice(), 'character device');
  t.equal(devNull.rdev, (1 << 8) | 3, 'device 1:3');
  t.equal(modeOf(at('dev/null')), '666');
  t.ok(lstatSync(at('dev/loop0')).isBlockDevice(), 'block device');
  t.equal(lstatSync(at('dev/loop0')).rdev, 7 << 8, 'device 7:0');
  t.equal(readFileSync(at(LONG_NAME), 'utf8'), 'long', 'a 155-byte PAX name');
  t.equal(modeOf(dest), '700', 'the layer directory keeps its own mode');
});

t.test('gzip and zstd versions give the diffId of the plain tar; digest and size describe the bytes as given', async (t) => {
  const ws = workspace(t);
  const plain = await packTar(NORMAL_LAYER);
  const plainResult = await unpackLayer(Readable.from([plain]), layerDir(ws, 'plain'));
  for (const [kind, bytes] of [['gzip', gzipSync(plain)], ['zstd', zstd(plain)]] as const) {
    const dest = layerDir(ws, kind);
    const result = await unpackLayer(Readable.from([bytes]), dest);
    t.same(result, { diffId: plainResult.diffId, compressed: kind, digest: sha256(bytes), size: bytes.length, unpackedSize: plainResult.unpackedSize }, kind);
    t.equal(readFileSync(join(dest, LONG_NAME), 'utf8'), 'long', `${kind}: content unpacked`);
  }
});

t.test('a zstd stream of several frames, with a skippable one, unpacks to the same diffId (zstd CLI)', async (t) => {
  const ws = workspace(t);
  const plain = await packTar(NORMAL_LAYER);
  const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0]), Buffer.from('abc')]);
  const half = Math.floor(plain.length / 2);
  const framed = Buffer.concat([skippable, zstd(plain.subarray(0, half)), skippable, zstd(plain.subarray(half))]);
  const result = await unpackLayer(Readable.from([framed]), layerDir(ws, 'layer'));
  t.same([result.compressed, result.diffId], ['zstd', sha256(plain)]);
});

t.test('a large file streams through in small chunks and arrives whole', async (t) => {
  const ws = workspace(t);
  const big = Buffer.alloc(24 << 20);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
  const plain = await packTar([{ name: 'big', data: big }]);
  const zst = zstd(plain);
  const chunks = function* () {
    for (let i = 0; i < zst.length; i += 16 << 10) yield zst.subarray(i, i + (16 << 10));
  };
  const dest = layerDir(ws, 'layer');
  const result = await unpackLayer(Readable.from(chunks()), dest);
  t.equal(result.diffId, sha256(plain));
  t.ok(readFileSync(join(dest, 'big')).equals(big), 'content intact');
});

t.test('a zstd frame asking for a window above 64 MiB is refused before the decoder allocates it', async (t) => {
  const ws = workspace(t);
  const frame = (windowLog: number) => Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (windowLog - 10) << 3, 0x01, 0x00, 0x00]);
  for (const windowLog of [27, 31]) {
    await t.rejects(unpackLayer(Readable.from([frame(windowLog)]), layerDir(ws, `w${windowLog}`)), { kind: 'InvalidArgument', message: /window/ }, `2^${windowLog}`);
  }
  const single = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x00, 0x08, 0x01, 0x00, 0x00]); // single segment, content size 128 MiB
  await t.rejects(unpackLayer(Readable.from([single]), layerDir(ws, 'single')), { kind: 'InvalidArgument', message: /window/ }, 'single segment');
});

t.test('a layer cut short is refused, whatever its compression', async (t) => {
  const ws = workspace(t);
  const plain = await packTar(NORMAL_LAYER);
  const gz = gzipSync(plain);
  const zst = zstd(plain);
  const cuts: Array<[string, Buffer]> = [
    ['plain, inside an entry', plain.subarray(0, 700)],
    ['plain, inside a header', plain.subarray(0, 1024 + 100)],
    ['gzip', gz.subarray(0, gz.length - 8)],
    ['zstd', zst.subarray(0, Math.floor(zst.length / 2))],
    ['empty input', Buffer.alloc(0)],
  ];
  for (const [what, bytes] of cuts) {
    const err = await unpackLayer(Readable.from([bytes]), layerDir(ws, what.replace(/\W+/g, '-'))).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(isKapalError(err) && err.kind === 'InvalidArgument', `${what}: ${String(err)}`);
  }
});

t.test('an entry replaces what an earlier one left at its path; a directory over a directory keeps its contents', async (t) => {
  const ws = workspace(t);
  const dest = layerDir(ws, 'layer');
  await unpackLayer(
    Readable.from([
      await packTar([
        { name: 'd/', type: 'directory', mode: 0o755 },
        { name: 'd/child', data: 'c' },
        { name: 'd/', type: 'directory', mode: 0o750, uid: 7 },
        { name: 'f/', type: 'directory' },
        { name: 'f/gone', data: 'g' },
        { name: 'f', data: 'now a file' },
        { name: 'l', type: 'symlink', linkname: 'd' },
        { name: 'l', type: 'fifo' },
      ]),
    ]),
    dest,
  );
  t.equal(readFileSync(join(dest, 'd/child'), 'utf8'), 'c', 'directory kept');
  t.same([modeOf(join(dest, 'd')), lstatSync(join(dest, 'd')).uid], ['750', 7], 'its metadata updated');
  t.equal(readFileSync(join(dest, 'f'), 'utf8'), 'now a file', 'a directory replaced by a file');
  t.ok(lstatSync(join(dest, 'l')).isFIFO(), 'a symlink replaced by a FIFO');
});

t.test('skipped entries and xattrs that cannot be kept are reported as notes, never silently', async (t) => {
  const ws = workspace(t);
  const dest = layerDir(ws, 'layer');
  const layer = Buffer.from(
    await packTar([
      { name: 'sparse', data: 'x' },
      { name: 'link', type: 'symlink', linkname: 'sparse', pax: { 'SCHILY.xattr.user.on-a-symlink': '1' } },
      { name: 'binary', data: 'x', pax: { 'SCHILY.xattr.user.bytes': '\u0001\u0000\u0002A' } },
      { name: 'lossy', data: 'x', pax: { 'SCHILY.xattr.user.lossy': 'AA\u00e9' } },
    ]),
  );
  layer[156] = 'S'.charCodeAt(0); // GNU sparse: a type tar-stream does not know
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : layer[i]!;
  layer.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  const e9 = layer.indexOf(Buffer.from('user.lossy=AA\u00e9')) + 'user.lossy=AA'.length;
  layer.set([0xff, 0xfe], e9); // not UTF-8: tar-stream turns it into U+FFFD
  const notes: UnpackNote[] = [];

  await unpackLayer(Readable.from([layer]), dest, { onNote: (n) => notes.push(n) });

  t.same(
    notes.map((n) => [n.level, n.entry]),
    [
      ['warn', 'sparse'],
      ['warn', 'link'],
      ['warn', 'lossy'],
    ],
    notes.map((n) => n.message).join('; '),
  );
  t.equal(existsSync(join(dest, 'sparse')), false, 'the unknown entry was skipped');
  t.equal(lgetxattr(join(dest, 'binary'), 'user.bytes')?.toString('hex'), '01000241', 'a value that is valid UTF-8 is kept byte for byte');
  t.equal(lgetxattr(join(dest, 'lossy'), 'user.lossy'), undefined, 'a value the tar reader altered is not written');
});

t.test('whiteouts become overlayfs whiteouts and an opaque directory, and a real overlay mount honours them', async (t) => {
  const ws = mkdtempSync(join(tmpdir(), 'kapal-unpack-'));
  const merged = join(ws, 'merged');
  let mounted = false;
  t.teardown(() => {
    if (mounted && spawnSync('umount', [merged]).status !== 0) execFileSync('umount', ['--lazy', merged]);
    rmSync(ws, { recursive: true, force: true });
  });
  const lower = layerDir(ws, 'lower');
  const upper = layerDir(ws, 'upper');
  await unpackLayer(
    Readable.from([
      await packTar([
        { name: 'a/keep', data: 'k' },
        { name: 'a/gone', data: 'g' },
        { name: 'dir/old', data: 'o' },
        { name: 'x/sub/f', data: 'f' },
        { name: 'top', data: 't' },
        { name: 'b/', type: 'directory' },
      ]),
    ]),
    lower,
  );
  await unpackLayer(
    Readable.from([
      await packTar([
        { name: 'a/.wh.gone', data: '' },
        { name: 'dir/.wh..wh..opq', data: '' },
        { name: 'dir/new', data: 'n' },
        { name: 'x/.wh.sub', data: '' },
        { name: '.wh.top', data: '' },
        { name: 'b/tmp', data: 'made, then whited out in the same layer' },
        { name: 'b/.wh.tmp', data: '' },
      ]),
    ]),
    upper,
  );

  const names = readdirSync(upper, { recursive: true, encoding: 'utf8' });
  t.same(names.filter((n) => n.includes('.wh.')), [], 'no .wh. file is created as itself');
  for (const rel of ['a/gone', 'x/sub', 'top', 'b/tmp']) {
    const st = lstatSync(join(upper, rel));
    t.ok(st.isCharacterDevice() && st.rdev === 0, `${rel} is a 0:0 character device`);
  }
  t.equal(lgetxattr(join(upper, 'dir'), 'trusted.overlay.opaque')?.toString(), 'y', 'dir is opaque');

  mkdirSync(merged);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${upper}:${lower}`, merged]);
  mounted = true;
  t.same(readdirSync(join(merged, 'a')), ['keep'], 'a/gone is hidden');
  t.same(readdirSync(join(merged, 'dir')), ['new'], 'the opaque dir hides what lay below it');
  t.same(readdirSync(join(merged, 'x')), [], 'x/sub is hidden');
  t.same(readdirSync(join(merged, 'b')), [], 'b/tmp is hidden');
  t.equal(existsSync(join(merged, 'top')), false, 'top is hidden');
  t.equal(readFileSync(join(merged, 'a/keep'), 'utf8'), 'k');
  execFileSync('umount', [merged]);
  mounted = false;
  t.equal(spawnSync('mountpoint', ['-q', merged]).status === 0, false, 'unmounted');
});

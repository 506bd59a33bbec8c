// A full disk under a real kapald: data-root on a small loop-mounted ext4 of the test's own,
// filled to the last block. Requests that need space fail with moby's "no space left on device"
// text and leave nothing half-made, kapald and the shims keep going, the database stays intact,
// and everything works again once space is freed, also after a restart.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { makeTempDir, ROOT, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { create, demux, hijack, inspect, loadBusybox, logs, run, waitFor } from '../helpers/containers.js';
import { dockerShell } from '../helpers/docker-cli.js';

const json = { 'Content-Type': 'application/json' };
const tar = { 'Content-Type': 'application/x-tar' };
const NO_SPACE = /no space left on device/;
/** A write the database refused: SQLite's words for the same thing. */
const FULL = /no space left on device|write kapal\.db: database or disk is full/;

function sh(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function must(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.out}`);
  return r.out;
}

/** The loop devices backed by `image` (`losetup -j`). */
function loopsOf(image: string): string[] {
  return sh('losetup', ['-j', image]).out.split('\n').filter(Boolean).map((l) => l.slice(0, l.indexOf(':')));
}

function isMounted(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Unmounts `dir` and detaches every loop device of `image`; true when none is left. A daemon's
 * own teardown may already have detached the mount lazily; the loop device then goes with it.
 */
async function unmountSmallFs(dir: string, image: string): Promise<boolean> {
  for (let i = 0; i < 100 && isMounted(dir); i++) if (sh('umount', [dir]).code !== 0) await pause(50);
  if (isMounted(dir)) sh('umount', ['-l', dir]);
  for (let i = 0; i < 100; i++) {
    const loops = loopsOf(image);
    if (loops.length === 0) return true;
    for (const loop of loops) sh('losetup', ['-d', loop]);
    await pause(50);
  }
  return loopsOf(image).length === 0;
}

/** Zeros into DIR/name until the file system refuses (as root: the reserved blocks go too). */
function fill(dir: string, name: string): void {
  const r = sh('dd', ['if=/dev/zero', `of=${path.join(dir, name)}`, 'bs=1M']);
  if (!/No space left on device/.test(r.out)) throw new Error(`dd did not fill ${dir}: ${r.out}`);
  sh('dd', ['if=/dev/zero', `of=${path.join(dir, `${name}.tail`)}`, 'bs=1k']); // the last partial megabyte
  sh('sync', ['-f', dir]);
}

function integrity(dbFile: string): string {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

const names = (dir: string) => readdirSync(dir).sort();

/** What the image store holds on disk: blobs, unpacked layers, staging. */
function imageFiles(dataRoot: string): { blobs: string[]; layers: string[]; tmp: string[] } {
  const images = path.join(dataRoot, 'images');
  return { blobs: names(path.join(images, 'blobs/sha256')), layers: names(path.join(images, 'layers')), tmp: names(path.join(images, 'tmp')) };
}

/** A second image, bigger than busybox and sharing no layer with it: busybox with 8 MB of noise appended. */
function buildBigImage(t: Parameters<typeof makeTempDir>[0]): string {
  const dir = makeTempDir(t, 'diskfull-big');
  const binary = path.join(dir, 'busybox');
  copyFileSync('/usr/bin/busybox', binary);
  appendFileSync(binary, randomBytes(8 << 20));
  const out = path.join(dir, 'out');
  execFileSync(process.execPath, [path.join(ROOT, 'test/fixtures/build-busybox-image.mjs'), out, '--busybox', binary, '--tag', 'big:latest'], { stdio: 'ignore' });
  return path.join(out, 'busybox.tar');
}

const shimLogOf = (d: TestDaemon, id: string) => path.join(d.execRoot, 'containers', id, 'shim.log');

async function imageTags(d: TestDaemon): Promise<string[]> {
  return ((await d.request('GET', '/images/json')).json() as { RepoTags: string[] | null }[]).flatMap((i) => i.RepoTags ?? []).sort();
}

async function containerNames(d: TestDaemon): Promise<string[]> {
  return ((await d.request('GET', '/containers/json?all=1')).json() as { Names: string[] }[]).map((c) => c.Names[0]!).sort();
}

t.test('a full data-root: clear errors, nothing half-made, an intact database, and all works again once space is freed', async (t) => {
  const dir = makeTempDir(t, 'diskfull');
  const image = path.join(dir, 'fs.img');
  const dataRoot = path.join(dir, 'data');
  mkdirSync(dataRoot);
  // Registered before anything can fail; teardowns run last-registered first, so this one runs
  // after the daemons' (which kill the containers) and before the temp dir's removal.
  t.teardown(() => unmountSmallFs(dataRoot, image));
  must('truncate', ['-s', '64M', image]);
  must('mkfs.ext4', ['-q', image]);
  must('mount', ['-o', 'loop', image, dataRoot]);
  const bigArchive = buildBigImage(t);

  let d = await startDaemon(t, 'diskfull', { dir });
  t.equal(d.dataRoot, dataRoot, 'kapald runs on the small file system');
  const docker = dockerShell(t, d);
  await loadBusybox(t, d);
  t.equal((await run(d, { Cmd: ['echo', 'before'] })).stdout, 'before\n');
  const kept = await create(d, { Cmd: ['true'] }, 'kept');
  await d.request('POST', '/volumes/create', { body: JSON.stringify({ Name: 'keptvol' }), headers: json });
  // A container that answers every line on its stdin, attached before the disk fills.
  const echoer = await create(d, { Cmd: ['sh', '-c', 'while read l; do echo "got $l"; done'], OpenStdin: true }, 'echoer');
  t.equal((await d.request('POST', `/containers/${echoer}/start`)).status, 204);
  const attach = await hijack(d.socket, `/containers/${echoer}/attach?stream=1&stdin=1&stdout=1`);
  attach.socket.write('first\n');
  await waitFor(() => demux(attach.output()).stdout === 'got first\n', 10_000, 'the first answer');
  const victim = await create(d, { Cmd: ['sleep', '1000'] }, 'victim');
  t.equal((await d.request('POST', `/containers/${victim}/start`)).status, 204);
  const other = await create(d, { Cmd: ['sleep', '1000'] }, 'other');
  t.equal((await d.request('POST', `/containers/${other}/start`)).status, 204);
  let killedWait: Promise<{ json(): any }> | undefined;
  const containerDirs = names(path.join(dataRoot, 'containers'));
  const namesBefore = await containerNames(d);
  const imagesBefore = imageFiles(dataRoot);

  fill(dataRoot, 'filler');

  await t.test('a create fails with the reason and leaves no container', async (t) => {
    const res = await d.request('POST', '/containers/create?name=full1', { body: JSON.stringify({ Image: 'busybox', Cmd: ['true'] }), headers: json });
    t.equal(res.status, 500);
    t.match(res.json().message, NO_SPACE);
    t.match(res.json().message, `${dataRoot}/containers/`, 'it names the directory it could not make');
    const cli = await docker('docker create --name full2 busybox true');
    t.not(cli.code, 0);
    t.match(cli.stderr, NO_SPACE, 'the docker CLI shows the reason');
    t.same(await containerNames(d), namesBefore, 'neither is listed');
    t.same(names(path.join(dataRoot, 'containers')), containerDirs, 'no directory was left under data-root/containers');
  });

  await t.test('a volume create fails with the reason and registers nothing', async (t) => {
    const res = await d.request('POST', '/volumes/create', { body: JSON.stringify({ Name: 'fullvol' }), headers: json });
    t.equal(res.status, 500);
    t.match(res.json().message, NO_SPACE);
    t.equal((await d.request('GET', '/volumes/fullvol')).status, 404);
    const cli = await docker('docker volume create fullvol2');
    t.not(cli.code, 0);
    t.match(cli.stderr, NO_SPACE);
    t.same(names(path.join(dataRoot, 'volumes')), ['keptvol'], 'no directory was left under data-root/volumes');
  });

  await t.test('an image load fails with the reason and registers nothing', async (t) => {
    const res = await d.request('POST', '/images/load?quiet=1', { body: readFileSync(bigArchive), headers: tar });
    // moby answers a load 200 and reports its failure in the stream.
    t.equal(res.status, 200);
    const last = JSON.parse(res.text.trim().split('\n').pop()!);
    t.match(last.error, NO_SPACE);
    t.notMatch(last.error, /invalid image archive/, 'the archive is not blamed');
    const cli = await docker(`docker load -i ${bigArchive}`);
    t.not(cli.code, 0);
    t.match(cli.stderr, NO_SPACE);
    t.same(await imageTags(d), ['busybox:latest']);
    t.same(imageFiles(dataRoot), imagesBefore, 'no blob, layer or staging file was left');
    // With a little room the load gets further before it fails: still nothing is left.
    rmSync(path.join(dataRoot, 'filler.tail'));
    const partial = await d.request('POST', '/images/load?quiet=1', { body: readFileSync(bigArchive), headers: tar });
    t.match(JSON.parse(partial.text.trim().split('\n').pop()!).error, NO_SPACE);
    t.same(imageFiles(dataRoot), imagesBefore, 'nor after a load that wrote part of a blob');
    fill(dataRoot, 'filler2');
  });

  await t.test('a running container writing output: kapald and its shim carry on', async (t) => {
    const pad = 'x'.repeat(200);
    for (let i = 0; i < 300; i++) attach.socket.write(`burst-${i}-${pad}\n`);
    attach.socket.write('burst-done\n');
    await waitFor(() => demux(attach.output()).stdout.includes('got burst-done\n'), 20_000, 'the burst through attach');
    t.pass('attach still receives everything the container writes');
    const doc = await inspect(d, echoer);
    t.equal(doc.State.Running, true, 'the container runs on');
    // Whatever fits (a record in a block's slack) is still written; each failure after a success
    // is reported once, never once per record.
    const shimLog = readFileSync(shimLogOf(d, echoer), 'utf8').trim().split('\n');
    t.match(shimLog[0], 'kapal-shim: write log: no space left on device; dropping output until a write succeeds');
    t.ok(shimLog.every((l, i) => i === 0 || !(NO_SPACE.test(l) && NO_SPACE.test(shimLog[i - 1]!))), 'no failure is reported twice in a row');
    const logged = (await logs(d, echoer)).stdout;
    t.comment(`lines of the burst in the log: ${logged.split('\n').filter((l) => l.startsWith('got burst-')).length} of 301`);
    t.match(logged, /^got first\n/, 'the log keeps what was written before');
  });

  await t.test('starting a container fails with the reason and leaves it created', async (t) => {
    const res = await d.request('POST', `/containers/${kept}/start`);
    t.equal(res.status, 500);
    t.match(res.json().message, FULL);
    const doc = await inspect(d, kept);
    t.equal(doc.State.Status, 'created');
    t.equal(doc.State.Pid, 0);
    const cli = await docker('docker start kept');
    t.not(cli.code, 0);
    t.match(cli.stderr, FULL);
  });

  await t.test('containers exit meanwhile: kapald stays up and records the exits once it can', async (t) => {
    const waiting = d.request('POST', `/containers/${victim}/wait`);
    const kill = await d.request('POST', `/containers/${victim}/kill`);
    t.equal(kill.status, 204, 'docker kill works on a full disk');
    const pid = (await inspect(d, other)).State.Pid as number;
    process.kill(pid, 'SIGKILL');
    t.equal((await d.request('GET', '/_ping')).text, 'OK', 'kapald answers');
    t.equal(d.proc.exitCode, null, 'kapald runs');
    killedWait = waiting;
  });

  await t.test('what only touches the database either works or says why', async (t) => {
    // Whether SQLite still has room in its WAL for a small write depends on its history.
    const tag = await d.request('POST', '/images/busybox/tag?repo=full&tag=tag');
    const rename = await d.request('POST', `/containers/${kept}/rename?name=kept2`);
    for (const res of [tag, rename]) {
      t.ok(res.status < 300 || (res.status === 500 && FULL.test(res.json().message)), `${res.status} ${res.text}`);
    }
    if (rename.status < 300) await d.request('POST', `/containers/${kept}/rename?name=kept`);
  });

  t.equal((await d.request('GET', '/_ping')).text, 'OK', 'kapald answers');
  t.equal(d.proc.exitCode, null, 'kapald runs');
  t.equal(integrity(path.join(dataRoot, 'kapal.db')), 'ok', 'the database is intact while the disk is full');

  for (const name of ['filler', 'filler.tail', 'filler2', 'filler2.tail']) rmSync(path.join(dataRoot, name), { force: true });
  sh('sync', ['-f', dataRoot]);

  await t.test('with space again everything works, without a restart', async (t) => {
    // The exits the database could not take while it was full are recorded now.
    t.equal((await killedWait!).json().StatusCode, 137, 'the wait of the killed container ended');
    for (const id of [victim, other]) await waitFor(async () => (await inspect(d, id)).State.Status === 'exited', 10_000, 'the exits recorded');
    t.equal((await inspect(d, other)).State.ExitCode, 137);
    const again = await run(d, { Cmd: ['echo', 'after'] });
    t.equal(again.code, 0);
    t.equal(again.stdout, 'after\n');
    t.equal((await d.request('DELETE', `/containers/${again.id}`)).status, 204);
    t.equal((await docker('docker run --name afterwards busybox echo hello')).stdout, 'hello\n');
    const loaded = await docker(`docker load -i ${bigArchive}`);
    t.equal(loaded.code, 0, loaded.stderr);
    t.match(loaded.stdout, /Loaded image: big:latest/);
    t.equal((await run(d, { Image: 'big', Cmd: ['echo', 'big'] })).stdout, 'big\n');
    t.equal((await d.request('POST', '/volumes/create', { body: JSON.stringify({ Name: 'fullvol' }), headers: json })).status, 201);
    attach.socket.write('later\n');
    // No torn record from the full disk swallows the first one written after it.
    await waitFor(async () => (await logs(d, echoer)).stdout.endsWith('got later\n'), 10_000, 'the log to take lines again');
    t.match(readFileSync(shimLogOf(d, echoer), 'utf8'), /write log: writing again\n$/);
    const records = readFileSync((await inspect(d, echoer)).LogPath, 'utf8').trim().split('\n');
    t.ok(records.every((line) => typeof JSON.parse(line).log === 'string'), 'every line of the log file is a whole record');
    attach.socket.destroy();
  });

  const expectedNames = await containerNames(d);
  const expectedTags = await imageTags(d);
  const expectedImageFiles = imageFiles(dataRoot);
  await d.stop();
  t.equal(integrity(path.join(dataRoot, 'kapal.db')), 'ok', 'the database is intact after kapald stopped');

  d = await startDaemon(t, 'diskfull', { dir });
  await t.test('after a restart everything registered is there and nothing half-made', async (t) => {
    t.same(await containerNames(d), expectedNames);
    t.same(await imageTags(d), expectedTags);
    for (const name of expectedNames) t.equal((await inspect(d, name.slice(1))).Name, name);
    const ids = ((await d.request('GET', '/containers/json?all=1')).json() as { Id: string }[]).map((c) => c.Id).sort();
    t.same(names(path.join(dataRoot, 'containers')), ids, 'one directory per container, no other');
    const volumes = ((await d.request('GET', '/volumes')).json().Volumes as { Name: string }[]).map((v) => v.Name).sort();
    t.same(volumes, ['fullvol', 'keptvol']);
    t.same(names(path.join(dataRoot, 'volumes')), volumes);
    t.same(imageFiles(dataRoot), { ...expectedImageFiles, tmp: [] }, 'the start found no orphan blob or layer to collect');
    t.notMatch(d.output(), /removed image data no image references/);
    t.equal((await run(d, { Cmd: ['echo', 'restarted'] })).stdout, 'restarted\n');
    t.equal((await inspect(d, kept)).State.Status, 'created');
    // Containers outlive kapald, and this one's mounts would keep the loop device busy.
    t.equal((await d.request('DELETE', `/containers/${echoer}?force=1`)).status, 204);
  });
  await d.stop();
  t.equal(integrity(path.join(dataRoot, 'kapal.db')), 'ok');
  t.ok(await unmountSmallFs(dataRoot, image), 'the file system is unmounted');
  t.same(loopsOf(image), [], 'no loop device is left on the image');
});

// The busybox fixture image every later test loads: reproducible, internally consistent, a usable
// rootfs. Archives are read back with the system's GNU tar, never with the script's own writer.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../fixtures/build-busybox-image.mjs', import.meta.url));
const BUSYBOX = '/bin/busybox';
const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kapal-fixture-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function run(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { maxBuffer: 256 << 20, env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } });
}

/** GNU tar, which must succeed without a single warning. */
function gnuTar(...args: string[]): Buffer {
  const r = run('tar', args);
  if (r.status !== 0 || r.stderr.length > 0) {
    throw new Error(`tar ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  }
  return r.stdout;
}

interface Listed { perms: string; uid: number; gid: number; size: number; when: string; name: string; link?: string }

function listTar(archive: string): Listed[] {
  return gnuTar('--numeric-owner', '-tvf', archive).toString().split('\n').filter(Boolean).map((line) => {
    const m = /^(\S+) (\d+)\/(\d+) +(\d+) (\S+ \S+) (.*)$/.exec(line);
    if (!m) throw new Error(`unparsable tar -tv line: ${line}`);
    const [name, link] = m[1]!.startsWith('l') ? m[6]!.split(' -> ') : [m[6]!];
    return { perms: m[1]!, uid: Number(m[2]), gid: Number(m[3]), size: Number(m[4]), when: m[5]!, name: name!, link };
  });
}

function buildInto(dir: string): string {
  const r = run(process.execPath, [SCRIPT, dir]);
  if (r.status !== 0) throw new Error(`build failed (${r.status}): ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** relative path → sha256 of every file under dir */
function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const path = join(dir, name);
    if (statSync(path).isFile()) out[relative(dir, path)] = sha256(readFileSync(path));
  }
  return out;
}

t.test('a missing busybox exits 1 with one line naming apt-get install busybox-static', async (t) => {
  const r = run(process.execPath, [SCRIPT, tempDir(), '--busybox', '/nonexistent/busybox']);
  t.equal(r.status, 1);
  const lines = r.stderr.toString().trim().split('\n');
  t.equal(lines.length, 1);
  t.match(lines[0], /apt-get install busybox-static/);
});

if (!existsSync(BUSYBOX)) {
  t.test('fixture image tests', { skip: `${BUSYBOX} is absent (apt-get install busybox-static)` }, () => {});
} else {
  const out = tempDir();
  const printed = buildInto(out);
  const saved = tempDir();
  gnuTar('-xf', join(out, 'busybox.tar'), '-C', saved);
  const readJson = (path: string) => JSON.parse(readFileSync(join(saved, path), 'utf8'));

  t.test('building twice into two temp dirs yields byte-identical outputs', async (t) => {
    const again = tempDir();
    const printedAgain = buildInto(again);
    const first = hashTree(out);
    const blobs = Object.keys(first).filter((k) => k.startsWith('busybox-oci/blobs/sha256/'));
    t.equal(blobs.length, 3, 'manifest, config and layer blobs');
    t.same(Object.keys(first).filter((k) => !blobs.includes(k)).sort(),
      ['busybox-oci.tar', 'busybox-oci/index.json', 'busybox-oci/oci-layout', 'busybox.tar']);
    t.same(hashTree(again), first);
    t.equal(printedAgain, printed, 'the printed sha256 and sizes agree too');
    for (const line of printed.trim().split('\n')) {
      const [hex, size, name] = line.trim().split(/\s+/);
      t.equal(hex, first[name!], `printed sha256 of ${name}`);
      t.equal(Number(size), statSync(join(out, name!)).size, `printed size of ${name}`);
    }
  });

  t.test('the docker-save archive has the moby 25+ layout and every digest and size agree', async (t) => {
    const names = listTar(join(out, 'busybox.tar')).map((e) => e.name);
    for (const want of ['oci-layout', 'index.json', 'manifest.json', 'repositories', 'blobs/', 'blobs/sha256/']) {
      t.ok(names.includes(want), `archive holds ${want}`);
    }
    t.same(readJson('oci-layout'), { imageLayoutVersion: '1.0.0' });

    const blobs = readdirSync(join(saved, 'blobs/sha256')).sort();
    const blob = (digest: string) => readFileSync(join(saved, 'blobs/sha256', digest.replace(/^sha256:/, '')));
    for (const hex of blobs) t.equal(sha256(blob(hex)), hex, `blob ${hex.slice(0, 12)} is named by its sha256`);

    const index = readJson('index.json');
    t.equal(index.schemaVersion, 2);
    t.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    t.equal(index.manifests.length, 1);
    const desc = index.manifests[0];
    t.equal(desc.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    t.same(desc.annotations, {
      'io.containerd.image.name': 'docker.io/library/busybox:latest',
      'org.opencontainers.image.ref.name': 'latest',
    });
    t.equal(blob(desc.digest).length, desc.size, 'index → manifest size');

    const manifest = JSON.parse(blob(desc.digest).toString());
    t.equal(manifest.schemaVersion, 2);
    t.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    t.equal(manifest.config.mediaType, 'application/vnd.oci.image.config.v1+json');
    t.equal(blob(manifest.config.digest).length, manifest.config.size, 'manifest → config size');
    t.equal(manifest.layers.length, 1);
    const layer = manifest.layers[0];
    t.equal(layer.mediaType, 'application/vnd.oci.image.layer.v1.tar', 'the layer is an uncompressed tar');
    t.equal(blob(layer.digest).length, layer.size, 'manifest → layer size');
    t.same(blobs, [desc.digest, manifest.config.digest, layer.digest].map((d: string) => d.slice(7)).sort(),
      'exactly the manifest, config and layer blobs, nothing unreferenced');

    const config = JSON.parse(blob(manifest.config.digest).toString());
    t.same(config.rootfs, { type: 'layers', diff_ids: [layer.digest] }, 'DiffID = digest of the uncompressed layer');
    t.equal(config.architecture, ARCH[process.arch] ?? config.architecture);
    t.equal(config.os, 'linux');
    t.equal(config.created, '2024-01-01T00:00:00Z');
    t.same(config.config, { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] });
    t.equal(config.history.length, 1);
    t.match(config.history[0].created_by, /busybox.*1\.\d+/i, 'history names the busybox version');

    t.same(readJson('manifest.json'), [{
      Config: `blobs/sha256/${manifest.config.digest.slice(7)}`,
      RepoTags: ['busybox:latest'],
      Layers: [`blobs/sha256/${layer.digest.slice(7)}`],
      LayerSources: { [layer.digest]: { mediaType: layer.mediaType, size: layer.size, digest: layer.digest } },
    }]);
    t.same(readJson('repositories'), { busybox: { latest: layer.digest.slice(7) } });
  });

  t.test('the layer is a busybox rootfs: bin/sh -> /bin/busybox, tmp 1777, etc/passwd with root and kapal', async (t) => {
    const manifest = readJson('manifest.json')[0];
    const layerPath = join(saved, manifest.Layers[0]);
    const entries = listTar(layerPath);
    const byName = new Map(entries.map((e) => [e.name, e]));

    t.match(byName.get('bin/sh'), { perms: /^l/, link: '/bin/busybox' });
    t.match(byName.get('bin/busybox'), { perms: '-rwxr-xr-x', uid: 0, gid: 0, size: statSync(BUSYBOX).size });
    t.match(byName.get('tmp/'), { perms: 'drwxrwxrwt', uid: 0 });
    t.match(byName.get('var/tmp/'), { perms: 'drwxrwxrwt' });
    t.match(byName.get('root/'), { perms: 'drwx------' });
    t.match(byName.get('home/kapal/'), { perms: /^d/, uid: 1000, gid: 1000 });
    for (const dir of ['bin/', 'sbin/', 'usr/bin/', 'usr/sbin/', 'etc/', 'proc/', 'sys/', 'dev/']) {
      t.match(byName.get(dir), { perms: 'drwxr-xr-x' }, `${dir} exists`);
    }
    for (const absent of ['etc/hostname', 'etc/hosts', 'etc/resolv.conf']) {
      t.notOk(byName.has(absent), `${absent} is left to the runtime`);
    }

    const applets = run(BUSYBOX, ['--list-full']).stdout.toString().split('\n')
      .filter((p) => /^(usr\/)?s?bin\//.test(p) && p !== 'bin/busybox');
    const missing = applets.filter((p) => byName.get(p)?.link !== '/bin/busybox');
    t.same(missing, [], `all ${applets.length} applets link to /bin/busybox`);

    const seen = new Set<string>();
    const orphans = entries.filter((e) => {
      seen.add(e.name);
      const parent = e.name.replace(/[^/]+\/?$/, '');
      return parent !== '' && !seen.has(parent);
    });
    t.same(orphans.map((e) => e.name), [], 'every directory comes before its contents');
    t.same(entries.filter((e) => e.when !== '2024-01-01 00:00').map((e) => e.name), [], 'every entry has the fixed mtime');
    t.same(entries.filter((e) => e.uid !== 0 || e.gid !== 0).map((e) => e.name), ['home/kapal/'], 'root owns all but home/kapal');

    const passwd = gnuTar('-xOf', layerPath, 'etc/passwd').toString().split('\n');
    t.ok(passwd.includes('root:x:0:0:root:/root:/bin/sh'));
    t.ok(passwd.includes('kapal:x:1000:1000:kapal:/home/kapal:/bin/sh'));
    t.ok(passwd.some((l) => l.startsWith('nobody:x:65534:65534:')));
    const group = gnuTar('-xOf', layerPath, 'etc/group').toString().split('\n');
    t.ok(group.includes('wheel:x:10:kapal'), 'kapal has wheel as a supplementary group');
    t.ok(group.includes('kapal:x:1000:'));
    t.ok(group.includes('nogroup:x:65534:'));
  });

  t.test('the OCI layout directory matches its tar and the docker-save blobs', async (t) => {
    const dir = join(out, 'busybox-oci');
    const tarPath = join(out, 'busybox-oci.tar');
    const files = listTar(tarPath).filter((e) => e.perms.startsWith('-')).map((e) => e.name).sort();
    const tree = hashTree(dir);
    t.same(files, Object.keys(tree).sort(), 'same file names');
    for (const name of files) {
      t.equal(sha256(gnuTar('-xOf', tarPath, name)), tree[name], `${name} is identical in dir and tar`);
    }
    t.notOk(files.includes('manifest.json'), 'a plain OCI layout, no docker manifest.json');
    t.same(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    t.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'latest');
    for (const name of files.filter((f) => f.startsWith('blobs/'))) {
      t.equal(tree[name], sha256(readFileSync(join(saved, name))), `${name} is the same blob as in busybox.tar`);
    }
  });
}

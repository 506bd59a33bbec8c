// The registry client against a real registry (Debian's docker-registry, distribution 2.8) seeded by
// skopeo; plus the pure parts (X-Registry-Auth, challenges, endpoint policy, schema 1) on their own.

import { createHash } from 'node:crypto';
import { cpSync, createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { isKapalError, type ErrorKind } from '../../src/domain/errors.js';
import { MEDIA } from '../../src/domain/image.js';
import { ContentStore } from '../../src/images/content-store.js';
import { parseReference } from '../../src/images/reference.js';
import { decodeRegistryAuth } from '../../src/images/registry/auth-config.js';
import { parseChallenges } from '../../src/images/registry/challenge.js';
import { RegistryClient, type RegistryOptions } from '../../src/images/registry/client.js';
import { EndpointPolicy } from '../../src/images/registry/endpoints.js';
import { parseManifest } from '../../src/images/registry/manifest.js';
import { makeTempDir } from '../helpers/daemon.js';
import { buildFixtureImage, type FixtureImage } from '../helpers/images.js';
import { htpasswdLine, registryMissing, skopeo, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { freePort, makeCertificates } from '../helpers/tls.js';

const missing = registryMissing();
const skip = missing ?? false;
const LINUX_AMD64 = { os: 'linux', architecture: 'amd64' };

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function client(t: { teardown(fn: () => unknown): void }, opts: Partial<RegistryOptions> = {}): RegistryClient {
  const c = new RegistryClient({ insecure: [], mirrors: [], userAgent: 'kapal-test', ...opts });
  t.teardown(() => c.close());
  return c;
}

/** The kind and message a promise rejects with; fails when it resolves or throws something else. */
async function failure(p: Promise<unknown>): Promise<{ kind: ErrorKind; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isKapalError(err)) return { kind: err.kind, message: err.message };
    throw err;
  }
  throw new Error('expected a KapalError, got a result');
}

/** An OCI layout holding the fixture for linux/amd64 and a copy of it labelled linux/arm64/v8, under one index. */
function writeMultiArchLayout(fixture: FixtureImage, dir: string): { layout: string; indexDigest: string; amd64: string; arm64: string } {
  const layout = path.join(dir, 'multi-oci');
  cpSync(path.join(fixture.dir, 'busybox-oci'), layout, { recursive: true });
  const blobs = path.join(layout, 'blobs/sha256');
  const put = (doc: object) => {
    const bytes = Buffer.from(JSON.stringify(doc));
    writeFileSync(path.join(blobs, sha256(bytes).slice(7)), bytes);
    return { digest: sha256(bytes), size: bytes.length };
  };
  const top = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8'));
  const amd64 = top.manifests[0] as { digest: string; size: number };
  const manifest = JSON.parse(readFileSync(path.join(blobs, amd64.digest.slice(7)), 'utf8'));
  const config = JSON.parse(readFileSync(path.join(blobs, manifest.config.digest.slice(7)), 'utf8'));
  const armConfig = put({ ...config, architecture: 'arm64', variant: 'v8' });
  const arm64 = put({ ...manifest, config: { ...manifest.config, ...armConfig } });
  const index = put({
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: [
      { mediaType: MEDIA.ociManifest, digest: amd64.digest, size: amd64.size, platform: { architecture: 'amd64', os: 'linux' } },
      { mediaType: MEDIA.ociManifest, ...arm64, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    ],
  });
  writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA.ociIndex, ...index, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }] }),
  );
  return { layout, indexDigest: index.digest, amd64: amd64.digest, arm64: arm64.digest };
}

async function seed(fixture: FixtureImage, registry: TestRegistry, repo: string, creds?: string) {
  const dest = (tag: string) => [...(creds ? ['--dest-creds', creds] : []), '--dest-tls-verify=false', `docker://${registry.host}/${repo}:${tag}`];
  await skopeo(['copy', '--format', 'oci', `oci-archive:${fixture.ociArchive}`, ...dest('oci')]);
  await skopeo(['copy', '--format', 'v2s2', `oci-archive:${fixture.ociArchive}`, ...dest('v2s2')]);
}

const ref = (s: string) => parseReference(s);

t.test('decodeRegistryAuth reads X-Registry-Auth as docker does', async (t) => {
  const enc = (v: unknown, how: BufferEncoding = 'base64url') => Buffer.from(JSON.stringify(v)).toString(how);
  t.equal(decodeRegistryAuth(undefined), undefined, 'no header');
  t.equal(decodeRegistryAuth(''), undefined, 'empty header');
  t.equal(decodeRegistryAuth('e30='), undefined, 'e30= is {}: no credentials');
  t.equal(decodeRegistryAuth('bnVsbA=='), undefined, 'null');
  // `?>` makes `+`/`/` in standard base64 and `-`/`_` in base64url: both alphabets are accepted.
  const creds = { username: 'al?>ce', password: 'p?>ss~~~', serveraddress: 'localhost:5000' };
  t.ok(enc(creds).includes('_') || enc(creds).includes('-'), 'the base64url form uses its own alphabet');
  t.same(decodeRegistryAuth(enc(creds)), creds, 'base64url');
  t.same(decodeRegistryAuth(enc(creds, 'base64')), creds, 'standard base64 (some SDKs)');
  t.same(decodeRegistryAuth(enc({ Username: 'bob', Password: 'x', IdentityToken: '' })), { username: 'bob', password: 'x' }, 'keys match case-insensitively; empty values are absent');
  t.same(decodeRegistryAuth(enc({ auth: Buffer.from('carol:s3:cret').toString('base64') })), { username: 'carol', password: 's3:cret' }, 'legacy auth field');
  t.same(decodeRegistryAuth(enc({ identitytoken: 'tok' })), { identitytoken: 'tok' });
  for (const bad of ['!!!not base64', Buffer.from('not json').toString('base64url'), enc([1, 2]), enc({ username: 7 })]) {
    let kind: string | undefined;
    try {
      decodeRegistryAuth(bad);
    } catch (err) {
      kind = isKapalError(err) ? err.kind : 'other';
    }
    t.equal(kind, 'InvalidArgument', `refused: ${bad}`);
  }
});

t.test('WWW-Authenticate challenges parse with quoted commas and several schemes', async (t) => {
  t.same(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull,push' } },
  ]);
  t.same(parseChallenges(['Basic realm="Registry Realm"', 'Bearer realm=https://x/t, error="insufficient_scope"']), [
    { scheme: 'basic', params: { realm: 'Registry Realm' } },
    { scheme: 'bearer', params: { realm: 'https://x/t', error: 'insufficient_scope' } },
  ]);
  t.same(parseChallenges('Basic realm="a\\"b", Bearer realm="c"').map((c) => c.params.realm), ['a"b', 'c'], 'escapes and two challenges in one header');
  t.same(parseChallenges(undefined), []);
});

t.test('endpoints: loopback, listed names and CIDRs are insecure; mirrors serve docker.io pulls only', async (t) => {
  const policy = new EndpointPolicy(['myreg.example:5000', '10.0.0.0/8', 'http://other.example:443/'], ['https://mirror.example', 'http://127.0.0.1:5001']);
  t.same(await policy.connection('127.0.0.1:5000'), { schemes: ['https', 'http'], verifyTls: false }, '127.0.0.0/8');
  t.same(await policy.connection('127.8.9.10'), { schemes: ['https', 'http'], verifyTls: false });
  t.same(await policy.connection('[::1]:5000'), { schemes: ['https', 'http'], verifyTls: false });
  t.same(await policy.connection('localhost:5000'), { schemes: ['https', 'http'], verifyTls: false });
  t.same(await policy.connection('myreg.example:5000'), { schemes: ['https', 'http'], verifyTls: false }, 'by name and port');
  t.same(await policy.connection('other.example:443'), { schemes: ['https', 'http'], verifyTls: false }, 'a scheme in the entry is ignored');
  t.same(await policy.connection('10.1.2.3:5000'), { schemes: ['https', 'http'], verifyTls: false }, 'in a listed CIDR');
  t.same(await policy.connection('192.0.2.7:5000'), { schemes: ['https'], verifyTls: true }, 'anything else: HTTPS, verified');
  t.same(await policy.connection('127.0.0.1:5001', 'http'), { schemes: ['http'], verifyTls: false }, "a mirror's own scheme");
  const hub = parseReference('busybox');
  t.same(policy.endpoints(hub, 'pull').map((e) => [e.host, e.mirror]), [['mirror.example', true], ['127.0.0.1:5001', true], ['registry-1.docker.io', false]]);
  t.same(policy.endpoints(hub, 'push').map((e) => e.host), ['registry-1.docker.io'], 'no mirrors for push');
  t.same(policy.endpoints(parseReference('quay.io/a/b'), 'pull').map((e) => e.host), ['quay.io'], 'no mirrors for other registries');
});

t.test('schema 1 manifests are refused with docker deprecation wording (unit: registry 2.8 will not store one)', async (t) => {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'library/old', tag: 'latest', fsLayers: [] }));
  for (const type of ['application/vnd.docker.distribution.manifest.v1+prettyjws', 'application/json']) {
    const err = await failure(Promise.resolve().then(() => parseManifest(bytes, type, parseReference('old:latest'))));
    t.equal(err.kind, 'InvalidArgument');
    t.match(err.message, /^Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed\. Suggest the author of docker\.io\/library\/old:latest to upgrade/);
  }
  const noType = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [] }));
  t.equal(parseManifest(noType, 'application/octet-stream', parseReference('x')).mediaType, MEDIA.ociManifest, 'an OCI manifest without mediaType');
});

t.test('a plain-HTTP loopback registry (HTTPS is tried first) seeded by skopeo', { skip }, async (t) => {
  const fixture = buildFixtureImage(t);
  const registry = await startRegistry(t);
  const multi = writeMultiArchLayout(fixture, makeTempDir(t, 'multi'));
  await seed(fixture, registry, 'x/busybox');
  await skopeo(['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${multi.layout}:multi`, `docker://${registry.host}/x/busybox:multi`]);
  const r = client(t);
  const name = (s: string) => ref(`${registry.host}/${s}`);

  t.test('resolves OCI and Docker v2 manifests to the same config digest', async (t) => {
    const oci = await r.resolve(name('x/busybox:oci'), LINUX_AMD64);
    const v2 = await r.resolve(name('x/busybox:v2s2'), LINUX_AMD64);
    t.equal(oci.manifestMediaType, MEDIA.ociManifest);
    t.equal(v2.manifestMediaType, MEDIA.dockerManifest);
    t.equal(oci.config.digest, fixture.id, 'the image ID');
    t.equal(v2.config.digest, fixture.id, 'the same image ID');
    t.equal(oci.layers.length, 1);
    t.equal(oci.indexDigest, undefined);
    for (const [tag, got] of [['oci', oci], ['v2s2', v2]] as const) {
      t.equal(got.manifestDigest, sha256(got.manifestBytes), `${tag}: the digest is the bytes'`);
      const seen = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/x/busybox:${tag}`]));
      t.equal(got.manifestDigest, seen.Digest, `${tag}: skopeo sees the same manifest`);
    }
    const byDigest = await r.resolve(name(`x/busybox@${oci.manifestDigest}`), LINUX_AMD64);
    t.equal(byDigest.manifestDigest, oci.manifestDigest, 'by digest');
  });

  t.test('an index picks the platform', async (t) => {
    const amd = await r.resolve(name('x/busybox:multi'), LINUX_AMD64);
    t.equal(amd.indexDigest, multi.indexDigest);
    t.equal(amd.indexMediaType, MEDIA.ociIndex);
    t.equal(amd.manifestDigest, multi.amd64);
    t.equal(amd.config.digest, fixture.id);
    const arm = await r.resolve(name('x/busybox:multi'), { os: 'linux', architecture: 'arm64' });
    t.equal(arm.manifestDigest, multi.arm64, 'arm64 without a variant matches arm64/v8');
    t.equal((await r.resolve(name('x/busybox:multi'), { os: 'linux', architecture: 'aarch64', variant: 'v8' })).manifestDigest, multi.arm64, 'aliases normalised');
    t.equal((await r.resolve(name(`x/busybox@${multi.indexDigest}`), LINUX_AMD64)).manifestDigest, multi.amd64, 'the index by digest');
    t.same(await failure(r.resolve(name('x/busybox:multi'), { os: 'linux', architecture: 'riscv64' })), {
      kind: 'NotFound',
      message: 'no matching manifest for linux/riscv64 in the manifest list entries',
    });
  });

  t.test('blobs stream into a ContentStore with the right digest', async (t) => {
    const store = new ContentStore(makeTempDir(t, 'store'));
    const image = await r.resolve(name('x/busybox:oci'), LINUX_AMD64);
    for (const d of [image.config, ...image.layers]) {
      const written = await store.write(await r.fetchBlob(name('x/busybox:oci'), d.digest), d.digest);
      t.same(written, { digest: d.digest, size: d.size }, d.digest);
      t.ok(await r.blobExists(name('x/busybox'), d.digest));
    }
    t.equal(await r.blobExists(name('x/busybox'), sha256(Buffer.from('nothing'))), false, 'an absent blob');
    const absent = await failure(r.fetchBlob(name('x/busybox'), sha256(Buffer.from('nothing'))));
    t.same(absent, { kind: 'NotFound', message: 'blob unknown: blob unknown to registry' });
  });

  t.test('a missing tag or repository gives docker 404 wording', async (t) => {
    t.same(await failure(r.resolve(name('x/busybox:nosuch'), LINUX_AMD64)), {
      kind: 'NotFound',
      message: `manifest for ${registry.host}/x/busybox:nosuch not found: manifest unknown: manifest unknown`,
    });
    // distribution 2.8 answers MANIFEST_UNKNOWN for a repository it never saw, and docker says so.
    t.same(await failure(r.resolve(name('nosuch/repo'), LINUX_AMD64)), {
      kind: 'NotFound',
      message: `manifest for ${registry.host}/nosuch/repo:latest not found: manifest unknown: manifest unknown`,
    });
  });

  t.test('inspectDistribution gives the descriptor and the platforms', async (t) => {
    const index = await r.inspectDistribution(name('x/busybox:multi'));
    t.same(index.Descriptor, { mediaType: MEDIA.ociIndex, digest: multi.indexDigest, size: index.Descriptor.size });
    t.same(index.Platforms, [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }]);
    const single = await r.inspectDistribution(name('x/busybox:v2s2'));
    t.equal(single.Descriptor.mediaType, MEDIA.dockerManifest);
    t.same(single.Platforms, [{ architecture: 'amd64', os: 'linux' }], "from the image config");
  });

  t.test('push of the fixture (blobs and manifest) is seen by skopeo', async (t) => {
    const layout = path.join(fixture.dir, 'busybox-oci/blobs/sha256');
    const blob = (digest: string) => readFileSync(path.join(layout, digest.slice(7)));
    const index = JSON.parse(readFileSync(path.join(fixture.dir, 'busybox-oci/index.json'), 'utf8'));
    const manifestBytes = blob(index.manifests[0].digest);
    const manifest = JSON.parse(manifestBytes.toString());
    const target = name('pushed/busybox:v1');
    for (const d of [manifest.config, ...manifest.layers] as Array<{ digest: string; size: number }>) {
      t.equal(await r.blobExists(target, d.digest), false, `${d.digest} not there yet`);
      await r.pushBlob(target, d.digest, d.size, () => streamOf(blob(d.digest)));
      t.equal(await r.blobExists(target, d.digest), true, `${d.digest} uploaded`);
    }
    const digest = await r.putManifest(target, 'v1', manifestBytes, MEDIA.ociManifest);
    t.equal(digest, sha256(manifestBytes), 'the registry reports the digest of the bytes');
    const seen = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/pushed/busybox:v1`]));
    t.equal(seen.Digest, digest);
    t.equal(seen.Architecture, 'amd64');
    t.same(Buffer.from(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/pushed/busybox:v1`])), manifestBytes, 'the bytes as pushed');
    t.equal((await r.resolve(target, LINUX_AMD64)).config.digest, fixture.id, 'and it pulls back');
  });

  t.test('a bad blob upload is refused by the registry', async (t) => {
    const err = await failure(r.pushBlob(name('pushed/bad'), sha256(Buffer.from('expected')), 5, () => streamOf(Buffer.from('other'))));
    t.equal(err.kind, 'InvalidArgument');
    t.match(err.message, /^digest invalid: /);
  });

  t.test('docker.io pulls try each mirror in order; a mirror 404 falls through', async (t) => {
    const empty = await startRegistry(t);
    await skopeo(['copy', '--format', 'oci', `oci-archive:${fixture.ociArchive}`, '--dest-tls-verify=false', `docker://${registry.host}/library/busybox:oci`]);
    const refused = await freePort();
    const m = client(t, { mirrors: [`http://${empty.host}`, `http://${registry.host}`], officialHost: `127.0.0.1:${refused}` });
    const image = await m.resolve(ref('busybox:oci'), LINUX_AMD64);
    t.equal(image.config.digest, fixture.id, 'from the second mirror');
    const layer = image.layers[0]!;
    const store = new ContentStore(makeTempDir(t, 'mirror-store'));
    t.equal((await store.write(await m.fetchBlob(ref('busybox:oci'), layer.digest), layer.digest)).digest, layer.digest, 'blobs too');
    const err = await failure(m.resolve(ref('busybox:nosuch'), LINUX_AMD64));
    t.same(err, { kind: 'Unavailable', message: `Get "http://127.0.0.1:${refused}/v2/": dial tcp 127.0.0.1:${refused}: connect: connection refused` }, 'when no mirror has it, the official host decides');
  });
});

t.test('a refused port gives Unavailable naming the URL, as docker does', async (t) => {
  const port = await freePort();
  const err = await failure(client(t).resolve(ref(`127.0.0.1:${port}/x/busybox:oci`), LINUX_AMD64));
  t.same(err, { kind: 'Unavailable', message: `Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused` });
});

t.test('an HTTPS registry with a self-signed certificate on loopback is used without verification', { skip }, async (t) => {
  const dir = makeTempDir(t, 'registry-tls');
  makeCertificates(dir);
  const fixture = buildFixtureImage(t);
  const registry = await startRegistry(t, { tls: { cert: path.join(dir, 'server-cert.pem'), key: path.join(dir, 'server-key.pem') } });
  await skopeo(['copy', '--format', 'oci', `oci-archive:${fixture.ociArchive}`, '--dest-tls-verify=false', `docker://${registry.host}/x/busybox:oci`]);
  const image = await client(t).resolve(ref(`${registry.host}/x/busybox:oci`), LINUX_AMD64);
  t.equal(image.config.digest, fixture.id);
});

t.test('a registry that never answers times out waiting for headers', async (t) => {
  const silent = net.createServer((socket) => socket.on('data', () => {}));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => silent.close(resolve)));
  const { port } = silent.address() as net.AddressInfo;
  const sockets: net.Socket[] = [];
  silent.on('connection', (s) => sockets.push(s));
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  const err = await failure(client(t, { headerTimeoutMs: 300 }).resolve(ref(`127.0.0.1:${port}/x/busybox:oci`), LINUX_AMD64));
  t.same(err, { kind: 'Unavailable', message: `Get "http://127.0.0.1:${port}/v2/": net/http: timeout awaiting response headers` }, 'after HTTPS stalled too');
});

const htpasswdSkip = skip || (htpasswdLine('u', 'p') === undefined ? 'neither htpasswd (apache2-utils) nor python3 crypt can make a bcrypt line' : false);

t.test('basic auth works with credentials and fails without', { skip: htpasswdSkip }, async (t) => {
  const fixture = buildFixtureImage(t);
  const registry = await startRegistry(t, { htpasswd: { username: 'alice', password: 'secret' } });
  await seed(fixture, registry, 'x/busybox', 'alice:secret');
  const target = ref(`${registry.host}/x/busybox:oci`);
  const r = client(t);
  t.same(await failure(r.resolve(target, LINUX_AMD64)), {
    kind: 'Forbidden',
    message: `Get "http://${registry.host}/v2/x/busybox/manifests/oci": no basic auth credentials`,
  });
  t.same(await failure(r.resolve(target, LINUX_AMD64, { username: 'alice', password: 'wrong' })), { kind: 'Forbidden', message: 'unauthorized: authentication required' });
  const image = await r.resolve(target, LINUX_AMD64, { username: 'alice', password: 'secret' });
  t.equal(image.config.digest, fixture.id);
  const blob = await r.fetchBlob(target, image.config.digest, { username: 'alice', password: 'secret' });
  t.equal(sha256(Buffer.concat(await blob.toArray())), fixture.id);
});

t.test('blob redirects are followed without sending credentials to the other host', { skip: htpasswdSkip }, async (t) => {
  const fixture = buildFixtureImage(t);
  let root = '';
  const seen: Array<{ method: string; authorization: string | undefined }> = [];
  const files = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', authorization: req.headers.authorization });
    const file = path.join(root, 'data', decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Length': statSync(file).size });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => files.close(resolve).closeAllConnections()));
  const { port } = files.address() as net.AddressInfo;
  const registry = await startRegistry(t, { htpasswd: { username: 'alice', password: 'secret' }, redirectBlobsTo: `http://127.0.0.1:${port}/` });
  root = registry.dir;
  await seed(fixture, registry, 'x/busybox', 'alice:secret');
  seen.length = 0; // skopeo's own checks
  const alice = { username: 'alice', password: 'secret' };
  const r = client(t);
  const target = ref(`${registry.host}/x/busybox:oci`);
  const image = await r.resolve(target, LINUX_AMD64, alice);
  const store = new ContentStore(makeTempDir(t, 'redirect-store'));
  for (const d of [image.config, ...image.layers]) {
    t.same(await store.write(await r.fetchBlob(target, d.digest, alice), d.digest), { digest: d.digest, size: d.size }, `${d.digest} via the redirect`);
  }
  t.ok(await r.blobExists(target, image.config.digest, alice), 'HEAD follows it too');
  t.same(seen.map((s) => s.method), ['GET', 'GET', 'HEAD'], 'the blobs came from the other host');
  t.ok(seen.every((s) => s.authorization === undefined), 'with no Authorization header');
});

t.test('token auth: anonymous, basic and refresh-token grants; denied repositories; cached tokens', { skip }, async (t) => {
  const fixture = buildFixtureImage(t);
  const registry = await startRegistry(t, { token: { users: { alice: 'secret' }, publicPrefixes: ['public/'] } });
  await seed(fixture, registry, 'public/busybox', 'alice:secret');
  await seed(fixture, registry, 'private/busybox', 'alice:secret');
  registry.tokenRequests.length = 0;
  const r = client(t);

  const pub = await r.resolve(ref(`${registry.host}/public/busybox:oci`), LINUX_AMD64);
  t.equal(pub.config.digest, fixture.id, 'anonymous pull of a public repository');
  t.same(registry.tokenRequests, [{ method: 'GET', account: undefined, scope: ['repository:public/busybox:pull'], grant: 'anonymous' }]);
  await r.fetchBlob(ref(`${registry.host}/public/busybox`), pub.config.digest).then((s) => s.resume());
  t.equal(registry.tokenRequests.length, 1, 'the token is cached for the next request');

  t.same(await failure(r.resolve(ref(`${registry.host}/private/busybox:oci`), LINUX_AMD64)), {
    kind: 'NotFound',
    message: `pull access denied for ${registry.host}/private/busybox, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`,
  });

  const priv = await r.resolve(ref(`${registry.host}/private/busybox:v2s2`), LINUX_AMD64, { username: 'alice', password: 'secret' });
  t.equal(priv.config.digest, fixture.id, 'with credentials');
  t.match(registry.tokenRequests.at(-1), { method: 'GET', account: 'alice', grant: 'basic', scope: ['repository:private/busybox:pull'] });

  const viaRefresh = await client(t).resolve(ref(`${registry.host}/private/busybox:oci`), LINUX_AMD64, { identitytoken: 'refresh-alice' });
  t.equal(viaRefresh.config.digest, fixture.id, 'with an identity token');
  t.match(registry.tokenRequests.at(-1), { method: 'POST', grant: 'refresh_token' });

  t.same(await failure(client(t).resolve(ref(`${registry.host}/private/busybox:oci`), LINUX_AMD64, { username: 'alice', password: 'wrong' })), {
    kind: 'Forbidden',
    message: `Get "http://${registry.host}/v2/private/busybox/manifests/oci": unauthorized: incorrect username or password`,
  });

  const config = Buffer.from('{}');
  t.same(await failure(r.pushBlob(ref(`${registry.host}/public/busybox`), sha256(config), config.length, () => streamOf(config))), {
    kind: 'Forbidden',
    message: 'denied: requested access to the resource is denied',
  }, 'push without push rights');
  await r.pushBlob(ref(`${registry.host}/public/busybox`), sha256(config), config.length, () => streamOf(config), { username: 'alice', password: 'secret' });
  t.ok(await r.blobExists(ref(`${registry.host}/public/busybox`), sha256(config), { username: 'alice', password: 'secret' }), 'push with credentials');
});

/** Bytes as a stream in 64 KiB chunks, as a content store would give them. */
function streamOf(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 64 * 1024) chunks.push(bytes.subarray(i, i + 64 * 1024));
  return Readable.from(chunks);
}

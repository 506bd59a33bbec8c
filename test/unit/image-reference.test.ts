import t from 'tap';
import {
  canonicalString,
  familiarName,
  familiarString,
  fullName,
  isFullImageId,
  looksLikeIdPrefix,
  parseReference,
  parseRepoAndTag,
  parseTagTarget,
  registryHost,
  withDefaultTag,
  withTag,
  type Reference,
} from '../../src/images/reference.js';
import { isKapalError } from '../../src/domain/errors.js';

const HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const DIGEST = `sha256:${HEX}`;

/** Runs fn and returns the InvalidArgument message it throws; fails the test if it does not throw one. */
function invalidMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isKapalError(err) && err.kind === 'InvalidArgument') return err.message;
    throw err;
  }
  throw new Error('expected an InvalidArgument error, got a result');
}

t.test('a reference parses into docker domain, path, tag and digest', async (t) => {
  const cases: [input: string, expected: Reference][] = [
    ['busybox', { domain: 'docker.io', path: 'library/busybox' }],
    ['busybox:1.36', { domain: 'docker.io', path: 'library/busybox', tag: '1.36' }],
    ['library/busybox', { domain: 'docker.io', path: 'library/busybox' }],
    ['docker.io/busybox', { domain: 'docker.io', path: 'library/busybox' }],
    ['index.docker.io/busybox:latest', { domain: 'docker.io', path: 'library/busybox', tag: 'latest' }],
    ['index.docker.io/myrepo/bb', { domain: 'docker.io', path: 'myrepo/bb' }],
    ['myrepo/bb:v1', { domain: 'docker.io', path: 'myrepo/bb', tag: 'v1' }],
    ['docker.io/library/a/b', { domain: 'docker.io', path: 'library/a/b' }],
    ['localhost/x', { domain: 'localhost', path: 'x' }],
    ['localhost:5000/a/b:1', { domain: 'localhost:5000', path: 'a/b', tag: '1' }],
    ['127.0.0.1:5000/x/busybox:1', { domain: '127.0.0.1:5000', path: 'x/busybox', tag: '1' }],
    ['[::1]:5000/x:y', { domain: '[::1]:5000', path: 'x', tag: 'y' }],
    ['[2001:db8::1]/team/app', { domain: '[2001:db8::1]', path: 'team/app' }],
    ['ghcr.io/owner/app:v2.0_rc-1', { domain: 'ghcr.io', path: 'owner/app', tag: 'v2.0_rc-1' }],
    ['myregistry:5000/app', { domain: 'myregistry:5000', path: 'app' }],
    ['Registry.Example.COM/app', { domain: 'Registry.Example.COM', path: 'app' }],
    // An uppercase first component cannot be a path, so docker takes it as a domain.
    ['Foo/bar', { domain: 'Foo', path: 'bar' }],
    ['a__b/c--d/e.f_g:T_1', { domain: 'docker.io', path: 'a__b/c--d/e.f_g', tag: 'T_1' }],
    // Single components are official names even when they look like hosts (docker's FIXME).
    ['localhost', { domain: 'docker.io', path: 'library/localhost' }],
    ['localhost:5000', { domain: 'docker.io', path: 'library/localhost', tag: '5000' }],
    ['example.com', { domain: 'docker.io', path: 'library/example.com' }],
    // `sha256:<hex>` alone is a name with a tag, which is why lookups try IDs first.
    [`sha256:${HEX}`, { domain: 'docker.io', path: 'library/sha256', tag: HEX }],
    [`busybox@${DIGEST}`, { domain: 'docker.io', path: 'library/busybox', digest: DIGEST }],
    [`busybox:1.36@${DIGEST}`, { domain: 'docker.io', path: 'library/busybox', tag: '1.36', digest: DIGEST }],
    [`localhost:5000/a@${DIGEST}`, { domain: 'localhost:5000', path: 'a', digest: DIGEST }],
    ['x@sha512:' + 'ab'.repeat(64), { domain: 'docker.io', path: 'library/x', digest: 'sha512:' + 'ab'.repeat(64) }],
    // Unregistered algorithms follow the grammar: a name, then at least 32 hex digits in either case.
    ['x@blake3:' + 'AB'.repeat(16), { domain: 'docker.io', path: 'library/x', digest: 'blake3:' + 'AB'.repeat(16) }],
    ['x@my.alg+b:' + '0'.repeat(40), { domain: 'docker.io', path: 'library/x', digest: 'my.alg+b:' + '0'.repeat(40) }],
    // The first component is a domain for docker, but not for the grammar: docker keeps the name with no domain.
    ['a_b.com/x', { domain: '', path: 'a_b.com/x' }],
    ['x:' + 'a'.repeat(128), { domain: 'docker.io', path: 'library/x', tag: 'a'.repeat(128) }],
    ['a/'.repeat(127) + 'a', { domain: 'docker.io', path: 'a/'.repeat(127) + 'a' }],
  ];
  for (const [input, expected] of cases) t.strictSame(parseReference(input), expected, input);
});

t.test('every spelling of one image normalises to the same canonical string', async (t) => {
  const groups: string[][] = [
    [
      'busybox',
      'busybox:latest',
      'library/busybox',
      'library/busybox:latest',
      'docker.io/busybox',
      'docker.io/library/busybox',
      'docker.io/library/busybox:latest',
      'index.docker.io/busybox',
      'index.docker.io/library/busybox:latest',
    ],
    ['myrepo/bb:v1', 'docker.io/myrepo/bb:v1', 'index.docker.io/myrepo/bb:v1'],
    ['localhost:5000/a/b', 'localhost:5000/a/b:latest'],
  ];
  for (const group of groups) {
    const canonical = group.map((s) => canonicalString(withDefaultTag(parseReference(s))));
    t.strictSame(new Set(canonical).size, 1, `${group.join(' = ')} → ${canonical[0]}`);
  }
});

t.test('familiar and canonical forms print as docker prints them', async (t) => {
  const cases: [input: string, familiarName: string, familiar: string, canonical: string][] = [
    ['busybox:latest', 'busybox', 'busybox:latest', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox:latest', 'busybox', 'busybox:latest', 'docker.io/library/busybox:latest'],
    ['docker.io/myrepo/bb:v1', 'myrepo/bb', 'myrepo/bb:v1', 'docker.io/myrepo/bb:v1'],
    ['library/a/b:1', 'library/a/b', 'library/a/b:1', 'docker.io/library/a/b:1'],
    ['localhost:5000/x', 'localhost:5000/x', 'localhost:5000/x', 'localhost:5000/x'],
    [
      'localhost:5000/library/x:1',
      'localhost:5000/library/x',
      'localhost:5000/library/x:1',
      'localhost:5000/library/x:1',
    ],
    ['[::1]:5000/x:y', '[::1]:5000/x', '[::1]:5000/x:y', '[::1]:5000/x:y'],
    [`busybox@${DIGEST}`, 'busybox', `busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`],
    [`busybox:1@${DIGEST}`, 'busybox', `busybox:1@${DIGEST}`, `docker.io/library/busybox:1@${DIGEST}`],
  ];
  for (const [input, name, familiar, canonical] of cases) {
    const ref = parseReference(input);
    t.equal(familiarName(ref), name, `${input} familiar name`);
    t.equal(familiarString(ref), familiar, `${input} familiar string`);
    t.equal(canonicalString(ref), canonical, `${input} canonical string`);
  }
  t.equal(fullName(parseReference('busybox:1')), 'docker.io/library/busybox');
});

t.test('familiar and canonical strings parse back to the same reference', async (t) => {
  const inputs = [
    'busybox',
    'busybox:1.36',
    'myrepo/bb:v1',
    'library/a/b',
    'localhost:5000/a/b:1',
    '127.0.0.1:5000/x/busybox:1',
    '[::1]:5000/x:y',
    `busybox:1@${DIGEST}`,
    'a_b.com/x',
  ];
  for (const input of inputs) {
    const ref = parseReference(input);
    t.strictSame(parseReference(familiarString(ref)), ref, `${input} via ${familiarString(ref)}`);
    t.strictSame(parseReference(canonicalString(ref)), ref, `${input} via ${canonicalString(ref)}`);
  }
});

t.test('withDefaultTag adds latest only when there is neither tag nor digest', async (t) => {
  t.equal(canonicalString(withDefaultTag(parseReference('busybox'))), 'docker.io/library/busybox:latest');
  t.equal(familiarString(withDefaultTag(parseReference('myrepo/bb:v1'))), 'myrepo/bb:v1');
  t.equal(familiarString(withDefaultTag(parseReference(`busybox@${DIGEST}`))), `busybox@${DIGEST}`);
  t.equal(familiarString(withTag(parseReference(`busybox:1@${DIGEST}`), '2')), `busybox:2@${DIGEST}`);
});

t.test('bad references are refused with docker wording', async (t) => {
  const cases: [input: string, message: string][] = [
    ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['myrepo/BB:v1', 'invalid reference format: repository name (myrepo/BB) must be lowercase'],
    ['localhost:5000/Foo', 'invalid reference format: repository name (Foo) must be lowercase'],
    ['docker.io/Library/busybox', 'invalid reference format: repository name (Library/busybox) must be lowercase'],
    [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
    ['', 'invalid reference format'],
    [' ', 'invalid reference format'],
    [' busybox', 'invalid reference format'],
    ['busybox ', 'invalid reference format'],
    [':tag', 'invalid reference format'],
    ['a::b', 'invalid reference format'],
    ['busybox:', 'invalid reference format'],
    ['busybox@', 'invalid reference format'],
    ['/busybox', 'invalid reference format'],
    ['busybox/', 'invalid reference format'],
    ['a//b', 'invalid reference format'],
    ['-a', 'invalid reference format'],
    ['a-', 'invalid reference format'],
    ['a..b', 'invalid reference format'],
    ['a___b', 'invalid reference format'],
    ['x:.tag', 'invalid reference format'],
    ['x:-tag', 'invalid reference format'],
    ['x:' + 'a'.repeat(129), 'invalid reference format'],
    ['x:a:b', 'invalid reference format'],
    ['localhost:port/x', 'invalid reference format'],
    ['[::1%eth0]:5000/x', 'invalid reference format'],
    ['-host.com/x', 'invalid reference format'],
    ['x@sha256:abc', 'invalid reference format'],
    ['x@sha256:' + 'g'.repeat(64), 'invalid reference format'],
    [`x@${DIGEST}@${DIGEST}`, 'invalid reference format'],
    ['x@sha256:' + HEX.slice(0, 40), 'invalid checksum digest length'],
    ['x@sha256:' + HEX + '00', 'invalid checksum digest length'],
    ['x@sha256:' + HEX.toUpperCase(), 'invalid checksum digest format'],
    ['x@sha512:' + HEX, 'invalid checksum digest length'],
    ['a/'.repeat(128) + 'a', 'repository name must not be more than 255 characters'],
  ];
  for (const [input, message] of cases) {
    t.equal(invalidMessage(() => parseReference(input)), message, JSON.stringify(input));
  }
});

t.test('a pathological reference is refused in linear time', async (t) => {
  const start = process.hrtime.bigint();
  const inputs = [
    'a-'.repeat(50_000) + '!',
    'a.'.repeat(50_000) + '!/x',
    'a/'.repeat(50_000) + 'A',
    'a'.repeat(100_000) + ':',
  ];
  for (const s of inputs) {
    t.equal(invalidMessage(() => parseReference(s)).startsWith('invalid reference format'), true);
  }
  t.ok(process.hrtime.bigint() - start < 2_000_000_000n, 'under two seconds for four 100 kB inputs');
});

t.test('full image IDs and ID prefixes are recognised for lookups', async (t) => {
  const cases: [input: string, full: boolean, prefix: boolean][] = [
    [HEX, true, true],
    [DIGEST, true, true],
    [HEX.slice(0, 12), false, true],
    ['sha256:' + HEX.slice(0, 12), false, true],
    ['e', false, true],
    ['deadbeef', false, true],
    [HEX.toUpperCase(), false, false],
    [HEX + '0', false, false],
    ['sha256:', false, false],
    ['sha512:' + HEX, false, false],
    ['busybox', false, false],
    ['', false, false],
  ];
  for (const [input, full, prefix] of cases) {
    t.equal(isFullImageId(input), full, `isFullImageId(${input})`);
    t.equal(looksLikeIdPrefix(input), prefix, `looksLikeIdPrefix(${input})`);
  }
});

t.test('fromImage and tag as the docker CLI, docker-py and dockerode send them', async (t) => {
  const cases: [client: string, fromImage: string, tag: string, canonical: string][] = [
    ['docker pull busybox', 'docker.io/library/busybox', 'latest', 'docker.io/library/busybox:latest'],
    ['docker pull busybox:1.36', 'docker.io/library/busybox', '1.36', 'docker.io/library/busybox:1.36'],
    ['docker pull a registry image', 'localhost:5000/a/b', '1', 'localhost:5000/a/b:1'],
    ['docker run with a digest', 'docker.io/library/busybox', DIGEST, `docker.io/library/busybox@${DIGEST}`],
    ['docker-py pull(alpine, tag=3.19)', 'alpine', '3.19', 'docker.io/library/alpine:3.19'],
    ['docker-py pull(busybox)', 'busybox', 'latest', 'docker.io/library/busybox:latest'],
    ['dockerode pull(alpine:3.18)', 'alpine', '3.18', 'docker.io/library/alpine:3.18'],
    ['docker pull -a (every tag: a name-only reference)', 'docker.io/library/alpine', '', 'docker.io/library/alpine'],
    ['a tag inside fromImage', 'alpine:3.19', '', 'docker.io/library/alpine:3.19'],
    ['tag overrides the tag inside fromImage', 'alpine:3.19', '3.20', 'docker.io/library/alpine:3.20'],
    ['a digest in tag drops the tag in fromImage', 'alpine:3.19', DIGEST, `docker.io/library/alpine@${DIGEST}`],
    ['a digest inside fromImage', `alpine@${DIGEST}`, '', `docker.io/library/alpine@${DIGEST}`],
    ['old pull -a trailing colon', 'docker.io/library/busybox:', 'latest', 'docker.io/library/busybox:latest'],
  ];
  for (const [client, fromImage, tag, canonical] of cases) {
    t.equal(canonicalString(parseRepoAndTag(fromImage, tag)), canonical, client);
  }
  t.equal(canonicalString(parseRepoAndTag('busybox')), 'docker.io/library/busybox', 'tag omitted: every tag, as moby');

  const bad: [fromImage: string, tag: string, message: string][] = [
    ['busybox', 'sha256:abc', 'invalid tag format'],
    ['busybox', `sha256:${HEX.slice(0, 40)}`, 'invalid tag format'],
    ['busybox', 'bad tag', 'invalid tag format'],
    ['Busybox', 'latest', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['', 'latest', 'invalid reference format'],
  ];
  for (const [fromImage, tag, message] of bad) {
    t.equal(invalidMessage(() => parseRepoAndTag(fromImage, tag)), message, `${fromImage} ${tag}`);
  }
});

t.test('repo and tag for docker tag, import and commit', async (t) => {
  const cases: [repo: string, tag: string, familiar: string][] = [
    ['docker.io/myrepo/bb', 'v1', 'myrepo/bb:v1'],
    ['myimp:1', '', 'myimp:1'],
    ['myimp', '', 'myimp:latest'],
    ['myimp:1', '2', 'myimp:2'],
    ['localhost:5000/x', 'y', 'localhost:5000/x:y'],
  ];
  for (const [repo, tag, familiar] of cases) {
    t.equal(familiarString(parseTagTarget(repo, tag)), familiar, `${repo} ${tag}`);
  }
  t.equal(invalidMessage(() => parseTagTarget(`x@${DIGEST}`, '')), 'cannot import digest reference');
  t.equal(invalidMessage(() => parseTagTarget('x', DIGEST)), 'invalid tag format');
});

t.test('the registry host for Docker Hub is registry-1.docker.io, others as given', async (t) => {
  const cases: [input: string, host: string][] = [
    ['busybox', 'registry-1.docker.io'],
    ['index.docker.io/myrepo/bb', 'registry-1.docker.io'],
    ['localhost:5000/a/b:1', 'localhost:5000'],
    ['127.0.0.1:5000/x/busybox:1', '127.0.0.1:5000'],
    ['[::1]:5000/x:y', '[::1]:5000'],
    ['ghcr.io/owner/app', 'ghcr.io'],
  ];
  for (const [input, host] of cases) t.equal(registryHost(parseReference(input)), host, input);
});

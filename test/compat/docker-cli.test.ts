// The real docker CLI (28.2.2, API 1.50) against a real kapald on a private socket: version
// negotiation, the version and info screens, and how daemon errors reach the user. DOCKER_HOST
// always names the test socket and DOCKER_CONFIG a temp dir, so the CLI never touches a real
// engine or ~/.docker.

import { execFile } from 'node:child_process';
import t, { type Test } from 'tap';
import { makeTempDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { DOCKER, cleanEnv, skipWithoutDocker as skip, type Run } from '../helpers/docker-cli.js';
import { startRecordingProxy } from './recording-proxy.js';

interface Cli {
  d: TestDaemon;
  /** Runs docker with DOCKER_HOST set to the daemon (or, with `proxied`, to a recording proxy). */
  docker(args: string[], env?: NodeJS.ProcessEnv): Promise<Run>;
  /** Request lines the proxied runs sent, in order. */
  requests: string[];
  proxyHost: string;
  configDir: string;
}

async function setup(t: Test): Promise<Cli> {
  const d = await startDaemon(t, 'docker-cli');
  const configDir = makeTempDir(t, 'docker-config');
  const proxy = await startRecordingProxy(t, makeTempDir(t, 'docker-proxy'), d.socket);
  const docker = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<Run>((resolve) => {
      execFile(DOCKER, args, { env: cleanEnv(configDir, { DOCKER_HOST: `unix://${d.socket}`, ...env }), timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  return { d, docker, requests: proxy.requests, proxyHost: `unix://${proxy.socket}`, configDir };
}

t.test('docker version prints the Server section of kapal at API 1.49 and exits 0', { skip }, async (t) => {
  const { docker, d } = await setup(t);
  const run = await docker(['version']);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stderr, '');
  // The CLI speaks 1.50 and negotiates down to the 1.49 that /_ping advertises.
  t.match(run.stdout, /^Client:\n Version: +28\.\d+\.\d+\n API version: +1\.49 \(downgraded from 1\.50\)\n/);
  const version = (await d.request('GET', '/version')).json<{ Version: string; GitCommit: string }>();
  t.match(run.stdout, new RegExp(`\\n\\nServer: kapal ${version.Version.replace(/\./g, '\\.')}\\n Engine:\\n`));
  t.match(run.stdout, new RegExp(`\\n  Version: +${version.Version.replace(/\./g, '\\.')}\\n`));
  t.match(run.stdout, /\n  API version: +1\.49 \(minimum version 1\.24\)\n/);
  t.match(run.stdout, new RegExp(`\\n  Git commit: +${version.GitCommit}\\n`));
  t.match(run.stdout, /\n  OS\/Arch: +linux\/\w+\n/);
});

t.test('the CLI pings /_ping unversioned, then sends /v1.49/ paths', { skip }, async (t) => {
  const { docker, requests, proxyHost } = await setup(t);
  const run = await docker(['version'], { DOCKER_HOST: proxyHost });
  t.equal(run.code, 0, run.stderr);
  t.same(requests, ['HEAD /_ping', 'GET /v1.49/version']);
});

t.test("docker version --format '{{.Server.APIVersion}}' prints 1.49", { skip }, async (t) => {
  const { docker } = await setup(t);
  const run = await docker(['version', '--format', '{{.Server.APIVersion}}']);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout, '1.49\n');
  t.equal(run.stderr, '');
});

t.test('docker -H unix://<socket> version works without DOCKER_HOST', { skip }, async (t) => {
  const { docker, d } = await setup(t);
  const run = await docker(['-H', `unix://${d.socket}`, 'version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}'], {
    DOCKER_HOST: undefined,
  });
  const version = (await d.request('GET', '/version')).json<{ Version: string }>();
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout, `${version.Version} 1.49\n`);
});

t.test('docker info prints the Server section with the ID and version GET /info reports, and no errors', { skip }, async (t) => {
  const { docker, d } = await setup(t);
  const info = (await d.request('GET', '/info')).json<{ ID: string; ServerVersion: string; DockerRootDir: string }>();
  const run = await docker(['info']);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /\n\nServer:\n Containers: 0\n  Running: 0\n  Paused: 0\n  Stopped: 0\n Images: 0\n/);
  t.ok(run.stdout.includes(`\n ID: ${info.ID}\n`), `the daemon ID ${info.ID}`);
  t.ok(run.stdout.includes(`\n Server Version: ${info.ServerVersion}\n`), `Server Version ${info.ServerVersion}`);
  t.ok(run.stdout.includes(`\n Docker Root Dir: ${d.dataRoot}\n`), 'the data root');
  t.match(run.stdout, /\n Swarm: inactive\n/);
  const all = run.stdout + run.stderr;
  t.notMatch(all, /Error/, 'no Error lines');
  t.notMatch(all, /errors pretty printing info/);
});

t.test('a daemon error prints "Error response from daemon: <message>", not raw JSON: docker rm exits 1', { skip }, async (t) => {
  const { docker } = await setup(t);
  const run = await docker(['rm', 'nosuch']);
  t.equal(run.stderr, 'Error response from daemon: No such container: nosuch\n');
  t.equal(run.stdout, '');
  t.equal(run.code, 1);
});

t.test('docker run turns a create error into exit 125 with its "docker:" prefix', { skip }, async (t) => {
  const { docker } = await setup(t);
  const run = await docker(['run', '--rm', '--pull=never', 'busybox', 'true']);
  t.equal(run.stderr, `docker: Error response from daemon: No such image: busybox:latest\n\nRun 'docker run --help' for more information\n`);
  t.equal(run.code, 125);
});

t.test('an invalid container name reaches the daemon and its 400 prints as one clean line', { skip }, async (t) => {
  // The CLI does not check names itself: "-x" goes out as ?name=-x.
  const { docker, requests, proxyHost } = await setup(t);
  const run = await docker(['create', '--name', '-x', 'busybox'], { DOCKER_HOST: proxyHost });
  t.equal(run.code, 1);
  t.ok(requests.includes('POST /v1.49/containers/create?name=-x'), `the create reached the daemon: ${requests.join(', ')}`);
  t.match(run.stderr, /^Error response from daemon: [^{\n]*only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed[^{\n]*\n$/);
});

t.test('DOCKER_API_VERSION=1.99 docker version shows moby\'s "too new" error for the server part', { skip }, async (t) => {
  const { docker } = await setup(t);
  const run = await docker(['version'], { DOCKER_API_VERSION: '1.99' });
  t.equal(run.code, 1);
  t.match(run.stdout, /^Client:\n Version: +28\.\d+\.\d+\n API version: +1\.99/);
  t.notMatch(run.stdout, /Server:/);
  t.equal(run.stderr, 'Error response from daemon: client version 1.99 is too new. Maximum supported API version is 1.49\n');
});

t.test('DOCKER_API_VERSION=1.23 docker version shows moby\'s "too old" error', { skip }, async (t) => {
  const { docker } = await setup(t);
  const run = await docker(['version'], { DOCKER_API_VERSION: '1.23' });
  t.equal(run.code, 1);
  t.equal(
    run.stderr,
    'Error response from daemon: client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version\n',
  );
});

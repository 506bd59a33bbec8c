// bin/kapal as a user runs it, as a child process against a real kapald on a private socket
// (and, for tcp://, with real certificates made by openssl).

import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ApiClient, DaemonError } from '../../src/cli/client.js';
import { KAPAL, makeTempDir, startDaemon } from '../helpers/daemon.js';
import { freePort, makeCertificates } from '../helpers/tls.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/kapal with a clean KAPAL_HOST unless `env` sets one. */
function kapal(args: string[], env: NodeJS.ProcessEnv = {}, script = KAPAL): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: { ...process.env, KAPAL_HOST: '', ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const CONNECT_FAILURE = (host: string) => `Cannot connect to the kapal daemon at ${host}. Is kapald running?\n`;

t.test('kapal version prints the Client and Server sections, the server at API version 1.49', async (t) => {
  const d = await startDaemon(t, 'cli');
  const run = await kapal(['-H', `unix://${d.socket}`, 'version']);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stderr, '');
  t.match(run.stdout, /^Client:\n Version: +0\.\d+\.\d+\n API version: +1\.49\n Node\.js version: +\d+/);
  t.match(run.stdout, /\n\nServer: kapal \S+\n Engine:\n  Version: +\S+\n  API version: +1\.49 \(minimum version 1\.24\)\n/);
  t.match(run.stdout, /  OS\/Arch: +linux\/\w+\n  Kernel version: +\S+/);
  t.match(run.stdout, / Node\.js:\n  Version: +\d+\.\d+\.\d+\n/);
});

t.test('kapal info prints the ID and data root that GET /info reports', async (t) => {
  const d = await startDaemon(t, 'cli');
  const expected = (await d.request('GET', '/info')).json<{ ID: string; DockerRootDir: string }>();
  const run = await kapal(['info'], { KAPAL_HOST: `unix://${d.socket}` });
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /^Server:\n Containers: 0\n  Running: 0\n  Paused: 0\n  Stopped: 0\n Images: 0\n/);
  t.ok(run.stdout.includes(`\n ID: ${expected.ID}\n`), 'the daemon ID');
  t.ok(run.stdout.includes(`\n Kapal Root Dir: ${d.dataRoot}\n`), 'the data root');
  t.equal(expected.DockerRootDir, d.dataRoot);
  t.match(run.stdout, /\n Total Memory: [\d.]+[KMGT]iB\n/);
});

t.test('--format json prints JSON that parses, for version and for info', async (t) => {
  const d = await startDaemon(t, 'cli');
  const host = `unix://${d.socket}`;
  const version = await kapal(['-H', host, 'version', '--format', 'json']);
  t.equal(version.code, 0, version.stderr);
  const v = JSON.parse(version.stdout) as { Client: { ApiVersion: string; Version: string }; Server: { ApiVersion: string } };
  t.equal(v.Client.ApiVersion, '1.49');
  t.equal(v.Server.ApiVersion, '1.49');
  const info = await kapal(['-H', host, 'info', '-f', 'json']);
  t.equal(info.code, 0, info.stderr);
  t.equal((JSON.parse(info.stdout) as { ID: string }).ID, (await d.request('GET', '/info')).json<{ ID: string }>().ID);
  const unsupported = await kapal(['-H', host, 'info', '--format', '{{.ID}}']);
  t.equal(unsupported.code, 125);
  t.match(unsupported.stderr, /unsupported --format "\{\{\.ID\}\}".*\nSee 'kapal info --help'\.\n$/);
});

t.test('-H wins over KAPAL_HOST', async (t) => {
  const d = await startDaemon(t, 'cli');
  const run = await kapal(['-H', `unix://${d.socket}`, 'info'], { KAPAL_HOST: 'unix:///nonexistent/kapal.sock' });
  t.equal(run.code, 0, run.stderr);
});

t.test('with no daemon at the socket, version prints the Client section, then "Cannot connect", exit 1', async (t) => {
  const host = `unix://${path.join(makeTempDir(t, 'cli'), 'missing.sock')}`;
  const run = await kapal(['-H', host, 'version']);
  t.equal(run.code, 1);
  t.match(run.stdout, /^Client:\n Version: /);
  t.notMatch(run.stdout, /Server:/);
  t.equal(run.stderr, CONNECT_FAILURE(host));
});

t.test('with a stopped daemon, info says "Cannot connect" and exits 1', async (t) => {
  const d = await startDaemon(t, 'cli');
  await d.stop();
  const host = `unix://${d.socket}`;
  const run = await kapal(['info'], { KAPAL_HOST: host });
  t.equal(run.code, 1);
  t.equal(run.stdout, '');
  t.equal(run.stderr, CONNECT_FAILURE(host));
});

t.test('without -H or KAPAL_HOST kapal talks to /run/kapal/kapal.sock', async (t) => {
  const run = await kapal(['version', '-f', 'json']);
  // Whether a system kapald runs here or not, the client part prints and names the default socket.
  t.equal((JSON.parse(run.stdout.split('\n')[0]!) as { Client: { ApiVersion: string } }).Client.ApiVersion, '1.49');
  // One assertion either way, so the count does not depend on the machine's state.
  t.ok(run.code === 0 || run.stderr.includes('unix:///run/kapal/kapal.sock'), run.stderr);
});

t.test("an unknown command exits 1 with docker's wording", async (t) => {
  const run = await kapal(['foo']);
  t.equal(run.code, 1);
  t.equal(run.stdout, '');
  t.equal(run.stderr, "kapal: 'foo' is not a kapal command.\nSee 'kapal --help'\n");
});

t.test('an unknown flag exits 125 and points at the help of where it was given', async (t) => {
  const global = await kapal(['--bogus', 'version']);
  t.equal(global.code, 125);
  t.equal(global.stderr, "unknown flag: --bogus\nSee 'kapal --help'.\n");
  const local = await kapal(['version', '-x']);
  t.equal(local.code, 125);
  t.equal(local.stderr, "unknown shorthand flag: 'x' in -x\nSee 'kapal version --help'.\n");
  const args = await kapal(['info', 'extra']);
  t.equal(args.code, 1);
  t.equal(args.stderr, "\"kapal info\" accepts no arguments.\nSee 'kapal info --help'.\n");
});

t.test('kapal --help lists version and info; kapal VERB --help shows its options', async (t) => {
  for (const argv of [['--help'], ['-h'], ['help'], []]) {
    const run = await kapal(argv);
    t.equal(run.code, 0, argv.join(' '));
    t.match(run.stdout, /^Usage: {2}kapal \[OPTIONS\] COMMAND\n/);
    t.match(run.stdout, /\n {2}version +Show the kapal version information\n/);
    t.match(run.stdout, /\n {2}info +Display system-wide information\n/);
    t.match(run.stdout, /\n {2}-H, --host string +Daemon socket to connect to/);
  }
  for (const argv of [['info', '--help'], ['help', 'info']]) {
    const run = await kapal(argv);
    t.equal(run.code, 0);
    t.equal(run.stdout, 'Usage:  kapal info [OPTIONS]\n\nDisplay system-wide information\n\nOptions:\n  -f, --format string   Format output using "json"\n');
  }
});

t.test('kapal -v and --version print the client version on one line, without a daemon', async (t) => {
  for (const flag of ['-v', '--version']) {
    const run = await kapal([flag], { KAPAL_HOST: 'unix:///nonexistent/kapal.sock' });
    t.equal(run.code, 0);
    t.match(run.stdout, /^kapal version \d+\.\d+\.\d+, build \S+\n$/);
  }
});

t.test('an error answer from the daemon becomes a DaemonError with its status and message', async (t) => {
  const d = await startDaemon(t, 'cli');
  const client = new ApiClient({ host: `unix://${d.socket}`, certPath: '/nonexistent' });
  const err = await client.get('/no/such/route').catch((e: unknown) => e);
  t.ok(err instanceof DaemonError);
  t.match(err, { status: 404, message: 'page not found' });
});

t.test('an invalid -H value is refused with the forms kapal accepts', async (t) => {
  const run = await kapal(['-H', 'localhost:2375', 'info']);
  t.equal(run.code, 1);
  t.equal(run.stderr, 'invalid daemon host "localhost:2375": expected unix:///path/to/socket or tcp://host:port\n');
});

t.test('over tcp:// kapal presents the client certificate from KAPAL_CERT_PATH to a TLS-only kapald', async (t) => {
  const certs = makeCertificates(makeTempDir(t, 'cli-tls'));
  const host = `tcp://127.0.0.1:${await freePort()}`;
  const d = await startDaemon(t, 'cli', { args: ['-H', host, ...certs.server] });
  const run = await kapal(['-H', host, 'info'], { KAPAL_CERT_PATH: certs.client });
  t.equal(run.code, 0, run.stderr);
  t.ok(run.stdout.includes(`\n ID: ${(await d.request('GET', '/info')).json<{ ID: string }>().ID}\n`), 'the daemon ID');
  const missing = await kapal(['-H', host, 'info'], { KAPAL_CERT_PATH: '/nonexistent' });
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^could not read the TLS client file \/nonexistent\/ca\.pem \(set KAPAL_CERT_PATH\)/);
});

t.test('bin/kapal in an unbuilt checkout says how to build', async (t) => {
  const checkout = makeTempDir(t, 'cli-unbuilt');
  mkdirSync(path.join(checkout, 'bin'));
  const script = path.join(checkout, 'bin/kapal');
  copyFileSync(KAPAL, script);
  const run = await kapal(['version'], {}, script);
  t.equal(run.code, 1);
  t.equal(run.stderr, 'kapal: kapal is not built; run `npm ci && npm run build` in the checkout\n');
});

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import t from 'tap';
import { makeTempDir, startDaemon } from '../helpers/daemon.js';
import { freePort, makeCertificates } from '../helpers/tls.js';

function get(port: number, opts: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/_ping', agent: false, ...opts }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('tcp:// serves only clients with a certificate from the configured CA', async (t) => {
  const dir = makeTempDir(t, 'tls');
  const certs = makeCertificates(dir);
  const port = await freePort();
  const d = await startDaemon(t, 'tls', { args: ['-H', `tcp://127.0.0.1:${port}`, ...certs.server] });
  const ca = readFileSync(path.join(dir, 'ca.pem'));
  const ok = await get(port, {
    ca,
    cert: readFileSync(path.join(certs.client, 'cert.pem')),
    key: readFileSync(path.join(certs.client, 'key.pem')),
  });
  t.same(ok, { status: 200, body: 'OK' });
  await t.rejects(get(port, { ca }), 'no client certificate: the handshake fails');

  const strangers = makeCertificates(makeTempDir(t, 'tls-other-ca'));
  await t.rejects(
    get(port, {
      ca,
      cert: readFileSync(path.join(strangers.client, 'cert.pem')),
      key: readFileSync(path.join(strangers.client, 'key.pem')),
    }),
    'a certificate from another CA is refused',
  );
  t.equal((await d.request('GET', '/_ping')).text, 'OK', 'the Unix socket serves beside TCP');
});

t.test('the docker CLI reaches kapald over TLS with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', async (t) => {
  if (spawnSync('docker', ['--version']).error) {
    t.skip('the docker CLI is not installed');
    return;
  }
  const dir = makeTempDir(t, 'tls-docker');
  const certs = makeCertificates(dir);
  const port = await freePort();
  await startDaemon(t, 'tls-docker', { args: ['-H', `tcp://127.0.0.1:${port}`, ...certs.server] });
  const run = spawnSync('docker', ['version', '--format', '{{.Server.APIVersion}}'], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      DOCKER_HOST: `tcp://127.0.0.1:${port}`,
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: certs.client,
      DOCKER_CONFIG: makeTempDir(t, 'tls-docker-config'),
    },
  });
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stdout.trim(), '1.49');
});

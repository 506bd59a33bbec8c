// TLS material for tests of tcp:// hosts: a throwaway CA, a server certificate for 127.0.0.1 and a
// client certificate, made by openssl; plus a free loopback port.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, named as KAPAL_CERT_PATH expects. */
export function makeCertificates(dir: string): { server: string[]; client: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const sign = (name: string, cn: string, ext: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-out', `${name}-cert.pem`, '-extfile', `${name}.ext`);
  };
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=kapal test CA');
  sign('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  sign('client', 'kapal test client', 'extendedKeyUsage=clientAuth\n');
  const client = path.join(dir, 'client');
  mkdirSync(client);
  copyFileSync(path.join(dir, 'ca.pem'), path.join(client, 'ca.pem'));
  copyFileSync(path.join(dir, 'client-cert.pem'), path.join(client, 'cert.pem'));
  copyFileSync(path.join(dir, 'client-key.pem'), path.join(client, 'key.pem'));
  const file = (name: string) => path.join(dir, name);
  return { server: ['--tlsverify', '--tlscacert', file('ca.pem'), '--tlscert', file('server-cert.pem'), '--tlskey', file('server-key.pem')], client };
}

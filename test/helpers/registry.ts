// A real registry for tests: Debian's docker-registry (distribution 2.8) on a free loopback port with
// filesystem storage in a temp dir, optionally behind htpasswd or behind a token server of our own
// (ES256 JWTs with an x5c certificate the registry trusts); seeded with skopeo, an independent client.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './tls.js';

const execFileAsync = promisify(execFile);

interface Teardown {
  teardown(fn: () => unknown): void;
}

export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const SKOPEO_BIN = '/usr/bin/skopeo';

/** Why the registry tests cannot run here, or undefined when they can. */
export function registryMissing(): string | undefined {
  if (!existsSync(REGISTRY_BIN)) return `${REGISTRY_BIN} is missing (apt-get install docker-registry)`;
  if (!existsSync(SKOPEO_BIN)) return `${SKOPEO_BIN} is missing (apt-get install skopeo)`;
  return undefined;
}

export interface TokenPolicy {
  /** username → password; also accepted as refresh token `refresh-<username>`. */
  users: Record<string, string>;
  /** Repositories under these prefixes may be pulled anonymously; users may pull and push anything. */
  publicPrefixes: string[];
}

export interface TokenRequest {
  method: string;
  account: string | undefined;
  scope: string[];
  grant: 'basic' | 'refresh_token' | 'anonymous';
}

export interface RegistryOptions {
  htpasswd?: { username: string; password: string };
  /** Answer blob GET/HEAD with a redirect to this base URL plus the blob's path in the storage dir (`data/`). */
  redirectBlobsTo?: string;
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: { cert: string; key: string };
  token?: TokenPolicy;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, the domain of references to this registry. */
  host: string;
  dir: string;
  /** Requests the token server answered (token registries only). */
  tokenRequests: TokenRequest[];
}

/** How to write an htpasswd bcrypt line here: apache2-utils' htpasswd, else python3's crypt module. */
export function htpasswdLine(username: string, password: string): string | undefined {
  try {
    return execFileSync('htpasswd', ['-Bbn', username, password], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not installed
  }
  try {
    const script = 'import crypt,sys; print(sys.argv[1] + ":" + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH)))';
    const line = execFileSync('python3', ['-W', 'ignore', '-c', script, username, password], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return /^[^:]+:\$2[aby]\$/.test(line) ? line : undefined;
  } catch {
    return undefined;
  }
}

export async function startRegistry(t: Teardown, opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kapal-registry-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const tokenRequests: TokenRequest[] = [];
  let auth = '';
  if (opts.htpasswd) {
    const line = htpasswdLine(opts.htpasswd.username, opts.htpasswd.password);
    if (line === undefined) throw new Error('cannot make a bcrypt htpasswd line (no htpasswd, no python3 crypt)');
    writeFileSync(path.join(dir, 'htpasswd'), `${line}\n`);
    auth = `auth:\n  htpasswd:\n    realm: kapal-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  } else if (opts.token) {
    const realm = await startTokenServer(t, dir, opts.token, tokenRequests);
    auth = `auth:\n  token:\n    realm: ${realm}\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n    rootcertbundle: ${path.join(dir, 'token-cert.pem')}\n`;
  }
  const redirect = opts.redirectBlobsTo ? `middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: ${opts.redirectBlobsTo}\n` : '';
  const tls = opts.tls ? `  tls:\n    certificate: ${opts.tls.cert}\n    key: ${opts.tls.key}\n` : '';
  const config = path.join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\n` +
      `  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: ${host}\n  secret: ${randomBytes(16).toString('hex')}\n${tls}${auth}${redirect}`,
  );
  // REGISTRY_* variables would override the file.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
  const proc = spawn(REGISTRY_BIN, ['serve', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  t.teardown(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    process.kill(proc.pid!, 'SIGTERM');
    const timer = setTimeout(() => proc.exitCode === null && process.kill(proc.pid!, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited with ${proc.exitCode}:\n${output}`);
    const status = await new Promise<number>((resolve) => {
      const get = opts.tls ? https.get : http.get;
      get(`${opts.tls ? 'https' : 'http'}://${host}/v2/`, { rejectUnauthorized: false }, (res) => resolve(res.resume().statusCode ?? 0)).on('error', () => resolve(0));
    });
    if (status === 200 || status === 401) break;
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${host}:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host, dir, tokenRequests };
}

/**
 * Runs skopeo (without a signature policy file); throws with its output. Asynchronous, so a token
 * server in this process can answer it.
 */
export async function skopeo(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(SKOPEO_BIN, ['--insecure-policy', ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`skopeo ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

const SERVICE = 'kapal-test-registry';
const ISSUER = 'kapal-test-issuer';

/** A token server in this process: grants per TokenPolicy, signs ES256 JWTs carrying their certificate. */
async function startTokenServer(t: Teardown, dir: string, policy: TokenPolicy, log: TokenRequest[]): Promise<string> {
  const key = path.join(dir, 'token-key.pem');
  const cert = path.join(dir, 'token-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=kapal test token issuer'], { stdio: 'ignore' });
  const privateKey = readFileSync(key);
  const der = readFileSync(cert, 'utf8').replace(/-----[^-]+-----|\s/g, '');
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://token');
      const form = req.method === 'POST' ? new URLSearchParams(body) : url.searchParams;
      let user: string | undefined;
      let grant: TokenRequest['grant'] = 'anonymous';
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      if (basic) {
        const [name = '', password] = Buffer.from(basic[1]!, 'base64').toString().split(/:(.*)/s);
        if (policy.users[name] === undefined || policy.users[name] !== password) return deny(res, 'incorrect username or password');
        [user, grant] = [name, 'basic'];
      } else if (form.get('grant_type') === 'refresh_token') {
        const name = form.get('refresh_token')?.replace(/^refresh-/, '') ?? '';
        if (policy.users[name] === undefined) return deny(res, 'invalid refresh token');
        [user, grant] = [name, 'refresh_token'];
      }
      const scopes = form.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      log.push({ method: req.method ?? '', account: form.get('account') ?? undefined, scope: scopes, grant });
      const access = scopes.flatMap((scope) => {
        const [type, name = '', actions = ''] = scope.split(':');
        if (type !== 'repository') return [];
        const allowed = user !== undefined ? ['pull', 'push'] : policy.publicPrefixes.some((p) => name.startsWith(p)) ? ['pull'] : [];
        return [{ type, name, actions: actions.split(',').filter((a) => allowed.includes(a)) }];
      });
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: ISSUER, sub: user ?? '', aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now - 10, jti: randomBytes(8).toString('hex'), access };
      const segment = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const signed = `${segment({ typ: 'JWT', alg: 'ES256', x5c: [der] })}.${segment(claims)}`;
      const signature = sign('sha256', Buffer.from(signed), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      const token = `${signed}.${signature}`;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(grant === 'refresh_token' ? { access_token: token, expires_in: 300 } : { token, expires_in: 300, issued_at: new Date().toISOString() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve).closeAllConnections()));
  server.unref();
  const { port } = server.address() as import('node:net').AddressInfo;
  return `http://127.0.0.1:${port}/token`;
}

function deny(res: http.ServerResponse, details: string): void {
  res.writeHead(401, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ details }));
}

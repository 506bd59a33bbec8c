// The Authorization header for a registry request, from the challenge its /v2/ ping gave: Basic
// with the user's password, or a Bearer token from the token server (docker's token spec: GET with
// basic credentials, or POST a refresh token), cached per realm, service, scope and user until expiry.

import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { KapalError } from '../../domain/errors.js';
import type { RegistryAuth } from './auth-config.js';
import type { Challenge } from './challenge.js';
import type { EndpointPolicy } from './endpoints.js';
import { readRegistryError } from './registry-errors.js';
import { discard, readBody, type Transport } from './transport.js';

const MIN_TOKEN_SECONDS = 60; // the token spec's floor, and its default when expires_in is absent
const EXPIRY_MARGIN_MS = 5_000;
const CLIENT_ID = 'kapal';

export interface Authorization {
  /** The Authorization header's value; absent for an anonymous request. */
  header?: string;
  /** A token from the cache, which the registry may have stopped accepting. */
  cached: boolean;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export class Authorizer {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly transport: Transport,
    private readonly policy: EndpointPolicy,
  ) {}

  /**
   * The header for one request (none for an anonymous one). `what` names the request in
   * errors (`Get "https://…/manifests/latest"`), as docker does; `fresh` skips the token cache.
   */
  async authorization(challenge: Challenge | undefined, scope: string, auth: RegistryAuth | undefined, what: string, fresh = false): Promise<Authorization> {
    if (auth?.registrytoken) return { header: `Bearer ${auth.registrytoken}`, cached: false };
    if (challenge === undefined) return { cached: false };
    if (challenge.scheme === 'basic') {
      if (!auth?.username) throw new KapalError('Forbidden', `${what}: no basic auth credentials`);
      return { header: basic(auth.username, auth.password ?? ''), cached: false };
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return { cached: false };
    const key = [challenge.params.realm, challenge.params.service ?? '', scope, identity(auth)].join('\n');
    const cached = this.tokens.get(key);
    if (!fresh && cached !== undefined && cached.expiresAt > Date.now()) return { header: `Bearer ${cached.token}`, cached: true };
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.fetchToken(challenge, scope, auth, what).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const token = await pending;
    this.tokens.set(key, token);
    return { header: `Bearer ${token.token}`, cached: false };
  }

  private async fetchToken(challenge: Challenge, scope: string, auth: RegistryAuth | undefined, what: string): Promise<CachedToken> {
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm!);
    } catch {
      throw new KapalError('Unavailable', `${what}: invalid token realm ${JSON.stringify(challenge.params.realm)}`);
    }
    const verifyTls = !(await this.policy.isInsecure(realm.host));
    const service = challenge.params.service;
    if (auth?.identitytoken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.identitytoken, client_id: CLIENT_ID });
      if (service) form.set('service', service);
      if (scope) form.set('scope', scope);
      const res = await this.transport.send({
        method: 'POST',
        url: realm,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
        verifyTls,
      });
      // Servers without the OAuth2 endpoint answer 404 or 405: fall back to GET, as containerd does.
      if (res.statusCode !== 404 && res.statusCode !== 405) return this.tokenFrom(res, what);
      discard(res);
    }
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    if (scope) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    if (auth?.username) {
      url.searchParams.set('account', auth.username);
      headers.Authorization = basic(auth.username, auth.password ?? '');
    }
    return this.tokenFrom(await this.transport.send({ method: 'GET', url, headers, verifyTls }), what);
  }

  private async tokenFrom(res: IncomingMessage, what: string): Promise<CachedToken> {
    if (res.statusCode !== 200) {
      const err = await readRegistryError(res);
      const kind = res.statusCode === 401 || res.statusCode === 403 ? 'Forbidden' : 'Unavailable';
      throw new KapalError(kind, `${what}: ${err.message}`, { cause: err });
    }
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      doc = JSON.parse((await readBody(res)).toString('utf8'));
    } catch {
      throw new KapalError('Unavailable', `${what}: the token server answered with invalid JSON`);
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : doc.access_token;
    if (typeof token !== 'string' || token === '') throw new KapalError('Unavailable', `${what}: the token server answered without a token`);
    const seconds = typeof doc.expires_in === 'number' && doc.expires_in >= MIN_TOKEN_SECONDS ? doc.expires_in : MIN_TOKEN_SECONDS;
    const issued = typeof doc.issued_at === 'string' ? Date.parse(doc.issued_at) : NaN;
    const from = Number.isFinite(issued) && issued <= Date.now() ? issued : Date.now();
    return { token, expiresAt: from + seconds * 1000 - EXPIRY_MARGIN_MS };
  }
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Tokens of different users never mix; secrets are hashed, not kept as keys. */
function identity(auth: RegistryAuth | undefined): string {
  if (!auth) return '';
  return createHash('sha256')
    .update(`${auth.username ?? ''}\0${auth.password ?? ''}\0${auth.identitytoken ?? ''}`)
    .digest('hex');
}

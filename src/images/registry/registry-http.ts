// Requests to one registry endpoint as docker makes them: ping /v2/ once to learn the scheme that
// answers (HTTPS, or plain HTTP for insecure hosts) and the auth challenge, authorise every request
// for its scope, retry once after a 401 that brings a new challenge or rejects a cached token, and
// follow redirects (blobs often live on S3) without sending credentials to another host.

import type { IncomingMessage } from 'node:http';
import type { RegistryAuth } from './auth-config.js';
import { Authorizer } from './authorizer.js';
import { parseChallenges, preferredChallenge, type Challenge } from './challenge.js';
import type { Endpoint, EndpointPolicy } from './endpoints.js';
import { discard, goMethod, type HttpRequest, type Transport } from './transport.js';

interface Pinged {
  /** `https://host:port/` or `http://host:port/`. */
  base: URL;
  verifyTls: boolean;
  challenge: Challenge | undefined;
}

export interface RegistryRequest {
  method: HttpRequest['method'];
  /** A path under the endpoint (`/v2/a/b/manifests/x`) or an absolute URL (an upload Location). */
  target: string;
  headers?: Record<string, string>;
  body?: HttpRequest['body'];
  /** `repository:a/b:pull`, or `repository:a/b:pull,push`. */
  scope: string;
  auth: RegistryAuth | undefined;
  followRedirects?: boolean;
}

const MAX_REDIRECTS = 10;

export class RegistryHttp {
  private readonly pings = new Map<string, Promise<Pinged>>();
  private readonly authorizer: Authorizer;

  constructor(
    private readonly transport: Transport,
    private readonly policy: EndpointPolicy,
  ) {
    this.authorizer = new Authorizer(transport, policy);
  }

  /** Sends the request and resolves with the final response, whatever its status. */
  async send(ep: Endpoint, req: RegistryRequest): Promise<IncomingMessage> {
    const pinged = await this.ping(ep);
    const url = new URL(req.target, pinged.base);
    const sameOrigin = url.origin === pinged.base.origin;
    const verifyTls = sameOrigin ? pinged.verifyTls : !(await this.policy.isInsecure(url.host));
    let challenge = sameOrigin ? pinged.challenge : undefined;
    let fresh = false;
    for (let attempt = 0; ; attempt++) {
      const what = `${goMethod(req.method)} "${url.href}"`;
      const authorization = await this.authorizer.authorization(challenge, req.scope, req.auth, what, fresh);
      const headers = { ...req.headers, ...(authorization.header ? { Authorization: authorization.header } : {}) };
      let res: IncomingMessage;
      try {
        res = await this.transport.send({ method: req.method, url, headers, body: req.body, verifyTls });
      } catch (err) {
        this.forget(ep); // the host may have moved (restarted on HTTP, say): ping again next time
        throw err;
      }
      if (res.statusCode === 401 && attempt === 0 && sameOrigin) {
        const next = preferredChallenge(parseChallenges(res.headers['www-authenticate']));
        const changed = next !== undefined && (challenge === undefined || next.scheme !== challenge.scheme || next.params.realm !== challenge.params.realm);
        if (changed || authorization.cached) {
          discard(res);
          if (changed) {
            challenge = next;
            pinged.challenge = next;
          }
          fresh = true;
          continue;
        }
      }
      if (req.followRedirects && isRedirect(res.statusCode)) {
        return this.follow(res, url, req.method, headers, pinged);
      }
      return res;
    }
  }

  private async follow(first: IncomingMessage, from: URL, method: HttpRequest['method'], headers: Record<string, string>, pinged: Pinged): Promise<IncomingMessage> {
    let res = first;
    let url = from;
    for (let hop = 0; hop < MAX_REDIRECTS && isRedirect(res.statusCode) && res.headers.location; hop++) {
      const next = new URL(res.headers.location, url);
      discard(res);
      url = next;
      const sameOrigin = url.origin === pinged.base.origin;
      const { Authorization: _dropped, ...rest } = headers;
      res = await this.transport.send({
        method: res.statusCode === 303 ? 'GET' : method,
        url,
        headers: sameOrigin ? headers : rest,
        verifyTls: sameOrigin ? pinged.verifyTls : !(await this.policy.isInsecure(url.host)),
      });
    }
    return res;
  }

  /** GET /v2/ on each scheme the policy allows; the first that answers at all wins, as in dockerd. */
  private ping(ep: Endpoint): Promise<Pinged> {
    const key = pingKey(ep);
    let pinged = this.pings.get(key);
    if (pinged === undefined) {
      pinged = this.pingNow(ep);
      pinged.catch(() => this.pings.delete(key));
      this.pings.set(key, pinged);
    }
    return pinged;
  }

  private async pingNow(ep: Endpoint): Promise<Pinged> {
    const { schemes, verifyTls } = await this.policy.connection(ep.host, ep.scheme);
    let failure: unknown;
    for (const scheme of schemes) {
      const base = new URL(`${scheme}://${ep.host}/`);
      try {
        const res = await this.transport.send({ method: 'GET', url: new URL('/v2/', base), verifyTls });
        discard(res);
        const challenge = res.statusCode === 401 ? preferredChallenge(parseChallenges(res.headers['www-authenticate'])) : undefined;
        return { base, verifyTls, challenge };
      } catch (err) {
        failure = err;
      }
    }
    throw failure;
  }

  private forget(ep: Endpoint): void {
    this.pings.delete(pingKey(ep));
  }
}

function pingKey(ep: Endpoint): string {
  return `${ep.scheme ?? ''}://${ep.host}`;
}

function isRedirect(status: number | undefined): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

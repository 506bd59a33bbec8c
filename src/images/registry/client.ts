// The OCI distribution (Docker Registry HTTP API v2) operations kapal needs to pull, push and
// inspect images. Bytes come back unverified only for blobs, which the caller writes through
// ContentStore.write(stream, digest); manifests are checked against their digest here.

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { invalidArgument, KapalError } from '../../domain/errors.js';
import { withDefaultTag, type Reference } from '../reference.js';
import type { RegistryAuth } from './auth-config.js';
import { EndpointPolicy, type Endpoint } from './endpoints.js';
import {
  choosePlatform,
  digestOf,
  isValidDigest,
  MANIFEST_ACCEPT,
  parseManifest,
  verifyDigest,
  type Descriptor,
  type ParsedManifest,
  type Platform,
  type PlatformSpec,
} from './manifest.js';
import { pullError, pushError, readRegistryError } from './registry-errors.js';
import { RegistryHttp, type RegistryRequest } from './registry-http.js';
import { discard, readBody, Transport } from './transport.js';

export interface RegistryOptions {
  /** daemon.json insecure-registries: `host:port` names or CIDRs (loopback is always insecure). */
  insecure: string[];
  /** daemon.json registry-mirrors: tried in order for docker.io pulls. */
  mirrors: string[];
  userAgent: string;
  /** registry-1.docker.io unless set: tests point docker.io at a loopback registry. */
  officialHost?: string;
  headerTimeoutMs?: number;
  bodyIdleTimeoutMs?: number;
}

export interface ResolvedImage {
  manifestBytes: Buffer;
  manifestMediaType: string;
  manifestDigest: string;
  /** Set when the reference named an index (manifest list): its digest is what docker records. */
  indexDigest?: string;
  indexBytes?: Buffer;
  indexMediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: Platform[];
}

interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  parsed: ParsedManifest;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
const TAGS_PER_PAGE = 1000;
const MAX_TAG_PAGES = 100;

export class RegistryClient {
  private readonly transport: Transport;
  private readonly policy: EndpointPolicy;
  private readonly http: RegistryHttp;

  constructor(opts: RegistryOptions) {
    this.transport = new Transport(opts);
    this.policy = new EndpointPolicy(opts.insecure, opts.mirrors, opts.officialHost);
    this.http = new RegistryHttp(this.transport, this.policy);
  }

  /** The image manifest for `platform`, following an index to the platform's entry. */
  resolve(named: Reference, platform: PlatformSpec, auth?: RegistryAuth): Promise<ResolvedImage> {
    const ref = withDefaultTag(named);
    return this.onPullEndpoints(ref, async (ep) => {
      const top = await this.manifest(ep, ref, ref.digest ?? ref.tag!, auth);
      if (top.parsed.kind === 'image') {
        return { manifestBytes: top.bytes, manifestMediaType: top.parsed.mediaType, manifestDigest: top.digest, config: top.parsed.config, layers: top.parsed.layers };
      }
      const entry = choosePlatform(top.parsed.manifests, platform);
      const image = await this.manifest(ep, ref, entry.digest, auth);
      if (image.bytes.length !== entry.size) throw new KapalError('Unavailable', `manifest verification failed for digest ${entry.digest}`);
      if (image.parsed.kind !== 'image') throw new KapalError('Unavailable', `manifest ${entry.digest} for ${platform.os}/${platform.architecture} is itself an index`);
      return {
        manifestBytes: image.bytes,
        manifestMediaType: image.parsed.mediaType,
        manifestDigest: image.digest,
        indexDigest: top.digest,
        indexBytes: top.bytes,
        indexMediaType: top.parsed.mediaType,
        config: image.parsed.config,
        layers: image.parsed.layers,
      };
    });
  }

  /** A blob's bytes as they arrive (after any redirect); the caller verifies them while storing. */
  fetchBlob(ref: Reference, digest: string, auth?: RegistryAuth): Promise<Readable> {
    checkDigest(digest);
    return this.onPullEndpoints(ref, async (ep) => {
      const res = await this.http.send(ep, this.request(ref, 'pull', auth, 'GET', `blobs/${digest}`, { followRedirects: true }));
      if (res.statusCode === 200) return res;
      throw pullError(await readRegistryError(res), ref);
    });
  }

  /** HEAD on the blob where a push would put it. */
  async blobExists(ref: Reference, digest: string, auth?: RegistryAuth): Promise<boolean> {
    checkDigest(digest);
    const res = await this.http.send(this.pushEndpoint(ref), this.request(ref, 'push', auth, 'HEAD', `blobs/${digest}`, { followRedirects: true }));
    if (res.statusCode === 200) return discardThen(res, true);
    if (res.statusCode === 404) return discardThen(res, false);
    throw pushError(await readRegistryError(res));
  }

  /** A monolithic upload: POST /blobs/uploads/, then PUT the bytes to the Location with ?digest=. */
  async pushBlob(ref: Reference, digest: string, size: number, body: () => Readable, auth?: RegistryAuth): Promise<void> {
    checkDigest(digest);
    const ep = this.pushEndpoint(ref);
    const started = await this.http.send(ep, this.request(ref, 'push', auth, 'POST', 'blobs/uploads/', { headers: { 'Content-Length': '0' } }));
    const location = started.headers.location;
    if (started.statusCode !== 202 || !location) {
      if (started.statusCode === 202) throw new KapalError('Unavailable', 'the registry started an upload without a Location');
      throw pushError(await readRegistryError(started));
    }
    discard(started);
    const target = new URL(location, 'http://relative.invalid');
    target.searchParams.set('digest', digest);
    const put = await this.http.send(ep, {
      ...this.request(ref, 'push', auth, 'PUT', ''),
      // A relative Location stays relative, so it resolves against the endpoint that answered.
      target: /^https?:\/\//i.test(location) ? target.href : `${target.pathname}${target.search}`,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      body,
    });
    if (put.statusCode !== 201) throw pushError(await readRegistryError(put));
    discard(put);
  }

  /** PUT a manifest under a tag or digest; resolves with the digest the registry reports. */
  async putManifest(ref: Reference, reference: string, bytes: Buffer, mediaType: string, auth?: RegistryAuth): Promise<string> {
    const res = await this.http.send(this.pushEndpoint(ref), {
      ...this.request(ref, 'push', auth, 'PUT', `manifests/${checkManifestReference(reference)}`),
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    if (res.statusCode !== 201 && res.statusCode !== 200) throw pushError(await readRegistryError(res));
    discard(res);
    const reported = res.headers['docker-content-digest'];
    return typeof reported === 'string' && isValidDigest(reported) ? reported : digestOf(bytes);
  }

  /** GET /distribution/{name}/json: the manifest's descriptor and the platforms it serves. */
  inspectDistribution(named: Reference, auth?: RegistryAuth): Promise<DistributionInspect> {
    const ref = withDefaultTag(named);
    return this.onPullEndpoints(ref, async (ep) => {
      const m = await this.manifest(ep, ref, ref.digest ?? ref.tag!, auth);
      const Descriptor = { mediaType: m.parsed.mediaType, digest: m.digest, size: m.bytes.length };
      if (m.parsed.kind === 'index') {
        return { Descriptor, Platforms: m.parsed.manifests.flatMap((d) => (d.platform ? [platformOf(d.platform)] : [])) };
      }
      const config = await this.smallBlob(ep, ref, m.parsed.config, auth);
      let doc: Partial<Platform>;
      try {
        doc = JSON.parse(config.toString('utf8'));
      } catch {
        throw new KapalError('Unavailable', `invalid image config ${m.parsed.config.digest}`);
      }
      return { Descriptor, Platforms: [platformOf({ ...doc, architecture: doc.architecture ?? '', os: doc.os ?? '' })] };
    });
  }

  /** Every tag of a repository (GET /v2/<name>/tags/list, following the pagination). */
  listTags(named: Reference, auth?: RegistryAuth): Promise<string[]> {
    return this.onPullEndpoints(named, async (ep) => {
      const tags: string[] = [];
      let last: string | undefined;
      for (let page = 0; page < MAX_TAG_PAGES; page++) {
        const query = `n=${TAGS_PER_PAGE}${last === undefined ? '' : `&last=${encodeURIComponent(last)}`}`;
        const res = await this.http.send(ep, this.request(named, 'pull', auth, 'GET', `tags/list?${query}`));
        if (res.statusCode !== 200) throw pullError(await readRegistryError(res), named);
        let doc: { tags?: string[] | null };
        try {
          doc = JSON.parse((await readBody(res, MAX_MANIFEST_BYTES)).toString('utf8'));
        } catch {
          throw new KapalError('Unavailable', `invalid tag list from ${ep.host}`);
        }
        const pageTags = (doc.tags ?? []).filter((t) => typeof t === 'string');
        tags.push(...pageTags);
        const link = res.headers.link;
        if (!link || !/rel="?next"?/.test(String(link)) || pageTags.length === 0) return tags;
        last = pageTags[pageTags.length - 1];
      }
      return tags;
    });
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.transport.close();
  }

  private async manifest(ep: Endpoint, ref: Reference, reference: string, auth: RegistryAuth | undefined): Promise<FetchedManifest> {
    const res = await this.http.send(ep, {
      ...this.request(ref, 'pull', auth, 'GET', `manifests/${checkManifestReference(reference)}`),
      headers: { Accept: MANIFEST_ACCEPT },
    });
    if (res.statusCode !== 200) throw pullError(await readRegistryError(res), ref);
    const bytes = await readBody(res, MAX_MANIFEST_BYTES);
    const reported = res.headers['docker-content-digest'];
    if (typeof reported === 'string' && isValidDigest(reported)) verifyDigest(bytes, reported);
    const byDigest = isValidDigest(reference);
    if (byDigest) verifyDigest(bytes, reference);
    const parsed = parseManifest(bytes, res.headers['content-type'], ref);
    return { bytes, digest: byDigest ? reference : digestOf(bytes), parsed };
  }

  private async smallBlob(ep: Endpoint, ref: Reference, d: Descriptor, auth: RegistryAuth | undefined): Promise<Buffer> {
    if (d.size > MAX_CONFIG_BYTES) throw new KapalError('Unavailable', `image config ${d.digest} is too large (${d.size} bytes)`);
    const res = await this.http.send(ep, this.request(ref, 'pull', auth, 'GET', `blobs/${d.digest}`, { followRedirects: true }));
    if (res.statusCode !== 200) throw pullError(await readRegistryError(res), ref);
    const bytes = await readBody(res, MAX_CONFIG_BYTES);
    verifyDigest(bytes, d.digest);
    return bytes;
  }

  private request(ref: Reference, purpose: 'pull' | 'push', auth: RegistryAuth | undefined, method: RegistryRequest['method'], rest: string, extra: Partial<RegistryRequest> = {}): RegistryRequest {
    const actions = purpose === 'pull' ? 'pull' : 'pull,push';
    return { method, target: `/v2/${ref.path}/${rest}`, scope: `repository:${ref.path}:${actions}`, auth, ...extra };
  }

  private pushEndpoint(ref: Reference): Endpoint {
    return this.policy.endpoints(ref, 'push')[0]!;
  }

  /** Mirrors first (docker.io only): any failure of a mirror falls through to the next, as in dockerd. */
  private async onPullEndpoints<T>(ref: Reference, fn: (ep: Endpoint) => Promise<T>): Promise<T> {
    const endpoints = this.policy.endpoints(ref, 'pull');
    for (const ep of endpoints.slice(0, -1)) {
      try {
        return await fn(ep);
      } catch {
        // The mirror lacks the content or is down: the real registry decides.
      }
    }
    return fn(endpoints[endpoints.length - 1]!);
  }
}

function checkDigest(digest: string): void {
  if (!isValidDigest(digest)) throw invalidArgument(`invalid digest: ${digest}`);
}

/** A tag or a digest: nothing else may reach the URL path. */
function checkManifestReference(reference: string): string {
  if (!/^\w[\w.-]{0,127}$/.test(reference) && !isValidDigest(reference)) throw invalidArgument(`invalid tag or digest: ${reference}`);
  return reference;
}

function discardThen<T>(res: IncomingMessage, value: T): T {
  discard(res);
  return value;
}

/** The fields and order of Go's ocispec.Platform, empty ones left out. */
function platformOf(p: Partial<Platform>): Platform {
  return {
    architecture: p.architecture ?? '',
    os: p.os ?? '',
    ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}),
    ...(p['os.features']?.length ? { 'os.features': p['os.features'] } : {}),
    ...(p.variant ? { variant: p.variant } : {}),
  };
}

// Manifests as registries serve them: Docker v2 schema 2 and OCI image manifests, Docker manifest
// lists and OCI indexes; which platform an index entry is for; digests checked against the bytes.
// Pure functions over bytes, no I/O.

import { createHash } from 'node:crypto';
import { invalidArgument, KapalError, notFound } from '../../domain/errors.js';
import { MEDIA } from '../../domain/image.js';
import { canonicalString, type Reference } from '../reference.js';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[] }
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[] };

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

const INDEX_TYPES = new Set<string>([MEDIA.ociIndex, MEDIA.dockerManifestList]);
const IMAGE_TYPES = new Set<string>([MEDIA.ociManifest, MEDIA.dockerManifest]);
const SCHEMA1_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

/** Every manifest type kapal reads; a registry must be told, or it hides OCI manifests behind a 404. */
export const MANIFEST_ACCEPT = [MEDIA.dockerManifest, MEDIA.dockerManifestList, MEDIA.ociIndex, MEDIA.ociManifest].join(', ');

// go-digest's grammar: algorithm, then encoded; nothing here can leave a URL path segment.
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const HASHES: Record<string, string> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

/** Reads a manifest; the media type comes from Content-Type when it names a manifest, else the body. */
export function parseManifest(bytes: Buffer, contentType: string | undefined, ref: Reference): ParsedManifest {
  let doc: { schemaVersion?: unknown; mediaType?: unknown; manifests?: unknown; config?: unknown; layers?: unknown; fsLayers?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new KapalError('Unavailable', `failed to parse manifest for ${canonicalString(ref)}: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object') throw new KapalError('Unavailable', `invalid manifest for ${canonicalString(ref)}`);
  const header = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : '';
  if (doc.schemaVersion === 1 || SCHEMA1_TYPES.has(header) || SCHEMA1_TYPES.has(declared)) throw schema1Error(ref);
  let mediaType = [header, declared].find((t) => INDEX_TYPES.has(t) || IMAGE_TYPES.has(t));
  // Plain OCI documents may omit mediaType (image-spec makes it optional): infer from the shape.
  mediaType ??= Array.isArray(doc.manifests) ? MEDIA.ociIndex : doc.config !== undefined ? MEDIA.ociManifest : undefined;
  if (mediaType === undefined) {
    throw new KapalError('Unavailable', `unsupported manifest media type ${JSON.stringify(header || declared)} for ${canonicalString(ref)}`);
  }
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw badManifest(ref, 'an index without manifests');
    return { kind: 'index', mediaType, manifests: doc.manifests.map((d) => descriptor(d, ref)) };
  }
  if (!Array.isArray(doc.layers)) throw badManifest(ref, 'a manifest without layers');
  return { kind: 'image', mediaType, config: descriptor(doc.config, ref), layers: doc.layers.map((d) => descriptor(d, ref)) };
}

/** moby's DeprecatedSchema1ImageError wording (docker 28). */
function schema1Error(ref: Reference): KapalError {
  return invalidArgument(
    'Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. ' +
      `Suggest the author of ${canonicalString(ref)} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. ` +
      'More information at https://docs.docker.com/go/deprecated-image-specs/',
  );
}

function badManifest(ref: Reference, what: string): KapalError {
  return new KapalError('Unavailable', `invalid manifest for ${canonicalString(ref)}: ${what}`);
}

function descriptor(value: unknown, ref: Reference): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (d === null || typeof d !== 'object') throw badManifest(ref, 'a descriptor is not an object');
  if (typeof d.digest !== 'string' || !DIGEST_RE.test(d.digest)) throw badManifest(ref, `invalid digest ${JSON.stringify(d.digest)}`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw badManifest(ref, `invalid size for ${d.digest}`);
  return { ...d, mediaType: typeof d.mediaType === 'string' ? d.mediaType : '', digest: d.digest, size: d.size };
}

/** The index entry for a platform, preferring an exact variant; for arm, v6 and v5 serve a v7 host. */
export function choosePlatform(manifests: Descriptor[], want: PlatformSpec): Descriptor {
  const target = normalize(want);
  const candidates = manifests.filter((m) => {
    if (m.platform === undefined) return false;
    const p = normalize(m.platform);
    return p.os === target.os && p.architecture === target.architecture;
  });
  const variantOf = (m: Descriptor) => normalize(m.platform!).variant ?? '';
  const order = acceptableVariants(target);
  for (const variant of order) {
    const hit = candidates.find((m) => variantOf(m) === variant);
    if (hit) return hit;
  }
  if (want.variant === undefined && candidates[0]) return candidates[0];
  throw notFound(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
}

/** `linux/arm64/v8`, `linux/amd64`: containerd's platforms.Format. */
export function formatPlatform(p: PlatformSpec): string {
  return [p.os, p.architecture, p.variant].filter((s) => s !== undefined && s !== '').join('/');
}

function acceptableVariants(p: PlatformSpec): string[] {
  if (p.variant === undefined || p.variant === '') return p.architecture === 'arm' ? ['v7', '', 'v6', 'v5'] : [''];
  if (p.architecture === 'arm') {
    const n = Number(p.variant.slice(1));
    return [p.variant, ...['v7', 'v6', 'v5'].filter((v) => Number(v.slice(1)) < n)];
  }
  return [p.variant];
}

/** containerd's Normalize: common aliases of architectures and variants. */
function normalize(p: PlatformSpec): PlatformSpec {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (variant !== undefined && /^\d+$/.test(variant)) variant = `v${variant}`;
  switch (architecture) {
    case 'i386':
    case 'i686':
      architecture = '386';
      break;
    case 'x86_64':
    case 'x86-64':
      architecture = 'amd64';
      break;
    case 'aarch64':
    case 'arm64':
      architecture = 'arm64';
      if (variant === 'v8') variant = undefined;
      break;
    case 'armhf':
      [architecture, variant] = ['arm', 'v7'];
      break;
    case 'armel':
      [architecture, variant] = ['arm', 'v6'];
      break;
  }
  return variant === undefined || variant === '' ? { os, architecture } : { os, architecture, variant };
}

/** `sha256:<hex>` (or the given algorithm) of bytes. */
export function digestOf(bytes: Buffer, algorithm = 'sha256'): string {
  const hash = HASHES[algorithm];
  if (hash === undefined) throw invalidArgument(`unsupported digest algorithm: ${algorithm}`);
  return `${algorithm}:${createHash(hash).update(bytes).digest('hex')}`;
}

/** Throws unless `bytes` hash to `expected` (in expected's own algorithm). */
export function verifyDigest(bytes: Buffer, expected: string): void {
  const algorithm = expected.slice(0, expected.indexOf(':'));
  if (digestOf(bytes, algorithm) !== expected) {
    throw new KapalError('Unavailable', `manifest verification failed for digest ${expected}`);
  }
}

export function isIndex(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}

export function isValidDigest(digest: string): boolean {
  return DIGEST_RE.test(digest);
}

// Docker image references (`[domain/]path[:tag][@digest]`) parsed and normalised exactly as docker does:
// the grammar of distribution/reference plus docker's docker.io/library defaults. Pure text, no I/O.

import { invalidArgument } from '../domain/errors.js';

/** A normalised named reference: `docker.io` + `library/busybox` for `busybox`. */
export interface Reference {
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const DEFAULT_REGISTRY_HOST = 'registry-1.docker.io';
const OFFICIAL_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';
const MAX_PATH_LENGTH = 255;

// The grammar (distribution/reference `reference.go`), one production per constant.
// Path components are lowercase alphanumerics joined by one `.`, one or two `_`, or any run of `-`.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
// Domains may use uppercase; an IPv6 literal sits in brackets (no zone identifiers).
const DOMAIN_LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN_AND_PORT = `${HOST}(?::[0-9]+)?`;
const TAG = '\\w[\\w.-]{0,127}';
// At least 128 bits of hex; the per-algorithm length is checked afterwards (see digestProblem).
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

// Captures: 1 domain, 2 path, 3 tag, 4 digest. The optional domain is tried first, as in Go's
// leftmost-first matching, so `a.b/c` splits as domain `a.b` whenever `a.b` is a valid domain.
const REFERENCE_RE = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const FULL_ID_RE = /^(?:sha256:)?[a-f0-9]{64}$/;
const BARE_ID_RE = /^[a-f0-9]{64}$/;
const ID_PREFIX_RE = /^(?:sha256:)?[a-f0-9]{1,64}$/;

// The algorithms docker registers with go-digest; their hex must be lowercase and exactly this long.
// Other algorithms are accepted as the grammar allows.
const HEX_LENGTH = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

/**
 * Parses what a user or client typed (`busybox`, `myrepo/bb:v1`, `localhost:5000/a@sha256:…`) into a
 * normalised reference, like docker's ParseNormalizedNamed. No default tag is added: see withDefaultTag.
 */
export function parseReference(s: string): Reference {
  if (BARE_ID_RE.test(s)) {
    throw invalidArgument(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  // Docker checks case on everything before the first `:` of the remainder (so before any tag).
  const colon = remainder.indexOf(':');
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    throw invalidArgument(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parseCanonical(`${domain}/${remainder}`);
}

/** Adds `latest` when the reference has neither tag nor digest (docker's TagNameOnly). */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** Sets or replaces the tag, keeping any digest (docker's WithTag). */
export function withTag(ref: Reference, tag: string): Reference {
  if (!TAG_RE.test(tag)) throw invalidArgument('invalid tag format');
  return { ...ref, tag };
}

/** `docker.io/library/busybox`: the repository name with its domain, no tag or digest. */
export function fullName(ref: Reference): string {
  return ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
}

/** Whether two references name the same repository (whatever their tags or digests). */
export function sameRepository(a: Reference, b: Reference): boolean {
  return a.domain === b.domain && a.path === b.path;
}

/** `busybox`, `myrepo/bb`, `localhost:5000/x`: the name as the docker UI shows it. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return fullName(ref);
  // Only a single-level official name loses `library/`; `library/a/b` keeps it, as in docker.
  const rest = ref.path.startsWith(OFFICIAL_PREFIX) ? ref.path.slice(OFFICIAL_PREFIX.length) : undefined;
  return rest !== undefined && !rest.includes('/') ? rest : ref.path;
}

/** `busybox:latest`, `myrepo/bb:v1`, `busybox@sha256:…`: the form used in RepoTags and RepoDigests. */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + suffix(ref);
}

/** `docker.io/library/busybox:latest`: fully qualified, the form the docker CLI sends. */
export function canonicalString(ref: Reference): string {
  return fullName(ref) + suffix(ref);
}

/** The registry host to contact for this reference; Docker Hub's API lives on registry-1.docker.io. */
export function registryHost(ref: Reference): string {
  return ref.domain === DEFAULT_DOMAIN ? DEFAULT_REGISTRY_HOST : ref.domain;
}

/**
 * `POST /images/create?fromImage=&tag=`, as moby reads it: `tag` may hold a digest (then it replaces any
 * tag or digest in fromImage), otherwise it sets the tag. A trailing `:` on fromImage (old `pull -a`) is
 * dropped. With no tag or digest at all the reference stays name-only: moby pulls every tag then.
 */
export function parseRepoAndTag(fromImage: string, tag = ''): Reference {
  const ref = parseReference(fromImage.endsWith(':') ? fromImage.slice(0, -1) : fromImage);
  // No tag anywhere means every tag, as moby pulls a name-only reference (`docker pull -a`).
  if (tag === '') return ref;
  if (DIGEST_RE.test(tag) && digestProblem(tag) === undefined) {
    return { domain: ref.domain, path: ref.path, digest: tag };
  }
  return withTag(ref, tag);
}

/**
 * `POST /images/{name}/tag?repo=&tag=` (also import and commit), as moby's RepoTagReference: the target
 * must not carry a digest; `tag` replaces any tag in `repo`; neither gives `latest`.
 */
export function parseTagTarget(repo: string, tag = ''): Reference {
  const ref = parseReference(repo);
  if (ref.digest !== undefined) throw invalidArgument('cannot import digest reference');
  return tag === '' ? withDefaultTag(ref) : withTag(ref, tag);
}

/** A full image ID: 64 lowercase hex, bare or `sha256:`-prefixed. Such a string is never a name. */
export function isFullImageId(s: string): boolean {
  return FULL_ID_RE.test(s);
}

/** Could be (a prefix of) an image ID: 1 to 64 lowercase hex, optionally `sha256:`-prefixed. */
export function looksLikeIdPrefix(s: string): boolean {
  return ID_PREFIX_RE.test(s);
}

function suffix(ref: Reference): string {
  return (ref.tag === undefined ? '' : `:${ref.tag}`) + (ref.digest === undefined ? '' : `@${ref.digest}`);
}

/** Docker's rule for where the domain ends; the grammar then decides whether the whole is valid. */
function splitDockerDomain(s: string): [domain: string, remainder: string] {
  const slash = s.indexOf('/');
  // A single component is always a Docker Hub official name, even `localhost` or `example.com`.
  if (slash === -1) return [DEFAULT_DOMAIN, OFFICIAL_PREFIX + s];
  const first = s.slice(0, slash);
  const rest = s.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (first === LEGACY_DEFAULT_DOMAIN) {
    [domain, remainder] = [DEFAULT_DOMAIN, rest];
  } else if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
    // Uppercase can never be a path component, so docker takes such a first component as a domain.
    [domain, remainder] = [first, rest];
  } else {
    [domain, remainder] = [DEFAULT_DOMAIN, s];
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

/** Docker's Parse: the grammar, then the limits the grammar cannot say. */
function parseCanonical(s: string): Reference {
  const m = REFERENCE_RE.exec(s);
  if (m === null) {
    const lower = s.toLowerCase();
    if (lower !== s && REFERENCE_RE.test(lower)) throw invalidArgument('repository name must be lowercase');
    throw invalidArgument('invalid reference format');
  }
  const [, domain = '', path = '', tag, digest] = m;
  if (path.length > MAX_PATH_LENGTH) {
    throw invalidArgument(`repository name must not be more than ${MAX_PATH_LENGTH} characters`);
  }
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem !== undefined) throw invalidArgument(problem);
  }
  return {
    domain,
    path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

/** go-digest's checks for a grammatical digest, in its wording; undefined when it is fine. */
function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  const expected = HEX_LENGTH.get(digest.slice(0, colon));
  if (expected === undefined) return undefined;
  const hex = digest.slice(colon + 1);
  if (hex.length !== expected) return 'invalid checksum digest length';
  if (!/^[a-f0-9]+$/.test(hex)) return 'invalid checksum digest format';
  return undefined;
}

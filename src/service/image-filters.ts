// The filters of GET /images/json and POST /images/prune, as moby reads them. Unknown filters
// and bad values are refused: a prune that ignored a filter would delete what the user meant
// to keep.

import type { Image } from '../domain/image.js';
import { invalidArgument } from '../domain/errors.js';
import { familiarName, familiarString, parseReference } from '../images/reference.js';

export type ImageFilters = Map<string, string[]>;

const LIST_FILTERS = new Set(['dangling', 'label', 'label!', 'reference', 'before', 'since', 'until']);
const PRUNE_FILTERS = new Set(['dangling', 'label', 'label!', 'until']);

// Go's path.Match for the patterns docker users write: busy*, myrepo/*, app:1.?
function globMatch(pattern: string, text: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`).test(text);
}

function checkKeys(filters: ImageFilters, known: Set<string>): void {
  for (const key of filters.keys()) if (!known.has(key)) throw invalidArgument(`invalid filter '${key}'`);
}

/** dangling=true|false (also 1|0); undefined when the filter is absent. */
function danglingFilter(filters: ImageFilters): boolean | undefined {
  const values = filters.get('dangling');
  if (!values || values.length === 0) return undefined;
  const v = values[0]!.toLowerCase();
  if (!['true', 'false', '1', '0'].includes(v)) throw invalidArgument(`invalid filter 'dangling=${values[0]}'`);
  return v === 'true' || v === '1';
}

/** `key` or `key=value` against the image's labels. */
function hasLabel(image: Image, spec: string): boolean {
  const labels = image.parsed.config?.Labels ?? {};
  const eq = spec.indexOf('=');
  return eq < 0 ? spec in labels : labels[spec.slice(0, eq)] === spec.slice(eq + 1);
}

function labelsMatch(image: Image, filters: ImageFilters): boolean {
  return (filters.get('label') ?? []).every((l) => hasLabel(image, l)) && !(filters.get('label!') ?? []).some((l) => hasLabel(image, l));
}

/** When the image was built (its config's created), else when kapal registered it; in ms. */
export function imageCreated(image: Image): number {
  const built = image.parsed.created ? Date.parse(image.parsed.created) : NaN;
  return Number.isNaN(built) ? Date.parse(image.createdAt) : built;
}

/** `until` as docker takes it: a duration before now (24h, 30m), a Unix time or a timestamp. */
export function untilCutoff(until: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(until);
  if (m) {
    const unit = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 }[m[2] as 'h'];
    return Date.now() - Number(m[1]) * unit;
  }
  const t = /^\d+(\.\d+)?$/.test(until) ? Number(until) * 1000 : Date.parse(until);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${until}'`);
  return t;
}

function untilMatches(image: Image, filters: ImageFilters): boolean {
  return (filters.get('until') ?? []).every((u) => imageCreated(image) < untilCutoff(u));
}

/**
 * GET /images/json. With `reference`, an image's tags are narrowed to the matching ones, as
 * docker lists them.
 */
export function filterImages(images: Image[], filters: ImageFilters, find: (name: string) => Image): Image[] {
  checkKeys(filters, LIST_FILTERS);
  const dangling = danglingFilter(filters);
  let out = images.filter((i) => (dangling === undefined || (i.tags.length === 0) === dangling) && labelsMatch(i, filters) && untilMatches(i, filters));
  const references = filters.get('reference');
  if (references && references.length > 0) {
    const matches = (t: string) => {
      const ref = parseReference(t);
      return references.some((p) => globMatch(p, familiarName(ref)) || globMatch(p, familiarString(ref)));
    };
    out = out.filter((i) => i.tags.some(matches)).map((i) => ({ ...i, tags: i.tags.filter(matches) }));
  }
  for (const [key, keep] of [['before', -1], ['since', 1]] as const) {
    for (const name of filters.get(key) ?? []) {
      const pivot = imageCreated(find(name));
      out = out.filter((i) => Math.sign(imageCreated(i) - pivot) === keep);
    }
  }
  return out;
}

/** POST /images/prune: dangling images (by default), or all with dangling=false, that match. */
export function pruneCandidates(images: Image[], filters: ImageFilters): Image[] {
  checkKeys(filters, PRUNE_FILTERS);
  const danglingOnly = danglingFilter(filters) ?? true;
  return images.filter((i) => (!danglingOnly || i.tags.length === 0) && labelsMatch(i, filters) && untilMatches(i, filters));
}

// The filters of GET /images/json: dangling, label, reference, before and since, as moby reads them.

import type { Image } from '../domain/image.js';
import { invalidArgument } from '../domain/errors.js';
import { familiarName, familiarString, parseReference } from '../images/reference.js';

export type ImageFilters = Map<string, string[]>;

const KNOWN = new Set(['dangling', 'label', 'reference', 'before', 'since']);

// Go's path.Match for the patterns docker users write: busy*, myrepo/*, app:1.?
function globMatch(pattern: string, text: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`).test(text);
}

export function filterImages(images: Image[], filters: ImageFilters, find: (name: string) => Image): Image[] {
  for (const key of filters.keys()) if (!KNOWN.has(key)) throw invalidArgument(`invalid filter '${key}'`);
  let out = images;
  const dangling = filters.get('dangling');
  if (dangling && dangling.length > 0) {
    const want = dangling.map((v) => v.toLowerCase());
    if (want.some((v) => !['true', 'false', '1', '0'].includes(v))) throw invalidArgument(`invalid filter 'dangling=${dangling[0]}'`);
    const isDangling = want[0] === 'true' || want[0] === '1';
    out = out.filter((i) => (i.tags.length === 0) === isDangling);
  }
  for (const label of filters.get('label') ?? []) {
    const eq = label.indexOf('=');
    out = out.filter((i) => {
      const labels = i.parsed.config?.Labels ?? {};
      return eq < 0 ? label in labels : labels[label.slice(0, eq)] === label.slice(eq + 1);
    });
  }
  const references = filters.get('reference');
  if (references && references.length > 0) {
    out = out.filter((i) =>
      i.tags.some((t) => {
        const ref = parseReference(t);
        return references.some((p) => globMatch(p, familiarName(ref)) || globMatch(p, familiarString(ref)));
      }),
    );
  }
  for (const [key, keep] of [['before', -1], ['since', 1]] as const) {
    for (const name of filters.get(key) ?? []) {
      const pivot = imageCreated(find(name));
      out = out.filter((i) => Math.sign(imageCreated(i) - pivot) === keep);
    }
  }
  return out;
}

/** When the image was built (its config's created), else when kapal registered it; in ms. */
export function imageCreated(image: Image): number {
  const built = image.parsed.created ? Date.parse(image.parsed.created) : NaN;
  return Number.isNaN(built) ? Date.parse(image.createdAt) : built;
}

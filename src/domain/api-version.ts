// The Docker Engine API versions kapald speaks, and how moby compares and refuses them.

import { invalidArgument } from './errors.js';

/** The newest API version served; the spec in shared/reference is v1.49. */
export const API_VERSION = '1.49';
/** The oldest version a client may ask for (moby's MinAPIVersion). */
export const MIN_API_VERSION = '1.24';

/** Compares dotted versions numerically: "1.9" < "1.24". */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Throws moby's 400 for a version outside [MIN_API_VERSION, API_VERSION]. */
export function checkApiVersion(requested: string): void {
  if (compareVersions(requested, MIN_API_VERSION) < 0) {
    throw invalidArgument(
      `client version ${requested} is too old. Minimum supported API version is ${MIN_API_VERSION}, ` +
        'please upgrade your client to a newer version',
    );
  }
  if (compareVersions(requested, API_VERSION) > 0) {
    throw invalidArgument(`client version ${requested} is too new. Maximum supported API version is ${API_VERSION}`);
  }
}

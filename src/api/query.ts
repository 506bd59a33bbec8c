// Query parameters as moby reads them: its boolean rule, and filters in map or list form.

import { z } from 'zod';

/** moby's httputils.BoolValue: false iff the lower-cased value is "", "0", "no", "false" or "none". */
export function boolValue(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !['', '0', 'no', 'false', 'none'].includes(value.trim().toLowerCase());
}

/** A boolean query parameter; absent means `fallback`. */
export const queryBool = (fallback = false) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined ? fallback : boolValue(v)));

export type Filters = Map<string, string[]>;

/**
 * `filters` arrives as {"status":{"running":true}} (docker CLI) or {"status":["exited"]}
 * (docker-py, older clients). Both become status → ["running"].
 */
export function parseFilters(raw: string | undefined): Filters {
  const out: Filters = new Map();
  if (raw === undefined || raw.trim() === '') return out;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`invalid filter: ${raw}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`invalid filter: ${raw}`);
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      out.set(key, value);
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out.set(
        key,
        Object.entries(value as Record<string, unknown>)
          .filter(([, on]) => on === true)
          .map(([k]) => k),
      );
    } else {
      throw new Error(`invalid filter '${key}': expected a list or a map of values`);
    }
  }
  return out;
}

/** A `filters` query parameter, parsed into a map; bad JSON is a 400 naming the parameter. */
export const queryFilters = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    try {
      return parseFilters(raw);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

// Query parameters as moby reads them: its boolean rule, filters in map or list form, and times.

import { z } from 'zod';
import { invalidArgument } from '../domain/errors.js';

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

const NANOS_PER_SECOND = 1_000_000_000n;

/**
 * A point in time as docker clients send one: unix seconds with an optional fraction
 * ("1704067200.000000000", moby's ParseTimestamps), or an RFC 3339 date. Returns unix
 * nanoseconds; undefined when the parameter is absent or empty.
 */
export function unixNanos(v: string | undefined, name: string): bigint | undefined {
  if (v === undefined || v === '') return undefined;
  const m = /^(-?\d+)(?:\.(\d{1,9})\d*)?$/.exec(v);
  if (m) return BigInt(m[1]!) * NANOS_PER_SECOND + BigInt((m[2] ?? '').padEnd(9, '0'));
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid value for ${name}: ${v}`);
  return BigInt(t) * 1_000_000n;
}

/** As unixNanos, in milliseconds; absent, empty or "0" is 0 (no limit), as docker logs reads them. */
export function timeParam(v: string | undefined, name: string): number {
  if (v === '0') return 0;
  const nanos = unixNanos(v, name);
  return nanos === undefined ? 0 : Number(nanos) / 1e6;
}

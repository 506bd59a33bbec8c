// --filter values as docker's FilterOpt reads them (name=value, the name lower-cased, both
// trimmed) and the `filters` query parameter it sends: the map form {"name":{"value":true}}.

import { UsageError } from '../../output.js';

export type Filters = Record<string, Record<string, true>>;

/** Parses every `-f/--filter` value; `flagName` is how docker names the flag in its error. */
export function parseFilters(values: string[], flagName: string): Filters {
  const filters: Filters = {};
  for (const value of values) {
    if (value === '') continue;
    const eq = value.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid argument "${value}" for "${flagName}" flag: bad format of filter (expected name=value)`);
    addFilter(filters, value.slice(0, eq).trim().toLowerCase(), value.slice(eq + 1).trim());
  }
  return filters;
}

export function addFilter(filters: Filters, name: string, value: string): void {
  (filters[name] ??= {})[value] = true;
}

/** `?filters=...` for a query, or nothing when there are none. */
export function filtersQuery(filters: Filters): string {
  return Object.keys(filters).length > 0 ? JSON.stringify(filters) : '';
}

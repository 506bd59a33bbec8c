// --filter name=value flags as docker's FilterOpt reads them (name lower-cased, both sides trimmed),
// sent in docker's filters JSON: {"name":{"value":true}}.

import { list, type FlagValues } from './flags.js';
import { UsageError } from './output.js';

export type Filters = Record<string, Record<string, true>>;

/** The values of flag `name` (shown in errors as `label`, e.g. "-f, --filter") as filters. */
export function readFilters(flags: FlagValues, name = 'filter', label = '-f, --filter'): Filters {
  return parseFilters(list(flags, name), label);
}

/** Filter values as given (`label` names the flag in errors). */
export function parseFilters(values: string[], label: string): Filters {
  const filters: Filters = {};
  for (const value of values) {
    if (value === '') continue;
    const eq = value.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid argument "${value}" for "${label}" flag: bad format of filter (expected name=value)`);
    addFilter(filters, value.slice(0, eq).trim().toLowerCase(), value.slice(eq + 1).trim());
  }
  return filters;
}

export function addFilter(filters: Filters, name: string, value: string): void {
  (filters[name] ??= {})[value] = true;
}

/** The `filters` parameter, or undefined when there are none. */
export function filtersParam(filters: Filters): string | undefined {
  return Object.keys(filters).length > 0 ? JSON.stringify(filters) : undefined;
}

/** `?filters=...` (or nothing) for a request path. */
export function filtersQuery(filters: Filters): string {
  const param = filtersParam(filters);
  return param === undefined ? '' : `?filters=${encodeURIComponent(param)}`;
}

// KEY=VALUE flags as docker reads them: -o/--opt (a map: KEY alone means an empty value) and
// --label, whose key must be a name without blanks.

import { UsageError } from '../../output.js';

export function keyValues(values: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    map[eq < 0 ? value : value.slice(0, eq)] = eq < 0 ? '' : value.slice(eq + 1);
  }
  return map;
}

/** --label values as a map; `flag` names the flag in errors ("--label"). */
export function labelMap(values: string[], flag: string): Record<string, string> {
  for (const value of values) {
    const key = value.split('=', 1)[0]!.replace(/^[ \t]+/, '');
    if (key === '') throw new UsageError(`invalid argument "${value}" for "${flag}" flag: invalid label '${value}': empty name`);
    if (/[ \t]/.test(key)) throw new UsageError(`invalid argument "${value}" for "${flag}" flag: label '${key}' contains whitespaces`);
  }
  return keyValues(values);
}

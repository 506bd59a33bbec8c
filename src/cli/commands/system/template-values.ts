// Values as docker's Go templates see them: a Go map answers a missing key with "<no value>"
// where format.ts's renderTemplate (made for structs) stops with "can't evaluate field".

/** `map` for a template: every key is present, the missing ones undefined ("<no value>"). */
export function goMap<T>(map: Record<string, T> | null | undefined): Record<string, T> | null {
  if (map == null) return null;
  return new Proxy(map, { has: (target, key) => typeof key === 'string' || key in target });
}

// How docker's inspect verbs print what they found (cli/command/inspect): a JSON array indented by
// four spaces, `-f json` as one compact array, or a Go template per object. Objects that could not
// be fetched are left out; their errors follow on stderr, and the exit status is then 1.

import { renderTemplate, TemplateError } from '../../format.js';
import { reportError } from '../../output.js';

export async function printInspect(
  refs: string[],
  format: string | undefined,
  fetch: (ref: string) => Promise<Record<string, unknown>>,
  helpCommand: string,
): Promise<number> {
  const found: Record<string, unknown>[] = [];
  const errors: unknown[] = [];
  for (const ref of refs) {
    try {
      found.push(await fetch(ref));
    } catch (err) {
      errors.push(err);
    }
  }
  if (!format) {
    process.stdout.write(found.length > 0 ? `${JSON.stringify(found, null, 4)}\n` : '[]\n');
  } else if (format === 'json') {
    process.stdout.write(`${JSON.stringify(found)}\n`);
  } else {
    let out = '';
    for (const value of found) {
      try {
        out += `${renderTemplate(format, value)}\n`;
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        errors.push(new Error(`template parsing error: ${err.message}`));
      }
    }
    // docker prints an empty line when nothing rendered.
    process.stdout.write(out === '' ? '\n' : out);
  }
  for (const err of errors) reportError(err, helpCommand);
  return errors.length > 0 ? 1 : 0;
}

/** Go's encoding/json writes map keys sorted; objects that are Go maps in docker get the same order. */
export function sortedKeys<T>(map: Record<string, T> | null | undefined): Record<string, T> | null {
  if (map == null) return null;
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

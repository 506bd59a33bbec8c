// kapal inspect (a container, image, volume or network, whichever the name is first) and
// kapal container inspect: docker's pretty JSON array, or -f TEMPLATE per object.

import type { Command } from '../../command.js';
import { DaemonError } from '../../client.js';
import { bool, str } from '../../flags.js';
import { renderTemplate } from '../../format.js';
import { enc } from './each.js';

const KINDS: Record<string, (name: string, size: boolean) => string> = {
  container: (n, size) => `/containers/${enc(n)}/json${size ? '?size=1' : ''}`,
  image: (n) => `/images/${enc(n)}/json`,
  volume: (n) => `/volumes/${enc(n)}`,
  network: (n) => `/networks/${enc(n)}`,
};

/** Prints what was found, as docker: one JSON array, or a template per object; 1 if any was missing. */
async function inspectAll(ctx: Parameters<Command['run']>[0], names: string[], kinds: string[], format: string | undefined, size: boolean): Promise<number> {
  const found: unknown[] = [];
  let failed = false;
  for (const name of names) {
    let value: unknown;
    for (const kind of kinds) {
      try {
        value = await ctx.api.json('GET', KINDS[kind]!(name, size));
        break;
      } catch (err) {
        if (!(err instanceof DaemonError && err.status === 404)) throw err;
      }
    }
    if (value === undefined) {
      process.stderr.write(kinds.length === 1 ? `Error response from daemon: No such ${kinds[0]}: ${name}\n` : `Error: No such object: ${name}\n`);
      failed = true;
    } else found.push(value);
  }
  if (format && format !== 'json') for (const v of found) process.stdout.write(`${renderTemplate(format, v)}\n`);
  else process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  return failed ? 1 : 0;
}

const flags = {
  format: { short: 'f', arg: 'string', help: "Format output using a custom template: 'json' or a Go-like template" },
  size: { short: 's', help: 'Display total file sizes if the type is container' },
};

export const inspect: Command = {
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  flags: { ...flags, type: { arg: 'string', help: 'Only inspect objects of the given type' } },
  minArgs: 1,
  maxArgs: Infinity,
  run(ctx, f, args) {
    const type = str(f, 'type');
    if (type !== undefined && !(type in KINDS)) throw new Error(`"${type}" is not a valid value for --type`);
    return inspectAll(ctx, args, type ? [type] : Object.keys(KINDS), str(f, 'format'), bool(f, 'size'));
  },
};

export const containerInspect: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  flags,
  minArgs: 1,
  maxArgs: Infinity,
  run: (ctx, f, args) => inspectAll(ctx, args, ['container'], str(f, 'format'), bool(f, 'size')),
};

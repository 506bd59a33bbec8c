// kapal image inspect: GET /images/{name}/json for each image, printed as docker prints it: the
// answers as a JSON array indented by four spaces, compact with -f json, or a template per image.
// Images that fail are reported at the end; the others still print.

import { DaemonError } from '../../client.js';
import type { Command } from '../../command.js';
import { str } from '../../flags.js';
import { renderTemplate } from '../../format.js';
import { imagePath } from './names.js';

const inspect: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  flags: {
    format: { short: 'f', arg: 'string', help: "Format output using a custom template: 'json' or a Go-like template" },
  },
  minArgs: 1,
  maxArgs: Infinity,
  async run(ctx, flags, args) {
    const format = str(flags, 'format') ?? '';
    const errors: string[] = [];
    const found: unknown[] = [];
    for (const name of args) {
      try {
        found.push(await ctx.api.json<unknown>('GET', `/images/${imagePath(name)}/json`));
      } catch (err) {
        errors.push(err instanceof DaemonError ? `Error response from daemon: ${err.message}` : (err as Error).message);
      }
    }
    if (format === '') {
      process.stdout.write(found.length ? `${JSON.stringify(found, null, 4)}\n` : '[]\n');
    } else if (format === 'json') {
      process.stdout.write(`${JSON.stringify(found)}\n`);
    } else {
      let text = '';
      for (const image of found) {
        try {
          text += `${renderTemplate(format, image)}\n`;
        } catch (err) {
          errors.push(`template parsing error: ${(err as Error).message}`);
        }
      }
      process.stdout.write(text || '\n');
    }
    if (errors.length === 0) return 0;
    process.stderr.write(`${errors.join('\n')}\n`);
    return 1;
  },
};

export default inspect;

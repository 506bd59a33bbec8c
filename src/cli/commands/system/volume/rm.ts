// kapal volume rm: DELETE /volumes/NAME for each name (?force=1 with -f), printing each name
// removed; the failures follow together at the end, as docker's errors.Join prints them.

import type { Command } from '../../../command.js';
import { bool } from '../../../flags.js';
import { reportError } from '../../../output.js';

const rm: Command = {
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  flags: {
    force: { short: 'f', help: 'Force the removal of one or more volumes' },
  },
  minArgs: 1,
  maxArgs: Infinity,
  async run(ctx, flags, names) {
    const errors: unknown[] = [];
    for (const name of names) {
      try {
        await ctx.api.request('DELETE', `/volumes/${encodeURIComponent(name)}${bool(flags, 'force') ? '?force=1' : ''}`);
        process.stdout.write(`${name}\n`);
      } catch (err) {
        errors.push(err);
      }
    }
    for (const err of errors) reportError(err, 'kapal volume rm --help');
    return errors.length > 0 ? 1 : 0;
  },
};

export default rm;

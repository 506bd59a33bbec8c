// kapal volume inspect: GET /volumes/NAME for each name, printed as docker prints inspect output
// (its maps with their keys sorted, as Go writes them).

import type { Command } from '../../../command.js';
import { str } from '../../../flags.js';
import { printInspect, sortedKeys } from '../inspect-output.js';
import { goMap } from '../template-values.js';
import type { Volume } from './ls.js';

const inspect: Command = {
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  flags: {
    format: { short: 'f', arg: 'string', help: "Format output using a custom template: 'json' or a Go template" },
  },
  minArgs: 1,
  maxArgs: Infinity,
  async run(ctx, flags, names) {
    return printInspect(names, str(flags, 'format'), async (name) => {
      const v = await ctx.api.json<Volume & Record<string, unknown>>('GET', `/volumes/${encodeURIComponent(name)}`);
      return { ...v, Labels: goMap(sortedKeys(v.Labels)), Options: goMap(sortedKeys(v.Options)) };
    }, 'kapal volume inspect --help');
  },
};

export default inspect;

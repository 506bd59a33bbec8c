// kapal network inspect: GET /networks/NAME for each name, printed as docker prints inspect output.

import type { Command } from '../../../command.js';
import { bool, str } from '../../../flags.js';
import { printInspect } from '../inspect-output.js';
import { goMap } from '../template-values.js';

const inspect: Command = {
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  flags: {
    format: { short: 'f', arg: 'string', help: "Format output using a custom template: 'json' or a Go template" },
    verbose: { short: 'v', help: 'Verbose output for diagnostics' },
  },
  minArgs: 1,
  maxArgs: Infinity,
  async run(ctx, flags, names) {
    const query = bool(flags, 'verbose') ? '?verbose=true' : '';
    return printInspect(names, str(flags, 'format'), async (name) => {
      const network = await ctx.api.json<Record<string, unknown>>('GET', `/networks/${encodeURIComponent(name)}${query}`);
      for (const key of ['Containers', 'Options', 'Labels']) network[key] = goMap(network[key] as Record<string, unknown> | null);
      // docker's templates see Go's field ID where the JSON says Id; hidden from JSON output.
      Object.defineProperty(network, 'ID', { value: network.Id, enumerable: false });
      return network;
    }, 'kapal network inspect --help');
  },
};

export default inspect;

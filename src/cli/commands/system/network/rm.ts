// kapal network rm: DELETE /networks/NAME for each name, printing each name removed. Failures are
// reported as they happen and the command goes on; docker then ends with "exit status 1".

import type { Command } from '../../../command.js';
import { DaemonError } from '../../../client.js';
import { bool } from '../../../flags.js';
import { reportError } from '../../../output.js';

const rm: Command = {
  usage: 'NETWORK [NETWORK...]',
  flags: {
    force: { short: 'f', help: 'Do not error if the network does not exist' },
  },
  minArgs: 1,
  maxArgs: Infinity,
  async run(ctx, flags, names) {
    let status = 0;
    for (const name of names) {
      try {
        await ctx.api.request('DELETE', `/networks/${encodeURIComponent(name)}`);
        process.stdout.write(`${name}\n`);
      } catch (err) {
        if (bool(flags, 'force') && err instanceof DaemonError && err.status === 404) continue;
        status = reportError(err, 'kapal network rm --help');
      }
    }
    if (status !== 0) process.stderr.write(`exit status ${status}\n`);
    return status;
  },
};

export default rm;

// kapal network disconnect: POST /networks/NAME/disconnect for a container, running or not.

import type { Command } from '../../../command.js';
import { bool } from '../../../flags.js';

const disconnect: Command = {
  usage: '[OPTIONS] NETWORK CONTAINER',
  flags: {
    force: { short: 'f', help: 'Force the container to disconnect from a network' },
  },
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, flags, [network, container]) {
    await ctx.api.request('POST', `/networks/${encodeURIComponent(network!)}/disconnect`, JSON.stringify({ Container: container, Force: bool(flags, 'force') }));
    return 0;
  },
};

export default disconnect;

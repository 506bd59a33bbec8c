// kapal network connect: POST /networks/NAME/connect for a container, running or not, with
// its aliases and fixed addresses on that network.

import type { Command } from '../../../command.js';
import { list, str } from '../../../flags.js';

const connect: Command = {
  usage: '[OPTIONS] NETWORK CONTAINER',
  flags: {
    alias: { arg: 'strings', multi: true, help: 'Add network-scoped alias for the container' },
    ip: { arg: 'string', help: 'IPv4 address (e.g., "172.30.100.104")' },
    ip6: { arg: 'string', help: 'IPv6 address (e.g., "2001:db8::33")' },
  },
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, flags, [network, container]) {
    const ipamConfig: Record<string, string> = {};
    if (str(flags, 'ip')) ipamConfig.IPv4Address = str(flags, 'ip')!;
    if (str(flags, 'ip6')) ipamConfig.IPv6Address = str(flags, 'ip6')!;
    await ctx.api.request(
      'POST',
      `/networks/${encodeURIComponent(network!)}/connect`,
      JSON.stringify({
        Container: container,
        EndpointConfig: { IPAMConfig: ipamConfig, Aliases: list(flags, 'alias').flatMap((a) => a.split(',')).filter((a) => a !== '') },
      }),
    );
    return 0;
  },
};

export default connect;

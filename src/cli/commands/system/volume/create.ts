// kapal volume create: POST /volumes/create, then the volume's name (generated when none is given).

import type { Command } from '../../../command.js';
import { list, str } from '../../../flags.js';
import { keyValues, labelMap } from '../key-values.js';

const create: Command = {
  usage: '[OPTIONS] [VOLUME]',
  flags: {
    driver: { short: 'd', arg: 'string', help: 'Specify volume driver name', default: '"local"' },
    label: { arg: 'list', multi: true, help: 'Set metadata for a volume' },
    name: { arg: 'string', help: 'Specify volume name' },
    opt: { short: 'o', arg: 'map', multi: true, help: 'Set driver specific options', default: 'map[]' },
  },
  maxArgs: 1,
  async run(ctx, flags, [positional]) {
    const labels = labelMap(list(flags, 'label'), '--label');
    if (positional !== undefined && str(flags, 'name')) {
      throw new Error('conflicting options: cannot specify a volume-name through both --name and as a positional arg');
    }
    const body: Record<string, unknown> = { Driver: str(flags, 'driver') ?? 'local' };
    const options = keyValues(list(flags, 'opt'));
    if (Object.keys(options).length > 0) body.DriverOpts = options;
    if (Object.keys(labels).length > 0) body.Labels = labels;
    const name = positional ?? str(flags, 'name');
    if (name) body.Name = name;
    const volume = await ctx.api.json<{ Name: string }>('POST', '/volumes/create', body);
    process.stdout.write(`${volume.Name}\n`);
    return 0;
  },
};

export default create;

// kapal container prune: removes stopped containers after docker's question (or -f).

import type { Command } from '../../command.js';
import { bool } from '../../flags.js';
import { filtersQuery, readFilters } from '../../filters.js';
import { humanSize } from '../../format.js';
import { confirm } from '../../prompt.js';

const prune: Command = {
  usage: '[OPTIONS]',
  flags: {
    filter: { arg: 'filter', multi: true, help: 'Provide filter values (e.g. "until=<timestamp>")' },
    force: { short: 'f', help: 'Do not prompt for confirmation' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    if (!bool(flags, 'force') && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue?'))) return 0;
    const q = filtersQuery(readFilters(flags, 'filter', '--filter'));
    const res = await ctx.api.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', `/containers/prune${q}`);
    if (res.ContainersDeleted?.length) process.stdout.write(`Deleted Containers:\n${res.ContainersDeleted.join('\n')}\n\n`);
    process.stdout.write(`Total reclaimed space: ${humanSize(res.SpaceReclaimed)}\n`);
    return 0;
  },
};

export default prune;

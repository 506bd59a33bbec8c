// kapal network prune: after docker's warning and a yes (or -f), POST /networks/prune and the
// names of the networks removed. A no ends the command quietly, with status 0, as in docker.

import type { ApiClient } from '../../../client.js';
import type { Command } from '../../../command.js';
import { bool } from '../../../flags.js';
import { filtersQuery, readFilters, type Filters } from '../../../filters.js';
import { confirm } from '../../../prompt.js';

const WARNING = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?';

/** Prunes networks; returns docker's report ("Deleted Networks:\n<name>\n...") or '' when none went. */
export async function pruneNetworks(api: ApiClient, filters: Filters): Promise<string> {
  const report = await api.json<{ NetworksDeleted: string[] | null }>('POST', `/networks/prune${filtersQuery(filters)}`);
  const deleted = report.NetworksDeleted ?? [];
  return deleted.length > 0 ? `Deleted Networks:\n${deleted.map((name) => `${name}\n`).join('')}` : '';
}

const prune: Command = {
  usage: '[OPTIONS]',
  flags: {
    filter: { arg: 'filter', multi: true, help: 'Provide filter values (e.g. "until=<timestamp>")' },
    force: { short: 'f', help: 'Do not prompt for confirmation' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    const filters = readFilters(flags, 'filter', '--filter');
    if (!bool(flags, 'force') && !(await confirm(WARNING))) return 0;
    const output = await pruneNetworks(ctx.api, filters);
    if (output !== '') process.stdout.write(`${output}\n`);
    return 0;
  },
};

export default prune;

// kapal volume prune: after docker's warning and a yes (or -f), POST /volumes/prune: unused
// anonymous volumes, or all unused ones with -a; the names removed and the space reclaimed.

import type { ApiClient } from '../../../client.js';
import type { Command } from '../../../command.js';
import { bool } from '../../../flags.js';
import { addFilter, filtersQuery, readFilters, type Filters } from '../../../filters.js';
import { confirm } from '../../../prompt.js';
import { humanSize } from '../../../format.js';

const ANONYMOUS_WARNING = 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?';
const ALL_WARNING = 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?';

/** Prunes volumes; docker's report ("Deleted Volumes:\n<name>\n...", '' when none went) and the bytes freed. */
export async function pruneVolumes(api: ApiClient, filters: Filters): Promise<{ output: string; reclaimed: number }> {
  const report = await api.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', `/volumes/prune${filtersQuery(filters)}`);
  const deleted = report.VolumesDeleted ?? [];
  if (deleted.length === 0) return { output: '', reclaimed: 0 };
  return { output: `Deleted Volumes:\n${deleted.map((name) => `${name}\n`).join('')}`, reclaimed: report.SpaceReclaimed };
}

const prune: Command = {
  usage: '[OPTIONS]',
  flags: {
    all: { short: 'a', help: 'Remove all unused volumes, not just anonymous ones' },
    filter: { arg: 'filter', multi: true, help: 'Provide filter values (e.g. "label=<label>")' },
    force: { short: 'f', help: 'Do not prompt for confirmation' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    const filters = readFilters(flags, 'filter', '--filter');
    const all = bool(flags, 'all');
    if (all) {
      if (filters.all) throw new Error('conflicting options: cannot specify both --all and --filter all=1');
      addFilter(filters, 'all', 'true');
    }
    if (!bool(flags, 'force') && !(await confirm(all ? ALL_WARNING : ANONYMOUS_WARNING))) return 0;
    const { output, reclaimed } = await pruneVolumes(ctx.api, filters);
    if (output !== '') process.stdout.write(`${output}\n`);
    process.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};

export default prune;

// kapal image prune: POST /images/prune with dangling=true (every unused image with -a) and the
// --filter values, after docker's confirmation prompt unless -f; then what was removed and the
// space reclaimed. Answering anything but y cancels quietly, as in docker.

import type { Command } from '../../command.js';
import { bool, list } from '../../flags.js';
import { addFilter, filtersParam, parseFilters } from '../../filters.js';
import { humanSize } from '../../format.js';
import { confirm } from '../../prompt.js';

interface PruneReport {
  ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null;
  SpaceReclaimed: number;
}

const DANGLING_WARNING = 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
const ALL_WARNING = 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?';

const prune: Command = {
  usage: '[OPTIONS]',
  flags: {
    all: { short: 'a', help: 'Remove all unused images, not just dangling ones' },
    filter: { arg: 'filter', multi: true, help: 'Provide filter values (e.g. "until=<timestamp>")' },
    force: { short: 'f', help: 'Do not prompt for confirmation' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    const all = bool(flags, 'all');
    const filters = parseFilters(list(flags, 'filter'), '--filter');
    addFilter(filters, 'dangling', String(!all));
    if (!bool(flags, 'force') && !(await confirm(all ? ALL_WARNING : DANGLING_WARNING))) return 0;
    const report = await ctx.api.json<PruneReport>('POST', `/images/prune?filters=${encodeURIComponent(filtersParam(filters) ?? '{}')}`);
    const deleted = report.ImagesDeleted ?? [];
    let text = '';
    if (deleted.length > 0) {
      text += `Deleted Images:\n${deleted.map((d) => (d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`)).join('')}\n`;
    }
    text += `Total reclaimed space: ${humanSize(deleted.length > 0 ? report.SpaceReclaimed : 0)}\n`;
    process.stdout.write(text);
    return 0;
  },
};

export default prune;

// kapal system prune: after docker's warning and a yes (or -f), prunes stopped containers, unused
// networks, with --volumes unused anonymous volumes, and dangling images (all unused ones with
// -a), in docker's order, each report as docker prints it, then the total space reclaimed.
// kapal has no build cache, so there is none to prune or to warn about.

import type { ApiClient } from '../../client.js';
import type { Command } from '../../command.js';
import { bool } from '../../flags.js';
import { addFilter, filtersQuery, readFilters, type Filters } from '../../filters.js';
import { pruneNetworks } from './network/prune.js';
import { confirm } from '../../prompt.js';
import { humanSize } from '../../format.js';
import { pruneVolumes } from './volume/prune.js';
import { naturalCompare } from './natural-order.js';

interface Pruned {
  output: string;
  reclaimed: number;
}

function warning(all: boolean, volumes: boolean, filters: Filters): string {
  const items = [
    'all stopped containers',
    'all networks not used by at least one container',
    ...(volumes ? ['all anonymous volumes not used by at least one container'] : []),
    all ? 'all images without at least one container associated to them' : 'all dangling images',
  ];
  const shown = ['label', 'label!', 'until'].flatMap((name) => Object.keys(filters[name] ?? {}).map((v) => `${name}=${v}`)).sort(naturalCompare);
  const filterText = shown.length > 0 ? `\n  Items to be pruned will be filtered with:${shown.map((f) => `\n  - ${f}`).join('')}\n` : '';
  return `WARNING! This will remove:${items.map((i) => `\n  - ${i}`).join('')}\n${filterText}\nAre you sure you want to continue?`;
}

async function pruneContainers(api: ApiClient, filters: Filters): Promise<Pruned> {
  const report = await api.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', `/containers/prune${filtersQuery(filters)}`);
  const deleted = report.ContainersDeleted ?? [];
  if (deleted.length === 0) return { output: '', reclaimed: 0 };
  return { output: `Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}`, reclaimed: report.SpaceReclaimed };
}

async function pruneImages(api: ApiClient, filters: Filters, all: boolean): Promise<Pruned> {
  const withDangling: Filters = { ...filters };
  addFilter(withDangling, 'dangling', String(!all));
  const report = await api.json<{ ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed: number }>('POST', `/images/prune${filtersQuery(withDangling)}`);
  const deleted = report.ImagesDeleted ?? [];
  if (deleted.length === 0) return { output: '', reclaimed: 0 };
  const lines = deleted.map((d) => (d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted ?? ''}\n`));
  return { output: `Deleted Images:\n${lines.join('')}`, reclaimed: report.SpaceReclaimed };
}

const prune: Command = {
  usage: '[OPTIONS]',
  flags: {
    all: { short: 'a', help: 'Remove all unused images not just dangling ones' },
    filter: { arg: 'filter', multi: true, help: 'Provide filter values (e.g. "label=<key>=<value>")' },
    force: { short: 'f', help: 'Do not prompt for confirmation' },
    volumes: { help: 'Prune anonymous volumes' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    const filters = readFilters(flags, 'filter', '--filter');
    const all = bool(flags, 'all');
    const volumes = bool(flags, 'volumes');
    if (volumes && filters.until) throw new Error('ERROR: The "until" filter is not supported with "--volumes"');
    if (!bool(flags, 'force') && !(await confirm(warning(all, volumes, filters)))) return 0;
    const steps: (() => Promise<Pruned>)[] = [
      () => pruneContainers(ctx.api, filters),
      async () => ({ output: await pruneNetworks(ctx.api, filters), reclaimed: 0 }),
      ...(volumes ? [() => pruneVolumes(ctx.api, filters)] : []),
      () => pruneImages(ctx.api, filters, all),
    ];
    let reclaimed = 0;
    for (const step of steps) {
      const result = await step();
      reclaimed += result.reclaimed;
      if (result.output !== '') process.stdout.write(`${result.output}\n`);
    }
    process.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};

export default prune;

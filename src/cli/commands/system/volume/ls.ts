// kapal volume ls: GET /volumes as docker volume ls prints it: DRIVER and VOLUME NAME sorted by
// name, -q, --filter and --format (json, a template, `table TEMPLATE`).

import type { Command } from '../../../command.js';
import { bool, str } from '../../../flags.js';
import { parseFormat, printList } from '../../../format.js';
import { filtersQuery, readFilters } from '../../../filters.js';
import { naturalCompare } from '../natural-order.js';
import { humanSize } from '../../../format.js';

export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  Scope: string;
  UsageData?: { Size: number; RefCount: number } | null;
}

const ls: Command = {
  usage: '[OPTIONS]',
  flags: {
    filter: { short: 'f', arg: 'filter', multi: true, help: 'Provide filter values (e.g. "dangling=true")' },
    format: { arg: 'string', help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" },
    quiet: { short: 'q', help: 'Only display volume names' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    const answer = await ctx.api.json<{ Volumes: Volume[] | null }>('GET', `/volumes${filtersQuery(readFilters(flags))}`);
    const volumes = (answer.Volumes ?? []).sort((a, b) => naturalCompare(a.Name, b.Name));
    const format = parseFormat(str(flags, 'format'));
    if (bool(flags, 'quiet') && format.kind === 'table') {
      for (const v of volumes) process.stdout.write(`${v.Name}\n`);
      return 0;
    }
    printList(
      volumes,
      format,
      [
        ['DRIVER', (v) => v.Driver],
        ['VOLUME NAME', (v) => v.Name],
      ],
      // Alphabetical, as docker's --format json writes them; the N/A ones are swarm's.
      (v) => ({
        Availability: 'N/A',
        Driver: v.Driver,
        Group: 'N/A',
        Labels: Object.entries(v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).join(','),
        Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
        Mountpoint: v.Mountpoint,
        Name: v.Name,
        Scope: v.Scope,
        Size: v.UsageData ? humanSize(v.UsageData.Size) : 'N/A',
        Status: 'N/A',
      }),
      { Name: 'VOLUME NAME' },
    );
    return 0;
  },
};

export default ls;

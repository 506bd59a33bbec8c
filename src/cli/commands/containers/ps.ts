// kapal ps: GET /containers/json as docker ps prints it: its table (short IDs, the command quoted
// and cut to 20 characters, "Up 5 seconds", ports as 0.0.0.0:8080->80/tcp), -q, -a, -n, -l, -s,
// --filter, --no-trunc, and --format (json, a template, or `table TEMPLATE`).

import type { Command } from '../../command.js';
import { bool, int, str } from '../../flags.js';
import { filtersParam, readFilters } from '../../filters.js';
import { ago, ellipsis, humanSize, parseFormat, printList, shortId } from '../../format.js';

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
  Labels: Record<string, string> | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts?: { Name?: string; Source?: string }[];
  NetworkSettings?: { Networks?: Record<string, unknown> };
}

/** docker's PORTS cell: published ports as ip:public->private/proto, the rest as private/proto. */
export function portsText(ports: ContainerSummary['Ports']): string {
  return [...ports]
    .sort((a, b) => a.PrivatePort - b.PrivatePort || (a.PublicPort ?? 0) - (b.PublicPort ?? 0))
    .map((p) => (p.PublicPort ? `${p.IP ?? '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`))
    .join(', ');
}

const names = (c: ContainerSummary) => c.Names.map((n) => n.replace(/^\//, '')).join(',');

function sizeText(c: ContainerSummary): string {
  return `${humanSize(c.SizeRw ?? 0, 3)} (virtual ${humanSize(c.SizeRootFs ?? 0, 3)})`;
}

const ps: Command = {
  usage: '[OPTIONS]',
  flags: {
    all: { short: 'a', help: 'Show all containers (default shows just running)' },
    filter: { short: 'f', arg: 'filter', multi: true, help: 'Filter output based on conditions provided' },
    format: { arg: 'string', help: 'Format output using a custom template: \'table\', \'table TEMPLATE\', \'json\' or a Go-like template' },
    last: { short: 'n', arg: 'int', help: 'Show n last created containers (includes all states)', default: '-1' },
    latest: { short: 'l', help: 'Show the latest created container (includes all states)' },
    'no-trunc': { help: "Don't truncate output" },
    quiet: { short: 'q', help: 'Only display container IDs' },
    size: { short: 's', help: 'Display total file sizes' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    const filters = filtersParam(readFilters(flags));
    const last = bool(flags, 'latest') ? 1 : (int(flags, 'last', -1) ?? -1);
    const query = new URLSearchParams();
    if (bool(flags, 'all') || last > 0) query.set('all', '1');
    if (last > 0) query.set('limit', String(last));
    if (bool(flags, 'size')) query.set('size', '1');
    if (filters) query.set('filters', filters);
    const containers = await ctx.api.json<ContainerSummary[]>('GET', `/containers/json?${query}`);
    const noTrunc = bool(flags, 'no-trunc');
    const id = (c: ContainerSummary) => (noTrunc ? c.Id : shortId(c.Id));
    if (bool(flags, 'quiet')) {
      for (const c of containers) process.stdout.write(`${id(c)}\n`);
      return 0;
    }
    const command = (c: ContainerSummary) => JSON.stringify(noTrunc ? c.Command : ellipsis(c.Command, 20));
    const columns: [string, (c: ContainerSummary) => string][] = [
      ['CONTAINER ID', id],
      ['IMAGE', (c) => c.Image],
      ['COMMAND', command],
      ['CREATED', (c) => ago(c.Created)],
      ['STATUS', (c) => c.Status],
      ['PORTS', (c) => portsText(c.Ports)],
      ['NAMES', names],
    ];
    if (bool(flags, 'size')) columns.push(['SIZE', sizeText]);
    printList(containers, parseFormat(str(flags, 'format')), columns, (c) => ({
      ID: id(c),
      Image: c.Image,
      Command: command(c),
      CreatedAt: new Date(c.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
      RunningFor: ago(c.Created),
      Ports: portsText(c.Ports),
      State: c.State,
      Status: c.Status,
      Size: bool(flags, 'size') ? sizeText(c) : '0B',
      Names: names(c),
      Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
      Mounts: (c.Mounts ?? []).map((m) => m.Name ?? m.Source ?? '').join(','),
      LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Name).length),
      Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    }), { ID: 'CONTAINER ID', RunningFor: 'CREATED', CreatedAt: 'CREATED AT' });
    return 0;
  },
};

export default ps;

// kapal network ls: GET /networks as docker network ls prints it: NETWORK ID, NAME, DRIVER, SCOPE
// sorted by name, -q, --no-trunc, --filter and --format (json, a template, `table TEMPLATE`).

import type { Command } from '../../../command.js';
import { bool, str } from '../../../flags.js';
import { parseFormat, printList, shortId } from '../../../format.js';
import { filtersQuery, readFilters } from '../../../filters.js';
import { naturalCompare } from '../natural-order.js';

export interface NetworkSummary {
  Id: string;
  Name: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal: boolean;
  Labels: Record<string, string> | null;
}

/** Go's time.String() of an RFC 3339 time in UTC: "2026-11-30 01:24:28.275 +0000 UTC". */
function goTimeString(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return iso;
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]} ${m[2]}${fraction ? `.${fraction}` : ''} +0000 UTC`;
}

const ls: Command = {
  usage: '[OPTIONS]',
  flags: {
    filter: { short: 'f', arg: 'filter', multi: true, help: 'Provide filter values (e.g. "driver=bridge")' },
    format: { arg: 'string', help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" },
    'no-trunc': { help: 'Do not truncate the output' },
    quiet: { short: 'q', help: 'Only display network IDs' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    const networks = await ctx.api.json<NetworkSummary[]>('GET', `/networks${filtersQuery(readFilters(flags))}`);
    networks.sort((a, b) => naturalCompare(a.Name, b.Name));
    const id = (n: NetworkSummary) => (bool(flags, 'no-trunc') ? n.Id : shortId(n.Id));
    const format = parseFormat(str(flags, 'format'));
    if (bool(flags, 'quiet') && format.kind === 'table') {
      for (const n of networks) process.stdout.write(`${id(n)}\n`);
      return 0;
    }
    printList(
      networks,
      format,
      [
        ['NETWORK ID', id],
        ['NAME', (n) => n.Name],
        ['DRIVER', (n) => n.Driver],
        ['SCOPE', (n) => n.Scope],
      ],
      // Alphabetical, as docker's --format json writes them.
      (n) => ({
        CreatedAt: goTimeString(n.Created),
        Driver: n.Driver,
        ID: id(n),
        IPv4: String(n.EnableIPv4 ?? true),
        IPv6: String(n.EnableIPv6 ?? false),
        Internal: String(n.Internal),
        Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
        Name: n.Name,
        Scope: n.Scope,
      }),
      { ID: 'NETWORK ID' },
    );
    return 0;
  },
};

export default ls;

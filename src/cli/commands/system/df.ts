// kapal system df: docker's TYPE, TOTAL, ACTIVE, SIZE, RECLAIMABLE table of images, containers,
// local volumes and build cache, --format (json, a template, `table TEMPLATE`), and with -v the
// per-object tables of `docker system df -v`.

import type { Command } from '../../command.js';
import { bool, str } from '../../flags.js';
import { ago, ellipsis, humanSize, parseFormat, printList, shortId, table } from '../../format.js';
import { UsageError } from '../../output.js';
import { diskUsage, type ContainerUsage, type DiskUsage, type ImageUsage } from './disk-usage.js';

/** The verbose tables' sizes: three digits, as docker's (the summary's are four). */
const humanSize3 = (bytes: number) => humanSize(bytes, 3);

interface Row {
  Type: string;
  TotalCount: string;
  Active: string;
  Size: string;
  Reclaimable: string;
}

/** "1.2MB (50%)", the percentage truncated as Go's integer division does; no percentage of nothing. */
function reclaimable(bytes: number, total: number): string {
  return total > 0 ? `${humanSize(bytes)} (${Math.trunc((bytes * 100) / total)}%)` : humanSize(bytes);
}

const isActive = (c: ContainerUsage) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting';

function summary(du: DiskUsage): Row[] {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  const cache = du.BuildCache ?? [];
  const sum = <T>(items: T[], size: (item: T) => number) => items.reduce((total, item) => total + size(item), 0);

  const imagesUsed = sum(images, (i) => (i.Containers !== 0 && i.Size !== -1 && i.SharedSize !== -1 ? i.Size - i.SharedSize : 0));
  const containersSize = sum(containers, (c) => c.SizeRw ?? 0);
  const known = volumes.filter((v) => (v.UsageData?.Size ?? -1) !== -1);
  const volumesSize = sum(known, (v) => v.UsageData!.Size);
  const builderSize = sum(cache, (b) => (b.Shared ? 0 : b.Size));
  return [
    {
      Type: 'Images',
      TotalCount: String(images.length),
      Active: String(images.filter((i) => i.Containers > 0).length),
      Size: humanSize(du.LayersSize),
      Reclaimable: reclaimable(du.LayersSize - imagesUsed, du.LayersSize),
    },
    {
      Type: 'Containers',
      TotalCount: String(containers.length),
      Active: String(containers.filter(isActive).length),
      Size: humanSize(containersSize),
      Reclaimable: reclaimable(sum(containers.filter((c) => !isActive(c)), (c) => c.SizeRw ?? 0), containersSize),
    },
    {
      Type: 'Local Volumes',
      TotalCount: String(volumes.length),
      Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length),
      Size: humanSize(volumesSize),
      Reclaimable: reclaimable(sum(known.filter((v) => v.UsageData!.RefCount === 0), (v) => v.UsageData!.Size), volumesSize),
    },
    {
      Type: 'Build Cache',
      TotalCount: String(cache.length),
      Active: String(cache.filter((b) => b.InUse).length),
      Size: humanSize(builderSize),
      Reclaimable: humanSize(builderSize - sum(cache, (b) => (b.InUse && !b.Shared ? b.Size : 0))),
    },
  ];
}

/** REPOSITORY and TAG of an image's first tag, in docker's short form (busybox, not docker.io/library/busybox). */
function repoAndTag(i: ImageUsage): [string, string] {
  const first = i.RepoTags?.[0];
  if (!first || first === '<none>:<none>') return ['<none>', '<none>'];
  const colon = first.lastIndexOf(':');
  if (colon < first.lastIndexOf('/') || colon < 0) return ['<none>', '<none>'];
  return [first.slice(0, colon).replace(/^docker\.io\/(library\/)?/, ''), first.slice(colon + 1)];
}

const na = (n: number, text: () => string) => (n === -1 ? 'N/A' : text());

function verbose(du: DiskUsage): string {
  const images = (du.Images ?? []).map((i) => [
    ...repoAndTag(i),
    shortId(i.Id),
    ago(i.Created),
    humanSize3(i.Size),
    na(i.SharedSize, () => humanSize(i.SharedSize)),
    i.Size === -1 || i.SharedSize === -1 ? 'N/A' : humanSize(i.Size - i.SharedSize),
    na(i.Containers, () => String(i.Containers)),
  ]);
  const containers = (du.Containers ?? []).map((c) => [
    shortId(c.Id),
    c.Image,
    JSON.stringify(ellipsis(c.Command, 20)),
    String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    humanSize3(c.SizeRw ?? 0),
    ago(c.Created),
    c.Status,
    c.Names.map((n) => n.replace(/^\//, '')).join(','),
  ]);
  const volumes = (du.Volumes ?? []).map((v) => [v.Name, v.UsageData ? String(v.UsageData.RefCount) : 'N/A', v.UsageData ? humanSize(v.UsageData.Size) : 'N/A']);
  const cache = (du.BuildCache ?? []).map((b) => [
    `${shortId(b.ID)}${b.InUse ? '*' : ''}`,
    b.Type,
    humanSize3(b.Size),
    ago(b.CreatedAt),
    b.LastUsedAt ? ago(b.LastUsedAt) : '',
    String(b.UsageCount),
    String(b.Shared),
  ]);
  const builderSize = (du.BuildCache ?? []).reduce((sum, b) => sum + (b.Shared ? 0 : b.Size), 0);
  return [
    'Images space usage:\n\n',
    table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], images),
    '\nContainers space usage:\n\n',
    table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'], containers),
    '\nLocal Volumes space usage:\n\n',
    table(['VOLUME NAME', 'LINKS', 'SIZE'], volumes),
    `\nBuild cache usage: ${humanSize(builderSize)}\n\n`,
    table(['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED'], cache),
  ].join('');
}

const df: Command = {
  usage: '[OPTIONS]',
  flags: {
    format: { arg: 'string', help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" },
    verbose: { short: 'v', help: 'Show detailed information on space usage' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    const format = parseFormat(str(flags, 'format'));
    if (bool(flags, 'verbose') && format.kind !== 'table') throw new UsageError('kapal supports --verbose only with the table format so far');
    const du = await diskUsage(ctx.api);
    if (bool(flags, 'verbose')) {
      process.stdout.write(verbose(du));
      return 0;
    }
    printList(
      summary(du),
      format,
      [
        ['TYPE', (r) => r.Type],
        ['TOTAL', (r) => r.TotalCount],
        ['ACTIVE', (r) => r.Active],
        ['SIZE', (r) => r.Size],
        ['RECLAIMABLE', (r) => r.Reclaimable],
      ],
      // Alphabetical, as docker's --format json writes them.
      (r) => ({ Active: r.Active, Reclaimable: r.Reclaimable, Size: r.Size, TotalCount: r.TotalCount, Type: r.Type }),
      { TotalCount: 'TOTAL' },
    );
    return 0;
  },
};

export default df;

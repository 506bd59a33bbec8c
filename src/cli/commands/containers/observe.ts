// Looking at running containers: top, port, stats (docker's columns and CPU arithmetic).

import type { Command } from '../../command.js';
import { bool, str } from '../../flags.js';
import { bytesSize } from '../../output.js';
import { humanSize, parseFormat, printList, shortId, table } from '../../format.js';
import { enc } from './each.js';

export const top: Command = {
  usage: 'CONTAINER [ps OPTIONS]',
  flags: {},
  minArgs: 1,
  maxArgs: Infinity,
  stopAtFirstArg: true,
  async run(ctx, _flags, [name, ...psArgs]) {
    const q = psArgs.length ? `?ps_args=${enc(psArgs.join(' '))}` : '';
    const res = await ctx.api.json<{ Titles: string[]; Processes: string[][] }>('GET', `/containers/${enc(name!)}/top${q}`);
    process.stdout.write(table(res.Titles, res.Processes, 20)); // docker top's tabwriter: at least 20 wide
    return 0;
  },
};

type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;

export const port: Command = {
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  flags: {},
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, _flags, [name, wanted]) {
    const c = await ctx.api.json<{ NetworkSettings: { Ports: PortMap | null } }>('GET', `/containers/${enc(name!)}/json`);
    const ports = c.NetworkSettings.Ports ?? {};
    if (wanted) {
      const key = wanted.includes('/') ? wanted : `${wanted}/tcp`;
      const bound = ports[key];
      if (!bound?.length) throw new Error(`No public port '${key}' published for ${name}`);
      for (const b of bound) process.stdout.write(`${b.HostIp || '0.0.0.0'}:${b.HostPort}\n`);
      return 0;
    }
    const keys = Object.keys(ports).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    for (const key of keys) for (const b of ports[key] ?? []) process.stdout.write(`${key} -> ${b.HostIp || '0.0.0.0'}:${b.HostPort}\n`);
    return 0;
  },
};

interface Stats {
  id: string;
  name: string;
  read: string;
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  pids_stats?: { current?: number };
}

/** docker's row of numbers from one stats sample. */
function row(s: Stats) {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * (s.cpu_stats.online_cpus ?? 1) * 100 : 0;
  const cache = s.memory_stats.stats?.inactive_file ?? s.memory_stats.stats?.total_inactive_file ?? 0;
  const mem = Math.max(0, (s.memory_stats.usage ?? 0) - cache);
  const limit = s.memory_stats.limit ?? 0;
  const net = Object.values(s.networks ?? {}).reduce((a, n) => [a[0]! + n.rx_bytes, a[1]! + n.tx_bytes], [0, 0]);
  const blk = (s.blkio_stats?.io_service_bytes_recursive ?? []).reduce((a, e) => [a[0]! + (e.op.toLowerCase() === 'read' ? e.value : 0), a[1]! + (e.op.toLowerCase() === 'write' ? e.value : 0)], [0, 0]);
  return {
    Container: shortId(s.id),
    ID: shortId(s.id),
    Name: s.name.replace(/^\//, ''),
    CPUPerc: `${cpu.toFixed(2)}%`,
    MemUsage: `${bytesSize(mem)} / ${bytesSize(limit)}`,
    MemPerc: `${(limit ? (mem / limit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${humanSize(net[0]!, 3)} / ${humanSize(net[1]!, 3)}`,
    BlockIO: `${humanSize(blk[0]!, 3)} / ${humanSize(blk[1]!, 3)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

const STATS_COLUMNS: [string, (r: ReturnType<typeof row>) => string][] = [
  ['CONTAINER ID', (r) => r.ID],
  ['NAME', (r) => r.Name],
  ['CPU %', (r) => r.CPUPerc],
  ['MEM USAGE / LIMIT', (r) => r.MemUsage],
  ['MEM %', (r) => r.MemPerc],
  ['NET I/O', (r) => r.NetIO],
  ['BLOCK I/O', (r) => r.BlockIO],
  ['PIDS', (r) => r.PIDs],
];

export const stats: Command = {
  usage: '[OPTIONS] [CONTAINER...]',
  flags: {
    all: { short: 'a', help: 'Show all containers (default shows just running)' },
    format: { arg: 'string', help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go-like template" },
    'no-stream': { help: 'Disable streaming stats and only pull the first result' },
    'no-trunc': { help: "Don't truncate output" },
  },
  maxArgs: Infinity,
  async run(ctx, flags, args) {
    const names = args.length
      ? args
      : (await ctx.api.json<{ Id: string }[]>('GET', `/containers/json${bool(flags, 'all') ? '?all=1' : ''}`)).map((c) => c.Id);
    const format = parseFormat(str(flags, 'format'));
    const sample = async () => Promise.all(names.map(async (n) => row(await ctx.api.json<Stats>('GET', `/containers/${enc(n)}/stats?stream=0`))));
    if (bool(flags, 'no-stream') || !process.stdout.isTTY) {
      printList(await sample(), format, STATS_COLUMNS, (r) => r, { ID: 'CONTAINER ID', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O' });
      return 0;
    }
    // On a terminal: the table again every second, the screen cleared first, until interrupted.
    for (;;) {
      const rows = await sample();
      process.stdout.write('\x1b[2J\x1b[H');
      printList(rows, format, STATS_COLUMNS, (r) => r);
    }
  },
};

// kapal update: new limits for running or stopped containers (POST /containers/{id}/update).

import type { Command } from '../../command.js';
import { int, str } from '../../flags.js';
import { ramInBytes } from './create-options.js';
import { enc, forEach } from './each.js';

const update: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  flags: {
    'blkio-weight': { arg: 'uint16', help: 'Block IO (relative weight), between 10 and 1000, or 0 to disable' },
    'cpu-period': { arg: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) period' },
    'cpu-quota': { arg: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
    'cpu-shares': { short: 'c', arg: 'int', help: 'CPU shares (relative weight)' },
    cpus: { arg: 'decimal', help: 'Number of CPUs' },
    'cpuset-cpus': { arg: 'string', help: 'CPUs in which to allow execution (0-3, 0,1)' },
    'cpuset-mems': { arg: 'string', help: 'MEMs in which to allow execution (0-3, 0,1)' },
    memory: { short: 'm', arg: 'bytes', help: 'Memory limit' },
    'memory-reservation': { arg: 'bytes', help: 'Memory soft limit' },
    'memory-swap': { arg: 'bytes', help: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
    'pids-limit': { arg: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
    restart: { arg: 'string', help: 'Restart policy to apply when a container exits' },
  },
  minArgs: 1,
  maxArgs: Infinity,
  run(ctx, flags, args) {
    const bytes = (name: string) => {
      const v = str(flags, name);
      return v === undefined ? undefined : v === '-1' ? -1 : ramInBytes(v, name);
    };
    const cpus = str(flags, 'cpus');
    const restart = str(flags, 'restart');
    const body = {
      BlkioWeight: int(flags, 'blkio-weight'),
      CpuPeriod: int(flags, 'cpu-period'),
      CpuQuota: int(flags, 'cpu-quota'),
      CpuShares: int(flags, 'cpu-shares'),
      NanoCpus: cpus === undefined ? undefined : Math.round(Number(cpus) * 1e9),
      CpusetCpus: str(flags, 'cpuset-cpus'),
      CpusetMems: str(flags, 'cpuset-mems'),
      Memory: bytes('memory'),
      MemoryReservation: bytes('memory-reservation'),
      MemorySwap: bytes('memory-swap'),
      PidsLimit: int(flags, 'pids-limit'),
      RestartPolicy: restart === undefined ? undefined : { Name: restart.split(':')[0], MaximumRetryCount: Number(restart.split(':')[1] ?? 0) },
    };
    return forEach(args, async (c) => {
      const res = await ctx.api.json<{ Warnings?: string[] | null }>('POST', `/containers/${enc(c)}/update`, body);
      for (const w of res?.Warnings ?? []) process.stderr.write(`${w}\n`);
    });
  },
};

export default update;

// kapal update: new limits for running or stopped containers (POST /containers/{id}/update).

import type { Command } from '../../command.js';
import { int, str } from '../../flags.js';
import { CREATE_FLAGS, ramInBytes } from './create-options.js';
import { enc, forEach } from './each.js';

const update: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  // The limits run and create take, with their help, and the restart policy.
  flags: Object.fromEntries(
    ['blkio-weight', 'cpu-period', 'cpu-quota', 'cpu-shares', 'cpus', 'cpuset-cpus', 'cpuset-mems', 'memory', 'memory-reservation', 'memory-swap', 'pids-limit', 'restart'].map((name) => [name, CREATE_FLAGS[name]!]),
  ),
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

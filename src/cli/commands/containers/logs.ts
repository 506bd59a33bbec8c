// kapal logs: GET /containers/{id}/logs, stdout and stderr kept apart (docker's multiplexed
// frames unless the container has a TTY), -f to follow, --tail, -t, --since, --until.

import type { Command } from '../../command.js';
import { bool, str } from '../../flags.js';
import { enc } from './each.js';

/** Splits docker's stdcopy frames ([stream, 0, 0, 0, size32be] + data) onto stdout and stderr. */
export function demuxer(): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const out = pending[0] === 2 ? process.stderr : process.stdout;
      out.write(pending.subarray(8, 8 + size));
      pending = pending.subarray(8 + size);
    }
  };
}

/** --since and --until as the API takes them: a duration (10m) before now, or a time as given. */
export function timeArg(value: string): string {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (!m) return /^\d+(\.\d+)?$/.test(value) ? value : String(Date.parse(value) / 1000);
  const seconds = Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 's'];
  return String(Math.floor(Date.now() / 1000 - seconds));
}

const logs: Command = {
  usage: '[OPTIONS] CONTAINER',
  flags: {
    details: { help: 'Show extra details provided to logs' },
    follow: { short: 'f', help: 'Follow log output' },
    since: { arg: 'string', help: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    tail: { short: 'n', arg: 'string', help: 'Number of lines to show from the end of the logs', default: '"all"' },
    timestamps: { short: 't', help: 'Show timestamps' },
    until: { arg: 'string', help: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, [name]) {
    const c = await ctx.api.json<{ Config: { Tty: boolean } }>('GET', `/containers/${enc(name!)}/json`);
    const q = new URLSearchParams({ stdout: '1', stderr: '1' });
    if (bool(flags, 'follow')) q.set('follow', '1');
    if (bool(flags, 'timestamps')) q.set('timestamps', '1');
    if (bool(flags, 'details')) q.set('details', '1');
    const tail = str(flags, 'tail');
    if (tail !== undefined) q.set('tail', tail);
    const since = str(flags, 'since');
    if (since) q.set('since', timeArg(since));
    const until = str(flags, 'until');
    if (until) q.set('until', timeArg(until));
    const res = await ctx.api.stream('GET', `/containers/${enc(name!)}/logs?${q}`);
    const write = c.Config.Tty ? (chunk: Buffer) => void process.stdout.write(chunk) : demuxer();
    for await (const chunk of res) write(chunk as Buffer);
    return 0;
  },
};

export default logs;

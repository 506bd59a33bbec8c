// kapal container prune: removes stopped containers after docker's question (or -f).

import type { Command } from '../../command.js';
import { bool, list } from '../../flags.js';
import { humanSize } from '../../format.js';

/** docker's prompt: true for y or Y; anything else (EOF too) declines. */
export async function confirm(question: string): Promise<boolean> {
  process.stdout.write(question);
  const answer = await new Promise<string>((resolve) => {
    let text = '';
    const onData = (c: Buffer) => {
      text += c.toString();
      if (text.includes('\n')) done();
    };
    const done = () => {
      process.stdin.off('data', onData);
      process.stdin.off('end', done);
      process.stdin.pause();
      resolve(text.split('\n')[0]!.trim());
    };
    process.stdin.on('data', onData);
    process.stdin.on('end', done);
    process.stdin.resume();
  });
  return answer === 'y' || answer === 'Y';
}

const prune: Command = {
  usage: '[OPTIONS]',
  flags: {
    filter: { arg: 'filter', multi: true, help: 'Provide filter values (e.g. "until=<timestamp>")' },
    force: { short: 'f', help: 'Do not prompt for confirmation' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    if (!bool(flags, 'force') && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return 0;
    const filters: Record<string, string[]> = {};
    for (const f of list(flags, 'filter')) {
      const i = f.indexOf('=');
      (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
    }
    const q = Object.keys(filters).length ? `?filters=${encodeURIComponent(JSON.stringify(filters))}` : '';
    const res = await ctx.api.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', `/containers/prune${q}`);
    if (res.ContainersDeleted?.length) process.stdout.write(`Deleted Containers:\n${res.ContainersDeleted.join('\n')}\n\n`);
    process.stdout.write(`Total reclaimed space: ${humanSize(res.SpaceReclaimed)}\n`);
    return 0;
  },
};

export default prune;

// The verbs that change a container's state: stop, restart, kill, pause, unpause, rm, wait,
// rename, each over the API as docker does them.

import type { Command } from '../../command.js';
import { bool, int, str } from '../../flags.js';
import { enc, forEach } from './each.js';
import { readJson } from './shared.js';

const timeoutFlags = {
  signal: { short: 's', arg: 'string', help: 'Signal to send to the container' },
  time: { short: 't', arg: 'int', help: 'Seconds to wait before killing the container' },
};

function stopQuery(flags: Parameters<Command['run']>[1]): string {
  const q = new URLSearchParams();
  const t = int(flags, 'time');
  if (t !== undefined) q.set('t', String(t));
  const s = str(flags, 'signal');
  if (s) q.set('signal', s);
  return q.size ? `?${q}` : '';
}

export const stop: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  flags: timeoutFlags,
  minArgs: 1,
  maxArgs: Infinity,
  run: (ctx, flags, args) => forEach(args, async (c) => void (await ctx.api.request('POST', `/containers/${enc(c)}/stop${stopQuery(flags)}`))),
};

export const restart: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  flags: timeoutFlags,
  minArgs: 1,
  maxArgs: Infinity,
  run: (ctx, flags, args) => forEach(args, async (c) => void (await ctx.api.request('POST', `/containers/${enc(c)}/restart${stopQuery(flags)}`))),
};

export const kill: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  flags: { signal: { short: 's', arg: 'string', help: 'Signal to send to the container' } },
  minArgs: 1,
  maxArgs: Infinity,
  run: (ctx, flags, args) => {
    const s = str(flags, 'signal');
    return forEach(args, async (c) => void (await ctx.api.request('POST', `/containers/${enc(c)}/kill${s ? `?signal=${enc(s)}` : ''}`)));
  },
};

export const pause: Command = {
  usage: 'CONTAINER [CONTAINER...]',
  flags: {},
  minArgs: 1,
  maxArgs: Infinity,
  run: (ctx, _flags, args) => forEach(args, async (c) => void (await ctx.api.request('POST', `/containers/${enc(c)}/pause`))),
};

export const unpause: Command = {
  usage: 'CONTAINER [CONTAINER...]',
  flags: {},
  minArgs: 1,
  maxArgs: Infinity,
  run: (ctx, _flags, args) => forEach(args, async (c) => void (await ctx.api.request('POST', `/containers/${enc(c)}/unpause`))),
};

export const rm: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  flags: {
    force: { short: 'f', help: 'Force the removal of a running container (uses SIGKILL)' },
    link: { short: 'l', help: 'Remove the specified link' },
    volumes: { short: 'v', help: 'Remove anonymous volumes associated with the container' },
  },
  minArgs: 1,
  maxArgs: Infinity,
  run: (ctx, flags, args) => {
    const q = new URLSearchParams();
    if (bool(flags, 'force')) q.set('force', '1');
    if (bool(flags, 'volumes')) q.set('v', '1');
    if (bool(flags, 'link')) q.set('link', '1');
    return forEach(args, async (c) => void (await ctx.api.request('DELETE', `/containers/${enc(c)}${q.size ? `?${q}` : ''}`)));
  },
};

export const wait: Command = {
  usage: 'CONTAINER [CONTAINER...]',
  flags: {},
  minArgs: 1,
  maxArgs: Infinity,
  run: (ctx, _flags, args) =>
    forEach(args, async (c) => {
      const res = await ctx.api.stream('POST', `/containers/${enc(c)}/wait`);
      process.stdout.write(`${(await readJson<{ StatusCode: number }>(res)).StatusCode}\n`);
    }, { echo: false }),
};

export const rename: Command = {
  usage: 'CONTAINER NEW_NAME',
  flags: {},
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, _flags, [c, name]) {
    await ctx.api.request('POST', `/containers/${enc(c!)}/rename?name=${enc(name!)}`);
    return 0;
  },
};

// kapal start [-a] [-i] and kapal attach: a container's stdio through the websocket, the exit
// status of the container as ours (docker's), ctrl-p ctrl-q (or --detach-keys) to let go.

import type { ApiClient } from '../../client.js';
import type { Command } from '../../command.js';
import { bool, str } from '../../flags.js';
import { enc, forEach } from './each.js';
import { runFailure } from './run.js';
import { waitForExit } from './shared.js';
import { proxySignals, runSession } from './stream-session.js';

interface Inspected {
  Id: string;
  Config: { Tty: boolean; OpenStdin: boolean };
  State: { Running: boolean; Paused: boolean; ExitCode: number };
}

/** Attaches to `name` (starting it first with `start`), until it exits or we detach. */
async function attachTo(api: ApiClient, name: string, opts: { stdin: boolean; detachKeys?: string; sigProxy: boolean; start?: () => Promise<void> }): Promise<number> {
  const c = await api.json<Inspected>('GET', `/containers/${enc(name)}/json`);
  const tty = c.Config.Tty;
  const stdin = opts.stdin && c.Config.OpenStdin;
  const query = new URLSearchParams({ stream: '1', stdout: '1', stderr: '1', stdin: stdin ? '1' : '0' });
  if (opts.detachKeys !== undefined) query.set('detachKeys', opts.detachKeys);
  const wait = await waitForExit(api, c.Id, opts.start ? 'next-exit' : 'not-running');
  const stopProxy = opts.sigProxy && !tty ? proxySignals((s) => api.request('POST', `/containers/${c.Id}/kill?signal=${s}`)) : () => {};
  try {
    const end = await runSession(api, `/containers/${c.Id}/attach/ws?${query}`, { tty, stdin }, opts.start);
    if (end.detached) {
      wait.cancel();
      return 0;
    }
    return await wait.status;
  } finally {
    stopProxy();
  }
}

const sigProxyFlag = { 'sig-proxy': { help: 'Proxy all received signals to the process', default: 'true' } };
const detachKeysFlag = { 'detach-keys': { arg: 'string', help: 'Override the key sequence for detaching a container' } };

export const start: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  flags: {
    attach: { short: 'a', help: "Attach STDOUT/STDERR and forward signals" },
    ...detachKeysFlag,
    interactive: { short: 'i', help: "Attach container's STDIN" },
  },
  minArgs: 1,
  maxArgs: Infinity,
  async run(ctx, flags, args) {
    const attach = bool(flags, 'attach') || bool(flags, 'interactive');
    if (!attach) return forEach(args, async (c) => void (await ctx.api.request('POST', `/containers/${enc(c)}/start`)));
    if (args.length > 1) throw new Error('you cannot start and attach multiple containers at once');
    let failed: unknown;
    const code = await attachTo(ctx.api, args[0]!, {
      stdin: bool(flags, 'interactive'),
      detachKeys: str(flags, 'detach-keys'),
      sigProxy: true,
      start: async () => {
        try {
          await ctx.api.request('POST', `/containers/${enc(args[0]!)}/start`);
        } catch (err) {
          failed = err;
          throw err;
        }
      },
    }).catch((err) => {
      if (failed) return runFailure('start', failed);
      throw err;
    });
    return code;
  },
};

export const attach: Command = {
  usage: '[OPTIONS] CONTAINER',
  flags: { ...detachKeysFlag, 'no-stdin': { help: 'Do not attach STDIN' }, ...sigProxyFlag },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, [name]) {
    const c = await ctx.api.json<Inspected>('GET', `/containers/${enc(name!)}/json`);
    if (!c.State.Running) throw new Error('You cannot attach to a stopped container, start it first');
    if (c.State.Paused) throw new Error('You cannot attach to a paused container, unpause it first');
    return attachTo(ctx.api, name!, { stdin: !bool(flags, 'no-stdin'), detachKeys: str(flags, 'detach-keys'), sigProxy: flags['sig-proxy'] !== false });
  },
};

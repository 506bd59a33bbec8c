// kapal exec: a process in a running container, its stdio through kapal's exec websocket
// (GET /exec/{id}/start/ws), its exit status as ours; -d starts it and returns.

import type { Command } from '../../command.js';
import { bool, list, str } from '../../flags.js';
import { enc } from './each.js';
import { runSession } from './stream-session.js';

const exec: Command = {
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  flags: {
    detach: { short: 'd', help: 'Detached mode: run command in the background' },
    'detach-keys': { arg: 'string', help: 'Override the key sequence for detaching a container' },
    env: { short: 'e', arg: 'list', multi: true, help: 'Set environment variables' },
    'env-file': { arg: 'list', multi: true, help: 'Read in a file of environment variables' },
    interactive: { short: 'i', help: 'Keep STDIN open even if not attached' },
    privileged: { help: 'Give extended privileges to the command' },
    tty: { short: 't', help: 'Allocate a pseudo-TTY' },
    user: { short: 'u', arg: 'string', help: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    workdir: { short: 'w', arg: 'string', help: 'Working directory inside the container' },
  },
  minArgs: 2,
  maxArgs: Infinity,
  stopAtFirstArg: true,
  async run(ctx, flags, [container, ...cmd]) {
    const api = ctx.api;
    const detach = bool(flags, 'detach');
    const tty = bool(flags, 'tty');
    const interactive = bool(flags, 'interactive');
    if (!detach && tty && interactive && !process.stdin.isTTY) throw new Error('the input device is not a TTY');
    const env: string[] = [];
    if (list(flags, 'env-file').length) {
      const { readFileSync } = await import('node:fs');
      for (const f of list(flags, 'env-file')) env.push(...readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')));
    }
    for (const e of list(flags, 'env')) env.push(e.includes('=') ? e : process.env[e] !== undefined ? `${e}=${process.env[e]}` : e);
    const created = await api.json<{ Id: string }>('POST', `/containers/${enc(container!)}/exec`, {
      AttachStdin: interactive && !detach,
      AttachStdout: !detach,
      AttachStderr: !detach,
      Tty: tty,
      Env: env,
      Cmd: cmd,
      User: str(flags, 'user') ?? '',
      WorkingDir: str(flags, 'workdir') ?? '',
      Privileged: bool(flags, 'privileged'),
      DetachKeys: str(flags, 'detach-keys'),
    });
    if (detach) {
      await api.request('POST', `/exec/${created.Id}/start`, JSON.stringify({ Detach: true, Tty: tty }));
      return 0;
    }
    const size = tty && process.stdout.isTTY ? `?h=${process.stdout.rows}&w=${process.stdout.columns}` : '';
    const end = await runSession(api, `/exec/${created.Id}/start/ws${size}`, { tty, stdin: interactive });
    if (end.detached) return 0;
    if (end.exitCode !== undefined) return end.exitCode;
    return (await api.json<{ ExitCode: number | null }>('GET', `/exec/${created.Id}/json`)).ExitCode ?? 0;
  },
};

export default exec;

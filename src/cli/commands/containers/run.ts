// kapal run: create (pulling a missing image), attach through the websocket before the start so
// that no output is missed, start, then the container's exit status as ours. -d prints the ID
// instead. Failures are docker run's: "kapal: Error response from daemon: ..." and 125, or 126
// and 127 when the command cannot be run.

import type { Command } from '../../command.js';
import { DaemonError } from '../../client.js';
import { bool, list, str } from '../../flags.js';
import { CREATE_FLAGS, createRequest } from './create-options.js';
import { createContainer, startFailureStatus, waitForExit } from './shared.js';
import { proxySignals, runSession } from './stream-session.js';

/** docker run's way to report a failure of its own: the message, a pointer to help, a status. */
export function runFailure(verb: string, err: unknown): number {
  const message = err instanceof DaemonError ? `Error response from daemon: ${err.message}` : (err as Error).message;
  process.stderr.write(`kapal: ${message}\n\nRun 'kapal ${verb} --help' for more information\n`);
  return startFailureStatus(message);
}

const run: Command = {
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  flags: {
    ...CREATE_FLAGS,
    detach: { short: 'd', help: 'Run container in background and print container ID' },
    'detach-keys': { arg: 'string', help: 'Override the key sequence for detaching a container' },
    'sig-proxy': { help: 'Proxy received signals to the process (non-TTY only)', default: 'true' },
  },
  minArgs: 1,
  maxArgs: Infinity,
  stopAtFirstArg: true,
  async run(ctx, flags, args) {
    const [image, ...cmd] = args as [string, ...string[]];
    const detach = bool(flags, 'detach');
    const api = ctx.api;
    if (!detach && bool(flags, 'tty') && bool(flags, 'interactive') && !process.stdin.isTTY) throw new Error('the input device is not a TTY');
    let id: string;
    try {
      id = await createContainer(api, createRequest(flags, image, cmd, { detach }), { pull: str(flags, 'pull') ?? 'missing', quiet: bool(flags, 'quiet') });
      const cidfile = str(flags, 'cidfile');
      if (cidfile) (await import('node:fs')).writeFileSync(cidfile, id, { flag: 'wx' });
    } catch (err) {
      return runFailure('run', err);
    }
    const start = async () => {
      await api.request('POST', `/containers/${id}/start`);
    };
    if (detach) {
      try {
        await start();
      } catch (err) {
        return runFailure('run', err);
      }
      process.stdout.write(`${id}\n`);
      return 0;
    }
    const tty = bool(flags, 'tty');
    const interactive = bool(flags, 'interactive');
    const attach = list(flags, 'attach').map((a) => a.toLowerCase());
    const streams = attach.length ? attach : ['stdout', 'stderr', ...(interactive ? ['stdin'] : [])];
    const query = new URLSearchParams({ stream: '1' });
    for (const s of ['stdin', 'stdout', 'stderr']) query.set(s, streams.includes(s) ? '1' : '0');
    const keys = str(flags, 'detach-keys');
    if (keys !== undefined) query.set('detachKeys', keys);
    const autoRemove = bool(flags, 'rm');
    const wait = await waitForExit(api, id, autoRemove ? 'removed' : 'next-exit');
    const sigProxy = !tty && flags['sig-proxy'] !== false;
    const stopProxy = sigProxy ? proxySignals((signal) => api.request('POST', `/containers/${id}/kill?signal=${signal}`)) : () => {};
    let startError: unknown;
    try {
      const end = await runSession(api, `/containers/${id}/attach/ws?${query}`, { tty, stdin: streams.includes('stdin') }, () =>
        start().catch((err) => {
          startError = err;
          throw err;
        }),
      ).catch((err) => {
        if (startError) return undefined;
        throw err;
      });
      if (startError) {
        wait.cancel();
        return runFailure('run', startError);
      }
      if (end?.detached) {
        wait.cancel();
        return 0;
      }
      return await wait.status;
    } finally {
      stopProxy();
    }
  },
};

export default run;

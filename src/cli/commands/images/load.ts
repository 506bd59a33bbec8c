// kapal load: POST /images/load with a tar archive from -i FILE or stdin, as docker load. On a
// terminal the daemon is asked for progress (a bar per layer); elsewhere, or with -q, only the
// "Loaded image" lines come back.

import type { Readable } from 'node:stream';
import type { Command } from '../../command.js';
import { bool, str } from '../../flags.js';
import { goFileError } from './go-format.js';
import { displayJsonMessages, stdoutDisplay } from './progress.js';

/** The archive to send: the file of -i, opened now so that a bad path fails before any request. */
export async function openInput(file: string | undefined): Promise<Readable> {
  if (file === undefined) return process.stdin;
  const { open } = await import('node:fs/promises');
  try {
    return (await open(file)).createReadStream();
  } catch (err) {
    throw goFileError(err, 'open', file);
  }
}

const load: Command = {
  usage: '[OPTIONS]',
  flags: {
    input: { short: 'i', arg: 'string', help: 'Read from tar archive file, instead of STDIN' },
    quiet: { short: 'q', help: 'Suppress the load output' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    const file = str(flags, 'input') || undefined;
    // Reading a terminal would wait for an archive nobody is typing.
    if (file === undefined && process.stdin.isTTY) throw new Error('requested load from stdin, but stdin is empty');
    const body = await openInput(file);
    const quiet = bool(flags, 'quiet') || process.stdout.isTTY !== true;
    const res = await ctx.api.stream('POST', `/images/load?quiet=${quiet ? 1 : 0}`, { body, contentType: 'application/x-tar' });
    if (res.headers['content-type'] === 'application/json') {
      await displayJsonMessages(res, stdoutDisplay());
      return 0;
    }
    for await (const chunk of res) process.stdout.write(chunk as Buffer);
    return 0;
  },
};

export default load;

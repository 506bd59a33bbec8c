// kapal save: GET /images/get?names=... to stdout (never to a terminal) or, with -o, to a file
// written as docker's atomic writer does: a temporary file beside it, renamed into place once the
// archive is complete, so a failed save leaves nothing behind.

import type { Command } from '../../command.js';
import { str } from '../../flags.js';
import { goFileError } from './go-format.js';

/** moby's atomicwriter checks, in its words: the directory must exist, the target be a plain file. */
async function checkDestination(file: string): Promise<void> {
  const { lstat, stat } = await import('node:fs/promises');
  const path = await import('node:path');
  const dir = path.dirname(file);
  if (dir !== '.' && dir !== '..') {
    const info = await stat(dir).catch((err: unknown) => {
      throw new Error(`invalid output path: ${goFileError(err, 'stat', dir).message}`);
    });
    if (!info.isDirectory()) throw new Error(`invalid output path: stat ${dir}: not a directory`);
  }
  const info = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new Error(`failed to stat output path: ${goFileError(err, 'lstat', file).message}`);
  });
  if (info === undefined || info.isFile()) return;
  if (info.isDirectory()) throw new Error('cannot write to a directory');
  if (info.isSymbolicLink()) throw new Error('cannot write to a symbolic link directly');
  if (info.isFIFO()) throw new Error('cannot write to a named pipe (FIFO)');
  if (info.isSocket()) throw new Error('cannot write to a socket');
  if (info.isCharacterDevice()) throw new Error('cannot write to a character device file');
  throw new Error('cannot write to a block device file');
}

const save: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  flags: {
    output: { short: 'o', arg: 'string', help: 'Write to a file, instead of STDOUT' },
  },
  minArgs: 1,
  maxArgs: Infinity,
  async run(ctx, flags, args) {
    const output = str(flags, 'output') || undefined;
    if (output === undefined && process.stdout.isTTY) throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    if (output !== undefined) {
      await checkDestination(output).catch((err: Error) => {
        throw new Error(`failed to save image: ${err.message}`);
      });
    }
    const query = args.map((name) => `names=${encodeURIComponent(name)}`).join('&');
    const res = await ctx.api.stream('GET', `/images/get?${query}`);
    const { pipeline } = await import('node:stream/promises');
    if (output === undefined) {
      await pipeline(res, process.stdout, { end: false });
      return 0;
    }
    const { createWriteStream } = await import('node:fs');
    const { chmod, rename, rm } = await import('node:fs/promises');
    const path = await import('node:path');
    const { randomBytes } = await import('node:crypto');
    const target = path.resolve(output);
    const temp = path.join(path.dirname(target), `.tmp-${path.basename(target)}${randomBytes(5).readUInt32BE()}`);
    try {
      const file = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
      await pipeline(res, file);
      if (file.bytesWritten > 0) {
        await chmod(temp, 0o600);
        await rename(temp, target);
      }
    } finally {
      await rm(temp, { force: true });
    }
    return 0;
  },
};

export default save;

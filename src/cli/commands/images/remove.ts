// kapal rmi / kapal image rm: DELETE /images/{name} for each image, printing docker's
// "Untagged:" and "Deleted:" lines. Failures are reported together at the end; with -f an image
// that does not exist is reported but does not fail the command, as in docker.

import { DaemonError } from '../../client.js';
import type { Command } from '../../command.js';
import { bool } from '../../flags.js';
import { imagePath } from './names.js';

interface DeleteItem {
  Untagged?: string;
  Deleted?: string;
}

const remove: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  flags: {
    force: { short: 'f', help: 'Force removal of the image' },
    'no-prune': { help: 'Do not delete untagged parents' },
  },
  minArgs: 1,
  maxArgs: Infinity,
  async run(ctx, flags, args) {
    const force = bool(flags, 'force');
    const query = new URLSearchParams();
    if (force) query.set('force', '1');
    if (bool(flags, 'no-prune')) query.set('noprune', '1');
    const suffix = query.toString() ? `?${query}` : '';
    const errors: string[] = [];
    let fatal = false;
    for (const name of args) {
      try {
        const items = await ctx.api.json<DeleteItem[]>('DELETE', `/images/${imagePath(name)}${suffix}`);
        process.stdout.write((items ?? []).map((d) => (d.Deleted ? `Deleted: ${d.Deleted}\n` : `Untagged: ${d.Untagged}\n`)).join(''));
      } catch (err) {
        const notFound = err instanceof DaemonError && err.status === 404;
        if (!notFound) fatal = true;
        errors.push(err instanceof DaemonError ? `Error response from daemon: ${err.message}` : (err as Error).message);
      }
    }
    if (errors.length === 0) return 0;
    process.stderr.write(`${errors.join('\n')}\n`);
    return !force || fatal ? 1 : 0;
  },
};

export default remove;

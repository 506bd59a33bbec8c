// kapal push: POST /images/{name}/push?tag= and its progress, as docker push: the tag given (or
// `latest`), every tag of the repository with -a. -q prints only the reference once pushed.

import type { Command } from '../../command.js';
import { bool } from '../../flags.js';
import { imagePath, repositoryReference } from './names.js';
import { displayJsonMessages, stdoutDisplay } from './progress.js';

const push: Command = {
  usage: '[OPTIONS] NAME[:TAG]',
  flags: {
    'all-tags': { short: 'a', help: 'Push all tags of an image to the repository' },
    'disable-content-trust': { help: 'Skip image signing (accepted: kapal has no content trust)', default: 'true' },
    quiet: { short: 'q', help: 'Suppress verbose output' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, args) {
    const { canonicalString, fullName } = await import('../../../images/reference.js');
    const all = bool(flags, 'all-tags');
    const quiet = bool(flags, 'quiet');
    const ref = await repositoryReference(args[0]!, all, quiet);
    if (ref.digest !== undefined) throw new Error('cannot push a digest reference');
    const query = all || ref.tag === undefined ? '' : `?tag=${encodeURIComponent(ref.tag)}`;
    const res = await ctx.api.stream('POST', `/images/${imagePath(fullName(ref))}/push${query}`);
    // The last message's aux (tag, digest, size) is for signing; docker shows nothing of it either.
    await displayJsonMessages(res, quiet ? undefined : stdoutDisplay(), () => {});
    if (quiet) process.stdout.write(`${canonicalString(ref)}\n`);
    return 0;
  },
};

export default push;

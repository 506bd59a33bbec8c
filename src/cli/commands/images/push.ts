// kapal push: POST /images/{name}/push?tag= and its progress, as docker push: the tag given (or
// `latest`), every tag of the repository with -a. -q prints only the reference once pushed.

import type { Command } from '../../command.js';
import { bool } from '../../flags.js';
import { imagePath } from './names.js';
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
    const { canonicalString, fullName, parseReference, withDefaultTag } = await import('../../../images/reference.js');
    const all = bool(flags, 'all-tags');
    const quiet = bool(flags, 'quiet');
    let ref = parseReference(args[0]!);
    const nameOnly = ref.tag === undefined && ref.digest === undefined;
    if (all && !nameOnly) throw new Error("tag can't be used with --all-tags/-a");
    if (!all && nameOnly) {
      ref = withDefaultTag(ref);
      if (!quiet) process.stdout.write(`Using default tag: ${ref.tag}\n`);
    }
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

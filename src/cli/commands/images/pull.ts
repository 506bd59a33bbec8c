// kapal pull: POST /images/create?fromImage=&tag= and its progress, as docker pull. A name without
// tag or digest means `latest` ("Using default tag: latest"), or with -a every tag; the full
// reference is printed last. -q shows only that.

import type { Command } from '../../command.js';
import { bool, str } from '../../flags.js';
import { repositoryReference } from './names.js';
import { displayJsonMessages, stdoutDisplay } from './progress.js';

const pull: Command = {
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  flags: {
    'all-tags': { short: 'a', help: 'Download all tagged images in the repository' },
    'disable-content-trust': { help: 'Skip image verification (accepted: kapal has no content trust)', default: 'true' },
    platform: { arg: 'string', help: 'Set platform if server is multi-platform capable' },
    quiet: { short: 'q', help: 'Suppress verbose output' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, args) {
    const { canonicalString, fullName } = await import('../../../images/reference.js');
    const all = bool(flags, 'all-tags');
    const quiet = bool(flags, 'quiet');
    const ref = await repositoryReference(args[0]!, all, quiet);
    const query = new URLSearchParams({ fromImage: fullName(ref) });
    // The API takes a digest in `tag`, as the docker client sends it.
    if (!all) query.set('tag', ref.digest ?? ref.tag ?? '');
    const platform = str(flags, 'platform');
    if (platform) query.set('platform', platform.toLowerCase());
    const res = await ctx.api.stream('POST', `/images/create?${query}`);
    await displayJsonMessages(res, quiet ? undefined : stdoutDisplay());
    process.stdout.write(`${canonicalString(ref)}\n`);
    return 0;
  },
};

export default pull;

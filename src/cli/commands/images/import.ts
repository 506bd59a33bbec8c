// kapal import: POST /images/create?fromSrc=- with a root file system tar from a file or stdin (-),
// as docker import; -c applies Dockerfile instructions, -m sets the comment. Prints the new ID.

import type { Readable } from 'node:stream';
import type { Command } from '../../command.js';
import { list, str } from '../../flags.js';
import { openInput } from './load.js';
import { displayJsonMessages, stdoutDisplay } from './progress.js';

const importCommand: Command = {
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  flags: {
    change: { short: 'c', arg: 'list', multi: true, help: 'Apply Dockerfile instruction to the created image' },
    message: { short: 'm', arg: 'string', help: 'Set commit message for imported image' },
    platform: { arg: 'string', help: 'Set platform if server is multi-platform capable' },
  },
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, flags, args) {
    const [source, repository] = args as [string, string | undefined];
    if (repository) {
      // Checked here, as the docker client does, so a bad name fails before the upload.
      const { parseReference } = await import('../../../images/reference.js');
      parseReference(repository);
    }
    const query = new URLSearchParams();
    let body: Readable | undefined;
    if (/^https?:\/\//.test(source)) {
      // The daemon fetches a URL itself (kapald says it cannot).
      query.set('fromSrc', source);
    } else {
      query.set('fromSrc', '-');
      body = await openInput(source === '-' ? undefined : source);
    }
    if (repository) query.set('repo', repository);
    const message = str(flags, 'message');
    if (message) query.set('message', message);
    const platform = str(flags, 'platform');
    if (platform) query.set('platform', platform.toLowerCase());
    for (const change of list(flags, 'change')) query.append('changes', change);
    const res = await ctx.api.stream('POST', `/images/create?${query}`, body ? { body, contentType: 'text/plain' } : {});
    await displayJsonMessages(res, stdoutDisplay());
    return 0;
  },
};

export default importCommand;

// kapal create: the container run would make, not started; its ID on stdout.

import type { Command } from '../../command.js';
import { bool, str } from '../../flags.js';
import { CREATE_FLAGS, createRequest } from './create-options.js';
import { runFailure } from './run.js';
import { createContainer } from './shared.js';

const create: Command = {
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  flags: CREATE_FLAGS,
  minArgs: 1,
  maxArgs: Infinity,
  stopAtFirstArg: true,
  async run(ctx, flags, args) {
    const [image, ...cmd] = args as [string, ...string[]];
    try {
      const id = await createContainer(ctx.api, createRequest(flags, image, cmd, { detach: true }), { pull: str(flags, 'pull') ?? 'missing', quiet: bool(flags, 'quiet') });
      process.stdout.write(`${id}\n`);
      return 0;
    } catch (err) {
      return runFailure('create', err);
    }
  },
};

export default create;

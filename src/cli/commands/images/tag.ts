// kapal tag: POST /images/{source}/tag?repo=&tag=, as docker tag; both names are checked first,
// in the docker client's words, and a target without a tag gets `latest`.

import type { Command } from '../../command.js';
import { imagePath } from './names.js';

const tag: Command = {
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  flags: {},
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, _flags, args) {
    const { fullName, parseReference, withDefaultTag } = await import('../../../images/reference.js');
    const [source, target] = args as [string, string];
    const parse = (name: string) => {
      try {
        return parseReference(name);
      } catch (err) {
        throw new Error(`Error parsing reference: "${name}" is not a valid repository/tag: ${(err as Error).message}`);
      }
    };
    // An ID or a digest names an image too (docker's ParseAnyReference).
    if (!/^(?:sha256:)?[a-f0-9]{64}$/.test(source)) parse(source);
    let ref = parse(target);
    if (ref.digest !== undefined) throw new Error('refusing to create a tag with a digest reference');
    ref = withDefaultTag(ref);
    const query = new URLSearchParams({ repo: fullName(ref), tag: ref.tag ?? 'latest' });
    await ctx.api.request('POST', `/images/${imagePath(source)}/tag?${query}`);
    return 0;
  },
};

export default tag;

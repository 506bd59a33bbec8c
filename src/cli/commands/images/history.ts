// kapal history: GET /images/{name}/history as docker history prints it: newest first, IDs cut to
// 12 (`<missing>` for layers of pulled or loaded images), CREATED BY cut to 45 characters, sizes and
// dates human unless --human=false; -q, --no-trunc and --format as for images.

import type { Command } from '../../command.js';
import { bool, str } from '../../flags.js';
import { ago, ellipsis, humanSize, shortId } from '../../format.js';
import { rfc3339 } from './go-format.js';
import { printFormatted } from './listing.js';
import { imagePath } from './names.js';

interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

const DEFAULT_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const NON_HUMAN_TABLE = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

const HEADERS = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

/** Dates before 2000 are not real build times (scratch-like configs): docker shows N/A. */
const EPOCH = Date.UTC(2000, 0, 1) / 1000;

const history: Command = {
  usage: '[OPTIONS] IMAGE',
  flags: {
    format: { arg: 'string', help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go-like template" },
    human: { short: 'H', help: 'Print sizes and dates in human readable format', default: 'true' },
    'no-trunc': { help: "Don't truncate output" },
    quiet: { short: 'q', help: 'Only show image IDs' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, args) {
    const items = await ctx.api.json<HistoryItem[]>('GET', `/images/${imagePath(args[0]!)}/history`);
    // A boolean that defaults to true: only --human=false turns it off.
    const human = flags.human !== false;
    const trunc = !bool(flags, 'no-trunc');
    let format = str(flags, 'format') ?? '';
    if (format === '' || format === 'table') format = bool(flags, 'quiet') ? '{{.ID}}' : human ? DEFAULT_TABLE : NON_HUMAN_TABLE;
    printFormatted(items, format, (h) => {
      const createdBy = h.CreatedBy.replace(/\t/g, ' ');
      return {
        ID: trunc ? shortId(h.Id) : h.Id,
        CreatedSince: !human ? rfc3339(h.Created) : h.Created <= EPOCH ? 'N/A' : ago(h.Created),
        CreatedAt: rfc3339(h.Created),
        CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
        Size: human ? humanSize(h.Size, 3) : String(h.Size),
        Comment: h.Comment,
      };
    }, HEADERS);
    return 0;
  },
};

export default history;
